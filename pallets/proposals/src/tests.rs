//! Unit tests: every settlement outcome, every error, and the attacks the design must stop.

use crate::{mock::*, settlement::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold as _, fungibles::Inspect as _},
	BoundedVec,
};
use pallet_projects::{ArtifactRef, CurveParams, Lineage, Protocol};
use pallet_verifiers::RewardAsset;
use sp_core::{sr25519, Pair as _, H256};
use sp_runtime::{traits::Convert, DispatchError};

mod offchain;
mod properties;

const BASELINE: Score = -997_900;
const STAKE: u64 = 100;
const MINER: u8 = 2;
const RIVAL: u8 = 3;
const CHALLENGER: u8 = 4;

fn curve() -> CurveParams<u64> {
	CurveParams {
		base_price: 10,
		slope: 1,
		miner_pool_cap: 1_000,
		reward_per_approval: 100,
		initial_escrow: 500_000,
	}
}

/// The runner key pair of verifier `n`.
fn runner(n: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[n; 32])
}

/// A project by account 1 (quorum 3, tolerance 1 %, threshold 0.5 %, baseline -997 900),
/// `verifiers` verifiers (accounts 10, 11, ...) with bonds of 1 000, and 300 tokens each for
/// the miner and the rival.
fn setup(verifiers: u8) -> ProjectId {
	let project = pallet_projects::NextProjectId::<Test>::get();
	assert_ok!(Registry::create_project(
		RuntimeOrigin::signed(account(1)),
		Protocol::example(46),
		b"nanogpt".to_vec(),
		b"NANO".to_vec(),
		curve(),
		None,
	));
	for n in 10..10 + verifiers {
		assert_ok!(Verifiers::register(
			RuntimeOrigin::signed(account(n)),
			1_000,
			runner(n).public()
		));
	}
	for who in [MINER, RIVAL] {
		assert_ok!(Curve::buy(RuntimeOrigin::signed(account(who)), project, 300, u64::MAX));
	}
	project
}

fn code(tag: u8) -> ArtifactOf<Test> {
	ArtifactRef { digest: H256::repeat_byte(tag), cid: BoundedVec::truncate_from(vec![b'Q'; 46]) }
}

fn log() -> ArtifactOf<Test> {
	ArtifactRef { digest: H256::repeat_byte(0xAA), cid: BoundedVec::truncate_from(vec![b'L'; 46]) }
}

fn scored(score: Score) -> VerdictOf<Test> {
	Verdict::Score { score, log: log() }
}

fn invalid() -> VerdictOf<Test> {
	Verdict::Invalid { log: log() }
}

fn harness() -> VerdictOf<Test> {
	Verdict::HarnessError { log: log() }
}

fn tokens(project: ProjectId, who: &AccountId) -> u64 {
	Assets::balance(ProjectAssetId::convert(project), who)
}

fn supply(project: ProjectId) -> u64 {
	Assets::total_issuance(ProjectAssetId::convert(project))
}

fn now() -> u64 {
	System::block_number()
}

fn next_block() {
	run_to_block(now() + 1);
}

fn check() {
	Props::do_try_state().expect("proposals invariants");
	Verifiers::do_try_state().expect("verifiers invariants");
	Curve::do_try_state().expect("curve invariants");
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Props(e) = r.event { Some(e) } else { None })
		.collect()
}

fn salt(who: u8) -> H256 {
	H256::repeat_byte(who)
}

/// Commits a proposal of `who` in this block; returns its commitment.
fn commit(who: u8, project: ProjectId, parent: NodeId, tag: u8, claim: Score) -> H256 {
	let c = Props::commitment_of(project, parent, &code(tag), claim, &salt(who), &account(who));
	assert_ok!(Props::commit(RuntimeOrigin::signed(account(who)), project, c, STAKE));
	c
}

/// Reveals a commitment made by `commit`; returns the proposal id.
fn reveal(who: u8, c: H256, parent: NodeId, tag: u8, claim: Score) -> ProposalId {
	assert_ok!(try_reveal(who, c, parent, tag, claim, who));
	NextProposalId::<Test>::get() - 1
}

/// `who` reveals commitment `c` with the salt `who` committed with.
fn try_reveal(
	who: u8,
	c: H256,
	parent: NodeId,
	tag: u8,
	claim: Score,
	salt_of: u8,
) -> sp_runtime::DispatchResult {
	Props::reveal(RuntimeOrigin::signed(account(who)), c, parent, code(tag), claim, salt(salt_of))
}

