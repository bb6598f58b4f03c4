//! Challenges.

use super::*;

/// An approved proposal of the miner, with 10 verifiers registered (the seven who did not
/// approve it make a challenge round).
fn approved() -> (ProjectId, ProposalId, Vec<AccountId>) {
	let project = setup(10);
	let id = propose(MINER, project, 0, 1, -990_000);
	let approvers = run_round(id, &vec![scored(-990_000); 3]);
	assert!(matches!(status(id), ProposalStatus::Approved { .. }));
	(project, id, approvers)
}

#[test]
fn an_overturned_approval_reverts_the_best_and_slashes_miner_and_approvers() {
	new_test_ext().execute_with(|| {
		let (project, id, approvers) = approved();
		let before = Balances::free_balance(account(CHALLENGER));
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::ChallengeBond.into(), &account(CHALLENGER)),
			1_000
		);
		assert_eq!(Rounds::<Test>::get(id).unwrap().phase, Phase::Draw);
		draw();
		let round = Rounds::<Test>::get(id).unwrap();
		assert_eq!((round.kind, round.assignments.len()), (RoundKind::Challenge, 7));
		assert!(
			!assigned(id).contains(&account(MINER)) && !assigned(id).contains(&account(CHALLENGER))
		);
		assert!(assigned(id).iter().all(|j| !approvers.contains(j)), "approvers never judge");
		assert!(matches!(status(id), ProposalStatus::Approved { challenged: true, .. }));
		check();
		let judges = run_round(id, &vec![scored(-999_000); 7]);
		assert_eq!(status(id), ProposalStatus::Overturned { node: 1, previous_best: 0 });
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
		// The miner's stake: 7 shares of 7 to the challenge round; of the other 51, 25 to the
		// challenger, 26 burned.
		assert!(events().contains(&Event::StakeSlashed {
			proposal: id,
			burned: 26,
			to_verifiers: 49,
			to_challenger: 25
		}));
		assert_eq!(tokens(project, &account(CHALLENGER)), 25, "the challenger is paid");
		for j in &judges {
			assert_eq!(pending(j, project), Some(7));
		}
		for a in &approvers {
			assert!(stats(a).deviant >= 1, "an approver of an overturned proposal is deviant");
		}
		assert_eq!(Balances::free_balance(account(CHALLENGER)), before, "the bond returns");
		assert_eq!(Candidates::<Test>::get(project, code(1).digest), None);
		check();
		// Nothing is paid at the window's end.
		run_to_block(20);
		assert_eq!(tokens(project, &account(MINER)), 200);
		check();
	});
}

#[test]
fn a_failed_challenge_loses_its_bond_and_the_reward_is_paid() {
	new_test_ext().execute_with(|| {
		let (project, id, _) = approved();
		let before = Balances::free_balance(account(CHALLENGER));
		let issuance = Balances::total_issuance();
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		draw();
		let judges = run_round(id, &vec![scored(-990_000); 7]);
		// Half of 1 000 in 7 shares of 71 (497); 503 burned.
		assert!(events().contains(&Event::ChallengeFailed {
			proposal: id,
			burned: 503,
			to_verifiers: 497
		}));
		assert_eq!(Balances::free_balance(account(CHALLENGER)), before - 1_000);
		assert_eq!(Balances::total_issuance(), issuance - 503);
		for j in &judges {
			assert_eq!(
				pallet_verifiers::PendingRewards::<Test>::get(j, RewardAsset::Native),
				Some(71)
			);
		}
		assert!(matches!(
			status(id),
			ProposalStatus::Approved {
				challenged: false,
				reward: RewardState::Escrowed { .. },
				..
			}
		));
		check();
		assert_ok!(Verifiers::claim_rewards(
			RuntimeOrigin::signed(judges[0].clone()),
			RewardAsset::Native
		));
		run_to_block(15);
		assert!(matches!(
			status(id),
			ProposalStatus::Approved { reward: RewardState::Paid(100), .. }
		));
		assert_eq!(tokens(project, &account(MINER)), 400);
		check();
	});
}

#[test]
fn a_challenge_settled_after_the_window_pays_the_reward_then() {
	new_test_ext().execute_with(|| {
		let (project, id, _) = approved();
		run_to_block(14);
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		draw();
		let judges = assigned(id);
		for j in &judges {
			commit_verdict(id, j, &scored(-990_000));
		}
		run_to_block(17);
		assert!(
			matches!(
				status(id),
				ProposalStatus::Approved { reward: RewardState::Escrowed { .. }, .. }
			),
			"a challenge holds the reward"
		);
		for j in &judges {
			reveal_verdict(id, j, &scored(-990_000));
		}
		assert!(matches!(
			status(id),
			ProposalStatus::Approved { reward: RewardState::Paid(100), challenged: false, .. }
		));
		assert_eq!(tokens(project, &account(MINER)), 400);
		check();
	});
}

