//! Fair settlement and no self-dealing: a freeze that cannot change running rounds, a released
//! candidate reserved for its miner, a reward nobody can sandwich, and approvers whose bonds
//! at risk cover the reward their approval releases.

use super::*;

#[test]
fn a_freeze_does_not_change_the_outcome_of_a_running_round() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_ok!(Registry::freeze_project(RuntimeOrigin::signed(account(1)), project));
		run_round(id, &vec![scored(-990_000); 3]);
		// Decided on its merit: an approval, the new best.
		assert!(matches!(status(id), ProposalStatus::Approved { node: 1, .. }));
		assert_eq!(Registry::best(project), Some((1, -990_000)));
		check();
	});
}

#[test]
fn a_commitment_made_before_a_freeze_is_revealed_and_settled_on_merit() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let c = commit(MINER, project, 0, 1, -990_000);
		assert_ok!(Registry::freeze_project(RuntimeOrigin::signed(account(1)), project));
		next_block();
		// The freeze stops new commitments, not the ones made before it.
		let id = reveal(MINER, c, 0, 1, -990_000);
		run_round(id, &vec![invalid(); 3]);
		assert_eq!(status(id), ProposalStatus::Rejected(RejectReason::Invalid));
		assert_eq!(tokens(project, &account(MINER)), 200, "a false claim loses its stake");
		check();
	});
}

#[test]
fn a_released_candidate_stays_reserved_for_its_miner() {
	new_test_ext().execute_with(|| {
		// Two verifiers for a quorum of three: the proposal is released at its draw, and its
		// candidate is public.
		let project = setup(2);
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoQuorum));
		let until = now() + RESERVATION;
		// A rival who copies it is refused while it is reserved.
		let c = commit(RIVAL, project, 0, 1, -990_000);
		next_block();
		assert_noop!(try_reveal(RIVAL, c, 0, 1, -990_000, RIVAL), Error::<Test>::CandidateReserved);
		// Its miner proposes it again.
		let again = commit(MINER, project, 0, 1, -990_100);
		next_block();
		assert_ok!(try_reveal(MINER, again, 0, 1, -990_100, MINER));
		check();
		// Released again, reserved again; once the reservation lapses, anyone may.
		run_to_block(until + RESERVATION + 4);
		assert_eq!(Reservations::<Test>::iter().count(), 0, "a lapsed reservation is removed");
		let c = commit(RIVAL, project, 0, 1, -990_000);
		next_block();
		assert_ok!(try_reveal(RIVAL, c, 0, 1, -990_000, RIVAL));
		check();
	});
}

#[test]
fn nobody_can_sandwich_the_reward_mint() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		run_round(id, &vec![scored(-990_000); 3]);
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		// A trader buys once the approval is public and sells once the reward is paid.
		let trader = account(5);
		let before = Balances::free_balance(&trader);
		assert_ok!(Curve::buy(RuntimeOrigin::signed(trader.clone()), project, 200, u64::MAX));
		run_to_block(now() + 11);
		assert!(matches!(
			status(id),
			ProposalStatus::Approved { reward: RewardState::Paid(100), .. }
		));
		assert_eq!(tokens(project, &account(MINER)), 400);
		assert_ok!(Curve::sell(RuntimeOrigin::signed(trader.clone()), project, 200, 0));
		assert!(
			Balances::free_balance(&trader) <= before,
			"the trader gained {} from the mint",
			Balances::free_balance(&trader) - before
		);
		check();
	});
}

#[test]
fn verifiers_whose_bond_is_worth_less_than_the_reward_are_not_drawn() {
	new_test_ext().execute_with(|| {
		// Two verifiers with bonds above the reward's worth, three with the minimum bond.
		let project = setup(2);
		for n in 20..23 {
			assert_ok!(Verifiers::register(
				RuntimeOrigin::signed(account(n)),
				1_000,
				runner(n).public(),
				Evaluators::ALL
			));
		}
		assert!(Curve::quote_buy(project, 100).unwrap() > 1_000);
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoQuorum));
		check();
	});
}

#[test]
fn an_overturn_burns_at_least_the_reward_from_each_approver() {
	new_test_ext().execute_with(|| {
		let project = setup(10);
		let id = propose(MINER, project, 0, 1, -990_000);
		let worth = Curve::quote_buy(project, 100).unwrap();
		let approvers = run_round(id, &vec![scored(-990_000); 3]);
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		let bonds: Vec<u64> = approvers.iter().map(bond).collect();
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		draw();
		run_round(id, &vec![invalid(); 7]);
		assert!(matches!(status(id), ProposalStatus::Overturned { .. }));
		for (a, before) in approvers.iter().zip(bonds) {
			let after = pallet_verifiers::Verifiers::<Test>::get(a)
				.map_or(0, |i| i.bond + i.unbonding.map_or(0, |u| u.amount));
			assert!(before - after >= worth, "{a:?} lost {} of a {worth} reward", before - after);
		}
		// The reward minted at the approval is burned, not paid.
		assert_eq!(tokens(project, &account(MINER)), 200);
		check();
	});
}
