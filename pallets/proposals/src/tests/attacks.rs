//! The attacks of the security review, each played out against the pallet: unpredictable
//! committees, deadlines that cannot be jammed, the burden of proof on approvals, and a
//! minority that cannot reject.

use super::*;
use poi_primitives::{Evaluator, EvaluatorKind};
use sp_runtime::traits::{BlakeTwo256, Hash as _};

/// Sets the randomness of the blocks to come (see [`ENTROPY`]).
fn future(entropy: u64) {
	ENTROPY.with(|e| e.set(entropy));
}

/// The miner's proposal revealed in this block, on a fresh chain with 8 verifiers; returns
/// the proposal id.
fn revealed_with_eight_verifiers() -> ProposalId {
	let project = setup(8);
	let c = commit(MINER, project, 0, 1, -990_000);
	next_block();
	assert_ok!(try_reveal(MINER, c, 0, 1, -990_000, MINER));
	NextProposalId::<Test>::get() - 1
}

#[test]
fn at_the_reveal_block_the_committee_is_not_in_state_and_not_yet_determined() {
	let mut committees = Vec::new();
	for entropy in 0..8u64 {
		new_test_ext().execute_with(|| {
			future(0);
			let id = revealed_with_eight_verifiers();
			// What anyone can read at the reveal block: a round waiting for its draw.
			let round = Rounds::<Test>::get(id).unwrap();
			assert_eq!((round.phase, round.seed), (Phase::Draw, H256::zero()));
			assert!(round.assignments.is_empty());
			assert_eq!(Assignments::<Test>::iter().count(), 0);
			assert!(!events().iter().any(|e| matches!(e, Event::RoundStarted { .. })));
			assert!(events().contains(&Event::RoundScheduled {
				proposal: id,
				kind: RoundKind::Initial,
				draw_at: now() + DRAW_DELAY,
			}));
			for n in 10..18 {
				assert!(Props::assignments_of(&account(n)).is_empty());
			}
			check();
			// Everything up to here is the same in every run; only the blocks after the
			// reveal differ.
			future(entropy);
			draw();
			assert_eq!(Rounds::<Test>::get(id).unwrap().phase, Phase::Commit);
			committees.push((assigned(id), Rounds::<Test>::get(id).unwrap().seed));
			check();
		});
	}
	let distinct: std::collections::BTreeSet<_> =
		committees.iter().map(|(c, _)| c.clone()).collect();
	assert!(distinct.len() > 1, "the committee was fixed at the reveal: {committees:?}");
	let seeds: std::collections::BTreeSet<_> = committees.iter().map(|(_, s)| *s).collect();
	assert_eq!(seeds.len(), committees.len(), "the seed was fixed at the reveal");
}

#[test]
fn what_a_miner_sees_before_its_reveal_does_not_change_its_committee() {
	// The miner reveals when the randomness it can see (the chain up to its reveal) looks
	// best to it. Three different pasts, one future: one committee. Its choice of block
	// changes nothing it can know in advance.
	let mut seen = Vec::new();
	for past in [100u64, 200, 300] {
		new_test_ext().execute_with(|| {
			future(past);
			let id = revealed_with_eight_verifiers();
			future(7);
			draw();
			seen.push((now(), assigned(id)));
		});
	}
	assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
}

/// A project of `creator`'s whose token its creator priced at 1 a piece (a flat curve), of
/// which the creator buys `tokens`; its id.
fn cheap_project(creator: &AccountId, tokens: u64) -> ProjectId {
	let cheap = CurveParams {
		base_price: 1,
		slope: 0,
		miner_pool_cap: 1,
		reward_per_approval: 1,
		initial_escrow: 0,
	};
	let project = pallet_projects::NextProjectId::<Test>::get();
	assert_ok!(Registry::create_project(
		RuntimeOrigin::signed(creator.clone()),
		Protocol::example(46),
		b"cheap".to_vec(),
		b"CHEAP".to_vec(),
		cheap,
		None,
	));
	assert_ok!(Curve::buy(RuntimeOrigin::signed(creator.clone()), project, tokens, u64::MAX));
	project
}

