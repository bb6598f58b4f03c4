//! Arithmetic.

use super::*;

#[test]
fn tolerance_and_threshold_arithmetic_is_exact_at_the_edges() {
	assert_eq!(share_of(-990_000, 100), 9_900);
	assert_eq!(share_of(Score::MIN, 10_000), Score::MAX, "saturates instead of overflowing");
	assert_eq!(share_of(Score::MAX, 10_000), Score::MAX);
	assert_eq!(share_of(12_345, 0), 0);
	assert!(within(-999_900, -990_000, 100));
	assert!(!within(-999_901, -990_000, 100));
	assert!(!within(Score::MIN, Score::MAX, 10_000), "an overflowing difference is not within");
	assert!(!below_claim(-999_900, -990_000, 100));
	assert!(below_claim(-999_901, -990_000, 100));
	assert!(below_claim(Score::MIN, Score::MAX, 100));
	assert!(beats(-992_911, BASELINE, 50));
	assert!(!beats(-992_912, BASELINE, 50));
	assert!(!beats(BASELINE, BASELINE, 0), "equal never beats");
	assert!(beats(BASELINE + 1, BASELINE, 0));
	assert!(beats(Score::MAX, Score::MIN, 10_000));
}

#[test]
fn integrity_test_passes_for_the_mock() {
	new_test_ext().execute_with(|| {
		<Props as frame_support::traits::Hooks<u64>>::integrity_test();
	});
}

#[test]
fn the_runtime_api_lists_a_project_s_proposals_and_a_verifier_s_assignments() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let a = propose(MINER, project, 0, 1, -990_000);
		let b = propose(RIVAL, project, 0, 2, -991_000);
		let page = |start, limit| -> Vec<ProposalId> {
			Props::proposals_of(project, start, limit).into_iter().map(|(id, _)| id).collect()
		};
		assert_eq!(page(0, 10), vec![a, b]);
		// Pages: one, then the last (shorter) one, then nothing.
		assert_eq!(page(0, 1), vec![a]);
		assert_eq!(page(1, 5), vec![b]);
		assert!(page(2, 2).is_empty());
		assert!(page(u32::MAX, u32::MAX).is_empty());
		assert!(page(0, 0).is_empty());
		assert!(Props::proposals_of(project + 1, 0, 10).is_empty());
		// A page never holds more than `MAX_PAGE`.
		let count = ProjectProposalCount::<Test>::get(project);
		ProjectProposalCount::<Test>::insert(project, u32::MAX);
		for index in 2..MAX_PAGE + 5 {
			ProjectProposals::<Test>::insert(project, index, a);
		}
		assert_eq!(page(0, u32::MAX).len(), MAX_PAGE as usize);
		ProjectProposalCount::<Test>::insert(project, count);
		for index in 2..MAX_PAGE + 5 {
			ProjectProposals::<Test>::remove(project, index);
		}
		let v = assigned(a)[0].clone();
		let assigned = Props::assignments_of(&v);
		let job = assigned.iter().find(|j| j.proposal == a).expect("an assignment for a");
		assert_eq!((job.project, job.kind, job.parent), (project, RoundKind::Initial, 0));
		assert_eq!(
			(job.code.clone(), job.seed, job.phase),
			(code(1), Rounds::<Test>::get(a).unwrap().seed, Phase::Commit)
		);
		assert_eq!((job.committed, job.revealed), (false, false));
		commit_verdict(a, &v, &scored(-990_000));
		assert!(Props::assignments_of(&v).iter().any(|j| j.proposal == a && j.committed));
		run_round(b, &vec![scored(-991_000); 3]);
		assert!(
			Props::assignments_of(&v).iter().all(|j| j.proposal != b),
			"a settled round is no assignment"
		);
		assert!(Props::assignments_of(&account(MINER)).is_empty());
	});
}
