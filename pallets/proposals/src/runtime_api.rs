//! The runtime API of proposals: a project's proposals with their outcomes, one proposal, and
//! a verifier's running assignments (what its off-chain worker reads). Its types are described
//! by the metadata, so Polkadot.js calls it without custom type definitions
//! (`api.call.proposalsApi.projectProposals(project, 0, 100)`).

use alloc::vec::Vec;
use codec::Codec;
use poi_primitives::{ProjectId, ProposalId};

sp_api::decl_runtime_apis! {
	/// Proposals and verification rounds.
	pub trait ProposalsApi<AccountId, Proposal, AssignedRound>
	where
		AccountId: Codec,
		Proposal: Codec,
		AssignedRound: Codec,
	{
		/// A page of the proposals of `project`, oldest first, settled or not: those with
		/// indices `start` to `start + limit - 1` in the project's list (0 is its first), at
		/// most [`crate::MAX_PAGE`]. A page shorter than `min(limit, MAX_PAGE)` is the last.
		fn project_proposals(project: ProjectId, start: u32, limit: u32) -> Vec<(ProposalId, Proposal)>;
		/// One proposal; `None` if no proposal has this id.
		fn proposal(id: ProposalId) -> Option<Proposal>;
		/// The running rounds `who` is assigned to, oldest first, with what its runner needs.
		fn assignments(who: AccountId) -> Vec<AssignedRound>;
	}
}
