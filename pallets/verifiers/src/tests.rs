//! Unit tests: one behaviour each, the failure paths included.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect as _, InspectHold as _},
};
use sp_runtime::{DispatchError, DispatchResult};

fn key(n: u8) -> RunnerKey {
	RunnerKey::from_raw([n; 32])
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::VerifierBond.into(), &who)
}

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Registry(e) = r.event { Some(e) } else { None })
		.next_back()
		.expect("an event of this pallet")
}

fn register(who: u64, bond: u64, k: u8) -> DispatchResult {
	Registry::register(RuntimeOrigin::signed(who), bond, key(k), Evaluators::ALL)
}

fn check() {
	Registry::do_try_state().expect("invariants hold");
}

#[test]
fn register_holds_the_bond_and_records_the_runner_key() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 500, 7));
		assert_eq!(held(1), 500);
		let info = Verifiers::<Test>::get(1).unwrap();
		assert_eq!(info.bond, 500);
		assert_eq!(info.runner_key, key(7));
		assert_eq!(info.status, VerifierStatus::Active);
		assert_eq!(info.stats, Stats::default());
		assert_eq!(RunnerKeys::<Test>::get(key(7)), Some(1));
		assert_eq!(
			last_event(),
			Event::Registered {
				who: 1,
				bond: 500,
				runner_key: key(7),
				evaluators: Evaluators::ALL
			}
		);
		check();
	});
}

#[test]
fn register_refuses_bad_origin_twice_small_bonds_taken_keys_and_the_poor() {
	open_ext().execute_with(|| {
		assert_noop!(
			Registry::register(RuntimeOrigin::none(), 500, key(1), Evaluators::ALL),
			DispatchError::BadOrigin
		);
		assert_noop!(register(1, 99, 1), Error::<Test>::BondTooSmall);
		assert_ok!(register(1, 100, 1));
		assert_noop!(register(1, 100, 2), Error::<Test>::AlreadyRegistered);
		assert_noop!(register(2, 100, 1), Error::<Test>::RunnerKeyInUse);
		assert_noop!(register(4, 200, 4), Error::<Test>::InsufficientBalance);
		assert_noop!(register(8, 100, 8), Error::<Test>::InsufficientBalance);
		check();
	});
}

#[test]
fn the_allowlist_admits_only_its_accounts_and_root_manages_it() {
	new_test_ext(Admission::Allowlist, vec![2]).execute_with(|| {
		assert_noop!(register(1, 100, 1), Error::<Test>::NotAllowed);
		assert_ok!(register(2, 100, 2));
		assert_noop!(
			Registry::set_allowed(RuntimeOrigin::signed(2), 1, true),
			DispatchError::BadOrigin
		);
		assert_ok!(Registry::set_allowed(RuntimeOrigin::root(), 1, true));
		assert_eq!(last_event(), Event::AllowlistChanged { who: 1, allowed: true });
		assert_ok!(register(1, 100, 1));
		// Taking a verifier off the list does not remove it, but keeps others out.
		assert_ok!(Registry::set_allowed(RuntimeOrigin::root(), 2, false));
		assert!(Verifiers::<Test>::contains_key(2));
		assert_ok!(Registry::set_allowed(RuntimeOrigin::root(), 3, false));
		assert_noop!(register(3, 100, 3), Error::<Test>::NotAllowed);
		check();
	});
}

#[test]
fn root_switches_admission_between_permissionless_and_allowlist() {
	open_ext().execute_with(|| {
		assert_eq!(AdmissionMode::<Test>::get(), Admission::Permissionless);
		assert_noop!(
			Registry::set_admission(RuntimeOrigin::signed(1), Admission::Allowlist),
			DispatchError::BadOrigin
		);
		assert_ok!(Registry::set_admission(RuntimeOrigin::root(), Admission::Allowlist));
		assert_eq!(last_event(), Event::AdmissionChanged { admission: Admission::Allowlist });
		assert_noop!(register(1, 100, 1), Error::<Test>::NotAllowed);
		assert_ok!(Registry::set_admission(RuntimeOrigin::root(), Admission::Permissionless));
		assert_ok!(register(1, 100, 1));
	});
}

