//! Property tests: random sequences of buys, sells, reward mints, burns, fundings and freezes
//! on several projects, with the invariants checked after every step.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// One step of a random history. Accounts are 1..=4, projects 0..3.
#[derive(Clone, Debug)]
enum Op {
	Buy { who: u8, project: u32, amount: u64 },
	Sell { who: u8, project: u32, amount: u64 },
	MintReward { to: u8, project: u32 },
	Burn { who: u8, project: u32, amount: u64 },
	Fund { who: u8, project: u32, amount: u64 },
	Freeze { project: u32 },
	Unfreeze { project: u32 },
}

fn op() -> impl Strategy<Value = Op> {
	let who = 1u8..=4;
	let project = 0u32..3;
	prop_oneof![
		4 => (who.clone(), project.clone(), 1u64..60).prop_map(|(who, project, amount)| Op::Buy { who, project, amount }),
		4 => (who.clone(), project.clone(), 1u64..60).prop_map(|(who, project, amount)| Op::Sell { who, project, amount }),
		2 => (who.clone(), project.clone()).prop_map(|(to, project)| Op::MintReward { to, project }),
		1 => (who.clone(), project.clone(), 1u64..20).prop_map(|(who, project, amount)| Op::Burn { who, project, amount }),
		1 => (who.clone(), project.clone(), 1u64..2_000).prop_map(|(who, project, amount)| Op::Fund { who, project, amount }),
		1 => project.clone().prop_map(|project| Op::Freeze { project }),
		1 => project.prop_map(|project| Op::Unfreeze { project }),
	]
}

/// Three projects with different curves; projects are created by account 5, which trades
/// nothing.
fn three_projects() -> [ProjectId; 3] {
	[
		create(5, CurveParams { base_price: 10, slope: 1, initial_escrow: 2_000, ..curve() }),
		create(5, CurveParams { base_price: 0, slope: 7, initial_escrow: 500, ..curve() }),
		create(5, CurveParams { base_price: 100, slope: 0, initial_escrow: 5_000, ..curve() }),
	]
}

/// What the curve paid out and took in, per project, as the events report it.
#[derive(Default)]
struct Flows {
	costs: u128,
	refunds: u128,
	reward_costs: u128,
}

