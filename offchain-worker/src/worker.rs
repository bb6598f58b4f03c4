//! The off-chain worker's round loop: what the verifiers pallet's `offchain_worker` hook runs
//! on every new best block.
//!
//! For each verifier account whose key (`poiv`) is in the node's keystore and each round it is
//! assigned to ([`Chain::jobs`]):
//! 1. **dispatch**: post the job to the runner (`submit_job`) once; the runner answers for a
//!    job it knows, so a repeat after a restart is harmless;
//! 2. **poll** (`job_status`) in later blocks until the verdict is done; a runner that forgot
//!    the job (restarted) gets it again;
//! 3. **commit**: draw a salt, submit `commit_verdict` with the hash of the verdict;
//! 4. **reveal**: in the reveal phase submit `reveal_verdict` with the verdict, the salt and the
//!    runner's signature.
//!
//! What each job has reached is kept in offchain persistent storage ([`Record`]), so a node
//! restart neither loses a verdict's salt nor dispatches a job twice; a storage lock per job
//! keeps two overlapping worker runs from doing the same job. A runner that is down, slow or
//! answers garbage costs a retry in a later block, within the round's deadlines; a transaction
//! that has not landed after [`RESEND_AFTER`] blocks is sent again. Records of rounds that are
//! no longer assigned are cleared.

use crate::{
	rpc::{parse_response, request_body, CallError},
	wire::{JobRequest, JobState, JobStatus, Signature},
};
use alloc::{string::String, vec::Vec};
use codec::{Decode, Encode};
use poi_primitives::{verdict_commitment, Phase, ProposalId, Verdict};
use serde::{de::DeserializeOwned, Serialize};
use sp_core::H256;
use sp_runtime::offchain::{
	http,
	storage::StorageValueRef,
	storage_lock::{StorageLock, Time},
	Duration,
};

/// The offchain storage key (persistent) of the runner's URL, which the node sets from its
/// `--runner-url` flag (SCALE-encoded bytes).
pub const RUNNER_URL_KEY: &[u8] = b"poi::runner-url";
/// The offchain storage key (persistent) of the runner's API token, which the node sets from
/// the file its `--runner-token-file` names (SCALE-encoded bytes: 64 hex digits). The worker
/// sends it with every call as `Authorization: Bearer <token>`.
pub const RUNNER_TOKEN_KEY: &[u8] = b"poi::runner-token";
/// The runner's URL when the node set none.
pub const DEFAULT_RUNNER_URL: &str = "http://127.0.0.1:9955";
/// Blocks after which a verdict transaction that has not landed is sent again.
pub const RESEND_AFTER: u64 = 4;
/// How long one HTTP call to the runner may take.
pub const HTTP_TIMEOUT_MS: u64 = 3_000;
/// The most bytes of a runner's answer the worker reads: a job status with its verdict and
/// signature takes well under 1 KiB; a longer answer is not a runner's, and is not read on.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024;
/// How long a worker run holds a job's lock at most.
pub const LOCK_MS: u64 = 30_000;

const RECORD_PREFIX: &[u8] = b"poi::job::";
const INDEX_KEY: &[u8] = b"poi::jobs";

/// One round a local verifier is assigned to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LocalJob {
	/// What the runner is asked to do.
	pub request: JobRequest,
	/// The round's phase by the clock ([`Phase::Draw`] rounds have no job yet).
	pub phase: Phase,
	/// Whether this verifier's verdict hash is on chain.
	pub committed: bool,
	/// Whether its verdict is on chain.
	pub revealed: bool,
}

/// What the worker needs of the chain: implemented by the verifiers pallet.
pub trait Chain {
	/// A verifier's account.
	type Account: Encode;

	/// The block the worker runs at.
	fn block(&self) -> u64;
	/// The verifiers whose keys are in this node's keystore.
	fn local_verifiers(&self) -> Vec<Self::Account>;
	/// The running rounds `who` is assigned to.
	fn jobs(&self, who: &Self::Account) -> Vec<LocalJob>;
	/// Submits `commit_verdict` signed by `who`; whether the pool took it.
	fn submit_commit(&self, who: &Self::Account, proposal: ProposalId, commitment: H256) -> bool;
	/// Submits `reveal_verdict` signed by `who`; whether the pool took it.
	fn submit_reveal(
		&self,
		who: &Self::Account,
		proposal: ProposalId,
		verdict: &Verdict,
		salt: H256,
		signature: &Signature,
	) -> bool;
}

/// What the worker has done for one job (kept in offchain persistent storage).
#[derive(Clone, PartialEq, Eq, Debug, Default, Encode, Decode)]
pub struct Record {
	/// The block it was last posted to the runner in.
	pub dispatched: Option<u64>,
	/// The runner's verdict and signature.
	pub result: Option<(Verdict, Signature)>,
	/// The salt of the verdict commitment.
	pub salt: Option<H256>,
	/// The block `commit_verdict` was last sent in.
	pub commit_sent: Option<u64>,
	/// The block `reveal_verdict` was last sent in.
	pub reveal_sent: Option<u64>,
}

