//! Races between proposals.

use super::*;

#[test]
fn two_proposals_beating_one_incumbent_settle_as_one_approval_and_one_superseded() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let a = propose(MINER, project, 0, 1, -990_000);
		let b = propose(RIVAL, project, 0, 2, -991_000);
		run_round(a, &vec![scored(-990_000); 3]);
		run_round(b, &vec![scored(-991_000); 3]);
		assert!(matches!(status(a), ProposalStatus::Approved { node: 1, .. }));
		assert_eq!(status(b), ProposalStatus::Superseded { node: 2 });
		assert_eq!(Registry::best(project), Some((1, -990_000)));
		assert_eq!(tokens(project, &account(RIVAL)), 300, "a superseded stake returns");
		assert_eq!(pallet_projects::Nodes::<Test>::get(project, 2).unwrap().parent, Some(0));
		check();
	});
}

#[test]
fn two_proposals_are_both_approved_when_each_beats_the_best_at_its_settlement() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let a = propose(MINER, project, 0, 1, -990_000);
		let b = propose(RIVAL, project, 0, 2, -985_000);
		run_round(a, &vec![scored(-990_000); 3]);
		// -985 000 beats -990 000 by 5 000 >= 0.5 % of it (4 950).
		run_round(b, &vec![scored(-985_000); 3]);
		assert!(matches!(status(b), ProposalStatus::Approved { node: 2, previous_best: 1, .. }));
		assert_eq!(Registry::best(project), Some((2, -985_000)));
		check();
	});
}

#[test]
fn a_copy_of_a_revealed_candidate_is_refused() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let _a = propose(MINER, project, 0, 1, -990_000);
		// The rival copies the candidate it saw revealed.
		let c = commit(RIVAL, project, 0, 1, -990_000);
		next_block();
		assert_noop!(
			try_reveal(RIVAL, c, 0, 1, -990_000, RIVAL),
			Error::<Test>::DuplicateCandidate
		);
		check();
	});
}

#[test]
fn a_front_runner_who_reveals_first_cannot_take_the_original_s_place() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		// The miner commits in block 1; the front-runner copies the reveal it sees in the
		// pool in block 2 and gets its own reveal in first, in block 3.
		let original = commit(MINER, project, 0, 1, -990_000);
		next_block();
		let copy = commit(RIVAL, project, 0, 1, -990_000);
		next_block();
		let f = reveal(RIVAL, copy, 0, 1, -990_000);
		let o = reveal(MINER, original, 0, 1, -990_000);
		assert_eq!(Candidates::<Test>::get(project, code(1).digest).map(|c| c.proposal), Some(o));
		run_round(f, &vec![scored(-990_000); 3]);
		assert_eq!(status(f), ProposalStatus::Rejected(RejectReason::Copied));
		assert_eq!(tokens(project, &account(RIVAL)), 200, "the copier's stake is slashed");
		run_round(o, &vec![scored(-990_000); 3]);
		assert!(matches!(status(o), ProposalStatus::Approved { .. }));
		check();
	});
}