#[test]
fn a_verifier_replaces_its_runner_key() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 100, 1));
		assert_ok!(register(2, 100, 2));
		assert_noop!(
			Registry::set_runner_key(RuntimeOrigin::signed(1), key(2)),
			Error::<Test>::RunnerKeyInUse
		);
		assert_noop!(
			Registry::set_runner_key(RuntimeOrigin::signed(3), key(3)),
			Error::<Test>::NotRegistered
		);
		assert_ok!(Registry::set_runner_key(RuntimeOrigin::signed(1), key(9)));
		assert_eq!(Verifiers::<Test>::get(1).unwrap().runner_key, key(9));
		assert_eq!(RunnerKeys::<Test>::get(key(9)), Some(1));
		assert_eq!(RunnerKeys::<Test>::get(key(1)), None);
		assert_eq!(last_event(), Event::RunnerKeyChanged { who: 1, runner_key: key(9) });
		// The old key is free again.
		assert_ok!(register(3, 100, 1));
		check();
	});
}

#[test]
fn unbonding_waits_out_the_delay_then_releases_the_funds() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 500, 1));
		assert_ok!(Registry::unbond(RuntimeOrigin::signed(1), 200));
		assert_eq!(last_event(), Event::Unbonded { who: 1, amount: 200, unlocks_at: 11 });
		let info = Verifiers::<Test>::get(1).unwrap();
		assert_eq!(info.bond, 300);
		assert_eq!(info.unbonding, Some(Unbonding { amount: 200, unlocks_at: 11 }));
		assert_eq!(held(1), 500, "unbonding funds stay held");
		check();

		run_to_block(10);
		assert_noop!(
			Registry::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::StillUnbonding
		);
		run_to_block(11);
		let free = Balances::balance(&1);
		assert_ok!(Registry::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(Balances::balance(&1), free + 200);
		assert_eq!(held(1), 300);
		assert_eq!(last_event(), Event::Withdrawn { who: 1, amount: 200 });
		assert_eq!(Verifiers::<Test>::get(1).unwrap().unbonding, None);
		assert_noop!(
			Registry::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NothingUnbonding
		);
		check();
	});
}

#[test]
fn a_second_unbond_adds_up_and_restarts_the_wait() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 500, 1));
		assert_ok!(Registry::unbond(RuntimeOrigin::signed(1), 100));
		run_to_block(5);
		assert_ok!(Registry::unbond(RuntimeOrigin::signed(1), 100));
		assert_eq!(
			Verifiers::<Test>::get(1).unwrap().unbonding,
			Some(Unbonding { amount: 200, unlocks_at: 15 })
		);
		run_to_block(11);
		assert_noop!(
			Registry::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::StillUnbonding
		);
		check();
	});
}

#[test]
fn unbond_refuses_zero_too_much_a_remainder_below_minimum_and_strangers() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 500, 1));
		let unbond = |who, amount| Registry::unbond(RuntimeOrigin::signed(who), amount);
		assert_noop!(unbond(1, 0), Error::<Test>::ZeroAmount);
		assert_noop!(unbond(1, 501), Error::<Test>::AmountAboveBond);
		assert_noop!(unbond(1, 401), Error::<Test>::BondTooSmall);
		assert_noop!(unbond(2, 10), Error::<Test>::NotRegistered);
		assert_noop!(
			Registry::withdraw_unbonded(RuntimeOrigin::signed(2)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(Registry::unbond(RuntimeOrigin::none(), 10), DispatchError::BadOrigin);
		assert_ok!(unbond(1, 400));
	});
}