fn apply(op: &Op, flows: &mut BTreeMap<ProjectId, Flows>) {
	let events_before = System::events().len();
	// Every call may fail (frozen, unheld, unaffordable); a failure must change nothing,
	// which the invariants and the flows below would notice.
	let _ = match *op {
		Op::Buy { who, project, amount } => {
			Curve::buy(RuntimeOrigin::signed(account(who)), project, amount, u64::MAX)
		},
		Op::Sell { who, project, amount } => {
			Curve::sell(RuntimeOrigin::signed(account(who)), project, amount, 0)
		},
		Op::MintReward { to, project } => {
			Curve::mint_reward(project, &account(to), u64::MAX).map(|_| ())
		},
		Op::Burn { who, project, amount } => Curve::burn(project, &account(who), amount),
		Op::Fund { who, project, amount } => {
			Curve::fund_rewards(RuntimeOrigin::signed(account(who)), project, amount)
		},
		Op::Freeze { project } => Registry::freeze_project(RuntimeOrigin::root(), project),
		Op::Unfreeze { project } => Registry::unfreeze_project(RuntimeOrigin::root(), project),
	};
	for record in &System::events()[events_before..] {
		if let RuntimeEvent::Curve(e) = &record.event {
			match e {
				Event::Bought { project, cost, .. } => {
					flows.entry(*project).or_default().costs += *cost as u128
				},
				Event::Sold { project, refund, .. } => {
					flows.entry(*project).or_default().refunds += *refund as u128
				},
				Event::RewardMinted { project, cost, .. } => {
					flows.entry(*project).or_default().reward_costs += *cost as u128
				},
				_ => {},
			}
		}
	}
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(128))]

	/// After every step both pallets' invariants hold and each reserve holds exactly what
	/// buyers and rewards paid in less what sellers got back. At the end everyone sells
	/// everything back: the traders, all together, never get back more than they and the
	/// escrows paid in, and what stays in a reserve is exactly the backing of burned tokens.
	#[test]
	fn random_histories_keep_the_reserves_whole(ops in proptest::collection::vec(op(), 1..60)) {
		new_test_ext().execute_with(|| {
			let projects = three_projects();
			let mut flows: BTreeMap<ProjectId, Flows> = BTreeMap::new();
			for op in &ops {
				apply(op, &mut flows);
				check_invariants();
				for &p in &projects {
					let f = flows.get(&p).map(|f| (f.costs, f.refunds, f.reward_costs)).unwrap_or_default();
					prop_assert_eq!(Curve::reserve_of(p) as u128, f.0 + f.2 - f.1);
				}
			}
			for &p in &projects {
				if !<Registry as pallet_projects::Lineage<_>>::is_active(p) {
					assert_ok!(Registry::unfreeze_project(RuntimeOrigin::root(), p));
				}
				for who in 1..=5u8 {
					let held = tokens(p, who);
					if held > 0 {
						apply(&Op::Sell { who, project: p, amount: held }, &mut flows);
						prop_assert_eq!(tokens(p, who), 0);
					}
				}
				prop_assert_eq!(supply(p), 0);
				let f = flows.remove(&p).unwrap_or_default();
				prop_assert!(f.refunds <= f.costs + f.reward_costs);
				prop_assert_eq!(Curve::reserve_of(p) as u128, f.costs + f.reward_costs - f.refunds);
				check_invariants();
			}
			Ok(())
		})?;
	}

	/// A trader alone on a project, buying and selling in any pieces, always has paid in
	/// exactly the sell-back value of what it holds: splitting trades gains nothing, and
	/// selling everything returns its balance to the start.
	#[test]
	fn a_lone_trader_gets_back_exactly_what_it_paid(
		base in 0u64..1_000,
		slope in 0u64..100,
		trades in proptest::collection::vec((any::<bool>(), 1u64..40), 1..40),
	) {
		prop_assume!(base > 0 || slope > 0);
		new_test_ext().execute_with(|| {
			let project = create(5, CurveParams { base_price: base, slope, ..curve() });
			let start = free(2);
			let c = crate::curve::Linear { base, slope };
			for (is_buy, amount) in trades {
				let _ = if is_buy {
					buy(2, project, amount)
				} else {
					Curve::sell(RuntimeOrigin::signed(account(2)), project, amount, 0)
				};
				let held = tokens(project, 2);
				prop_assert_eq!(start - free(2), c.reserve_for(held).unwrap());
				prop_assert_eq!(Curve::reserve_of(project), c.reserve_for(held).unwrap());
			}
			let held = tokens(project, 2);
			if held > 0 {
				assert_ok!(Curve::sell(RuntimeOrigin::signed(account(2)), project, held, 0));
			}
			prop_assert_eq!(free(2), start);
			Ok(())
		})?;
	}

	/// Any curve and any amount: a buy, a quote or a reward either works with the
	/// invariants intact or fails with an error; nothing panics.
	#[test]
	fn extreme_curves_and_amounts_fail_with_errors(
		base in prop_oneof![Just(0u64), Just(1), Just(u64::MAX / 2), Just(u64::MAX), any::<u64>()],
		slope in prop_oneof![Just(1u64), Just(u64::MAX / 3), Just(u64::MAX), any::<u64>()],
		amounts in proptest::collection::vec(prop_oneof![1u64..10, Just(u64::MAX), any::<u64>()], 1..8),
	) {
		prop_assume!(base > 0 || slope > 0);
		new_test_ext().execute_with(|| {
			let project = create(5, CurveParams { base_price: base, slope, ..curve() });
			for amount in amounts {
				let _ = Curve::quote_buy(project, amount);
				let _ = Curve::quote_sell(project, amount);
				let _ = buy(2, project, amount);
				let _ = Curve::mint_reward(project, &account(3), u64::MAX);
				let _ = Curve::sell(RuntimeOrigin::signed(account(2)), project, amount, 0);
				check_invariants();
			}
			Ok::<(), TestCaseError>(())
		})?;
	}
}