#[test]
fn a_challenge_round_nobody_answers_overturns_the_approval() {
	new_test_ext().execute_with(|| {
		let (project, id, approvers) = approved();
		let before = Balances::free_balance(account(CHALLENGER));
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		draw();
		let judges = assigned(id);
		// Nobody answers: the commit phase ends in block 9, its hook in block 10 settles. The
		// approval did not carry its burden of proof.
		run_to_block(10);
		assert_eq!(status(id), ProposalStatus::Overturned { node: 1, previous_best: 0 });
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
		assert_eq!(Balances::free_balance(account(CHALLENGER)), before, "the bond returns");
		for j in &judges {
			assert_eq!(stats(j).missed, 1);
		}
		for a in &approvers {
			assert_eq!(stats(a).deviant, 0, "silence does not prove the approvers wrong");
		}
		check();
	});
}

#[test]
fn overturning_walks_back_past_approvals_overturned_before() {
	new_test_ext().execute_with(|| {
		let (project, a, _) = approved();
		let b = propose(RIVAL, project, 1, 2, -985_000);
		run_round(b, &vec![scored(-985_000); 3]);
		assert_eq!(Registry::best(project), Some((2, -985_000)));
		// Overturning a, which is not the best, leaves the best alone.
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), a, 1_000));
		draw();
		run_round(a, &vec![invalid(); 7]);
		assert!(matches!(status(a), ProposalStatus::Overturned { .. }));
		assert_eq!(Registry::best(project), Some((2, -985_000)));
		check();
		// Overturning b goes back past a to the baseline.
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), b, 1_000));
		draw();
		run_round(b, &vec![scored(-999_000); 7]);
		assert!(matches!(status(b), ProposalStatus::Overturned { node: 2, previous_best: 1 }));
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
		check();
	});
}

#[test]
fn challenge_refuses_what_cannot_be_challenged() {
	new_test_ext().execute_with(|| {
		let (project, id, _) = approved();
		let challenge =
			|who: u8, id, bond| Props::challenge(RuntimeOrigin::signed(account(who)), id, bond);
		assert_noop!(Props::challenge(RuntimeOrigin::none(), id, 1_000), DispatchError::BadOrigin);
		assert_noop!(challenge(CHALLENGER, 77, 1_000), Error::<Test>::UnknownProposal);
		assert_noop!(challenge(CHALLENGER, id, 999), Error::<Test>::BondTooSmall);
		assert_noop!(challenge(31, id, 1_000), Error::<Test>::InsufficientBalance);
		assert_ok!(challenge(CHALLENGER, id, 1_000));
		assert_noop!(challenge(5, id, 1_000), Error::<Test>::AlreadyChallenged);
		// A rejected proposal is not challengeable.
		let r = propose(RIVAL, project, 0, 2, -900_000);
		run_round(r, &vec![scored(-995_000); 3]);
		assert_noop!(challenge(5, r, 1_000), Error::<Test>::NotChallengeable);
		check();
	});
}

#[test]
fn challenge_refuses_a_closed_window_and_a_set_with_nobody_to_judge_releases_the_bond() {
	new_test_ext().execute_with(|| {
		let (project, id, _) = approved();
		run_to_block(15);
		assert_noop!(
			Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000),
			Error::<Test>::NotChallengeable
		);
		let b = propose(RIVAL, project, 1, 2, -985_000);
		let approvers = run_round(b, &vec![scored(-985_000); 3]);
		let until = match status(b) {
			ProposalStatus::Approved { challenge_until, .. } => challenge_until,
			s => panic!("{s:?}"),
		};
		// Everyone but b's approvers leaves: nobody may judge b.
		for n in 10u8..20 {
			if !approvers.contains(&account(n)) {
				assert_ok!(Verifiers::unbond(RuntimeOrigin::signed(account(n)), 100_000));
			}
		}
		let before = Balances::free_balance(account(CHALLENGER));
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), b, 1_000));
		draw();
		assert!(events().contains(&Event::ChallengeReleased { proposal: b }));
		assert_eq!(Balances::free_balance(account(CHALLENGER)), before);
		assert!(matches!(status(b), ProposalStatus::Approved { challenged: false, .. }));
		check();
		// The window's last block is still open; the one after is not (the reward is due
		// there, so the window can only be seen closed before the hook pays: set the block).
		System::set_block_number(until + 1);
		assert_noop!(
			Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), b, 1_000),
			Error::<Test>::ChallengeWindowClosed
		);
	});
}
