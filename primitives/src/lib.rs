//! `poi-primitives`: what the pallets, the verifiers' off-chain worker, the runner and clients
//! share, defined once.
//!
//! - The identifiers ([`ProjectId`], [`NodeId`], [`ProposalId`]) and [`Score`].
//! - [`ArtifactRef`]: a content-addressed artifact (digest and a CID of at most
//!   [`MAX_CID_LEN`] bytes), [`digest_of`].
//! - [`Verdict`]: what a verifier's runner measured, [`RoundKind`], [`Phase`].
//! - The score arithmetic settlement uses and clients check against: [`share_of`], [`within`],
//!   [`below_claim`], [`beats`] (in [`BasisPoints`]).
//! - [`Direction`], [`Evaluator`], [`EvaluatorKind`], [`Evaluators`]: what a project's
//!   protocol asks of a runner.
//! - The hashes both sides compute: a proposal's commitment ([`proposal_commitment`], with
//!   [`claim_hash`]), a verdict's commitment ([`verdict_commitment`]) and what a runner signs
//!   ([`runner_payload`], for [`account_bytes`] of its verifier).
//!
//! Every type has one SCALE encoding (the chain's, which the runner's signature covers) and one
//! JSON form (the runner's RPC, the chain spec's genesis, clients): enum variants and fields in
//! camelCase, CIDs as text, scores of verdicts as decimal strings (an `i128` does not fit a
//! JavaScript number). The protocol is written down in `docs/protocol.md`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_core::{bounded::BoundedVec, ConstU32, H256};

#[cfg(test)]
mod tests;

/// Identifier of a project: assigned in order from 0.
pub type ProjectId = u32;

/// Identifier of a node in a project's lineage DAG; the baseline is node 0.
pub type NodeId = u32;

/// Identifier of a proposal: assigned in order from 0.
pub type ProposalId = u64;

/// A score: scaled, and larger is always better (a minimised metric is stored negated).
pub type Score = i128;

/// The longest CID, in bytes: a CIDv1 in base32 is 59 characters; this leaves room for longer
/// multihashes.
pub const MAX_CID_LEN: u32 = 128;

/// A CID: where an artifact is found (IPFS, or the runner's embedded blob store).
pub type Cid = BoundedVec<u8, ConstU32<MAX_CID_LEN>>;

/// A CID longer than [`MAX_CID_LEN`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CidTooLong;

impl core::fmt::Display for CidTooLong {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		write!(f, "a CID is at most {MAX_CID_LEN} bytes")
	}
}

impl core::error::Error for CidTooLong {}

/// A content-addressed artifact: the BLAKE2-256 digest of its bytes, which whoever fetches it
/// checks, and the CID to find it by.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactRef {
	/// BLAKE2-256 of the artifact's bytes.
	pub digest: H256,
	/// Where to fetch it (text in JSON).
	#[serde(with = "cid_text")]
	pub cid: Cid,
}

impl ArtifactRef {
	/// The artifact with `digest`, found under `cid`; an error when the CID is too long.
	pub fn new(digest: H256, cid: impl Into<Vec<u8>>) -> Result<Self, CidTooLong> {
		Ok(ArtifactRef { digest, cid: Cid::try_from(cid.into()).map_err(|_| CidTooLong)? })
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

/// A verifier's verdict on a proposal, as its runner produced and signed it.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Verdict {
	/// The benchmark ran: the score it measured (scaled, larger is better) and the run's log.
	Score {
		/// The measured score (a decimal string in JSON).
		#[serde(with = "score_text")]
		score: Score,
		/// The run's log.
		log: ArtifactRef,
	},
	/// The harness failed for reasons that are not the candidate's (the runner's trouble).
	HarnessError {
		/// What the runner saw.
		log: ArtifactRef,
	},
	/// The candidate is invalid: it broke the rules, failed the harness's checks, ran out of
	/// its budget, or its bytes do not match its digest.
	Invalid {
		/// Why.
		log: ArtifactRef,
	},
}

impl Verdict {
	/// The log artifact of any verdict.
	pub fn log(&self) -> &ArtifactRef {
		match self {
			Verdict::Score { log, .. }
			| Verdict::HarnessError { log }
			| Verdict::Invalid { log } => log,
		}
	}

	/// The verdict without its log.
	pub fn summary(&self) -> VerdictSummary {
		match self {
			Verdict::Score { score, .. } => VerdictSummary::Score(*score),
			Verdict::HarnessError { .. } => VerdictSummary::HarnessError,
			Verdict::Invalid { .. } => VerdictSummary::Invalid,
		}
	}
}

/// What a [`Verdict`] found, without its log: what a settled round keeps of each verdict.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum VerdictSummary {
	/// The measured score.
	Score(#[serde(with = "score_text")] Score),
	/// The harness failed.
	HarnessError,
	/// The candidate is invalid.
	Invalid,
}

/// Which kind of round is verifying a proposal.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum RoundKind {
	/// The round started at the proposal's reveal.
	Initial,
	/// A larger round started by a challenge of an approval.
	Challenge,
}