#[test]
fn a_flood_of_two_thousand_commits_does_not_stop_an_honest_proposal() {
	new_test_ext().execute_with(|| {
		let project = setup(10);
		// The attacker's own project: a token at 1 a piece, so that each commit costs it
		// a stake of 100 tokens (the least worth `MinStakeValue`, 100).
		let attacker = account(20);
		let spam = cheap_project(&attacker, 200_000);
		let minted = supply(spam);
		for n in 0..2_000u32 {
			let c = BlakeTwo256::hash_of(&n);
			assert_ok!(Props::commit(RuntimeOrigin::signed(attacker.clone()), spam, c, 100));
		}
		// In the same block, after the flood: an honest commit goes through.
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_eq!(now(), 4);
		let round = Rounds::<Test>::get(id).unwrap();
		assert_eq!((round.phase, round.commit_until), (Phase::Commit, 7));
		check();

		// Every verifier commits, so the reveal phase starts at once and ends at block 7; two
		// reveal, the third stays silent. The hook of block 8 settles, while the flood's 2 000
		// reveal deadlines, due in block 7, wait in their own lane.
		let verifiers = assigned(id);
		for v in &verifiers {
			commit_verdict(id, v, &scored(-990_000));
		}
		next_block();
		for v in &verifiers[..2] {
			reveal_verdict(id, v, &scored(-990_000));
		}
		run_to_block(7);
		assert_eq!(status(id), ProposalStatus::Verifying);
		assert!(DeadlineCount::<Test>::get(Lane::Commitments, 7) > 0, "the flood is queued");
		run_to_block(8);
		let ProposalStatus::Approved { challenge_until, .. } = status(id) else {
			panic!("not settled on time: {:?}", status(id))
		};
		assert_eq!(challenge_until, 18);
		assert!(Commitments::<Test>::iter().count() > 1_900, "most of the flood still waits");
		check();

		// A challenge in the window is taken and drawn on time, and settles on time.
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		draw();
		let judges = assigned(id);
		assert!(!judges.is_empty());
		for j in &judges {
			commit_verdict(id, j, &scored(-990_000));
		}
		for j in &judges {
			reveal_verdict(id, j, &scored(-990_000));
		}
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::ChallengeFailed { proposal, .. } if *proposal == id)));
		check();

		// The reward is paid when the window closes, not before and not skipped.
		run_to_block(18);
		assert!(matches!(
			status(id),
			ProposalStatus::Approved { reward: RewardState::Escrowed { .. }, .. }
		));
		run_to_block(19);
		assert!(matches!(
			status(id),
			ProposalStatus::Approved { reward: RewardState::Paid(_), .. }
		));

		// The flood drains, four deadlines a block, every stake forfeited.
		run_to_block(7 + 2_001 / 4 + 1);
		assert_eq!(Commitments::<Test>::iter().count(), 0);
		assert_eq!(supply(spam), minted - 200_000, "every stake of the flood was burned");
		assert_eq!(tokens(spam, &stake_account()), 0);
		assert_eq!(Deadlines::<Test>::iter().count(), 0);
		check();
	});
}

#[test]
fn a_deadline_that_fails_is_retried_until_it_succeeds() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let c = commit(MINER, project, 0, 1, -990_000);
		// Someone takes the stakes from the pallet's account (a bug, or a broken asset): the
		// forfeit of the unrevealed commitment cannot burn them.
		let asset = ProjectAssetId::convert(project);
		assert_ok!(<Assets as frame_support::traits::fungibles::Mutate<_>>::transfer(
			asset,
			&stake_account(),
			&account(29),
			STAKE,
			frame_support::traits::tokens::Preservation::Expendable,
		));
		run_to_block(7);
		assert!(events().iter().any(|e| matches!(
			e,
			Event::DeadlineFailed { deadline: Deadline::Reveal(x), .. } if *x == c
		)));
		assert!(Commitments::<Test>::contains_key(c), "rolled back, not dropped");
		run_to_block(9);
		assert!(Commitments::<Test>::contains_key(c), "retried every block");
		// Once the stakes are back, the next try forfeits.
		assert_ok!(<Assets as frame_support::traits::fungibles::Mutate<_>>::transfer(
			asset,
			&account(29),
			&stake_account(),
			STAKE,
			frame_support::traits::tokens::Preservation::Expendable,
		));
		next_block();
		assert!(!Commitments::<Test>::contains_key(c));
		assert!(events().iter().any(|e| matches!(
			e,
			Event::StakeForfeited { reason: ForfeitReason::NotRevealed, .. }
		)));
		check();
	});
}

#[test]
fn try_state_finds_a_round_whose_deadline_is_gone() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		check();
		let key = Deadlines::<Test>::iter()
			.find(|(_, s)| s.item == Deadline::VerdictCommit(id))
			.map(|(k, _)| k)
			.unwrap();
		Deadlines::<Test>::remove(key);
		assert!(Props::do_try_state().is_err());
	});
}