#[test]
fn unbonding_everything_deregisters_after_the_delay() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 500, 1));
		let before = Balances::balance(&1);
		assert_ok!(Registry::unbond(RuntimeOrigin::signed(1), 500));
		assert_eq!(Verifiers::<Test>::get(1).unwrap().bond, 0);
		check();
		run_to_block(11);
		assert_ok!(Registry::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(last_event(), Event::Deregistered { who: 1 });
		assert!(!Verifiers::<Test>::contains_key(1));
		assert_eq!(RunnerKeys::<Test>::get(key(1)), None);
		assert_eq!(held(1), 0);
		assert_eq!(Balances::balance(&1), before + 500);
		// It may register again, with the same key.
		assert_ok!(register(1, 100, 1));
		check();
	});
}

#[test]
fn try_state_catches_an_unheld_bond_and_a_dangling_key() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 500, 1));
		Verifiers::<Test>::mutate(1, |i| i.as_mut().unwrap().bond = 600);
		assert_eq!(Registry::do_try_state(), Err("held bond differs from bond + unbonding".into()));
		Verifiers::<Test>::mutate(1, |i| i.as_mut().unwrap().bond = 500);
		RunnerKeys::<Test>::insert(key(3), 2);
		assert_eq!(Registry::do_try_state(), Err("runner key of no verifier".into()));
	});
}

#[test]
fn registration_stops_at_max_verifiers() {
	open_ext().execute_with(|| {
		for who in [1, 2, 3, 5, 6] {
			assert_ok!(register(who, 100, who as u8));
		}
		assert_eq!(Verifiers::<Test>::count(), 5);
		assert_noop!(register(7, 100, 7), Error::<Test>::TooManyVerifiers);
	});
}

#[test]
fn selection_is_deterministic_distinct_and_never_the_proposer() {
	open_ext().execute_with(|| {
		for who in [1, 2, 3, 5, 6] {
			assert_ok!(register(who, 100 * who, who as u8));
		}
		let seed = [7u8; 32];
		let picked = Registry::select_verifiers(&seed, 3, &[1], EvaluatorKind::Wasm).unwrap();
		assert_eq!(picked.len(), 3);
		assert_eq!(
			Registry::select_verifiers(&seed, 3, &[1], EvaluatorKind::Wasm).unwrap(),
			picked
		);
		assert!(!picked.contains(&1));
		let mut unique = picked.clone();
		unique.sort();
		unique.dedup();
		assert_eq!(unique.len(), 3);
		// Other seeds give other draws.
		let draws: std::collections::BTreeSet<Vec<u64>> = (0..20u8)
			.map(|s| Registry::select_verifiers(&[s; 32], 3, &[1], EvaluatorKind::Wasm).unwrap())
			.collect();
		assert!(draws.len() > 1);
		// All four others when the quorum asks for all; an error when it asks for more.
		assert_eq!(
			Registry::select_verifiers(&seed, 4, &[1], EvaluatorKind::Wasm).unwrap().len(),
			4
		);
		assert!(matches!(
			Registry::select_verifiers(&seed, 5, &[1], EvaluatorKind::Wasm),
			Err(Error::<Test>::NotEnoughVerifiers)
		));
		assert_eq!(
			Registry::select_verifiers(&seed, 5, &[99], EvaluatorKind::Wasm).unwrap().len(),
			5
		);
	});
}

