//! Unit tests: every settlement outcome, every error, and the attacks the design must stop.

use crate::{mock::*, tally::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold as _, fungibles::Inspect as _},
	BoundedVec,
};
use pallet_projects::{CurveParams, Lineage, Protocol};
use pallet_verifiers::{RewardAsset, VerifierRewards as _};
use poi_primitives::{ArtifactRef, Evaluators};
use sp_core::{sr25519, Pair as _, H256};
use sp_runtime::{traits::Convert, DispatchError};

mod arithmetic;
mod attacks;
mod challenges;
mod commit_reveal;
mod fair_play;
mod fees;
mod happy_path;
mod offchain;
mod properties;
mod races;
mod rejections;
mod releases;
mod verdicts;

const BASELINE: Score = -997_900;
const STAKE: u64 = 100;
const MINER: u8 = 2;
const RIVAL: u8 = 3;
const CHALLENGER: u8 = 4;
/// Blocks a released candidate stays reserved for its miner (`ReservationPeriod`).
const RESERVATION: u64 = 20;

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
/// `verifiers` verifiers (accounts 10, 11, ...) with bonds of 100 000 (worth more than the
/// reward), and 300 tokens each for
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
			100_000,
			runner(n).public(),
			Evaluators::ALL
		));
	}
	for who in [MINER, RIVAL] {
		assert_ok!(Curve::buy(RuntimeOrigin::signed(account(who)), project, 300, u64::MAX));
	}
	project
}

fn code(tag: u8) -> ArtifactRef {
	ArtifactRef { digest: H256::repeat_byte(tag), cid: BoundedVec::truncate_from(vec![b'Q'; 46]) }
}

fn log() -> ArtifactRef {
	ArtifactRef { digest: H256::repeat_byte(0xAA), cid: BoundedVec::truncate_from(vec![b'L'; 46]) }
}

fn scored(score: Score) -> Verdict {
	Verdict::Score { score, log: log() }
}

fn invalid() -> Verdict {
	Verdict::Invalid { log: log() }
}

fn harness() -> Verdict {
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

/// The hash of `claim` with the salt of `who`.
fn claim_of(who: u8, claim: Score) -> H256 {
	poi_primitives::claim_hash(claim, &salt(who))
}

/// The commitment of a proposal of `who`.
fn commitment(who: u8, project: ProjectId, parent: NodeId, tag: u8, claim: Score) -> H256 {
	poi_primitives::proposal_commitment(
		project,
		parent,
		&code(tag),
		&claim_of(who, claim),
		&account(who),
	)
}

/// Commits a proposal of `who` in this block; returns its commitment.
fn commit(who: u8, project: ProjectId, parent: NodeId, tag: u8, claim: Score) -> H256 {
	let c = commitment(who, project, parent, tag, claim);
	assert_ok!(Props::commit(RuntimeOrigin::signed(account(who)), project, c, STAKE));
	c
}

std::thread_local! {
	/// The claims of the proposals revealed by [`reveal`], which [`reveal_verdict`] reveals
	/// for their miners once the commit phase is over.
	static CLAIMS: core::cell::RefCell<std::collections::BTreeMap<ProposalId, (u8, Score)>> =
		const { core::cell::RefCell::new(std::collections::BTreeMap::new()) };
}

/// The miner of proposal `id` reveals its claim (as [`reveal`] recorded it).
fn try_reveal_claim(id: ProposalId) -> sp_runtime::DispatchResult {
	let (who, claim) = CLAIMS.with(|c| c.borrow().get(&id).copied()).expect("revealed");
	Props::reveal_claim(RuntimeOrigin::signed(account(who)), id, claim, salt(who))
}

/// The miner reveals its claim unless it did, once its round's commit phase is over: what an
/// honest miner's client does.
fn reveal_claim_when_due(id: ProposalId) {
	let Some(round) = Rounds::<Test>::get(id) else { return };
	let hidden = Proposals::<Test>::get(id).is_some_and(|p| p.claim.score().is_none());
	if round.kind == RoundKind::Initial && hidden && round.phase_at(&now()) == Phase::Reveal {
		assert_ok!(try_reveal_claim(id));
	}
}

/// Blocks from a reveal (or a challenge) to its round's draw.
const DRAW_DELAY: u64 = 2;

/// Runs to the block whose hook draws the rounds scheduled in this block.
fn draw() {
	run_to_block(now() + DRAW_DELAY);
}

/// Reveals a commitment made by `commit` and runs to its round's draw; returns the proposal
/// id.
fn reveal(who: u8, c: H256, parent: NodeId, tag: u8, claim: Score) -> ProposalId {
	assert_ok!(try_reveal(who, c, parent, tag, claim, who));
	let id = NextProposalId::<Test>::get() - 1;
	CLAIMS.with(|c| c.borrow_mut().insert(id, (who, claim)));
	draw();
	id
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
	Props::reveal(
		RuntimeOrigin::signed(account(who)),
		c,
		parent,
		code(tag),
		claim_of(salt_of, claim),
	)
}

/// Commits in this block, reveals in the next, and runs to the round's draw; returns the
/// proposal id.
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

fn commit_verdict(id: ProposalId, who: &AccountId, verdict: &Verdict) {
	let c = poi_primitives::verdict_commitment(id, verdict, &verdict_salt(who), who);
	assert_ok!(Props::commit_verdict(RuntimeOrigin::signed(who.clone()), id, c));
}

/// What `who`'s runner signs for `verdict` in the running round of `id`.
fn payload(id: ProposalId, who: &AccountId, verdict: &Verdict) -> Vec<u8> {
	let round = Rounds::<Test>::get(id).expect("a running round");
	Props::runner_payload(id, round.kind, &round.seed, who, verdict)
}

fn sign(id: ProposalId, who: &AccountId, verdict: &Verdict) -> sr25519::Signature {
	runner(number(who)).sign(&payload(id, who, verdict))
}

/// `who` reveals its verdict; the miner revealed its claim first (see
/// [`reveal_claim_when_due`]).
fn reveal_verdict(id: ProposalId, who: &AccountId, verdict: &Verdict) {
	reveal_claim_when_due(id);
	assert_ok!(Props::reveal_verdict(
		RuntimeOrigin::signed(who.clone()),
		id,
		verdict.clone(),
		verdict_salt(who),
		sign(id, who, verdict)
	));
}

/// The assigned verifiers commit `verdicts` (in drawing order) and then reveal them.
fn run_round(id: ProposalId, verdicts: &[Verdict]) -> Vec<AccountId> {
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

fn pending_native(who: &AccountId) -> Option<u64> {
	pallet_verifiers::PendingRewards::<Test>::get(who, RewardAsset::Native)
}

fn stake_account() -> AccountId {
	Props::account_id()
}