#[test]
fn a_verdict_after_its_phase_ended_is_refused_even_before_the_hook_runs() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		commit_verdict(id, &verifiers[0], &scored(-990_000));
		commit_verdict(id, &verifiers[1], &scored(-990_000));
		let round = Rounds::<Test>::get(id).unwrap();
		let (commit_until, reveal_until) = (round.commit_until, round.reveal_until);
		assert_eq!(reveal_until, commit_until + 3);
		// The block after the commit phase, before any hook moved the round on.
		System::set_block_number(commit_until + 1);
		assert_eq!(Rounds::<Test>::get(id).unwrap().phase, Phase::Commit);
		let late =
			poi_primitives::verdict_commitment(id, &scored(-990_000), &H256::zero(), &verifiers[2]);
		assert_noop!(
			Props::commit_verdict(RuntimeOrigin::signed(verifiers[2].clone()), id, late),
			Error::<Test>::NotCommitPhase
		);
		// The reveal phase is open by the clock, whether or not the hook ran.
		reveal_verdict(id, &verifiers[0], &scored(-990_000));
		// And closed by it.
		System::set_block_number(reveal_until + 1);
		let v = &verifiers[1];
		assert_noop!(
			Props::reveal_verdict(
				RuntimeOrigin::signed(v.clone()),
				id,
				scored(-990_000),
				verdict_salt(v),
				sign(id, v, &scored(-990_000))
			),
			Error::<Test>::NotRevealPhase
		);
	});
}

/// A project like [`setup`]'s but with a quorum of 5, and `verifiers` verifiers.
fn setup_quorum_five(verifiers: u8) -> ProjectId {
	let project = setup(verifiers);
	let mut protocol = Protocol::example(46);
	protocol.quorum = 5;
	protocol.evaluator = Evaluator::Wasm { fuel: 1_000 };
	assert_ok!(Registry::create_project(
		RuntimeOrigin::signed(account(5)),
		protocol,
		b"five".to_vec(),
		b"FIVE".to_vec(),
		curve(),
		None,
	));
	for who in [MINER, RIVAL] {
		assert_ok!(Curve::buy(RuntimeOrigin::signed(account(who)), project + 1, 300, u64::MAX));
	}
	project + 1
}

#[test]
fn a_minority_of_the_quorum_cannot_reject_while_the_others_are_silent() {
	new_test_ext().execute_with(|| {
		let project = setup_quorum_five(5);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		assert_eq!(verifiers.len(), 5);
		// Two colluders say invalid, one honest verifier scores; two are silenced.
		commit_verdict(id, &verifiers[0], &invalid());
		commit_verdict(id, &verifiers[1], &invalid());
		commit_verdict(id, &verifiers[2], &scored(-990_000));
		let commit_until = Rounds::<Test>::get(id).unwrap().commit_until;
		run_to_block(commit_until + 1);
		reveal_verdict(id, &verifiers[0], &invalid());
		reveal_verdict(id, &verifiers[1], &invalid());
		reveal_verdict(id, &verifiers[2], &scored(-990_000));
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoAgreement));
		assert_eq!(tokens(project, &account(MINER)), 300, "the stake came back");
		check();
	});
}

#[test]
fn a_challenge_round_that_cannot_confirm_overturns_the_approval_without_blaming_approvers() {
	new_test_ext().execute_with(|| {
		let project = setup(10);
		let id = propose(MINER, project, 0, 1, -990_000);
		let approvers = run_round(id, &vec![scored(-990_000); 3]);
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		draw();
		// The candidate makes every runner fail (it withholds its code, or breaks the
		// harness): a harness error is not a confirmation.
		let judges = run_round(id, &vec![harness(); 7]);
		assert_eq!(status(id), ProposalStatus::Overturned { node: 1, previous_best: 0 });
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
		for a in &approvers {
			assert_eq!(stats(a).deviant, 0, "nothing showed the approvers wrong");
		}
		for j in &judges {
			assert_eq!(stats(j).agreed, 1);
		}
		check();
	});
}