/// Commits in this block and reveals in the next; returns the proposal id.
fn propose(who: u8, project: ProjectId, parent: NodeId, tag: u8, claim: Score) -> ProposalId {
	let c = commit(who, project, parent, tag, claim);
	next_block();
	reveal(who, c, parent, tag, claim)
}

fn assigned(id: ProposalId) -> Vec<AccountId> {
	Rounds::<Test>::get(id).unwrap().assignments.iter().map(|a| a.verifier.clone()).collect()
}

/// Verifier number of an account.
fn number(who: &AccountId) -> u8 {
	<[u8; 32]>::from(who.clone())[0]
}

fn verdict_salt(who: &AccountId) -> H256 {
	H256::repeat_byte(number(who).wrapping_add(100))
}

fn commit_verdict(id: ProposalId, who: &AccountId, verdict: &VerdictOf<Test>) {
	let c = Props::verdict_commitment(id, verdict, &verdict_salt(who), who);
	assert_ok!(Props::commit_verdict(RuntimeOrigin::signed(who.clone()), id, c));
}

fn sign(id: ProposalId, who: &AccountId, verdict: &VerdictOf<Test>) -> sr25519::Signature {
	runner(number(who)).sign(&Props::runner_payload(id, verdict))
}

fn reveal_verdict(id: ProposalId, who: &AccountId, verdict: &VerdictOf<Test>) {
	assert_ok!(Props::reveal_verdict(
		RuntimeOrigin::signed(who.clone()),
		id,
		verdict.clone(),
		verdict_salt(who),
		sign(id, who, verdict)
	));
}

/// The assigned verifiers commit `verdicts` (in drawing order) and then reveal them.
fn run_round(id: ProposalId, verdicts: &[VerdictOf<Test>]) -> Vec<AccountId> {
	let verifiers = assigned(id);
	assert_eq!(verifiers.len(), verdicts.len());
	for (v, verdict) in verifiers.iter().zip(verdicts) {
		commit_verdict(id, v, verdict);
	}
	for (v, verdict) in verifiers.iter().zip(verdicts) {
		reveal_verdict(id, v, verdict);
	}
	verifiers
}

fn status(id: ProposalId) -> StatusOf<Test> {
	Proposals::<Test>::get(id).unwrap().status
}

fn stats(who: &AccountId) -> pallet_verifiers::Stats {
	pallet_verifiers::Verifiers::<Test>::get(who).unwrap().stats
}

fn bond(who: &AccountId) -> u64 {
	pallet_verifiers::Verifiers::<Test>::get(who).unwrap().bond
}

fn pending(who: &AccountId, project: ProjectId) -> Option<u64> {
	pallet_verifiers::PendingRewards::<Test>::get(
		who,
		RewardAsset::Token(ProjectAssetId::convert(project)),
	)
}

fn stake_account() -> AccountId {
	Props::account_id()
}

// ---- The happy path -------------------------------------------------------------------------

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
fn reveal_draws_the_quorum_never_the_proposer_and_starts_the_round() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		// The miner is a verifier too: it must not verify itself.
		assert_ok!(Verifiers::register(RuntimeOrigin::signed(account(MINER)), 1_000, runner(MINER).public()));
		let id = propose(MINER, project, 0, 1, -990_000);
		let p = Proposals::<Test>::get(id).unwrap();
		assert_eq!((p.proposer, p.parent, p.claimed_score, p.stake), (account(MINER), 0, -990_000, STAKE));
		assert_eq!((p.committed_at, p.revealed_at, p.status), (1, 2, ProposalStatus::Verifying));
		let round = Rounds::<Test>::get(id).unwrap();
		assert_eq!(round.assignments.len(), 3);
		assert!(!assigned(id).contains(&account(MINER)));
		assert_eq!((round.phase, round.commit_until, round.kind), (Phase::Commit, 5, RoundKind::Initial));
		for v in assigned(id) {
			assert!(Assignments::<Test>::contains_key(&v, id));
			assert_eq!(stats(&v).rounds, 1);
		}
		assert!(ProjectProposals::<Test>::contains_key(project, id));
		assert_eq!(Candidates::<Test>::get(project, code(1).digest), Some(id));
		assert!(!Commitments::<Test>::contains_key(Props::commitment_of(project, 0, &code(1), -990_000, &salt(MINER), &account(MINER))));
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
		assert_eq!((challenge_until, challenged, reward), (12, false, RewardState::Pending));
		assert_eq!(approvers.len(), 3);
		assert_eq!(Registry::best(project), Some((1, -990_000)));
		assert_eq!(ApprovedNodes::<Test>::get(project, 1), Some(id));
		let n = pallet_projects::Nodes::<Test>::get(project, 1).unwrap();
		assert_eq!(
			(n.parent, n.score, n.miner, n.proposal),
			(Some(0), -990_000, Some(account(MINER)), Some(id))
		);
		// The stake stays held through the challenge window.
		assert_eq!(tokens(project, &stake_account()), STAKE);
		assert!(!Rounds::<Test>::contains_key(id));
		for v in &verifiers {
			assert!(!Assignments::<Test>::contains_key(v, id));
			assert_eq!(
				stats(v),
				pallet_verifiers::Stats { rounds: 1, agreed: 1, deviant: 0, missed: 0 }
			);
			assert_eq!(bond(v), 1_000);
		}
		check();

		run_to_block(12);
		assert_eq!(tokens(project, &account(MINER)), 200);
		run_to_block(13);
		assert_eq!(
			status(id).clone(),
			ProposalStatus::Approved {
				node: 1,
				previous_best: 0,
				previous_score: BASELINE,
				challenge_until: 12,
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
			minted: 100
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
		assert_eq!(bond(&verifiers[0]), 900, "a deviant loses 10 % of its bond");
		assert_eq!(stats(&verifiers[1]).agreed, 1);
		assert_eq!(stats(&verifiers[2]).deviant, 1);
		check();
	});
}

