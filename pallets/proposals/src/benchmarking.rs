//! Benchmarks of pallet-proposals (v2): every call and the hook's per-deadline cost, each at
//! its worst case. Runner signatures are made with an sr25519 key of the benchmark's keystore.

use super::*;
use crate::Pallet as Props;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect as _, Mutate as _, MutateHold as _},
		fungibles::{Inspect as _, Mutate as _},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use pallet_bonding_curve::TokenRewards;
use pallet_projects::{BenchmarkProjects, CurveParams, Lineage};
use pallet_verifiers::VerifierRegistry;
use poi_primitives::ArtifactRef;
use sp_core::crypto::KeyTypeId;
use sp_runtime::traits::{Bounded, Convert, One, Saturating, Zero};

/// The keystore key type of the runner keys the benchmarks make.
const BENCH_KEY: KeyTypeId = KeyTypeId(*b"bnch");

fn ed<T: Config>() -> BalanceOf<T> {
	T::Currency::minimum_balance()
}

fn rich<T: Config>(who: &T::AccountId) {
	T::Currency::set_balance(who, ed::<T>().saturating_mul(1_000_000_000u32.into()));
}

/// A project (with the largest quorum the registry allows) and a funded creator.
fn project<T: Config>() -> Result<ProjectId, BenchmarkError> {
	let creator: T::AccountId = account("creator", 0, 0);
	rich::<T>(&creator);
	let curve = CurveParams {
		base_price: ed::<T>().saturating_mul(10u32.into()),
		slope: ed::<T>(),
		miner_pool_cap: BalanceOf::<T>::max_value(),
		reward_per_approval: 10u32.into(),
		initial_escrow: ed::<T>().saturating_mul(1_000_000u32.into()),
	};
	Ok(T::BenchmarkHelper::create_benchmark_project(creator, curve)?)
}

fn quorum<T: Config>(project: ProjectId) -> u32 {
	T::Projects::round_terms(project).map(|t| t.quorum).unwrap_or(1)
}

/// `who` holds plenty of `project`'s tokens.
fn tokens<T: Config>(project: ProjectId, who: &T::AccountId) -> Result<(), BenchmarkError> {
	rich::<T>(who);
	T::Assets::mint_into(T::ProjectAssetId::convert(project), who, 1_000_000u32.into())?;
	Ok(())
}

fn artifact(tag: u8) -> ArtifactRef {
	ArtifactRef {
		digest: H256::repeat_byte(tag),
		cid: BoundedVec::truncate_from(vec![b'Q'; poi_primitives::MAX_CID_LEN as usize]),
	}
}

/// Registers `count` verifiers whose runner keys are in the keystore.
fn verifiers<T: Config>(count: u32) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let mut all = Vec::new();
	for n in 0..count {
		let who: T::AccountId = account("verifier", n, 0);
		let key = sp_io::crypto::sr25519_generate(BENCH_KEY, None);
		T::Verifiers::register_for_benchmark(&who, key)?;
		all.push(who);
	}
	Ok(all)
}

/// Registers verifiers (their runner keys in the keystore) until `total` are registered, the
/// chain's own (genesis) verifiers included, at most `max_verifiers`.
fn fill_to<T: Config>(total: u32) -> Result<(), BenchmarkError> {
	let total = total.min(T::Verifiers::max_verifiers());
	let mut n = 0u32;
	while T::Verifiers::registered() < total {
		let who: T::AccountId = account("judge", n, 0);
		let key = sp_io::crypto::sr25519_generate(BENCH_KEY, None);
		T::Verifiers::register_for_benchmark(&who, key)?;
		n = n.saturating_add(1);
	}
	Ok(())
}

