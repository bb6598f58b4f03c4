//! Verdicts.

use super::*;

#[test]
fn no_verifier_sees_a_verdict_before_the_reveal_phase() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		commit_verdict(id, &verifiers[0], &scored(-990_000));
		// On chain there is only a salted hash, and a reveal is refused in the commit phase.
		let round = Rounds::<Test>::get(id).unwrap();
		assert!(round.assignments.iter().all(|a| a.verdict.is_none()));
		assert_eq!(
			round.assignments[0].commitment,
			Some(poi_primitives::verdict_commitment(
				id,
				&scored(-990_000),
				&verdict_salt(&verifiers[0]),
				&verifiers[0]
			))
		);
		assert_noop!(
			Props::reveal_verdict(
				RuntimeOrigin::signed(verifiers[0].clone()),
				id,
				scored(-990_000),
				verdict_salt(&verifiers[0]),
				sign(id, &verifiers[0], &scored(-990_000))
			),
			Error::<Test>::NotRevealPhase
		);
		// The same verdict under another salt hashes differently: a commitment reveals nothing.
		assert_ne!(
			poi_primitives::verdict_commitment(id, &scored(-990_000), &H256::zero(), &verifiers[0]),
			round.assignments[0].commitment.unwrap()
		);
		check();
	});
}

#[test]
fn commit_verdict_refuses_strangers_unknown_proposals_repeats_and_late_commits() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		let stranger = (10..14).map(account).find(|a| !verifiers.contains(a)).unwrap();
		let h = H256::repeat_byte(5);
		assert_noop!(Props::commit_verdict(RuntimeOrigin::none(), id, h), DispatchError::BadOrigin);
		assert_noop!(
			Props::commit_verdict(RuntimeOrigin::signed(stranger), id, h),
			Error::<Test>::NotAssigned
		);
		assert_noop!(
			Props::commit_verdict(RuntimeOrigin::signed(verifiers[0].clone()), 77, h),
			Error::<Test>::UnknownProposal
		);
		assert_ok!(Props::commit_verdict(RuntimeOrigin::signed(verifiers[0].clone()), id, h));
		assert_noop!(
			Props::commit_verdict(RuntimeOrigin::signed(verifiers[0].clone()), id, h),
			Error::<Test>::AlreadyCommitted
		);
		run_to_block(8);
		assert_noop!(
			Props::commit_verdict(RuntimeOrigin::signed(verifiers[1].clone()), id, h),
			Error::<Test>::NotCommitPhase
		);
		run_to_block(11);
		// Settled: no round any more.
		assert_eq!(status(id), ProposalStatus::Expired);
		assert_noop!(
			Props::commit_verdict(RuntimeOrigin::signed(verifiers[1].clone()), id, h),
			Error::<Test>::NoRound
		);
		check();
	});
}

#[test]
fn reveal_verdict_refuses_mismatches_repeats_the_uncommitted_and_bad_runner_signatures() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		let stranger = (10..14).map(account).find(|a| !verifiers.contains(a)).unwrap();
		let v = scored(-990_000);
		commit_verdict(id, &verifiers[0], &v);
		commit_verdict(id, &verifiers[1], &v);
		run_to_block(8);
		let reveal_as = |who: &AccountId, verdict: Verdict, salt: H256, sig| {
			Props::reveal_verdict(RuntimeOrigin::signed(who.clone()), id, verdict, salt, sig)
		};
		let s0 = verdict_salt(&verifiers[0]);
		assert_noop!(
			reveal_as(&stranger, v.clone(), s0, sign(id, &stranger, &v)),
			Error::<Test>::NotAssigned
		);
		assert_noop!(
			reveal_as(&verifiers[2], v.clone(), s0, sign(id, &verifiers[2], &v)),
			Error::<Test>::NotCommitted
		);
		// Another verdict than the committed one.
		let other = scored(-900_000);
		assert_noop!(
			reveal_as(&verifiers[0], other.clone(), s0, sign(id, &verifiers[0], &other)),
			Error::<Test>::VerdictMismatch
		);
		// Signed by another runner's key.
		assert_noop!(
			reveal_as(&verifiers[0], v.clone(), s0, sign(id, &verifiers[1], &v)),
			Error::<Test>::BadRunnerSignature
		);
		// A signature the runner made for another proposal (a replay).
		assert_noop!(
			reveal_as(
				&verifiers[0],
				v.clone(),
				s0,
				runner(number(&verifiers[0])).sign(&{
					let round = Rounds::<Test>::get(id).unwrap();
					Props::runner_payload(id + 1, round.kind, &round.seed, &verifiers[0], &v)
				})
			),
			Error::<Test>::BadRunnerSignature
		);
		assert_noop!(
			reveal_as(&verifiers[0], v.clone(), s0, sr25519::Signature::from_raw([0; 64])),
			Error::<Test>::BadRunnerSignature
		);
		reveal_verdict(id, &verifiers[0], &v);
		assert_noop!(
			reveal_as(&verifiers[0], v.clone(), s0, sign(id, &verifiers[0], &v)),
			Error::<Test>::AlreadyRevealed
		);
		assert_noop!(
			Props::reveal_verdict(
				RuntimeOrigin::signed(verifiers[1].clone()),
				77,
				v.clone(),
				s0,
				sr25519::Signature::from_raw([0; 64])
			),
			Error::<Test>::UnknownProposal
		);
		check();
	});
}

