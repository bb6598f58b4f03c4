//! What the verifiers' off-chain worker asks of this pallet ([`pallet_verifiers::VerifierJobs`]):
//! a verifier's rounds as jobs for its runner, and the verdict calls. Verdicts cross between the
//! worker's wire type and [`Verdict`], which encode alike.

use crate::{
	types::{Phase as ChainPhase, RoundKind as ChainRoundKind, Verdict},
	ArtifactOf, Call, Config, Pallet, VerdictOf,
};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::BoundedVec;
use pallet_projects::{Direction as ChainDirection, Evaluator, Lineage};
use poi_offchain::{
	wire::{self, Artifact, Direction, EvaluatorSpec, JobRequest, RoundKind},
	worker::{LocalJob, Phase},
};
use sp_core::H256;
use sp_runtime::traits::Zero;

/// The wire form of an artifact.
pub fn artifact_to_wire<T: Config>(artifact: &ArtifactOf<T>) -> Artifact {
	Artifact::new(artifact.digest, artifact.cid.to_vec())
}

/// The chain form of an artifact; `None` when its CID is longer than the chain's bound.
pub fn artifact_from_wire<T: Config>(artifact: &Artifact) -> Option<ArtifactOf<T>> {
	Some(pallet_projects::ArtifactRef {
		digest: artifact.digest,
		cid: BoundedVec::try_from(artifact.cid.clone()).ok()?,
	})
}

/// The wire form of a round kind.
pub fn round_to_wire(kind: ChainRoundKind) -> RoundKind {
	match kind {
		ChainRoundKind::Initial => RoundKind::Initial,
		ChainRoundKind::Challenge => RoundKind::Challenge,
	}
}

/// The wire form of an account id: its SCALE encoding, which is its 32 bytes for the
/// runtime's `AccountId32` (zero-padded or cut to 32 bytes for other account types).
pub fn account_to_wire<T: Config>(who: &T::AccountId) -> H256 {
	let bytes = who.encode();
	let mut id = [0u8; 32];
	let n = bytes.len().min(32);
	id[..n].copy_from_slice(&bytes[..n]);
	H256(id)
}

/// The chain form of a runner's verdict; `None` when its log's CID is too long.
pub fn verdict_from_wire<T: Config>(verdict: &wire::Verdict) -> Option<VerdictOf<T>> {
	Some(match verdict {
		wire::Verdict::Score { score, log } => {
			Verdict::Score { score: *score, log: artifact_from_wire::<T>(log)? }
		},
		wire::Verdict::HarnessError { log } => {
			Verdict::HarnessError { log: artifact_from_wire::<T>(log)? }
		},
		wire::Verdict::Invalid { log } => Verdict::Invalid { log: artifact_from_wire::<T>(log)? },
	})
}

impl<T: Config> Pallet<T> {
	/// The chain's genesis hash as the runner signs it.
	pub fn genesis_hash() -> H256 {
		let genesis = frame_system::Pallet::<T>::block_hash(
			frame_system::pallet_prelude::BlockNumberFor::<T>::zero(),
		);
		H256::decode(&mut &genesis.encode()[..]).unwrap_or_default()
	}

	/// `who`'s running rounds as jobs for its runner, oldest first.
	pub fn local_jobs(who: &T::AccountId) -> Vec<LocalJob> {
		let genesis = Self::genesis_hash();
		Self::assignments_of(who)
			.into_iter()
			.filter_map(|job| {
				let protocol = T::Projects::protocol(job.project)?;
				let request = JobRequest {
					genesis,
					proposal: job.proposal,
					project: job.project,
					round: round_to_wire(job.kind),
					seed: job.seed,
					verifier: account_to_wire::<T>(who),
					evaluator: match protocol.evaluator {
						Evaluator::Wasm { fuel } => EvaluatorSpec::Wasm { fuel },
						Evaluator::CandleGpt { steps } => EvaluatorSpec::CandleGpt { steps },
					},
					direction: match protocol.metric.direction {
						ChainDirection::Maximize => Direction::Maximize,
						ChainDirection::Minimize => Direction::Minimize,
					},
					scale_exponent: protocol.metric.scale_exponent,
					document: artifact_to_wire::<T>(&protocol.document),
					benchmark: artifact_to_wire::<T>(&protocol.benchmark),
					code: artifact_to_wire::<T>(&job.code),
				};
				Some(LocalJob {
					request,
					phase: match job.phase {
						// `assignments_of` lists drawn rounds only.
						ChainPhase::Draw => return None,
						ChainPhase::Commit => Phase::Commit,
						ChainPhase::Reveal => Phase::Reveal,
					},
					committed: job.committed,
					revealed: job.revealed,
				})
			})
			.collect()
	}
}

impl<T: Config> pallet_verifiers::VerifierJobs<T::AccountId> for Pallet<T> {
	type Call = Call<T>;

	fn jobs(who: &T::AccountId) -> Vec<LocalJob> {
		Self::local_jobs(who)
	}

	fn commitment(
		who: &T::AccountId,
		proposal: u64,
		verdict: &wire::Verdict,
		salt: &H256,
	) -> Option<H256> {
		Some(Self::verdict_commitment(proposal, &verdict_from_wire::<T>(verdict)?, salt, who))
	}

	fn commit_call(proposal: u64, commitment: H256) -> Call<T> {
		Call::commit_verdict { proposal, commitment }
	}

	fn reveal_call(
		proposal: u64,
		verdict: &wire::Verdict,
		salt: H256,
		signature: &wire::Signature,
	) -> Option<Call<T>> {
		Some(Call::reveal_verdict {
			proposal,
			verdict: verdict_from_wire::<T>(verdict)?,
			salt,
			runner_signature: sp_core::sr25519::Signature::from_raw(signature.0),
		})
	}
}