/// A miner's proposal whose round of `q` verifiers runs (built directly, so that `q` is free
/// of the project's quorum); returns its id, miner and verifiers.
fn round<T: Config>(
	q: u32,
) -> Result<(ProposalId, T::AccountId, Vec<T::AccountId>), BenchmarkError> {
	let project = project::<T>()?;
	let miner: T::AccountId = account("miner", 0, 0);
	tokens::<T>(project, &miner)?;
	let verifiers = verifiers::<T>(q)?;
	let claim = poi_primitives::claim_hash(CLAIM, &CLAIM_SALT);
	let commitment = poi_primitives::proposal_commitment(project, 0, &artifact(1), &claim, &miner);
	Props::<T>::do_commit(miner.clone(), project, commitment, stake::<T>(project))?;
	frame_system::Pallet::<T>::set_block_number(
		frame_system::Pallet::<T>::block_number().saturating_add(T::RevealDelay::get()),
	);
	let id = NextProposalId::<T>::get();
	NextProposalId::<T>::put(id.saturating_add(1));
	Commitments::<T>::remove(commitment);
	Candidates::<T>::insert(
		project,
		H256::repeat_byte(1),
		CandidateHold { proposal: id, priority: Zero::zero() },
	);
	Props::<T>::list_proposal(project, id)?;
	let fee = T::VerifierFee::get().saturating_mul(q.into());
	T::Currency::hold(&HoldReason::VerificationFee.into(), &miner, fee)?;
	let deposit = T::ProposalDeposit::get();
	T::Currency::hold(&HoldReason::ProposalDeposit.into(), &miner, deposit)?;
	Proposals::<T>::insert(
		id,
		Proposal {
			proposer: miner.clone(),
			project,
			parent: 0,
			code: artifact(1),
			claim: Claim::Hidden(claim),
			stake: stake::<T>(project),
			fee,
			deposit,
			committed_at: Zero::zero(),
			revealed_at: frame_system::Pallet::<T>::block_number(),
			verified_score: None,
			status: ProposalStatus::Verifying,
		},
	);
	Props::<T>::schedule_round(id, RoundKind::Initial, None)?;
	let mut round = Rounds::<T>::get(id).ok_or(BenchmarkError::Stop("scheduled"))?;
	Props::<T>::start_round(id, &mut round, H256::repeat_byte(2), verifiers.clone())?;
	Rounds::<T>::insert(id, round);
	Ok((id, miner, verifiers))
}

/// The claimed score of the benchmarks' proposals, and the salt of its hash.
const CLAIM: Score = 1;
const CLAIM_SALT: H256 = H256::repeat_byte(1);

/// The smallest stake that is worth `MinStakeValue` on `project`'s curve.
fn stake<T: Config>(project: ProjectId) -> BalanceOf<T> {
	let mut stake = T::MinStake::get();
	for _ in 0..64 {
		if T::Tokens::value(project, stake).is_some_and(|v| v >= T::MinStakeValue::get()) {
			break;
		}
		stake = stake.saturating_mul(2u32.into());
	}
	stake
}

/// The miner reveals the claim of its proposal `id` (its round's commit phase is over).
fn reveal_claim_of<T: Config>(id: ProposalId, miner: &T::AccountId) {
	assert!(Props::<T>::do_reveal_claim(miner.clone(), id, CLAIM, CLAIM_SALT).is_ok());
}

fn commit_verdict_of<T: Config>(id: ProposalId, who: &T::AccountId, verdict: &Verdict) {
	let c = poi_primitives::verdict_commitment(id, verdict, &H256::zero(), who);
	assert!(Props::<T>::do_commit_verdict(who.clone(), id, c).is_ok());
}

fn signature<T: Config>(
	id: ProposalId,
	who: &T::AccountId,
	verdict: &Verdict,
) -> sp_core::sr25519::Signature {
	let key = T::Verifiers::runner_key(who).expect("registered");
	let round = Rounds::<T>::get(id).expect("a running round");
	let payload = Props::<T>::runner_payload(id, round.kind, &round.seed, who, verdict);
	sp_io::crypto::sr25519_sign(BENCH_KEY, &key, &payload).expect("the key is in the keystore")
}

fn scored(score: Score) -> Verdict {
	Verdict::Score { score, log: artifact(0xAA) }
}

/// The verdicts of a round of `q` on the benchmarks' claim: a majority far below it (the
/// proposal is rejected `Misclaimed`), the others far above (deviant).
fn misclaimed(q: usize) -> Vec<Verdict> {
	let majority = q / 2 + 1;
	(0..q).map(|i| if i < majority { scored(-1_000_000) } else { scored(1_000_000) }).collect()
}

