//! `poi-offchain`: the logic that the verifiers pallet's off-chain worker runs, and the job wire
//! types it shares with the runner (`poi-runner`).
//!
//! - [`wire`]: the jobs and statuses that travel between worker and runner, and what a runner
//!   signs for a job ([`wire::runner_payload`]); the types inside them (verdicts, artifacts,
//!   evaluators) are `poi_primitives`'.
//! - [`rpc`]: JSON-RPC 2.0 request bodies and response parsing (no_std).
//! - [`worker`]: the round loop the verifiers pallet's `offchain_worker` hook runs: dispatch,
//!   polling, verdict commit and reveal, offchain-storage bookkeeping.
//! - [`VERIFIER_KEY_TYPE`]: the keystore key type of a verifier's account key.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod rpc;
pub mod wire;
pub mod worker;

use sp_core::crypto::KeyTypeId;

/// The keystore key type of a verifier's signing key: `poiv`.
///
/// The off-chain worker looks for keys of this type in the node's keystore to find the
/// verification rounds assigned to this node.
pub const VERIFIER_KEY_TYPE: KeyTypeId = KeyTypeId(*b"poiv");

#[cfg(test)]
mod tests;
#[cfg(test)]
mod worker_tests;