/// Where a round is.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
	/// Assigned verifiers commit the hashes of their verdicts.
	Commit,
	/// Verifiers that committed reveal their verdicts.
	Reveal,
	/// The round waits for its draw: its seed and verifiers come from the randomness of a
	/// block after the reveal (or challenge) that scheduled it.
	Draw,
}

/// Whether a larger or a smaller raw metric is better.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
	/// Larger raw values are better (accuracy); scores are the scaled value.
	Maximize,
	/// Smaller raw values are better (loss, time); scores are the negated scaled value.
	Minimize,
}

/// Which evaluator re-runs a project's benchmark, and its budget.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Evaluator {
	/// Candidate and harness are WebAssembly modules run under wasmtime; the budget is fuel.
	Wasm {
		/// Fuel units per run.
		fuel: u64,
	},
	/// A small GPT trained with candle; the budget is training steps, which every runner
	/// trains alike however fast it is (a budget in seconds would let a faster runner train
	/// more, and score differently).
	CandleGpt {
		/// The most training steps of a trial (a recipe asking for more is invalid).
		steps: u32,
	},
	/// A repository's benchmark command, run in a sandbox (bubblewrap) on a snapshot of the
	/// repository with the candidate's files in place; the protocol document names the
	/// command, the metric and the files a candidate may replace.
	Command {
		/// The most wall-clock seconds of a trial (a trial still running then is invalid).
		seconds: u32,
	},
}

impl Evaluator {
	/// Its kind, without the budget.
	pub fn kind(&self) -> EvaluatorKind {
		match self {
			Evaluator::Wasm { .. } => EvaluatorKind::Wasm,
			Evaluator::CandleGpt { .. } => EvaluatorKind::CandleGpt,
			Evaluator::Command { .. } => EvaluatorKind::Command,
		}
	}

	/// Whether two honest runs of the same candidate with the same seed give the same score
	/// bit for bit: wasm (fuel is exact) yes, candle-gpt training (floating point on
	/// different hardware) no, a command (whatever it measures, on whatever machine) no.
	pub fn is_deterministic(&self) -> bool {
		matches!(self, Evaluator::Wasm { .. })
	}

	/// The evaluator's name, as a runner lists it (`wasm`, `candle-gpt`, `command`).
	pub fn name(&self) -> &'static str {
		self.kind().name()
	}
}

/// An evaluator without its budget: what a verifier's runner must have to re-run a project.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum EvaluatorKind {
	/// [`Evaluator::Wasm`].
	Wasm,
	/// [`Evaluator::CandleGpt`].
	CandleGpt,
	/// [`Evaluator::Command`].
	Command,
}

impl EvaluatorKind {
	/// The evaluator's name, as a runner lists it (`wasm`, `candle-gpt`, `command`).
	pub fn name(&self) -> &'static str {
		match self {
			EvaluatorKind::Wasm => "wasm",
			EvaluatorKind::CandleGpt => "candle-gpt",
			EvaluatorKind::Command => "command",
		}
	}
}

/// The evaluators a verifier's runner has, declared when the verifier registers: it is drawn
/// only for projects whose evaluator is among them.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Evaluators {
	/// The wasm evaluator (wasmtime).
	pub wasm: bool,
	/// The candle-gpt evaluator (the `poi-gpt` trainer).
	pub candle_gpt: bool,
	/// The command evaluator (bubblewrap).
	pub command: bool,
}

impl Evaluators {
	/// Every evaluator.
	pub const ALL: Self = Self { wasm: true, candle_gpt: true, command: true };

	/// None: add some with [`Evaluators::with`].
	pub const NONE: Self = Self { wasm: false, candle_gpt: false, command: false };

	/// These and `kind`.
	pub fn with(mut self, kind: EvaluatorKind) -> Self {
		match kind {
			EvaluatorKind::Wasm => self.wasm = true,
			EvaluatorKind::CandleGpt => self.candle_gpt = true,
			EvaluatorKind::Command => self.command = true,
		}
		self
	}

	/// Whether `kind` is among them.
	pub fn has(&self, kind: EvaluatorKind) -> bool {
		match kind {
			EvaluatorKind::Wasm => self.wasm,
			EvaluatorKind::CandleGpt => self.candle_gpt,
			EvaluatorKind::Command => self.command,
		}
	}

	/// Whether there is none.
	pub fn is_empty(&self) -> bool {
		*self == Self::NONE
	}
}

/// Basis points: 10 000 is 100 %.
pub type BasisPoints = u32;

/// One hundred percent in basis points.
pub const MAX_BASIS_POINTS: BasisPoints = 10_000;

