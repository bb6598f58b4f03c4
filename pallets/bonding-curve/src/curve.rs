//! The linear bonding curve's arithmetic.
//!
//! The price of the next whole token at supply `s` is `base + slope * s`. The cost of `n`
//! tokens bought at supply `s` is the exact integer sum of their prices:
//!
//! ```text
//! cost(s, n) = n * base + slope * (n * s + n * (n - 1) / 2)
//! ```
//!
//! and selling `n` tokens at supply `s` refunds `cost(s - n, n)`, so a buy followed by a sell
//! of the same tokens returns exactly what was paid, and the reserve that collects the costs
//! always covers a full sell-back: `reserve >= cost(0, supply)`.
//!
//! Every function returns `None` when a result does not fit the balance type, never panics and
//! never rounds.

use sp_runtime::traits::AtLeast32BitUnsigned;

/// A linear curve: `price(s) = base + slope * s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Linear<Balance> {
	/// Price of the first whole token.
	pub base: Balance,
	/// Price increase per token of supply.
	pub slope: Balance,
}

/// `n * (n - 1) / 2` without overflowing in the intermediate product more than the result
/// needs: the even one of `n` and `n - 1` is halved first.
fn triangle<B: AtLeast32BitUnsigned + Copy>(n: B) -> Option<B> {
	if n.is_zero() {
		return Some(B::zero());
	}
	let m = n.checked_sub(&B::one())?;
	let two = B::one() + B::one();
	if (n % two).is_zero() {
		(n / two).checked_mul(&m)
	} else {
		n.checked_mul(&(m / two))
	}
}

impl<B: AtLeast32BitUnsigned + Copy> Linear<B> {
	/// The price of the next whole token when `supply` tokens exist.
	pub fn price(&self, supply: B) -> Option<B> {
		self.slope.checked_mul(&supply)?.checked_add(&self.base)
	}

	/// What `amount` tokens cost when bought at `supply`.
	pub fn cost(&self, supply: B, amount: B) -> Option<B> {
		let linear_part = amount.checked_mul(&supply)?.checked_add(&triangle(amount)?)?;
		amount.checked_mul(&self.base)?.checked_add(&self.slope.checked_mul(&linear_part)?)
	}

	/// What selling `amount` tokens refunds when `supply` tokens exist; `None` when `amount`
	/// exceeds the supply.
	pub fn refund(&self, supply: B, amount: B) -> Option<B> {
		self.cost(supply.checked_sub(&amount)?, amount)
	}

	/// What the reserve must hold to buy back all of `supply`: `cost(0, supply)`.
	pub fn reserve_for(&self, supply: B) -> Option<B> {
		self.cost(B::zero(), supply)
	}
}

#[cfg(test)]
#[path = "curve_tests.rs"]
mod tests;
