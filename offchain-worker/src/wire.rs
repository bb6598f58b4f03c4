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
//! A job's id is [`JobRequest::id`]: BLAKE2-256 of the SCALE encoding of (genesis hash,
//! proposal, round kind, seed, verifier), so both sides compute it and a restarted worker
//! finds the job it dispatched before.
//!
//! A verdict is SCALE-encoded exactly as pallet-proposals' `Verdict` is, so that the runner's
//! signature over [`runner_payload`] verifies on chain.

use alloc::{string::String, vec::Vec};
use codec::{Decode, Encode};
use serde::{Deserialize, Serialize};
use sp_core::H256;

/// A content-addressed artifact: the BLAKE2-256 digest of its bytes and where to find it.
/// Encodes like pallet-projects' `ArtifactRef` (its CID is a bounded vector there).
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
pub struct Artifact {
	/// BLAKE2-256 of the bytes.
	pub digest: H256,
	/// The CID (IPFS) or blob name (the runner's embedded store), as bytes.
	#[serde(with = "cid_text")]
	pub cid: Vec<u8>,
}

impl Artifact {
	/// The artifact naming `bytes` by their digest, found under `cid`.
	pub fn new(digest: H256, cid: impl Into<Vec<u8>>) -> Self {
		Artifact { digest, cid: cid.into() }
	}

	/// Whether `bytes` are this artifact's bytes.
	pub fn matches(&self, bytes: &[u8]) -> bool {
		digest_of(bytes) == self.digest
	}
}

/// The BLAKE2-256 digest of an artifact's bytes.
pub fn digest_of(bytes: &[u8]) -> H256 {
	H256(sp_crypto_hashing::blake2_256(bytes))
}

/// A runner's verdict on a candidate. The SCALE encoding is pallet-proposals' `Verdict`.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Verdict {
	/// The benchmark ran: the score it measured (scaled, larger is better) and the run's log.
	Score {
		/// The measured score (a decimal string in JSON: it is an `i128`).
		#[serde(with = "score_text")]
		score: i128,
		/// The run's log.
		log: Artifact,
	},
	/// The harness failed for reasons that are not the candidate's.
	HarnessError {
		/// What the runner saw.
		log: Artifact,
	},
	/// The candidate is invalid: it broke the rules, failed the harness's checks, ran out of
	/// its budget, or its bytes do not match its digest.
	Invalid {
		/// Why.
		log: Artifact,
	},
}

impl Verdict {
	/// The log artifact of any verdict.
	pub fn log(&self) -> &Artifact {
		match self {
			Verdict::Score { log, .. }
			| Verdict::HarnessError { log }
			| Verdict::Invalid { log } => log,
		}
	}
}

/// What a runner signs for `verdict` on `job`: [`signed_payload`] of the job's chain,
/// proposal, round kind, seed and verifier, and BLAKE2-256 of the verdict's SCALE encoding.
pub fn runner_payload(job: &JobRequest, verdict: &Verdict) -> Vec<u8> {
	let verdict = H256(sp_crypto_hashing::blake2_256(&verdict.encode()));
	signed_payload(&job.genesis, job.proposal, job.round, &job.seed, &job.verifier, &verdict)
}

/// The bytes a runner's signature covers, for the runner and for the chain that checks it:
/// SCALE `(genesis, proposal, round kind, seed, verifier, verdict hash)`. A signature is
/// good for one verdict of one verifier in one round (with its seed) of one proposal on one
/// chain: it cannot be replayed in a challenge round, with another seed, or by another
/// verifier.
pub fn signed_payload(
	genesis: &H256,
	proposal: u64,
	round: RoundKind,
	seed: &H256,
	verifier: &H256,
	verdict_hash: &H256,
) -> Vec<u8> {
	(genesis, proposal, round, seed, verifier, verdict_hash).encode()
}

/// Which kind of round a job belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RoundKind {
	/// The round started at the proposal's reveal.
	Initial,
	/// A larger round started by a challenge.
	Challenge,
}

