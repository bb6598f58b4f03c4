//! Commit and reveal.

use super::*;

#[test]
fn a_reveal_that_does_not_match_burns_the_stake() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let supply_before = supply(project);
		let c = commit(MINER, project, 0, 1, -990_000);
		next_block();
		// A different claim than the one committed to.
		assert_ok!(try_reveal(MINER, c, 0, 1, -980_000, MINER));
		assert_eq!(
			events().last(),
			Some(&Event::StakeForfeited {
				who: account(MINER),
				commitment: c,
				amount: STAKE,
				reason: ForfeitReason::RevealMismatch
			})
		);
		assert_eq!(supply(project), supply_before - STAKE);
		assert!(!Commitments::<Test>::contains_key(c));
		assert_eq!(NextProposalId::<Test>::get(), 0);
		check();
	});
}

#[test]
fn a_commitment_not_revealed_in_the_window_loses_its_stake() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let supply_before = supply(project);
		let c = commit(MINER, project, 0, 1, -990_000);
		run_to_block(6);
		assert!(Commitments::<Test>::contains_key(c), "the window is blocks 2 to 6");
		run_to_block(7);
		assert!(!Commitments::<Test>::contains_key(c));
		assert!(events().contains(&Event::StakeForfeited {
			who: account(MINER),
			commitment: c,
			amount: STAKE,
			reason: ForfeitReason::NotRevealed
		}));
		assert_eq!(supply(project), supply_before - STAKE);
		assert_noop!(try_reveal(MINER, c, 0, 1, -990_000, MINER), Error::<Test>::UnknownCommitment);
		check();
	});
}

#[test]
fn commit_refuses_bad_origin_unknown_or_frozen_projects_small_stakes_repeats_and_the_tokenless() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let c = H256::repeat_byte(9);
		assert_noop!(
			Props::commit(RuntimeOrigin::none(), project, c, STAKE),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Props::commit(RuntimeOrigin::signed(account(MINER)), 99, c, STAKE),
			Error::<Test>::ProjectNotActive
		);
		assert_noop!(
			Props::commit(RuntimeOrigin::signed(account(MINER)), project, c, 9),
			Error::<Test>::StakeTooSmall
		);
		assert_noop!(
			Props::commit(RuntimeOrigin::signed(account(20)), project, c, STAKE),
			Error::<Test>::InsufficientTokens
		);
		assert_noop!(
			Props::commit(RuntimeOrigin::signed(account(MINER)), project, c, 301),
			Error::<Test>::InsufficientTokens
		);
		assert_ok!(Props::commit(RuntimeOrigin::signed(account(MINER)), project, c, STAKE));
		assert_noop!(
			Props::commit(RuntimeOrigin::signed(account(RIVAL)), project, c, STAKE),
			Error::<Test>::CommitmentExists
		);
		assert_ok!(Registry::freeze_project(RuntimeOrigin::signed(account(1)), project));
		assert_noop!(
			Props::commit(
				RuntimeOrigin::signed(account(RIVAL)),
				project,
				H256::repeat_byte(8),
				STAKE
			),
			Error::<Test>::ProjectNotActive
		);
		check();
	});
}

#[test]
fn reveal_refuses_strangers_early_reveals_unknown_parents_and_unknown_commitments() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let c = commit(MINER, project, 0, 1, -990_000);
		let reveal_as = |who: u8, parent| try_reveal(who, c, parent, 1, -990_000, MINER);
		assert_noop!(reveal_as(MINER, 0), Error::<Test>::RevealTooEarly);
		next_block();
		assert_noop!(
			Props::reveal(RuntimeOrigin::none(), c, 0, code(1), claim_of(MINER, -990_000)),
			DispatchError::BadOrigin
		);
		assert_noop!(reveal_as(RIVAL, 0), Error::<Test>::NotCommitter);
		assert_noop!(
			try_reveal(MINER, H256::repeat_byte(7), 0, 1, -990_000, MINER),
			Error::<Test>::UnknownCommitment
		);
		// A commitment naming a parent that does not exist.
		let c2 = commit(RIVAL, project, 42, 2, -990_000);
		next_block();
		assert_noop!(try_reveal(RIVAL, c2, 42, 2, -990_000, RIVAL), Error::<Test>::UnknownParent);
		assert_ok!(reveal_as(MINER, 0));
		check();
	});
}

#[test]
fn a_project_quorum_above_the_round_bound_is_refused_at_reveal() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let c = commit(MINER, project, 0, 1, -990_000);
		next_block();
		RoundMaxQuorum::set(2);
		assert_noop!(try_reveal(MINER, c, 0, 1, -990_000, MINER), Error::<Test>::QuorumTooLarge);
		RoundMaxQuorum::set(7);
		assert_ok!(try_reveal(MINER, c, 0, 1, -990_000, MINER));
		check();
	});
}

#[test]
fn a_lane_carries_over_what_one_block_cannot_process() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		assert_ok!(Curve::buy(RuntimeOrigin::signed(account(20)), project, 100, u64::MAX));
		// Four deadlines of a lane are processed a block; five commitments of block 1 are all
		// due in block 7, in commit order.
		let mut commitments = vec![];
		for (who, tag) in [(MINER, 1), (MINER, 2), (RIVAL, 3), (RIVAL, 4), (20, 5)] {
			let c = commitment(who, project, 0, tag, 1);
			assert_ok!(Props::commit(RuntimeOrigin::signed(account(who)), project, c, 10));
			commitments.push(c);
		}
		assert_eq!(DeadlineCount::<Test>::get(Lane::Commitments, 7), 5);
		let due: Vec<_> =
			(0..5).map(|i| Deadlines::<Test>::get((Lane::Commitments, 7, i)).unwrap()).collect();
		assert!(due
			.iter()
			.zip(&commitments)
			.all(|(s, c)| s.item == Deadline::Reveal(*c) && s.due == 7));
		run_to_block(7);
		assert_eq!(Commitments::<Test>::iter().count(), 1);
		assert_eq!(DeadlineCursor::<Test>::get(Lane::Commitments), Some((7, 4)));
		// Revealed after its window but before the hook got to it: it is late all the same.
		assert_ok!(try_reveal(20, commitments[4], 0, 5, 1, 20));
		assert!(events().contains(&Event::StakeForfeited {
			who: account(20),
			commitment: commitments[4],
			amount: 10,
			reason: ForfeitReason::NotRevealed
		}));
		run_to_block(8);
		assert_eq!(Commitments::<Test>::iter().count(), 0);
		assert_eq!(Deadlines::<Test>::iter().count(), 0);
		assert_eq!(DeadlineCursor::<Test>::get(Lane::Commitments), Some((9, 0)));
		check();
	});
}