#[test]
fn a_challenge_round_draws_those_who_did_not_approve_and_never_fewer_than_the_quorum() {
	new_test_ext().execute_with(|| {
		// Six verifiers: three approve; the challenge quorum would be 7, but only the three
		// who did not approve are eligible: they are drawn.
		let project = setup(6);
		let id = propose(MINER, project, 0, 1, -990_000);
		let approvers = run_round(id, &vec![scored(-990_000); 3]);
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		draw();
		let judges = assigned(id);
		assert_eq!(judges.len(), 3);
		assert!(judges.iter().all(|j| !approvers.contains(j)));
		check();
	});
	new_test_ext().execute_with(|| {
		// Five verifiers: two could judge, fewer than the quorum that approved. A challenger
		// with one sybil verifier among them must not decide alone: the challenge is
		// released, the bond returned.
		let project = setup(5);
		let id = propose(MINER, project, 0, 1, -990_000);
		run_round(id, &vec![scored(-990_000); 3]);
		let before = Balances::free_balance(account(CHALLENGER));
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		draw();
		assert!(!Rounds::<Test>::contains_key(id));
		assert!(events().contains(&Event::ChallengeReleased { proposal: id }));
		assert_eq!(Balances::free_balance(account(CHALLENGER)), before);
		assert!(matches!(status(id), ProposalStatus::Approved { challenged: false, .. }));
		check();
	});
}

#[test]
fn a_verifier_s_job_shows_the_reveal_phase_by_the_clock_when_the_hook_is_behind() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let v = assigned(id)[0].clone();
		commit_verdict(id, &v, &scored(-990_000));
		let commit_until = Rounds::<Test>::get(id).unwrap().commit_until;
		// The hook has not processed the commit phase's end (a backlog): the stored phase is
		// still Commit, but the off-chain worker is told to reveal.
		System::set_block_number(commit_until + 1);
		assert_eq!(Rounds::<Test>::get(id).unwrap().phase, Phase::Commit);
		let job = Props::assignments_of(&v).into_iter().find(|j| j.proposal == id).unwrap();
		assert_eq!(job.phase, Phase::Reveal);
		reveal_verdict(id, &v, &scored(-990_000));
	});
}

/// Every place a verifier could read the claim from: each storage value, each event, the
/// runtime API's assignments (SCALE-encoded) and the worker's jobs for its runner (printed).
fn everything_a_verifier_can_read(verifiers: &[AccountId]) -> Vec<Vec<u8>> {
	use codec::Encode;
	let mut seen = Vec::new();
	let mut key = Vec::new();
	while let Some(next) = sp_io::storage::next_key(&key) {
		seen.push(sp_io::storage::get(&next).map(|v| v.to_vec()).unwrap_or_default());
		key = next;
	}
	seen.extend(System::events().iter().map(|e| e.encode()));
	for v in verifiers {
		seen.push(Props::assignments_of(v).encode());
		seen.extend(Props::local_jobs(v).iter().map(|j| format!("{j:?}").into_bytes()));
	}
	seen
}

/// Whether any of `seen` holds `claim`, SCALE-encoded or in decimals.
fn shows(seen: &[Vec<u8>], claim: Score) -> bool {
	use codec::Encode;
	let needles = [claim.encode(), claim.to_string().into_bytes()];
	seen.iter().any(|bytes| {
		needles.iter().any(|needle| bytes.windows(needle.len()).any(|w| w == &needle[..]))
	})
}

#[test]
fn no_verifier_can_read_the_claim_before_every_verdict_is_committed() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let claim: Score = -990_123;
		let id = propose(MINER, project, 0, 1, claim);
		let verifiers = assigned(id);
		assert!(!shows(&everything_a_verifier_can_read(&verifiers), claim), "not after the draw");
		// Not early: while a verifier has not committed, the miner cannot reveal its claim.
		let (last, first) = verifiers.split_last().unwrap();
		for v in first {
			commit_verdict(id, v, &scored(claim));
		}
		assert_noop!(try_reveal_claim(id), Error::<Test>::NotClaimPhase);
		assert!(!shows(&everything_a_verifier_can_read(&verifiers), claim), "not while committing");
		// The last commit ends the commit phase; then the claim shows, and it is binding.
		commit_verdict(id, last, &scored(claim));
		assert_noop!(
			Props::reveal_claim(RuntimeOrigin::signed(account(MINER)), id, claim + 1, salt(MINER)),
			Error::<Test>::ClaimMismatch
		);
		assert_noop!(
			Props::reveal_claim(RuntimeOrigin::signed(account(RIVAL)), id, claim, salt(MINER)),
			Error::<Test>::NotProposer
		);
		assert_ok!(try_reveal_claim(id));
		assert!(shows(&everything_a_verifier_can_read(&verifiers), claim), "the test sees it now");
		assert!(events().contains(&Event::ClaimRevealed { proposal: id, claimed_score: claim }));
		assert_noop!(try_reveal_claim(id), Error::<Test>::ClaimRevealed);
		for v in &verifiers {
			reveal_verdict(id, v, &scored(claim));
		}
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		check();
	});
}

