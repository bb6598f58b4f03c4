//! Fair settlement and no self-dealing: a freeze that cannot change running rounds, a released
//! candidate reserved for its miner, a reward nobody can sandwich, and a reward that never
//! exceeds what each approver has at risk.

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

/// A project with two verifiers for a quorum of three, and the miner's proposal of candidate
/// 1, released at its draw (`NoQuorum`): its candidate is public now. Returns the project.
fn released_candidate() -> ProjectId {
	let project = setup(2);
	let id = propose(MINER, project, 0, 1, -990_000);
	assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoQuorum));
	project
}

#[test]
fn a_released_candidate_stays_reserved_for_its_miner() {
	new_test_ext().execute_with(|| {
		let project = released_candidate();
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
		// Released again, reserved again, with the priority of the first claim.
		assert_eq!(
			status(NextProposalId::<Test>::get() - 1),
			ProposalStatus::Verifying,
			"its draw is still to come"
		);
		draw();
		let first = Reservations::<Test>::get(project, code(1).digest).expect("reserved again");
		assert_eq!(first.priority, 1, "the first commit's block");
		check();
		// Once the reservation lapses, anyone may.
		run_to_block(until + RESERVATION + 4);
		assert_eq!(Reservations::<Test>::iter().count(), 0, "a lapsed reservation is removed");
		let c = commit(RIVAL, project, 0, 1, -990_000);
		next_block();
		assert_ok!(try_reveal(RIVAL, c, 0, 1, -990_000, RIVAL));
		check();
	});
}

#[test]
fn a_copier_who_waits_for_the_miner_to_propose_again_is_still_refused() {
	new_test_ext().execute_with(|| {
		let project = released_candidate();
		// A rival commits to the public candidate, and waits.
		let copy = commit(RIVAL, project, 0, 1, -990_000);
		next_block();
		// The miner proposes it again: its new commitment is later than the rival's.
		let again = commit(MINER, project, 0, 1, -990_100);
		next_block();
		assert_ok!(try_reveal(MINER, again, 0, 1, -990_100, MINER));
		// The rival's earlier commitment does not take the candidate over.
		assert_noop!(
			try_reveal(RIVAL, copy, 0, 1, -990_000, RIVAL),
			Error::<Test>::DuplicateCandidate
		);
		check();
	});
}

#[test]
fn a_freeze_does_not_run_a_reservation_out() {
	new_test_ext().execute_with(|| {
		let project = released_candidate();
		let until = Reservations::<Test>::get(project, code(1).digest).unwrap().until;
		// The creator freezes: the miner cannot commit again while it lasts.
		assert_ok!(Registry::freeze_project(RuntimeOrigin::signed(account(1)), project));
		run_to_block(until + 2 * RESERVATION);
		let r = Reservations::<Test>::get(project, code(1).digest).expect("still reserved");
		assert!(r.until > now());
		check();
		// Open again, the reservation runs out at its next end.
		assert_ok!(Registry::unfreeze_project(RuntimeOrigin::root(), project));
		run_to_block(r.until + 1);
		assert!(Reservations::<Test>::get(project, code(1).digest).is_none());
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
fn the_reward_costs_at_most_what_the_least_bonded_approver_has_at_risk() {
	new_test_ext().execute_with(|| {
		// Three verifiers whose bonds (1 000) are worth less than the reward (about 65 000).
		let project = setup(0);
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
		run_round(id, &vec![scored(-990_000); 3]);
		let ProposalStatus::Approved { reward: RewardState::Escrowed { amount, value }, .. } =
			status(id)
		else {
			panic!("{:?}", status(id))
		};
		// As many tokens as 1 000 pays for at today's price: one, not a hundred.
		assert_eq!(amount, 1);
		assert!(value <= 1_000 && value == Curve::quote_sell(project, 1).unwrap(), "{value}");
		run_to_block(now() + 11);
		assert_eq!(tokens(project, &account(MINER)), 301);
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
