//! Releases and expiry.

use super::*;

#[test]
fn a_majority_of_harness_errors_releases_the_stake() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = run_round(id, &[harness(), harness(), scored(-990_000)]);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::HarnessErrors));
		assert_eq!(tokens(project, &account(MINER)), 300);
		assert!(events().contains(&Event::StakeReturned { proposal: id, amount: STAKE }));
		for v in &verifiers {
			assert_eq!(bond(v), 100_000, "nobody is slashed for an undecided round");
			assert_eq!(stats(v).agreed, 1);
		}
		assert_eq!(
			Candidates::<Test>::get(project, code(1).digest),
			None,
			"its miner may propose it again (reserved for it a while)"
		);
		check();
	});
}

#[test]
fn no_majority_of_any_kind_releases_the_stake() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		run_round(id, &[harness(), invalid(), scored(-990_000)]);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoAgreement));
		assert_eq!(tokens(project, &account(MINER)), 300);
		check();
	});
}

#[test]
fn too_few_verdicts_release_the_stake_and_the_silent_are_penalised() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		commit_verdict(id, &verifiers[0], &scored(-990_000));
		// The commit phase ends (block 7): the reveal phase starts with one commitment.
		run_to_block(8);
		assert_eq!(Rounds::<Test>::get(id).unwrap().phase, Phase::Reveal);
		reveal_verdict(id, &verifiers[0], &scored(-990_000));
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::TooFewVerdicts));
		assert_eq!(tokens(project, &account(MINER)), 300);
		assert_eq!(bond(&verifiers[0]), 100_000);
		for v in &verifiers[1..] {
			assert_eq!(stats(v).missed, 1);
			assert_eq!(bond(v), 90_000);
		}
		check();
	});
}

#[test]
fn a_round_nobody_answers_expires_the_stake_returned_the_silent_penalised() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		run_to_block(7);
		assert_eq!(status(id), ProposalStatus::Verifying);
		run_to_block(8);
		assert_eq!(status(id), ProposalStatus::Expired);
		assert_eq!(tokens(project, &account(MINER)), 300);
		for v in &verifiers {
			assert_eq!(stats(v).missed, 1);
			assert_eq!(bond(v), 90_000);
		}
		check();
	});
}

#[test]
fn committed_verdicts_never_revealed_count_as_missed_at_the_reveal_deadline() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		for v in &verifiers {
			commit_verdict(id, v, &scored(-990_000));
		}
		// Everyone committed in block 4 (the draw's): the reveal phase lasts to block 7.
		assert_eq!(Rounds::<Test>::get(id).unwrap().reveal_until, 7);
		reveal_verdict(id, &verifiers[0], &scored(-990_000));
		reveal_verdict(id, &verifiers[1], &scored(-990_000));
		run_to_block(7);
		assert_eq!(status(id), ProposalStatus::Verifying);
		run_to_block(8);
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		assert_eq!(stats(&verifiers[2]).missed, 1);
		check();
	});
}

#[test]
fn too_few_eligible_verifiers_release_the_stake_at_the_draw() {
	new_test_ext().execute_with(|| {
		let project = setup(2);
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoQuorum));
		assert!(!Rounds::<Test>::contains_key(id));
		assert_eq!(tokens(project, &account(MINER)), 300);
		check();
	});
}

#[test]
fn a_lineage_with_no_room_for_the_node_releases_the_stake() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		// As deep as node depths go: a child of the baseline cannot be numbered.
		pallet_projects::Nodes::<Test>::mutate(project, 0, |n| {
			n.as_mut().expect("the baseline").depth = u32::MAX
		});
		let id = propose(MINER, project, 0, 1, -990_000);
		run_round(id, &vec![scored(-990_000); 3]);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::LineageFull));
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
		assert_eq!(tokens(project, &account(MINER)), 300);
		check();
	});
}