// ---- Rejections -----------------------------------------------------------------------------

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
			to_verifiers: 48
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
			to_verifiers: 50
		}));
		assert_eq!(pending(&verifiers[0], project), Some(25));
		assert_eq!(pending(&verifiers[2], project), Some(25));
		assert_eq!(pending(&verifiers[1], project), None);
		assert_eq!(bond(&verifiers[1]), 900, "the lone score is deviant");
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

// ---- Releases and expiry --------------------------------------------------------------------

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
			assert_eq!(bond(v), 1_000, "nobody is slashed for an undecided round");
			assert_eq!(stats(v).agreed, 1);
		}
		assert_eq!(
			Candidates::<Test>::get(project, code(1).digest),
			None,
			"it may be proposed again"
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
		// The commit phase ends (block 6): the reveal phase starts with one commitment.
		run_to_block(6);
		assert_eq!(Rounds::<Test>::get(id).unwrap().phase, Phase::Reveal);
		reveal_verdict(id, &verifiers[0], &scored(-990_000));
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::TooFewVerdicts));
		assert_eq!(tokens(project, &account(MINER)), 300);
		assert_eq!(bond(&verifiers[0]), 1_000);
		for v in &verifiers[1..] {
			assert_eq!(stats(v).missed, 1);
			assert_eq!(bond(v), 900);
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
		run_to_block(5);
		assert_eq!(status(id), ProposalStatus::Verifying);
		run_to_block(6);
		assert_eq!(status(id), ProposalStatus::Expired);
		assert_eq!(tokens(project, &account(MINER)), 300);
		for v in &verifiers {
			assert_eq!(stats(v).missed, 1);
			assert_eq!(bond(v), 900);
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
		// Everyone committed in block 2: the reveal phase lasts to block 5.
		assert_eq!(Rounds::<Test>::get(id).unwrap().reveal_until, 5);
		reveal_verdict(id, &verifiers[0], &scored(-990_000));
		reveal_verdict(id, &verifiers[1], &scored(-990_000));
		run_to_block(5);
		assert_eq!(status(id), ProposalStatus::Verifying);
		run_to_block(6);
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		assert_eq!(stats(&verifiers[2]).missed, 1);
		check();
	});
}

#[test]
fn too_few_eligible_verifiers_release_the_stake_at_reveal() {
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
fn a_project_frozen_during_the_round_releases_the_stake() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_ok!(Registry::freeze_project(RuntimeOrigin::signed(account(1)), project));
		run_round(id, &vec![scored(-990_000); 3]);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::ProjectFrozen));
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
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