#[test]
fn only_verifiers_whose_runners_have_the_evaluator_are_drawn() {
	open_ext().execute_with(|| {
		let wasm_only = Evaluators::NONE.with(EvaluatorKind::Wasm);
		assert_noop!(
			Registry::register(RuntimeOrigin::signed(1), 100, key(1), Evaluators::NONE),
			Error::<Test>::NoEvaluators
		);
		assert_ok!(Registry::register(RuntimeOrigin::signed(1), 100, key(1), wasm_only));
		assert_ok!(register(2, 100, 2));
		assert_ok!(Registry::register(RuntimeOrigin::signed(3), 9_900, key(3), wasm_only));
		assert!(System::events().iter().any(|e| e.event
			== RuntimeEvent::Registry(Event::Registered {
				who: 3,
				bond: 9_900,
				runner_key: key(3),
				evaluators: wasm_only
			})));
		// However large their bonds, runners without candle-gpt are never drawn for it.
		for s in 0..=255u8 {
			assert_eq!(
				Registry::select_verifiers(&[s; 32], 1, &[99], EvaluatorKind::CandleGpt).unwrap(),
				vec![2]
			);
		}
		assert!(matches!(
			Registry::select_verifiers(&[0; 32], 2, &[99], EvaluatorKind::CandleGpt),
			Err(Error::<Test>::NotEnoughVerifiers)
		));
		assert_eq!(
			Registry::select_verifiers(&[0; 32], 3, &[99], EvaluatorKind::Wasm).unwrap().len(),
			3
		);
		// A verifier adds an evaluator to its runner and says so.
		assert_noop!(
			Registry::set_evaluators(RuntimeOrigin::signed(4), Evaluators::ALL),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			Registry::set_evaluators(RuntimeOrigin::signed(1), Evaluators::NONE),
			Error::<Test>::NoEvaluators
		);
		assert_ok!(Registry::set_evaluators(RuntimeOrigin::signed(1), Evaluators::ALL));
		assert_eq!(Verifiers::<Test>::get(1).unwrap().evaluators, Evaluators::ALL);
		assert_eq!(
			Registry::select_verifiers(&[0; 32], 2, &[99], EvaluatorKind::CandleGpt).unwrap().len(),
			2
		);
		check();
	});
}

#[test]
fn selection_skips_chilled_and_fully_unbonded_verifiers() {
	open_ext().execute_with(|| {
		for who in [1, 2, 3] {
			assert_ok!(register(who, 100, who as u8));
		}
		assert_ok!(Registry::unbond(RuntimeOrigin::signed(2), 100));
		Verifiers::<Test>::mutate(3, |i| i.as_mut().unwrap().status = VerifierStatus::Chilled);
		for s in 0..10u8 {
			assert_eq!(
				Registry::select_verifiers(&[s; 32], 1, &[99], EvaluatorKind::Wasm).unwrap(),
				vec![1]
			);
		}
		assert!(matches!(
			Registry::select_verifiers(&[0; 32], 2, &[99], EvaluatorKind::Wasm),
			Err(Error::<Test>::NotEnoughVerifiers)
		));
	});
}

#[test]
fn selection_is_weighted_by_bond() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 100, 1));
		assert_ok!(register(2, 9_900, 2));
		let big_first = (0..=255u8)
			.filter(|s| {
				Registry::select_verifiers(&[*s; 32], 1, &[99], EvaluatorKind::Wasm).unwrap()
					== vec![2]
			})
			.count();
		// Expected 99 % of 256 seeds; these seeds are fixed, so the count is too.
		assert!(big_first >= 240, "the large bond was drawn first {big_first} times of 256");
		assert!(big_first < 256, "the small bond is drawn sometimes");
	});
}

#[test]
fn duties_are_counted_per_verifier() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 1_000, 1));
		type D = Registry;
		<D as VerifierDuties<u64, u64>>::note_assigned(&1);
		<D as VerifierDuties<u64, u64>>::note_assigned(&1);
		<D as VerifierDuties<u64, u64>>::note_agreed(&1);
		<D as VerifierDuties<u64, u64>>::note_deviant(&1);
		<D as VerifierDuties<u64, u64>>::note_missed(&1);
		assert_eq!(
			Verifiers::<Test>::get(1).unwrap().stats,
			Stats { rounds: 2, agreed: 1, deviant: 1, missed: 1 }
		);
		// Notes about accounts that are not verifiers change nothing and slash nothing.
		<D as VerifierDuties<u64, u64>>::note_assigned(&2);
		assert_eq!(<D as VerifierDuties<u64, u64>>::note_missed(&2), 0);
		assert_eq!(<D as VerifierDuties<u64, u64>>::note_deviant(&2), 0);
		assert!(!Verifiers::<Test>::contains_key(2));
		assert_eq!(Balances::free_balance(2), 10_000);
		check();
	});
}