/// `|value| * bps / 10 000`, rounded down, without overflow.
pub fn share_of(value: Score, bps: BasisPoints) -> Score {
	let magnitude = value.unsigned_abs();
	let scale = u128::from(MAX_BASIS_POINTS);
	let bps = u128::from(bps.min(MAX_BASIS_POINTS));
	// Both parts are at most `magnitude`, which is at most 2^127 (qed: no overflow).
	let part = (magnitude / scale).saturating_mul(bps) + (magnitude % scale) * bps / scale;
	Score::try_from(part).unwrap_or(Score::MAX)
}

/// Whether `score` is within `bps` of `reference` (either side).
pub fn within(score: Score, reference: Score, bps: BasisPoints) -> bool {
	score
		.checked_sub(reference)
		.is_some_and(|d| d.unsigned_abs() <= share_of(reference, bps).unsigned_abs())
}

/// Whether `score` falls short of `claim` by more than `bps` of the claim.
pub fn below_claim(score: Score, claim: Score, bps: BasisPoints) -> bool {
	match claim.checked_sub(score) {
		Some(shortfall) => shortfall > share_of(claim, bps),
		// `claim - score` overflows only when `score` is far below `claim`.
		None => score < claim,
	}
}

/// Whether `score` beats `best` by at least `bps` of it (and by at least 1).
pub fn beats(score: Score, best: Score, bps: BasisPoints) -> bool {
	match score.checked_sub(best) {
		Some(gain) => gain > 0 && gain >= share_of(best, bps),
		None => score > best,
	}
}

/// BLAKE2-256 of the SCALE encoding of `value`.
fn hash_of(value: &impl Encode) -> H256 {
	H256(value.using_encoded(sp_crypto_hashing::blake2_256))
}

/// The hash of a claimed score, which a proposal's reveal shows: BLAKE2-256 of SCALE
/// `(score, salt)`. `salt` must be secret and random (32 bytes): scores are few enough to try
/// them all.
pub fn claim_hash(claimed_score: Score, salt: &H256) -> H256 {
	hash_of(&(claimed_score, salt))
}

/// A proposal's commitment, which `commit` takes: BLAKE2-256 of SCALE `(project, parent,
/// code, claim, proposer)`, where `claim` is [`claim_hash`] of the claimed score. Binding the
/// proposer makes a copied commitment worthless to a front-runner.
pub fn proposal_commitment<AccountId: Encode>(
	project: ProjectId,
	parent: NodeId,
	code: &ArtifactRef,
	claim: &H256,
	proposer: &AccountId,
) -> H256 {
	hash_of(&(project, parent, code, claim, proposer))
}

/// A verdict's commitment, which `commit_verdict` takes: BLAKE2-256 of SCALE `(proposal,
/// verdict, salt, verifier)`. Binding the verifier makes a copied commitment worthless to
/// another verifier of the round.
pub fn verdict_commitment<AccountId: Encode>(
	proposal: ProposalId,
	verdict: &Verdict,
	salt: &H256,
	verifier: &AccountId,
) -> H256 {
	hash_of(&(proposal, verdict, salt, verifier))
}

/// What a runner signs for `verdict`, and what the chain checks its signature against: SCALE
/// `(genesis, proposal, round kind, seed, verifier, BLAKE2-256 of SCALE(verdict))`. A
/// signature is good for one verdict of one verifier in one round (with its seed) of one
/// proposal on one chain: it cannot be replayed in a challenge round, with another seed, by
/// another verifier or on another chain. `verifier` is [`account_bytes`] of its account.
pub fn runner_payload(
	genesis: &H256,
	proposal: ProposalId,
	round: RoundKind,
	seed: &H256,
	verifier: &H256,
	verdict: &Verdict,
) -> Vec<u8> {
	(genesis, proposal, round, seed, verifier, hash_of(verdict)).encode()
}

/// The 32 bytes that name an account to a runner: its SCALE encoding, which is the account
/// id itself for an `AccountId32` (zero-padded, or cut to 32 bytes, for other account types).
pub fn account_bytes<AccountId: Encode>(who: &AccountId) -> H256 {
	let bytes = who.encode();
	let mut id = [0u8; 32];
	let n = bytes.len().min(32);
	id[..n].copy_from_slice(&bytes[..n]);
	H256(id)
}

mod score_text {
	use super::Score;
	use alloc::string::{String, ToString};
	use serde::{de::Error, Deserialize, Deserializer, Serializer};

	pub fn serialize<S: Serializer>(score: &Score, s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&score.to_string())
	}

	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Score, D::Error> {
		let text = String::deserialize(d)?;
		text.parse().map_err(|_| D::Error::custom("a score is a decimal i128 in a string"))
	}
}

mod cid_text {
	use super::{Cid, CidTooLong};
	use alloc::string::String;
	use serde::{de::Error, Deserialize, Deserializer, Serializer};

	// CIDs are ASCII; bytes that are not UTF-8 travel lossily and then fail their fetch.
	pub fn serialize<S: Serializer>(cid: &Cid, s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&String::from_utf8_lossy(cid))
	}

	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Cid, D::Error> {
		Cid::try_from(String::deserialize(d)?.into_bytes())
			.map_err(|_| D::Error::custom(CidTooLong))
	}
}