#[test]
fn a_verifier_that_left_has_no_runner_key_to_check_against() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		let v = scored(-990_000);
		for w in &verifiers {
			commit_verdict(id, w, &v);
		}
		// As if verifiers[0] had left the registry since it was drawn.
		let info = pallet_verifiers::Verifiers::<Test>::take(&verifiers[0]).unwrap();
		pallet_verifiers::RunnerKeys::<Test>::remove(info.runner_key);
		assert_noop!(
			Props::reveal_verdict(
				RuntimeOrigin::signed(verifiers[0].clone()),
				id,
				v.clone(),
				verdict_salt(&verifiers[0]),
				sign(id, &verifiers[0], &v)
			),
			Error::<Test>::NoRunnerKey
		);
	});
}

#[test]
fn a_runner_key_change_is_honoured_for_the_next_reveal() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		let v = scored(-990_000);
		for w in &verifiers {
			commit_verdict(id, w, &v);
		}
		let fresh = sr25519::Pair::from_seed(&[77; 32]);
		assert_ok!(Verifiers::set_runner_key(
			RuntimeOrigin::signed(verifiers[0].clone()),
			fresh.public()
		));
		assert_noop!(
			Props::reveal_verdict(
				RuntimeOrigin::signed(verifiers[0].clone()),
				id,
				v.clone(),
				verdict_salt(&verifiers[0]),
				sign(id, &verifiers[0], &v)
			),
			Error::<Test>::BadRunnerSignature
		);
		assert_ok!(Props::reveal_verdict(
			RuntimeOrigin::signed(verifiers[0].clone()),
			id,
			v.clone(),
			verdict_salt(&verifiers[0]),
			fresh.sign(&payload(id, &verifiers[0], &v))
		));
		check();
	});
}

#[test]
fn a_settled_round_s_verdicts_stay_in_state_after_the_round_is_gone() {
	new_test_ext().execute_with(|| {
		let project = setup(10);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		assert_eq!(Settlements::<Test>::get(id), None, "nothing before it settles");
		// One score, one invalid verdict, one verifier that commits and never reveals.
		commit_verdict(id, &verifiers[0], &scored(-990_000));
		commit_verdict(id, &verifiers[1], &invalid());
		commit_verdict(id, &verifiers[2], &scored(-990_000));
		reveal_verdict(id, &verifiers[0], &scored(-990_000));
		reveal_verdict(id, &verifiers[1], &invalid());
		let reveal_until = Rounds::<Test>::get(id).unwrap().reveal_until;
		run_to_block(reveal_until + 1);
		assert!(!Rounds::<Test>::contains_key(id), "the round is gone");
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoAgreement));
		let settlement = Settlements::<Test>::get(id).expect("kept with the proposal");
		assert_eq!(settlement.block, reveal_until + 1);
		assert_eq!(
			settlement.verdicts.into_inner(),
			vec![
				(verifiers[0].clone(), Some(VerdictSummary::Score(-990_000))),
				(verifiers[1].clone(), Some(VerdictSummary::Invalid)),
				(verifiers[2].clone(), None),
			]
		);
		check();
		// A challenge round of an approval does not replace its initial round's record.
		let next = propose(MINER, project, 0, 2, -990_000);
		let approvers = run_round(next, &[harness(), scored(-990_000), scored(-990_000)]);
		let settled = Settlements::<Test>::get(next).unwrap();
		assert_eq!(settled.block, now());
		assert_eq!(settled.verdicts[0], (approvers[0].clone(), Some(VerdictSummary::HarnessError)));
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), next, 1_000));
		draw();
		run_round(next, &vec![scored(-999_000); 7]);
		assert!(matches!(status(next), ProposalStatus::Overturned { .. }));
		assert_eq!(Settlements::<Test>::get(next), Some(settled));
		check();
	});
}

#[test]
fn a_proposal_released_at_its_draw_keeps_a_settlement_without_verdicts() {
	new_test_ext().execute_with(|| {
		let project = setup(2);
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoQuorum));
		let settlement = Settlements::<Test>::get(id).unwrap();
		assert_eq!((settlement.block, settlement.verdicts.len()), (now(), 0));
		check();
	});
}

#[test]
fn try_state_refuses_settlements_that_do_not_match_their_proposals() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = run_round(id, &vec![scored(-990_000); 3]);
		check();
		let kept = Settlements::<Test>::get(id).unwrap();
		let broken = |mutate: &dyn Fn(&mut SettlementOf<Test>)| {
			let mut s = kept.clone();
			mutate(&mut s);
			Settlements::<Test>::insert(id, s);
			let refused = Props::do_try_state().is_err();
			Settlements::<Test>::insert(id, kept.clone());
			refused
		};
		assert!(broken(&|s| s.block = now() + 1), "a settlement in the future");
		assert!(broken(&|s| s.block = 0), "a settlement before the reveal");
		assert!(broken(&|s| s.verdicts.clear()), "a drawn round without verdicts");
		assert!(broken(&|s| s.verdicts[1].0 = verifiers[0].clone()), "a verifier twice");
		assert!(!broken(&|_| {}), "the kept one is sound");
		// A proposal still verifying has none.
		let verifying = propose(MINER, project, 0, 2, -990_000);
		Settlements::<Test>::insert(verifying, kept.clone());
		assert!(Props::do_try_state().is_err());
		Settlements::<Test>::remove(verifying);
		check();
	});
}