fn chilled_events() -> usize {
	System::events()
		.into_iter()
		.filter(|r| matches!(r.event, RuntimeEvent::Registry(Event::Chilled { .. })))
		.count()
}

#[test]
fn missing_duties_in_a_row_chills_until_the_verifier_rejoins() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 5_000, 1));
		assert_ok!(register(2, 100, 2));
		type D = Registry;
		<D as VerifierDuties<u64, u64>>::note_missed(&1);
		<D as VerifierDuties<u64, u64>>::note_missed(&1);
		// A done duty starts the count over.
		<D as VerifierDuties<u64, u64>>::note_agreed(&1);
		<D as VerifierDuties<u64, u64>>::note_missed(&1);
		<D as VerifierDuties<u64, u64>>::note_missed(&1);
		assert_eq!(chilled_events(), 0);
		assert_eq!(Verifiers::<Test>::get(1).unwrap().status, VerifierStatus::Active);
		<D as VerifierDuties<u64, u64>>::note_missed(&1);
		assert_eq!(chilled_events(), 1);
		assert_eq!(Verifiers::<Test>::get(1).unwrap().status, VerifierStatus::Chilled);
		// Chilled: not picked.
		for s in 0..10u8 {
			assert_eq!(
				Registry::select_verifiers(&[s; 32], 1, &[99], EvaluatorKind::Wasm).unwrap(),
				vec![2]
			);
		}
		<D as VerifierDuties<u64, u64>>::note_missed(&1);
		assert_eq!(chilled_events(), 1, "chilled only once");

		assert_noop!(Registry::rejoin(RuntimeOrigin::signed(2)), Error::<Test>::NotChilled);
		assert_noop!(Registry::rejoin(RuntimeOrigin::signed(3)), Error::<Test>::NotRegistered);
		assert_noop!(Registry::rejoin(RuntimeOrigin::none()), DispatchError::BadOrigin);
		assert_ok!(Registry::rejoin(RuntimeOrigin::signed(1)));
		assert_eq!(last_event(), Event::Rejoined { who: 1 });
		let info = Verifiers::<Test>::get(1).unwrap();
		assert_eq!((info.status, info.missed_in_row), (VerifierStatus::Active, 0));
		assert_eq!(
			Registry::select_verifiers(&[0; 32], 2, &[99], EvaluatorKind::Wasm).unwrap().len(),
			2
		);
		check();
	});
}

#[test]
fn a_deviant_verdict_or_a_missed_duty_burns_the_slash_share_of_the_bond() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 1_000, 1));
		let issuance = Balances::total_issuance();
		type D = Registry;
		// SlashShare is 10 % in the mock.
		assert_eq!(<D as VerifierDuties<u64, u64>>::note_deviant(&1), 100);
		assert_eq!(
			last_event(),
			Event::Slashed { who: 1, amount: 100, reason: SlashReason::Deviant }
		);
		assert_eq!(<D as VerifierDuties<u64, u64>>::note_missed(&1), 90);
		assert_eq!(
			last_event(),
			Event::Slashed { who: 1, amount: 90, reason: SlashReason::Missed }
		);
		assert_eq!(Verifiers::<Test>::get(1).unwrap().bond, 810);
		assert_eq!(held(1), 810);
		assert_eq!(Balances::total_issuance(), issuance - 190, "slashes are burned");
		assert_eq!(Balances::free_balance(1), 9_000, "the free balance is untouched");
		check();
	});
}