/// What one run did (for logs and tests).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Report {
	/// Jobs posted to the runner.
	pub dispatched: u32,
	/// Verdicts received from the runner.
	pub received: u32,
	/// `commit_verdict` transactions sent.
	pub commits: u32,
	/// `reveal_verdict` transactions sent.
	pub reveals: u32,
	/// Jobs skipped because another run held their lock.
	pub locked: u32,
	/// What went wrong (the run goes on).
	pub problems: Vec<String>,
}

/// Why a call to the runner failed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Failure {
	/// No answer: refused, timed out, or not HTTP 200.
	Http,
	/// HTTP 401: the runner wants its API token (`poi-node --runner-token-file`).
	Unauthorized,
	/// An answer longer than [`MAX_RESPONSE_BYTES`].
	TooLarge,
	/// An answer that is no JSON-RPC response, or one with an error.
	Call(CallError),
}

/// The text the node stored under `key` in offchain persistent storage, if any.
fn stored_text(key: &[u8]) -> Option<String> {
	StorageValueRef::persistent(key)
		.get::<Vec<u8>>()
		.ok()
		.flatten()
		.and_then(|bytes| String::from_utf8(bytes).ok())
}

/// The runner's URL: the node's `--runner-url`, or [`DEFAULT_RUNNER_URL`].
pub fn runner_url() -> String {
	stored_text(RUNNER_URL_KEY).unwrap_or_else(|| DEFAULT_RUNNER_URL.into())
}

/// The runner's API token: what the node read from its `--runner-token-file`, if anything.
pub fn runner_token() -> Option<String> {
	stored_text(RUNNER_TOKEN_KEY)
}

/// A runner's API token in `text` (a token file's contents): 64 hex digits, surrounding
/// whitespace ignored, returned in lowercase; `None` for anything else. The runner writes
/// token files and the node reads them with this one definition.
pub fn parse_runner_token(text: &str) -> Option<String> {
	let text = text.trim();
	(text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()))
		.then(|| text.to_ascii_lowercase())
}

/// Where the worker's calls go, and the token they carry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Runner {
	/// The runner's JSON-RPC HTTP address.
	pub url: String,
	/// Its API token ([`runner_token`]).
	pub token: Option<String>,
}

impl Runner {
	/// The runner the node names: [`runner_url`] and [`runner_token`].
	pub fn configured() -> Runner {
		Runner { url: runner_url(), token: runner_token() }
	}
}

/// One JSON-RPC call to `runner`.
pub fn call<T: DeserializeOwned>(
	runner: &Runner,
	method: &str,
	params: impl Serialize,
) -> Result<T, Failure> {
	let body = request_body(1, method, params);
	let deadline = sp_io::offchain::timestamp().add(Duration::from_millis(HTTP_TIMEOUT_MS));
	let mut request = http::Request::post(&runner.url, alloc::vec![body])
		.add_header("Content-Type", "application/json");
	let authorization = runner.token.as_ref().map(|token| alloc::format!("Bearer {token}"));
	if let Some(value) = &authorization {
		request = request.add_header("Authorization", value);
	}
	let pending = request.deadline(deadline).send().map_err(|_| Failure::Http)?;
	let response = match pending.try_wait(deadline) {
		Ok(Ok(response)) => response,
		_ => return Err(Failure::Http),
	};
	if response.code == 401 {
		return Err(Failure::Unauthorized);
	}
	if response.code != 200 {
		return Err(Failure::Http);
	}
	let mut body = response.body();
	body.deadline(deadline);
	let bytes: Vec<u8> = body.by_ref().take(MAX_RESPONSE_BYTES + 1).collect();
	if body.error().is_some() {
		return Err(Failure::Http);
	}
	if bytes.len() > MAX_RESPONSE_BYTES {
		return Err(Failure::TooLarge);
	}
	parse_response(&bytes).map_err(Failure::Call)
}

fn record_key(who: &impl Encode, job: &JobRequest) -> Vec<u8> {
	let mut key = RECORD_PREFIX.to_vec();
	who.encode_to(&mut key);
	key.extend_from_slice(job.id().as_bytes());
	key
}

/// The record of `who`'s `job`, as stored.
pub fn record_of(who: &impl Encode, job: &JobRequest) -> Option<Record> {
	StorageValueRef::persistent(&record_key(who, job)).get().ok().flatten()
}