// ---- Commit and reveal ----------------------------------------------------------------------

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
fn a_commitment_to_a_project_frozen_before_its_reveal_gets_its_stake_back() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let c = commit(MINER, project, 0, 1, -990_000);
		assert_ok!(Registry::freeze_project(RuntimeOrigin::signed(account(1)), project));
		next_block();
		assert_noop!(try_reveal(MINER, c, 0, 1, -990_000, MINER), Error::<Test>::ProjectNotActive);
		run_to_block(7);
		assert!(
			events().contains(&Event::CommitmentReturned { who: account(MINER), commitment: c })
		);
		assert_eq!(tokens(project, &account(MINER)), 300);
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
			Props::reveal(RuntimeOrigin::none(), c, 0, code(1), -990_000, salt(MINER)),
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
fn deadlines_move_to_a_later_block_when_one_is_full() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		assert_ok!(Curve::buy(RuntimeOrigin::signed(account(20)), project, 100, u64::MAX));
		// Four deadlines fit in a block; the fifth commitment of block 1 expires in block 8.
		let mut commitments = vec![];
		for (who, tag) in [(MINER, 1), (MINER, 2), (RIVAL, 3), (RIVAL, 4), (20, 5)] {
			let c = Props::commitment_of(project, 0, &code(tag), 1, &salt(who), &account(who));
			assert_ok!(Props::commit(RuntimeOrigin::signed(account(who)), project, c, 10));
			commitments.push(c);
		}
		assert_eq!(Deadlines::<Test>::get(7).len(), 4);
		assert_eq!(Deadlines::<Test>::get(8).to_vec(), vec![Deadline::Reveal(commitments[4])]);
		run_to_block(7);
		assert_eq!(Commitments::<Test>::iter().count(), 1);
		// Revealed after its window but before its moved deadline: it is late all the same.
		assert_ok!(try_reveal(20, commitments[4], 0, 5, 1, 20));
		assert!(events().contains(&Event::StakeForfeited {
			who: account(20),
			commitment: commitments[4],
			amount: 10,
			reason: ForfeitReason::NotRevealed
		}));
		run_to_block(8);
		assert_eq!(Commitments::<Test>::iter().count(), 0);
		check();
	});
}

#[test]
fn commit_fails_when_every_block_a_deadline_could_take_is_full() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let full: BoundedVec<Deadline, _> =
			BoundedVec::truncate_from(vec![Deadline::VerdictCommit(999); 4]);
		for block in 7..7 + u64::from(crate::impls::MAX_DEADLINE_SHIFT) {
			Deadlines::<Test>::insert(block, full.clone());
		}
		assert_noop!(
			Props::commit(
				RuntimeOrigin::signed(account(MINER)),
				project,
				H256::repeat_byte(1),
				STAKE
			),
			Error::<Test>::TooManyDeadlines
		);
	});
}

// ---- Verdicts -------------------------------------------------------------------------------

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
			Some(Props::verdict_commitment(
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
			Props::verdict_commitment(id, &scored(-990_000), &H256::zero(), &verifiers[0]),
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
		run_to_block(6);
		assert_noop!(
			Props::commit_verdict(RuntimeOrigin::signed(verifiers[1].clone()), id, h),
			Error::<Test>::NotCommitPhase
		);
		run_to_block(10);
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
		run_to_block(6);
		let reveal_as = |who: &AccountId, verdict: VerdictOf<Test>, salt: H256, sig| {
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
			reveal_as(&verifiers[0], v.clone(), s0, sign(id + 1, &verifiers[0], &v)),
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
				sign(77, &verifiers[1], &v)
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
			fresh.sign(&Props::runner_payload(id, &v))
		));
		check();
	});
}

// ---- Races between proposals ----------------------------------------------------------------

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
		assert_eq!(Candidates::<Test>::get(project, code(1).digest), Some(o));
		run_round(f, &vec![scored(-990_000); 3]);
		assert_eq!(status(f), ProposalStatus::Rejected(RejectReason::Copied));
		assert_eq!(tokens(project, &account(RIVAL)), 200, "the copier's stake is slashed");
		run_round(o, &vec![scored(-990_000); 3]);
		assert!(matches!(status(o), ProposalStatus::Approved { .. }));
		check();
	});
}

// ---- Challenges -----------------------------------------------------------------------------