#[test]
fn a_claim_never_revealed_loses_the_stake_and_still_pays_the_verifiers() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		for v in &verifiers {
			commit_verdict(id, v, &scored(-990_000));
		}
		// The verifiers reveal; the miner, having seen their scores, keeps its claim back.
		for v in &verifiers {
			assert_ok!(Props::reveal_verdict(
				RuntimeOrigin::signed(v.clone()),
				id,
				scored(-990_000),
				verdict_salt(v),
				sign(id, v, &scored(-990_000))
			));
		}
		assert_eq!(status(id), ProposalStatus::Verifying, "the round waits for the claim");
		let reveal_until = Rounds::<Test>::get(id).unwrap().reveal_until;
		run_to_block(reveal_until);
		check();
		run_to_block(reveal_until + 1);
		assert_eq!(status(id), ProposalStatus::Rejected(RejectReason::ClaimWithheld));
		assert_eq!(tokens(project, &account(MINER)), 200, "the stake is lost");
		for v in &verifiers {
			assert_eq!(pending(v, project), Some(16), "a share of the slash");
			assert_eq!(pending_native(v), Some(30), "and the fee");
		}
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
		check();
	});
}

#[test]
fn a_stake_worth_too_little_in_the_native_currency_is_refused() {
	new_test_ext().execute_with(|| {
		setup(4);
		// A token its creator priced at 1 a piece: 10 of them (`MinStake`) are worth 10, a
		// tenth of `MinStakeValue`.
		let creator = account(20);
		let project = cheap_project(&creator, 1_000);
		let commit_with = |stake| {
			Props::commit(RuntimeOrigin::signed(creator.clone()), project, H256::zero(), stake)
		};
		assert_noop!(commit_with(10), Error::<Test>::StakeWorthTooLittle);
		assert_noop!(commit_with(99), Error::<Test>::StakeWorthTooLittle);
		assert_ok!(commit_with(100));
		check();
	});
}

#[test]
fn a_runner_without_the_project_s_evaluator_is_never_drawn_for_it() {
	new_test_ext().execute_with(|| {
		// The test project trains candle-gpt; two of the four verifiers only run wasm.
		let project = setup(2);
		for n in [12u8, 13] {
			assert_ok!(Verifiers::register(
				RuntimeOrigin::signed(account(n)),
				1_000_000 - 1_000,
				runner(n).public(),
				Evaluators::NONE.with(EvaluatorKind::Wasm)
			));
		}
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoQuorum));
		// A third capable runner makes the quorum; the wasm-only ones stay out of it.
		assert_ok!(Verifiers::register(
			RuntimeOrigin::signed(account(14)),
			100_000,
			runner(14).public(),
			Evaluators::ALL
		));
		let id = propose(RIVAL, project, 0, 2, -990_000);
		let drawn = assigned(id);
		assert_eq!(drawn.len(), 3);
		assert!(!drawn.contains(&account(12)) && !drawn.contains(&account(13)));
		check();
	});
}

#[test]
fn a_runner_signature_is_good_for_one_round_seed_and_verifier_only() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		let (v, other) = (&verifiers[0], &verifiers[1]);
		let verdict = scored(-990_000);
		for w in &verifiers {
			commit_verdict(id, w, &verdict);
		}
		reveal_claim_when_due(id);
		let round = Rounds::<Test>::get(id).unwrap();
		let key = runner(number(v));
		let reveal_signed = |payload: Vec<u8>| {
			Props::reveal_verdict(
				RuntimeOrigin::signed(v.clone()),
				id,
				verdict.clone(),
				verdict_salt(v),
				key.sign(&payload),
			)
		};
		// What a runner signed for another seed (an earlier round of the same proposal), for
		// a challenge round, or for another verifier does not verify here.
		let replays = [
			Props::runner_payload(id, round.kind, &H256::repeat_byte(0xee), v, &verdict),
			Props::runner_payload(id, RoundKind::Challenge, &round.seed, v, &verdict),
			Props::runner_payload(id, round.kind, &round.seed, other, &verdict),
		];
		for payload in replays {
			assert_noop!(reveal_signed(payload), Error::<Test>::BadRunnerSignature);
		}
		assert_ok!(reveal_signed(Props::runner_payload(id, round.kind, &round.seed, v, &verdict)));
		check();
	});
}