/// The evaluator a project's protocol names, with its budget.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EvaluatorSpec {
	/// WebAssembly harness and candidate under wasmtime; the budget is fuel per run.
	Wasm {
		/// Fuel units per run.
		fuel: u64,
	},
	/// A small GPT trained with candle; the budget is training steps per trial.
	CandleGpt {
		/// The most training steps of a trial: the same on every runner, however fast.
		steps: u32,
	},
}

impl EvaluatorSpec {
	/// The evaluator's name, as [`RunnerInfo::evaluators`] lists it.
	pub fn name(&self) -> &'static str {
		match self {
			EvaluatorSpec::Wasm { .. } => "wasm",
			EvaluatorSpec::CandleGpt { .. } => "candle-gpt",
		}
	}
}

/// Whether larger or smaller raw metric values are better.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
	/// Larger is better: the score is the scaled value.
	Maximize,
	/// Smaller is better: the score is the negated scaled value.
	Minimize,
}

/// One job: re-run a proposal's candidate with its project's evaluator.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
	/// The chain's genesis hash (part of what the runner signs).
	pub genesis: H256,
	/// The proposal.
	pub proposal: u64,
	/// Its project.
	pub project: u32,
	/// Initial or challenge round.
	pub round: RoundKind,
	/// The round's evaluation seed.
	pub seed: H256,
	/// The account id (32 bytes) of the verifier the job is run for: the runner signs for it.
	pub verifier: H256,
	/// The project's evaluator and budget.
	pub evaluator: EvaluatorSpec,
	/// The metric's direction.
	pub direction: Direction,
	/// Scores are the raw metric times `10^scale_exponent`.
	pub scale_exponent: u8,
	/// The project's protocol document (rules, allowed surface).
	pub document: Artifact,
	/// The project's benchmark (a wasm harness, or a candle-gpt corpus).
	pub benchmark: Artifact,
	/// The candidate (a wasm module, or a candle-gpt recipe).
	pub code: Artifact,
}

impl JobRequest {
	/// A job for tests and examples: proposal 5 of project 0 on genesis `0x07..07`, seed
	/// `0x09..09`, for verifier `0x04..04`, the wasm evaluator with 1 000 fuel, fuel minimised at scale 0, and artifacts
	/// named by the digests of `doc`, `harness` and `candidate`.
	pub fn example() -> Self {
		JobRequest {
			genesis: H256::repeat_byte(7),
			proposal: 5,
			project: 0,
			round: RoundKind::Initial,
			seed: H256::repeat_byte(9),
			verifier: H256::repeat_byte(4),
			evaluator: EvaluatorSpec::Wasm { fuel: 1_000 },
			direction: Direction::Minimize,
			scale_exponent: 0,
			document: Artifact::new(digest_of(b"doc"), &b"doc-cid"[..]),
			benchmark: Artifact::new(digest_of(b"harness"), &b"harness-cid"[..]),
			code: Artifact::new(digest_of(b"candidate"), &b"candidate-cid"[..]),
		}
	}

	/// The job's id: BLAKE2-256 of SCALE(genesis, proposal, round, seed, verifier).
	pub fn id(&self) -> H256 {
		H256(sp_crypto_hashing::blake2_256(
			&(self.genesis, self.proposal, self.round, self.seed, self.verifier).encode(),
		))
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
	/// The evaluators it runs ([`EvaluatorSpec::name`]).
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

mod score_text {
	use alloc::string::{String, ToString};
	use serde::{de::Error, Deserialize, Deserializer, Serializer};

	pub fn serialize<S: Serializer>(score: &i128, s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&score.to_string())
	}

	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
		let text = String::deserialize(d)?;
		text.parse().map_err(|_| D::Error::custom("a score is a decimal i128 in a string"))
	}
}

mod cid_text {
	use alloc::{string::String, vec::Vec};
	use serde::{Deserialize, Deserializer, Serializer};

	// CIDs are ASCII; bytes that are not UTF-8 travel lossily and then fail their fetch.
	pub fn serialize<S: Serializer>(cid: &[u8], s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&String::from_utf8_lossy(cid))
	}

	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
		Ok(String::deserialize(d)?.into_bytes())
	}
}

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