/// An approved proposal of the miner, with 9 verifiers registered.
fn approved() -> (ProjectId, ProposalId, Vec<AccountId>) {
	let project = setup(9);
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
		let round = Rounds::<Test>::get(id).unwrap();
		assert_eq!((round.kind, round.assignments.len()), (RoundKind::Challenge, 7));
		assert!(
			!assigned(id).contains(&account(MINER)) && !assigned(id).contains(&account(CHALLENGER))
		);
		assert!(matches!(status(id), ProposalStatus::Approved { challenged: true, .. }));
		check();
		let judges = run_round(id, &vec![scored(-999_000); 7]);
		assert_eq!(status(id), ProposalStatus::Overturned { node: 1, previous_best: 0 });
		assert_eq!(Registry::best(project), Some((0, BASELINE)));
		// The miner's stake: 7 shares of 7 to the challenge round, 51 burned.
		assert!(events().contains(&Event::StakeSlashed {
			proposal: id,
			burned: 51,
			to_verifiers: 49
		}));
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
			ProposalStatus::Approved { challenged: false, reward: RewardState::Pending, .. }
		));
		check();
		assert_ok!(Verifiers::claim_rewards(
			RuntimeOrigin::signed(judges[0].clone()),
			RewardAsset::Native
		));
		run_to_block(13);
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
		run_to_block(12);
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		let judges = assigned(id);
		for j in &judges {
			commit_verdict(id, j, &scored(-990_000));
		}
		run_to_block(13);
		assert!(
			matches!(status(id), ProposalStatus::Approved { reward: RewardState::Pending, .. }),
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
fn an_inconclusive_challenge_returns_the_bond() {
	new_test_ext().execute_with(|| {
		let (_, id, _) = approved();
		let before = Balances::free_balance(account(CHALLENGER));
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000));
		let judges = assigned(id);
		// Nobody answers: the commit phase ends in block 6.
		run_to_block(6);
		assert!(events().contains(&Event::ChallengeReleased { proposal: id }));
		assert_eq!(Balances::free_balance(account(CHALLENGER)), before);
		for j in &judges {
			assert_eq!(stats(j).missed, 1);
		}
		assert!(matches!(status(id), ProposalStatus::Approved { challenged: false, .. }));
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
		run_round(a, &vec![invalid(); 7]);
		assert!(matches!(status(a), ProposalStatus::Overturned { .. }));
		assert_eq!(Registry::best(project), Some((2, -985_000)));
		check();
		// Overturning b goes back past a to the baseline.
		assert_ok!(Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), b, 1_000));
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
fn challenge_refuses_a_closed_window_and_a_thin_verifier_set() {
	new_test_ext().execute_with(|| {
		let (project, id, _) = approved();
		run_to_block(13);
		assert_noop!(
			Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), id, 1_000),
			Error::<Test>::NotChallengeable
		);
		let b = propose(RIVAL, project, 1, 2, -985_000);
		run_round(b, &vec![scored(-985_000); 3]);
		let until = match status(b) {
			ProposalStatus::Approved { challenge_until, .. } => challenge_until,
			s => panic!("{s:?}"),
		};
		// Seven verifiers other than the miner and the challenger are needed; nine are
		// registered: leave six.
		for n in [10u8, 11, 12] {
			assert_ok!(Verifiers::unbond(RuntimeOrigin::signed(account(n)), 1_000));
		}
		assert_noop!(
			Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), b, 1_000),
			Error::<Test>::NotEnoughVerifiers
		);
		// The window's last block is still open; the one after is not (the reward is due
		// there, so the window can only be seen closed before the hook pays: set the block).
		System::set_block_number(until + 1);
		assert_noop!(
			Props::challenge(RuntimeOrigin::signed(account(CHALLENGER)), b, 1_000),
			Error::<Test>::ChallengeWindowClosed
		);
	});
}

// ---- Arithmetic -----------------------------------------------------------------------------

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
fn the_runtime_api_lists_a_project_s_proposals_and_a_verifier_s_jobs() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let a = propose(MINER, project, 0, 1, -990_000);
		let b = propose(RIVAL, project, 0, 2, -991_000);
		let listed: Vec<ProposalId> =
			Props::proposals_of(project).into_iter().map(|(id, _)| id).collect();
		assert_eq!(listed, vec![a, b]);
		assert!(Props::proposals_of(project + 1).is_empty());
		let v = assigned(a)[0].clone();
		let jobs = Props::jobs_of(&v);
		let job = jobs.iter().find(|j| j.proposal == a).expect("a job for a");
		assert_eq!(
			(job.project, job.kind, job.parent, job.claimed_score),
			(project, RoundKind::Initial, 0, -990_000)
		);
		assert_eq!(
			(job.code.clone(), job.seed, job.phase),
			(code(1), Rounds::<Test>::get(a).unwrap().seed, Phase::Commit)
		);
		assert_eq!((job.committed, job.revealed), (false, false));
		commit_verdict(a, &v, &scored(-990_000));
		assert!(Props::jobs_of(&v).iter().any(|j| j.proposal == a && j.committed));
		run_round(b, &vec![scored(-991_000); 3]);
		assert!(Props::jobs_of(&v).iter().all(|j| j.proposal != b), "a settled round is no job");
		assert!(Props::jobs_of(&account(MINER)).is_empty());
	});
}
