//! Rejections.

use super::*;

#[test]
fn an_inflated_claim_is_rejected_and_its_stake_slashed() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let supply_before = supply(project);
		let id = propose(MINER, project, 0, 1, -900_000);
		let verifiers = run_round(id, &[scored(-995_000), scored(-995_000), scored(-994_000)]);
		assert_eq!(status(id), ProposalStatus::Rejected(RejectReason::Misclaimed));
		assert_eq!(Proposals::<Test>::get(id).unwrap().verified_score, Some(-995_000));
		// Half of 100 to three verifiers: 16 each, 48 in all; 52 burned.
		assert!(events().contains(&Event::StakeSlashed {
			proposal: id,
			burned: 52,
			to_verifiers: 48,
			to_challenger: 0
		}));
		assert_eq!(supply(project), supply_before - 52);
		assert_eq!(tokens(project, &stake_account()), 0);
		assert_eq!(tokens(project, &account(MINER)), 200);
		for v in &verifiers {
			assert_eq!(pending(v, project), Some(16));
		}
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
		assert_eq!(Candidates::<Test>::get(project, code(1).digest), None);
		check();
		// The verifiers claim their share.
		assert_ok!(Verifiers::claim_rewards(
			RuntimeOrigin::signed(verifiers[0].clone()),
			RewardAsset::Token(ProjectAssetId::convert(project))
		));
		assert_eq!(tokens(project, &verifiers[0]), 16);
		check();
	});
}

#[test]
fn a_majority_of_invalid_verdicts_rejects_and_pays_those_who_found_it() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = run_round(id, &[invalid(), scored(-990_000), invalid()]);
		assert_eq!(status(id), ProposalStatus::Rejected(RejectReason::Invalid));
		assert_eq!(Proposals::<Test>::get(id).unwrap().verified_score, None);
		assert!(events().contains(&Event::StakeSlashed {
			proposal: id,
			burned: 50,
			to_verifiers: 50,
			to_challenger: 0
		}));
		assert_eq!(pending(&verifiers[0], project), Some(25));
		assert_eq!(pending(&verifiers[2], project), Some(25));
		assert_eq!(pending(&verifiers[1], project), None);
		assert_eq!(bond(&verifiers[1]), 90_000, "the lone score is deviant");
		check();
	});
}

#[test]
fn a_verified_score_within_the_tolerance_of_the_claim_matches_it() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		// Claim -990 000; 1 % of it is 9 900: -999 900 still matches, but it does not beat
		// the baseline, so it is superseded (recorded, not the best).
		let id = propose(MINER, project, 0, 1, -990_000);
		run_round(id, &vec![scored(-999_900); 3]);
		assert_eq!(status(id), ProposalStatus::Superseded { node: 1 });
		let id = propose(RIVAL, project, 0, 2, -990_000);
		run_round(id, &vec![scored(-999_901); 3]);
		assert_eq!(status(id), ProposalStatus::Rejected(RejectReason::Misclaimed));
		check();
	});
}
