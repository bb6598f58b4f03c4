//! What the verifiers' off-chain worker asks of this pallet ([`pallet_verifiers::VerifierJobs`]):
//! a verifier's rounds as jobs for its runner, and the verdict calls. The job carries the
//! chain's own types (`poi_primitives`), so nothing is converted on the way.

use crate::{Call, Config, Pallet};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use pallet_projects::Lineage;
use poi_offchain::{
	wire::{JobRequest, Signature},
	worker::LocalJob,
};
use poi_primitives::{account_bytes, ProposalId, Verdict};
use sp_core::H256;
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	/// The chain's genesis hash as the runner signs it.
	pub fn genesis_hash() -> H256 {
		let genesis = frame_system::Pallet::<T>::block_hash(
			frame_system::pallet_prelude::BlockNumberFor::<T>::zero(),
		);
		H256::decode(&mut &genesis.encode()[..]).unwrap_or_default()
	}

	/// `who`'s drawn rounds as jobs for its runner, oldest first.
	pub fn local_jobs(who: &T::AccountId) -> Vec<LocalJob> {
		let genesis = Self::genesis_hash();
		Self::assignments_of(who)
			.into_iter()
			.filter_map(|round| {
				let protocol = T::Projects::protocol(round.project)?;
				let request = JobRequest {
					genesis,
					proposal: round.proposal,
					project: round.project,
					round: round.kind,
					seed: round.seed,
					verifier: account_bytes(who),
					evaluator: protocol.evaluator,
					direction: protocol.metric.direction,
					scale_exponent: protocol.metric.scale_exponent,
					document: protocol.document,
					benchmark: protocol.benchmark,
					code: round.code,
				};
				Some(LocalJob {
					request,
					phase: round.phase,
					committed: round.committed,
					revealed: round.revealed,
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

	fn commit_call(proposal: ProposalId, commitment: H256) -> Call<T> {
		Call::commit_verdict { proposal, commitment }
	}

	fn reveal_call(
		proposal: ProposalId,
		verdict: &Verdict,
		salt: H256,
		signature: &Signature,
	) -> Call<T> {
		Call::reveal_verdict {
			proposal,
			verdict: verdict.clone(),
			salt,
			runner_signature: sp_core::sr25519::Signature::from_raw(signature.0),
		}
	}
}