#[test]
fn a_slash_takes_from_the_unbonding_amount_after_the_active_bond() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 1_000, 1));
		assert_ok!(Registry::unbond(RuntimeOrigin::signed(1), 1_000));
		type D = Registry;
		assert_eq!(<D as VerifierDuties<u64, u64>>::note_missed(&1), 100);
		let info = Verifiers::<Test>::get(1).unwrap();
		assert_eq!(info.bond, 0);
		assert_eq!(info.unbonding.unwrap().amount, 900);
		assert_eq!(held(1), 900);
		check();
		run_to_block(11);
		assert_ok!(Registry::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(Balances::free_balance(1), 9_900);
		assert!(!Verifiers::<Test>::contains_key(1));
		check();
	});
}

#[test]
fn a_slash_that_leaves_the_bond_below_the_minimum_unbonds_the_rest() {
	open_ext().execute_with(|| {
		assert_ok!(register(1, 105, 1));
		assert_ok!(register(2, 100, 2));
		type D = Registry;
		assert_eq!(<D as VerifierDuties<u64, u64>>::note_deviant(&1), 10);
		let info = Verifiers::<Test>::get(1).unwrap();
		assert_eq!(info.bond, 0);
		assert_eq!(info.unbonding, Some(Unbonding { amount: 95, unlocks_at: 11 }));
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Registry(Event::Unbonded { who: 1, amount: 95, unlocks_at: 11 })));
		// No longer picked.
		for s in 0..10u8 {
			assert_eq!(
				Registry::select_verifiers(&[s; 32], 1, &[99], EvaluatorKind::Wasm).unwrap(),
				vec![2]
			);
		}
		check();
	});
}

fn pay_into_pot(asset: RewardAsset<u32>, amount: u64) {
	let pot = <Registry as VerifierRewards<u64, u32, u64>>::pot();
	match asset {
		RewardAsset::Native => {
			assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(7), pot, amount));
		},
		RewardAsset::Token(id) => {
			assert_ok!(Assets::mint(RuntimeOrigin::signed(7), id, pot, amount));
		},
	}
}

#[test]
fn credited_rewards_are_claimed_per_asset_from_the_pot() {
	open_ext().execute_with(|| {
		assert_ok!(Assets::create(RuntimeOrigin::signed(7), 5, 7, 1));
		pay_into_pot(RewardAsset::Token(5), 30);
		pay_into_pot(RewardAsset::Native, 500);
		type R = Registry;
		assert_ok!(<R as VerifierRewards<u64, u32, u64>>::credit(&1, RewardAsset::Token(5), 10));
		assert_ok!(<R as VerifierRewards<u64, u32, u64>>::credit(&1, RewardAsset::Token(5), 10));
		assert_eq!(
			last_event(),
			Event::RewardCredited { who: 1, asset: RewardAsset::Token(5), amount: 10 }
		);
		assert_ok!(<R as VerifierRewards<u64, u32, u64>>::credit(&2, RewardAsset::Token(5), 10));
		assert_ok!(<R as VerifierRewards<u64, u32, u64>>::credit(&1, RewardAsset::Native, 500));
		// A zero credit stores nothing.
		assert_ok!(<R as VerifierRewards<u64, u32, u64>>::credit(&3, RewardAsset::Native, 0));
		assert!(!PendingRewards::<Test>::contains_key(3, RewardAsset::<u32>::Native));
		assert_eq!(PendingRewards::<Test>::get(1, RewardAsset::Token(5)), Some(20));
		check();

		assert_noop!(
			Registry::claim_rewards(RuntimeOrigin::signed(3), RewardAsset::Native),
			Error::<Test>::NoRewards
		);
		assert_noop!(
			Registry::claim_rewards(RuntimeOrigin::none(), RewardAsset::Native),
			DispatchError::BadOrigin
		);
		assert_ok!(Registry::claim_rewards(RuntimeOrigin::signed(1), RewardAsset::Token(5)));
		assert_eq!(
			last_event(),
			Event::RewardsClaimed { who: 1, asset: RewardAsset::Token(5), amount: 20 }
		);
		assert_eq!(Assets::balance(5, 1), 20);
		assert_noop!(
			Registry::claim_rewards(RuntimeOrigin::signed(1), RewardAsset::Token(5)),
			Error::<Test>::NoRewards
		);
		assert_ok!(Registry::claim_rewards(RuntimeOrigin::signed(1), RewardAsset::Native));
		assert_eq!(Balances::free_balance(1), 10_500);
		assert_ok!(Registry::claim_rewards(RuntimeOrigin::signed(2), RewardAsset::Token(5)));
		assert_eq!(Assets::balance(5, 2), 10);
		assert_eq!(Assets::balance(5, Registry::pot_account()), 0);
		check();
	});
}