/// A miner's proposal approved by a round of one verifier (its challenge window open); its
/// id.
fn approved<T: Config>() -> Result<ProposalId, BenchmarkError> {
	let (id, miner, verifiers) = round::<T>(1)?;
	let v0 = &verifiers[0];
	let verdict = scored(1_000);
	commit_verdict_of::<T>(id, v0, &verdict);
	reveal_claim_of::<T>(id, &miner);
	let sig = signature::<T>(id, v0, &verdict);
	Props::<T>::do_reveal_verdict(v0.clone(), id, verdict, H256::zero(), sig)?;
	assert!(matches!(
		Proposals::<T>::get(id).map(|p| p.status),
		Some(ProposalStatus::Approved { .. })
	));
	Ok(id)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The first stake the pallet account takes in this token (its asset account is
	/// created).
	#[benchmark]
	fn commit() -> Result<(), BenchmarkError> {
		let project = project::<T>()?;
		let miner: T::AccountId = whitelisted_caller();
		tokens::<T>(project, &miner)?;
		let commitment = H256::repeat_byte(9);

		let stake = stake::<T>(project);

		#[extrinsic_call]
		_(RawOrigin::Signed(miner), project, commitment, stake);

		assert!(Commitments::<T>::contains_key(commitment));
		Ok(())
	}

	/// A reveal with `v` registered verifiers (the round is drawn later, in the hook:
	/// `on_initialize_draw`).
	#[benchmark]
	fn reveal(v: Linear<1, { T::Verifiers::max_verifiers() }>) -> Result<(), BenchmarkError> {
		let project = project::<T>()?;
		let q = quorum::<T>(project);
		fill_to::<T>(v.max(q))?;
		let miner: T::AccountId = whitelisted_caller();
		tokens::<T>(project, &miner)?;
		let code = artifact(1);
		let claim = poi_primitives::claim_hash(CLAIM, &CLAIM_SALT);
		let commitment = poi_primitives::proposal_commitment(project, 0, &code, &claim, &miner);
		Props::<T>::do_commit(miner.clone(), project, commitment, stake::<T>(project))?;
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(T::RevealDelay::get()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(miner), commitment, 0, code, claim);

		assert_eq!(Rounds::<T>::get(0).map(|r| r.phase), Some(Phase::Draw));
		Ok(())
	}

	/// The last commitment of a round of `q`: the reveal phase starts.
	#[benchmark]
	fn commit_verdict(q: Linear<1, { T::MaxQuorum::get() }>) -> Result<(), BenchmarkError> {
		let (id, _, verifiers) = round::<T>(q)?;
		let (last, others) = verifiers.split_last().expect("q >= 1");
		for v in others {
			commit_verdict_of::<T>(id, v, &scored(1));
		}
		let c = poi_primitives::verdict_commitment(id, &scored(1), &H256::zero(), last);

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), id, c);

		assert_eq!(Rounds::<T>::get(id).map(|r| r.phase), Some(Phase::Reveal));
		Ok(())
	}

	/// The last reveal of a round of `q`, settling it: a majority agrees on a score far below
	/// the claim (rejected: the stake is split among them and burned), the others are deviant
	/// (their bonds slashed).
	#[benchmark]
	fn reveal_verdict(q: Linear<1, { T::MaxQuorum::get() }>) -> Result<(), BenchmarkError> {
		let (id, miner, verifiers) = round::<T>(q)?;
		let verdicts = misclaimed(verifiers.len());
		for (v, verdict) in verifiers.iter().zip(&verdicts) {
			commit_verdict_of::<T>(id, v, verdict);
		}
		reveal_claim_of::<T>(id, &miner);
		let (last, others) = verifiers.split_last().expect("q >= 1");
		for (v, verdict) in others.iter().zip(&verdicts) {
			let sig = signature::<T>(id, v, verdict);
			Props::<T>::do_reveal_verdict(v.clone(), id, verdict.clone(), H256::zero(), sig)?;
		}
		let verdict = verdicts.last().cloned().expect("q >= 1");
		let sig = signature::<T>(id, last, &verdict);

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), id, verdict, H256::zero(), sig);

		assert!(!Rounds::<T>::contains_key(id));
		assert!(matches!(
			Proposals::<T>::get(id).map(|p| p.status),
			Some(ProposalStatus::Rejected(RejectReason::Misclaimed))
		));
		Ok(())
	}

	/// The last reveal of a round of `q` that approves the proposal: every verdict agrees on
	/// a score above the claim; a lineage node, the new best, the reward minted at today's
	/// price into the pallet's account, the fee credited to all `q`.
	#[benchmark]
	fn reveal_verdict_approve(q: Linear<1, { T::MaxQuorum::get() }>) -> Result<(), BenchmarkError> {
		let (id, miner, verifiers) = round::<T>(q)?;
		let verdict = scored(1_000);
		for v in verifiers.iter() {
			commit_verdict_of::<T>(id, v, &verdict);
		}
		reveal_claim_of::<T>(id, &miner);
		let (last, others) = verifiers.split_last().expect("q >= 1");
		for v in others {
			let sig = signature::<T>(id, v, &verdict);
			Props::<T>::do_reveal_verdict(v.clone(), id, verdict.clone(), H256::zero(), sig)?;
		}
		let sig = signature::<T>(id, last, &verdict);

		#[extrinsic_call]
		reveal_verdict(RawOrigin::Signed(last.clone()), id, verdict, H256::zero(), sig);

		assert!(matches!(
			Proposals::<T>::get(id).map(|p| p.status),
			Some(ProposalStatus::Approved { reward: RewardState::Escrowed { .. }, .. })
		));
		Ok(())
	}

	/// The claim's reveal after every verdict of a round of `q`, settling it as
	/// `reveal_verdict` does: a majority below the claim (rejected), the others deviant.
	#[benchmark]
	fn reveal_claim(q: Linear<1, { T::MaxQuorum::get() }>) -> Result<(), BenchmarkError> {
		let (id, miner, verifiers) = round::<T>(q)?;
		let verdicts = misclaimed(verifiers.len());
		for (v, verdict) in verifiers.iter().zip(&verdicts) {
			commit_verdict_of::<T>(id, v, verdict);
		}
		for (v, verdict) in verifiers.iter().zip(&verdicts) {
			let sig = signature::<T>(id, v, verdict);
			Props::<T>::do_reveal_verdict(v.clone(), id, verdict.clone(), H256::zero(), sig)?;
		}
		assert!(Rounds::<T>::contains_key(id), "the round waits for the claim");

		#[extrinsic_call]
		_(RawOrigin::Signed(miner), id, CLAIM, CLAIM_SALT);

		assert!(matches!(
			Proposals::<T>::get(id).map(|p| p.status),
			Some(ProposalStatus::Rejected(RejectReason::Misclaimed))
		));
		Ok(())
	}

	/// Challenging an approval with `v` registered verifiers (the round is drawn later, in
	/// the hook: `on_initialize_draw`).
	#[benchmark]
	fn challenge(v: Linear<1, { T::Verifiers::max_verifiers() }>) -> Result<(), BenchmarkError> {
		let id = approved::<T>()?;
		let p = Proposals::<T>::get(id).expect("stored");
		let q = quorum::<T>(p.project).saturating_mul(2).saturating_add(1).min(T::MaxQuorum::get());
		fill_to::<T>(v.max(q))?;
		let challenger: T::AccountId = whitelisted_caller();
		rich::<T>(&challenger);

		#[extrinsic_call]
		_(RawOrigin::Signed(challenger), id, T::MinChallengeBond::get());

		assert_eq!(Rounds::<T>::get(id).map(|r| r.kind), Some(RoundKind::Challenge));
		Ok(())
	}

	/// One due deadline at its most expensive draw: a challenge round of the largest quorum
	/// the project allows (`2 * quorum + 1`, capped by `MaxQuorum`) drawn from `v` registered
	/// verifiers, none of them excluded but the proposer.
	#[benchmark]
	fn on_initialize_draw(
		v: Linear<1, { T::Verifiers::max_verifiers() }>,
	) -> Result<(), BenchmarkError> {
		let id = approved::<T>()?;
		let p = Proposals::<T>::get(id).expect("stored");
		let q = quorum::<T>(p.project).saturating_mul(2).saturating_add(1).min(T::MaxQuorum::get());
		fill_to::<T>(v.max(q.saturating_add(1)))?;
		let challenger: T::AccountId = whitelisted_caller();
		rich::<T>(&challenger);
		Props::<T>::do_challenge(challenger, id, T::MinChallengeBond::get())?;
		let due = frame_system::Pallet::<T>::block_number().saturating_add(T::DrawDelay::get());
		frame_system::Pallet::<T>::set_block_number(due);

		#[block]
		{
			Props::<T>::process_deadlines(due);
		}

		let round = Rounds::<T>::get(id).expect("running");
		assert_eq!(round.phase, Phase::Commit);
		assert!(!round.assignments.is_empty());
		Ok(())
	}

	/// The last reveal of a challenge round of `q` verifiers that overturns an approval: the
	/// miner's stake split among the `q` (credited one by one), the challenger's bounty, its
	/// bond released, the approvers penalised, the best reverted.
	#[benchmark]
	fn reveal_verdict_overturn(
		q: Linear<1, { T::MaxQuorum::get() }>,
	) -> Result<(), BenchmarkError> {
		let id = approved::<T>()?;
		let challenger: T::AccountId = whitelisted_caller();
		rich::<T>(&challenger);
		Props::<T>::do_challenge(challenger, id, T::MinChallengeBond::get())?;
		let mut judges = Vec::new();
		for n in 0..q {
			let who: T::AccountId = account("judge", n, 0);
			let key = sp_io::crypto::sr25519_generate(BENCH_KEY, None);
			T::Verifiers::register_for_benchmark(&who, key)?;
			judges.push(who);
		}
		let mut round = Rounds::<T>::get(id).ok_or(BenchmarkError::Stop("challenged"))?;
		Props::<T>::start_round(id, &mut round, H256::repeat_byte(3), judges.clone())?;
		Rounds::<T>::insert(id, round);
		// Every judge finds the candidate far worse than claimed.
		let low = scored(-1_000_000);
		for j in &judges {
			commit_verdict_of::<T>(id, j, &low);
		}
		let (last, others) = judges.split_last().expect("q >= 1");
		for j in others {
			let sig = signature::<T>(id, j, &low);
			Props::<T>::do_reveal_verdict(j.clone(), id, low.clone(), H256::zero(), sig)?;
		}
		let sig = signature::<T>(id, last, &low);

		#[extrinsic_call]
		reveal_verdict(RawOrigin::Signed(last.clone()), id, low, H256::zero(), sig);

		assert!(matches!(
			Proposals::<T>::get(id).map(|p| p.status),
			Some(ProposalStatus::Overturned { .. })
		));
		Ok(())
	}

	/// One due deadline that closes an approval's challenge window: the stake returned and the
	/// reward (minted at the approval) paid.
	#[benchmark]
	fn on_initialize_reward() -> Result<(), BenchmarkError> {
		let id = approved::<T>()?;
		let Some(ProposalStatus::Approved { challenge_until, .. }) =
			Proposals::<T>::get(id).map(|p| p.status)
		else {
			return Err(BenchmarkError::Stop("approved"));
		};
		let due = challenge_until.saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(due);

		#[block]
		{
			Props::<T>::process_deadlines(due);
		}

		assert!(matches!(
			Proposals::<T>::get(id).map(|p| p.status),
			Some(ProposalStatus::Approved { reward: RewardState::Paid(_), .. })
		));
		Ok(())
	}

	/// One due deadline of the commitments' lane: a commitment never revealed, its stake
	/// burned.
	#[benchmark]
	fn on_initialize_forfeit() -> Result<(), BenchmarkError> {
		let project = project::<T>()?;
		let miner: T::AccountId = account("miner", 0, 0);
		tokens::<T>(project, &miner)?;
		let commitment = H256::repeat_byte(9);
		Props::<T>::do_commit(miner, project, commitment, stake::<T>(project))?;
		let due = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::RevealWindow::get())
			.saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(due);

		#[block]
		{
			Props::<T>::process_deadlines(due);
		}

		assert!(!Commitments::<T>::contains_key(commitment));
		Ok(())
	}

	/// The hook with nothing due.
	#[benchmark]
	fn on_initialize_base() {
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Props::<T>::process_deadlines(now);
		}
	}

	/// One due deadline at its worst: the reveal phase of a round of `q` ends with every
	/// verdict committed and none revealed; every verifier is penalised for a missed duty and
	/// the stake returned.
	#[benchmark]
	fn on_initialize_item(q: Linear<1, { T::MaxQuorum::get() }>) -> Result<(), BenchmarkError> {
		let (id, miner, verifiers) = round::<T>(q)?;
		for v in &verifiers {
			commit_verdict_of::<T>(id, v, &scored(1));
		}
		let due = Rounds::<T>::get(id)
			.map(|r| r.reveal_until)
			.expect("running")
			.saturating_add(One::one());
		assert!(Deadlines::<T>::iter_values()
			.any(|s| s.item == Deadline::VerdictReveal(id) && s.due == due));
		frame_system::Pallet::<T>::set_block_number(due);
		let project = Proposals::<T>::get(id).map(|p| p.project).expect("stored");
		let before = T::Assets::balance(T::ProjectAssetId::convert(project), &miner);

		#[block]
		{
			Props::<T>::process_deadlines(due);
		}

		assert!(matches!(Proposals::<T>::get(id).map(|p| p.status), Some(ProposalStatus::Expired)));
		assert!(T::Assets::balance(T::ProjectAssetId::convert(project), &miner) > before);
		Ok(())
	}

	impl_benchmark_test_suite!(Props, crate::mock::bench_ext(), crate::mock::Test);
}
