//! The happy path.

use super::*;

#[test]
fn commit_moves_the_stake_and_records_the_commitment() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let c = commit(MINER, project, 0, 1, -990_000);
		assert_eq!(tokens(project, &account(MINER)), 200);
		assert_eq!(tokens(project, &stake_account()), STAKE);
		let record = Commitments::<Test>::get(c).unwrap();
		assert_eq!(
			(record.who, record.project, record.stake, record.block),
			(account(MINER), project, STAKE, 1)
		);
		assert_eq!(
			events().last(),
			Some(&Event::Committed { who: account(MINER), project, commitment: c, stake: STAKE })
		);
		check();
	});
}

#[test]
fn a_revealed_proposal_s_round_is_drawn_later_never_with_the_proposer() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		// The miner is a verifier too: it must not verify itself.
		assert_ok!(Verifiers::register(RuntimeOrigin::signed(account(MINER)), 1_000, runner(MINER).public(), Evaluators::ALL));
		let id = propose(MINER, project, 0, 1, -990_000);
		let p = Proposals::<Test>::get(id).unwrap();
		assert_eq!((p.proposer, p.parent, p.stake), (account(MINER), 0, STAKE));
		assert_eq!(p.claim, Claim::Hidden(claim_of(MINER, -990_000)), "the claim stays hidden");
		assert_eq!(p.fee, 3 * 30, "the fee of a quorum of three");
		assert_eq!((p.committed_at, p.revealed_at, p.status), (1, 2, ProposalStatus::Verifying));
		let round = Rounds::<Test>::get(id).unwrap();
		assert_eq!(round.assignments.len(), 3);
		assert!(!assigned(id).contains(&account(MINER)));
		assert_eq!((round.phase, round.commit_until, round.kind), (Phase::Commit, 7, RoundKind::Initial));
		for v in assigned(id) {
			assert!(Assignments::<Test>::contains_key(&v, id));
			assert_eq!(stats(&v).rounds, 1);
		}
		assert_eq!(ProjectProposals::<Test>::get(project, 0), Some(id));
		assert_eq!(Props::proposals_of(project, 0, 10), vec![(id, Proposals::<Test>::get(id).unwrap())]);
		assert_eq!(Candidates::<Test>::get(project, code(1).digest).map(|c| c.proposal), Some(id));
		assert!(!Commitments::<Test>::contains_key(commitment(MINER, project, 0, 1, -990_000)));
		assert!(events().iter().any(|e| matches!(e, Event::RoundStarted { proposal, seed, .. } if *proposal == id && *seed == round.seed)));
		check();
	});
}

#[test]
fn a_reproduced_improvement_is_approved_and_paid_after_the_challenge_window() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = run_round(id, &[scored(-990_000), scored(-990_100), scored(-989_900)]);
		let p = Proposals::<Test>::get(id).unwrap();
		assert_eq!(p.verified_score, Some(-990_000));
		let ProposalStatus::Approved {
			node,
			previous_best,
			previous_score,
			challenge_until,
			challenged,
			approvers,
			reward,
		} = p.status
		else {
			panic!("not approved: {:?}", p.status)
		};
		assert_eq!((node, previous_best, previous_score), (1, 0, BASELINE));
		// The reward was minted at the approval, priced then, into the pallet's account.
		let RewardState::Escrowed { amount: 100, value } = reward else { panic!("{reward:?}") };
		assert_eq!((challenge_until, challenged), (14, false));
		assert_eq!(tokens(project, &stake_account()), STAKE + 100);
		assert_eq!(Some(value), Curve::quote_sell(project, 100));
		assert_eq!(approvers.len(), 3);
		assert_eq!(Registry::best(project), Some((1, -990_000)));
		assert_eq!(ApprovedNodes::<Test>::get(project, 1), Some(id));
		let n = pallet_projects::Nodes::<Test>::get(project, 1).unwrap();
		assert_eq!(
			(n.parent, n.score, n.miner, n.proposal),
			(Some(0), -990_000, Some(account(MINER)), Some(id))
		);
		// The stake stays held through the challenge window, beside the escrowed reward.
		assert!(!Rounds::<Test>::contains_key(id));
		for v in &verifiers {
			assert!(!Assignments::<Test>::contains_key(v, id));
			assert_eq!(
				stats(v),
				pallet_verifiers::Stats { rounds: 1, agreed: 1, deviant: 0, missed: 0 }
			);
			assert_eq!(bond(v), 100_000);
		}
		check();

		run_to_block(14);
		assert_eq!(tokens(project, &account(MINER)), 200);
		run_to_block(15);
		assert_eq!(
			status(id).clone(),
			ProposalStatus::Approved {
				node: 1,
				previous_best: 0,
				previous_score: BASELINE,
				challenge_until: 14,
				challenged: false,
				approvers: BoundedVec::truncate_from(verifiers.clone()),
				reward: RewardState::Paid(100),
			}
		);
		assert_eq!(tokens(project, &account(MINER)), 200 + STAKE + 100);
		assert_eq!(tokens(project, &stake_account()), 0);
		assert!(events().contains(&Event::RewardPaid {
			proposal: id,
			miner: account(MINER),
			amount: 100
		}));
		check();
	});
}

#[test]
fn the_median_is_the_lower_middle_score_and_outliers_are_deviant() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = run_round(id, &[scored(-990_000), scored(-980_000), scored(-970_000)]);
		// Sorted: -990 000, -980 000, -970 000; the median is -980 000; 1 % of it is 9 800.
		assert_eq!(Proposals::<Test>::get(id).unwrap().verified_score, Some(-980_000));
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		assert_eq!(stats(&verifiers[0]).deviant, 1);
		assert_eq!(bond(&verifiers[0]), 90_000, "a deviant loses 10 % of its bond");
		assert_eq!(stats(&verifiers[1]).agreed, 1);
		assert_eq!(stats(&verifiers[2]).deviant, 1);
		check();
	});
}