#[test]
fn try_state_catches_a_pot_holding_less_than_it_owes() {
	open_ext().execute_with(|| {
		assert_ok!(Assets::create(RuntimeOrigin::signed(7), 5, 7, 1));
		pay_into_pot(RewardAsset::Token(5), 10);
		type R = Registry;
		assert_ok!(<R as VerifierRewards<u64, u32, u64>>::credit(&1, RewardAsset::Token(5), 10));
		check();
		assert_ok!(<R as VerifierRewards<u64, u32, u64>>::credit(&2, RewardAsset::Token(5), 1));
		assert!(Registry::do_try_state().is_err());
	});
}

#[test]
fn genesis_verifiers_are_registered_with_their_bonds_held() {
	genesis_ext(Admission::Permissionless, vec![], vec![(1, 500, key(1)), (2, 100, key(2))])
		.execute_with(|| {
			assert_eq!(Verifiers::<Test>::count(), 2);
			assert_eq!(Verifiers::<Test>::get(1).unwrap().bond, 500);
			assert_eq!(held(1), 500);
			assert_eq!(RunnerKeys::<Test>::get(key(2)), Some(2));
			check();
		});
}

#[test]
#[should_panic(expected = "cannot register")]
fn a_genesis_verifier_below_the_minimum_bond_fails_the_genesis() {
	genesis_ext(Admission::Permissionless, vec![], vec![(1, 99, key(1))]);
}

#[test]
#[should_panic(expected = "cannot register")]
fn genesis_verifiers_share_no_runner_key() {
	genesis_ext(Admission::Permissionless, vec![], vec![(1, 100, key(1)), (2, 100, key(1))]);
}

#[test]
fn a_verifier_with_no_active_bond_gives_up_its_slot_after_the_unbonding_delay() {
	open_ext().execute_with(|| {
		// The registry is full (5 slots); verifier 1 unbonds everything and walks away.
		for who in [1, 2, 3, 5, 6] {
			assert_ok!(register(who, 500, who as u8));
		}
		assert_noop!(register(7, 500, 7), Error::<Test>::TooManyVerifiers);
		assert_ok!(Registry::unbond(RuntimeOrigin::signed(1), 500));
		let reap = |by: u64, who: u64| Registry::reap(RuntimeOrigin::signed(by), who);
		// Not before the delay, never a bonded verifier, never a stranger's empty record.
		assert_noop!(reap(6, 1), Error::<Test>::StillUnbonding);
		assert_noop!(reap(6, 2), Error::<Test>::StillBonded);
		assert_noop!(reap(6, 9), Error::<Test>::NotRegistered);
		assert_noop!(Registry::reap(RuntimeOrigin::none(), 1), DispatchError::BadOrigin);
		run_to_block(11);
		// Anyone frees the slot; the funds go back to their owner.
		let free = Balances::balance(&1);
		assert_ok!(reap(6, 1));
		assert_eq!(Balances::balance(&1), free + 500);
		assert_eq!(held(1), 0);
		assert!(Verifiers::<Test>::get(1).is_none());
		assert!(RunnerKeys::<Test>::get(key(1)).is_none());
		assert_eq!(last_event(), Event::Deregistered { who: 1 });
		assert_ok!(register(7, 500, 7));
		check();
	});
}
