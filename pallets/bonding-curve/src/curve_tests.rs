//! Tests of the curve's arithmetic: against a naive sum, at the extremes, and properties.

use super::*;
use proptest::prelude::*;

const CURVE: Linear<u128> = Linear { base: 10, slope: 3 };

fn naive_cost(curve: Linear<u128>, supply: u128, amount: u128) -> u128 {
	(supply..supply + amount).map(|s| curve.base + curve.slope * s).sum()
}

#[test]
fn cost_is_the_sum_of_prices() {
	assert_eq!(CURVE.cost(0, 0), Some(0));
	assert_eq!(CURVE.cost(0, 1), Some(10));
	assert_eq!(CURVE.cost(0, 3), Some(10 + 13 + 16));
	assert_eq!(CURVE.cost(5, 2), Some(25 + 28));
	assert_eq!(CURVE.price(5), Some(25));
	for supply in 0..20 {
		for amount in 0..20 {
			assert_eq!(CURVE.cost(supply, amount), Some(naive_cost(CURVE, supply, amount)));
		}
	}
}

#[test]
fn refund_mirrors_cost_and_refuses_more_than_the_supply() {
	assert_eq!(CURVE.refund(3, 3), CURVE.cost(0, 3));
	assert_eq!(CURVE.refund(3, 4), None);
	assert_eq!(CURVE.reserve_for(3), Some(39));
}

#[test]
fn overflow_is_none_never_a_panic() {
	let steep = Linear { base: 1u128, slope: u128::MAX };
	assert_eq!(steep.price(2), None);
	assert_eq!(steep.cost(1, 1), None);
	assert_eq!(steep.cost(0, 2), None);
	let flat = Linear { base: u128::MAX, slope: 0u128 };
	assert_eq!(flat.cost(0, 1), Some(u128::MAX));
	assert_eq!(flat.cost(0, 2), None);
	let unit = Linear { base: 0u128, slope: 1u128 };
	assert_eq!(unit.cost(u128::MAX, 1), Some(u128::MAX));
	assert_eq!(unit.cost(u128::MAX, 2), None);
	assert_eq!(unit.cost(0, u128::MAX), None);
	// In u32 the triangle's halving keeps n * (n - 1) / 2 exact where n * (n - 1) overflows.
	let small = Linear { base: 0u32, slope: 1u32 };
	assert_eq!(small.cost(0, 65_536), Some(65_536 / 2 * 65_535));
	assert_eq!(small.cost(0, 92_682), Some(92_682 / 2 * 92_681));
	assert_eq!(small.cost(0, 92_683), None);
}

proptest! {
	#[test]
	fn buying_in_two_steps_costs_the_same_as_in_one(
		base in 0u128..1_000_000_000,
		slope in 0u128..1_000_000,
		supply in 0u128..1_000_000_000,
		a in 0u128..1_000_000,
		b in 0u128..1_000_000,
	) {
		let curve = Linear { base, slope };
		let whole = curve.cost(supply, a + b).unwrap();
		let first = curve.cost(supply, a).unwrap();
		let second = curve.cost(supply + a, b).unwrap();
		prop_assert_eq!(whole, first + second);
	}

	#[test]
	fn a_round_trip_returns_exactly_what_was_paid(
		base in 0u128..1_000_000_000,
		slope in 0u128..1_000_000,
		supply in 0u128..1_000_000_000,
		amount in 0u128..1_000_000,
	) {
		let curve = Linear { base, slope };
		let paid = curve.cost(supply, amount).unwrap();
		prop_assert_eq!(curve.refund(supply + amount, amount), Some(paid));
		// The reserve after the buy covers a full sell-back of the new supply exactly.
		let before = curve.reserve_for(supply).unwrap();
		prop_assert_eq!(curve.reserve_for(supply + amount), Some(before + paid));
	}

	#[test]
	fn any_inputs_give_a_value_or_none_and_never_panic(
		base in any::<u128>(),
		slope in any::<u128>(),
		supply in any::<u128>(),
		amount in any::<u128>(),
	) {
		let curve = Linear { base, slope };
		if let Some(cost) = curve.cost(supply, amount) {
			// Where it fits, the cost is at least amount * base.
			prop_assert!(amount.checked_mul(base).is_some_and(|floor| cost >= floor));
		}
		let _ = curve.refund(supply, amount);
		let _ = curve.price(supply);
	}
}