/// Runs the worker once.
pub fn run<C: Chain>(chain: &C) -> Report {
	let mut report = Report::default();
	let verifiers = chain.local_verifiers();
	let previous: Vec<Vec<u8>> =
		StorageValueRef::persistent(INDEX_KEY).get().ok().flatten().unwrap_or_default();
	let mut seen: Vec<Vec<u8>> = Vec::new();
	if verifiers.is_empty() && previous.is_empty() {
		return report;
	}
	let runner = Runner::configured();
	let now = chain.block();
	for who in &verifiers {
		for job in chain.jobs(who) {
			let key = record_key(who, &job.request);
			seen.push(key.clone());
			if job.revealed {
				continue;
			}
			let mut lock_key = key.clone();
			lock_key.extend_from_slice(b"::lock");
			let mut lock =
				StorageLock::<Time>::with_deadline(&lock_key, Duration::from_millis(LOCK_MS));
			let Ok(_guard) = lock.try_lock() else {
				report.locked += 1;
				continue;
			};
			let storage = StorageValueRef::persistent(&key);
			let mut record: Record = storage.get().ok().flatten().unwrap_or_default();
			let before = record.clone();
			step(chain, &runner, who, &job, &mut record, now, &mut report);
			if record != before {
				storage.set(&record);
			}
		}
	}
	// Forget the rounds no local verifier is assigned to any more.
	for key in previous.iter().filter(|key| !seen.contains(key)) {
		StorageValueRef::persistent(key).clear();
	}
	if seen != previous {
		StorageValueRef::persistent(INDEX_KEY).set(&seen);
	}
	report
}

fn due(sent: Option<u64>, now: u64) -> bool {
	sent.is_none_or(|at| now >= at.saturating_add(RESEND_AFTER))
}

fn step<C: Chain>(
	chain: &C,
	runner: &Runner,
	who: &C::Account,
	job: &LocalJob,
	record: &mut Record,
	now: u64,
	report: &mut Report,
) {
	let proposal = job.request.proposal;
	match (job.phase, job.committed) {
		(Phase::Commit, false) => {
			if record.result.is_none() {
				fetch(runner, job, record, now, report);
			}
			let Some((verdict, _)) = &record.result else { return };
			if !due(record.commit_sent, now) {
				return;
			}
			let salt = match record.salt {
				Some(salt) => salt,
				None => {
					let salt = H256(sp_io::offchain::random_seed());
					record.salt = Some(salt);
					salt
				},
			};
			let commitment = verdict_commitment(proposal, verdict, &salt, who);
			if chain.submit_commit(who, proposal, commitment) {
				record.commit_sent = Some(now);
				report.commits += 1;
			} else {
				report
					.problems
					.push(alloc::format!("proposal {proposal}: the pool refused commit_verdict"));
			}
		},
		(Phase::Reveal, true) => {
			let (Some((verdict, signature)), Some(salt)) = (&record.result, record.salt) else {
				report.problems.push(alloc::format!(
					"proposal {proposal}: committed, but this node has no verdict or salt to reveal"
				));
				return;
			};
			if !due(record.reveal_sent, now) {
				return;
			}
			if chain.submit_reveal(who, proposal, verdict, salt, signature) {
				record.reveal_sent = Some(now);
				report.reveals += 1;
			} else {
				report
					.problems
					.push(alloc::format!("proposal {proposal}: the pool refused reveal_verdict"));
			}
		},
		// Committed: wait for the reveal phase. Reveal phase without a commitment: too late.
		// Not drawn yet: nothing to run.
		(Phase::Commit, true) | (Phase::Reveal, false) | (Phase::Draw, _) => {},
	}
}

/// Dispatches the job or polls for its verdict.
fn fetch(runner: &Runner, job: &LocalJob, record: &mut Record, now: u64, report: &mut Report) {
	let proposal = job.request.proposal;
	let status: Result<JobStatus, Failure> = if record.dispatched.is_some() {
		match call::<JobStatus>(runner, "job_status", (job.request.id(),)) {
			Ok(JobStatus { state: JobState::Unknown, .. }) => {
				submit(runner, job, record, now, report)
			},
			other => other,
		}
	} else {
		submit(runner, job, record, now, report)
	};
	match status {
		Ok(JobStatus { id, state: JobState::Done { verdict, signature } })
			if id == job.request.id() =>
		{
			record.result = Some((verdict, signature));
			report.received += 1;
		},
		Ok(JobStatus { id, .. }) if id != job.request.id() => report
			.problems
			.push(alloc::format!("proposal {proposal}: the runner answered for another job")),
		Ok(_) => {},
		Err(failure) => report
			.problems
			.push(alloc::format!("proposal {proposal}: runner at {}: {failure:?}", runner.url)),
	}
}

fn submit(
	runner: &Runner,
	job: &LocalJob,
	record: &mut Record,
	now: u64,
	report: &mut Report,
) -> Result<JobStatus, Failure> {
	let status = call::<JobStatus>(runner, "submit_job", (&job.request,))?;
	record.dispatched = Some(now);
	report.dispatched += 1;
	Ok(status)
}
