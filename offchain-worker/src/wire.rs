//! The job wire types shared by the off-chain worker and the runner.
//!
//! The off-chain worker talks to its runner in JSON-RPC 2.0 over HTTP. Methods:
//!
//! | method | params | result |
//! | --- | --- | --- |
//! | `submit_job` | `[JobRequest]` | [`JobStatus`] (idempotent: the same job twice is one job) |
//! | `job_status` | `[job id]` | [`JobStatus`] (state [`JobState::Unknown`] for ids the runner does not know) |
//! | `info` | `[]` | [`RunnerInfo`] |
//!
//! A job's id is [`JobRequest::id`]: BLAKE2-256 of the SCALE encoding of the whole request, so
//! both sides compute it, a restarted worker finds the job it dispatched before, and a request
//! that differs in anything (another candidate for the same round, say, sent by whoever reached
//! the runner first) is another job: it can never be answered with that one's verdict.
//!
//! The types inside a job ([`ArtifactRef`], [`Verdict`], [`Evaluator`], ...) are
//! `poi_primitives`', the chain's own, so the runner signs ([`runner_payload`]) exactly the
//! bytes the chain checks.

use alloc::{string::String, vec::Vec};
use codec::{Decode, Encode};
use poi_primitives::{
	digest_of, ArtifactRef, Direction, Evaluator, ProjectId, ProposalId, RoundKind, Verdict,
};
use serde::{Deserialize, Serialize};
use sp_core::H256;

/// What a runner signs for `verdict` on `job`: [`poi_primitives::runner_payload`] of the
/// job's chain, proposal, round kind, seed and verifier.
pub fn runner_payload(job: &JobRequest, verdict: &Verdict) -> Vec<u8> {
	poi_primitives::runner_payload(
		&job.genesis,
		job.proposal,
		job.round,
		&job.seed,
		&job.verifier,
		verdict,
	)
}

/// One job: re-run a proposal's candidate with its project's evaluator.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
	/// The chain's genesis hash (part of what the runner signs).
	pub genesis: H256,
	/// The proposal.
	pub proposal: ProposalId,
	/// Its project.
	pub project: ProjectId,
	/// Initial or challenge round.
	pub round: RoundKind,
	/// The round's evaluation seed.
	pub seed: H256,
	/// The account id (32 bytes) of the verifier the job is run for: the runner signs for it.
	pub verifier: H256,
	/// The project's evaluator and budget.
	pub evaluator: Evaluator,
	/// The metric's direction.
	pub direction: Direction,
	/// Scores are the raw metric times `10^scale_exponent`.
	pub scale_exponent: u8,
	/// The project's protocol document (rules, allowed surface).
	pub document: ArtifactRef,
	/// The project's benchmark (a wasm harness, or a candle-gpt corpus).
	pub benchmark: ArtifactRef,
	/// The candidate (a wasm module, or a candle-gpt recipe).
	pub code: ArtifactRef,
}

impl JobRequest {
	/// A job for tests and examples: proposal 5 of project 0 on genesis `0x07..07`, seed
	/// `0x09..09`, for verifier `0x04..04`, the wasm evaluator with 1 000 fuel, fuel minimised at scale 0, and artifacts
	/// named by the digests of `doc`, `harness` and `candidate`.
	pub fn example() -> Self {
		let artifact =
			|bytes: &[u8], cid: &str| ArtifactRef::new(digest_of(bytes), cid).expect("a short CID");
		JobRequest {
			genesis: H256::repeat_byte(7),
			proposal: 5,
			project: 0,
			round: RoundKind::Initial,
			seed: H256::repeat_byte(9),
			verifier: H256::repeat_byte(4),
			evaluator: Evaluator::Wasm { fuel: 1_000 },
			direction: Direction::Minimize,
			scale_exponent: 0,
			document: artifact(b"doc", "doc-cid"),
			benchmark: artifact(b"harness", "harness-cid"),
			code: artifact(b"candidate", "candidate-cid"),
		}
	}

	/// The job's id: BLAKE2-256 of the SCALE encoding of the whole request.
	pub fn id(&self) -> H256 {
		H256(self.using_encoded(sp_crypto_hashing::blake2_256))
	}
}

/// Where a job is.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum JobState {
	/// The runner has no such job (never submitted, or forgotten by a restart).
	Unknown,
	/// Waiting in the queue.
	Queued,
	/// Being evaluated.
	Running,
	/// Evaluated: the verdict and the runner's sr25519 signature over
	/// [`runner_payload`].
	Done {
		/// The verdict.
		verdict: Verdict,
		/// The runner's signature (64 bytes, hex).
		signature: Signature,
	},
}

/// An sr25519 signature carried as hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
pub struct Signature(#[serde(with = "hex64")] pub [u8; 64]);

/// A job's id and state: what `submit_job` and `job_status` answer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
	/// The job's id.
	pub id: H256,
	/// Its state.
	#[serde(flatten)]
	pub state: JobState,
}

/// What `info` answers.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunnerInfo {
	/// The runner's sr25519 public key (register it with pallet-verifiers).
	pub public_key: H256,
	/// The runner's version.
	pub version: String,
	/// The compute devices evaluators use (`cpu`, `cuda:0`, ...).
	pub devices: Vec<String>,
	/// The evaluators it runs ([`Evaluator::name`]).
	pub evaluators: Vec<String>,
	/// Where artifacts come from: `embedded` or `ipfs`.
	pub store: String,
	/// Jobs waiting or running.
	pub queued: u32,
	/// The most jobs it holds before refusing new ones.
	pub capacity: u32,
}

/// The error code a runner answers `submit_job` with when its queue is full.
pub const QUEUE_FULL: i32 = -32001;
/// The error code for a job the runner cannot take (unsupported evaluator, bad fields).
pub const BAD_JOB: i32 = -32002;

mod hex64 {
	use alloc::string::String;
	use serde::{de::Error, Deserialize, Deserializer, Serializer};

	pub fn serialize<S: Serializer>(bytes: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
		let mut text = String::from("0x");
		text.push_str(&hex::encode(bytes));
		s.serialize_str(&text)
	}

	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
		let text = String::deserialize(d)?;
		let mut out = [0u8; 64];
		hex::decode_to_slice(text.strip_prefix("0x").unwrap_or(&text), &mut out)
			.map_err(|_| D::Error::custom("a signature is 64 bytes of hex"))?;
		Ok(out)
	}
}
