//! The worker against the offchain test externalities: HTTP is answered at that level (the
//! runner is a list of expected requests and their answers), storage is the test offchain DB.

use crate::{rpc::request_body, wire::*, worker::*};
use codec::Encode;
use poi_primitives::{digest_of, verdict_commitment, ArtifactRef, Phase, Verdict};
use sp_core::{
	offchain::{
		testing::{OffchainState, PendingRequest, TestOffchainExt},
		OffchainDbExt, OffchainWorkerExt,
	},
	H256,
};
use sp_runtime::offchain::{
	storage::StorageValueRef,
	storage_lock::{StorageLock, Time},
	Duration,
};
use std::{cell::RefCell, sync::Arc};

type State = Arc<parking_lot::RwLock<OffchainState>>;

struct FakeChain {
	block: u64,
	jobs: Vec<LocalJob>,
	pool_accepts: bool,
	commits: RefCell<Vec<(u64, H256)>>,
	reveals: RefCell<Vec<(u64, Verdict, H256, Signature)>>,
}

impl Chain for FakeChain {
	type Account = u64;

	fn block(&self) -> u64 {
		self.block
	}
	fn local_verifiers(&self) -> Vec<u64> {
		vec![1]
	}
	fn jobs(&self, who: &u64) -> Vec<LocalJob> {
		assert_eq!(*who, 1);
		self.jobs.clone()
	}
	fn submit_commit(&self, _: &u64, proposal: u64, commitment: H256) -> bool {
		self.commits.borrow_mut().push((proposal, commitment));
		self.pool_accepts
	}
	fn submit_reveal(
		&self,
		_: &u64,
		proposal: u64,
		v: &Verdict,
		salt: H256,
		s: &Signature,
	) -> bool {
		self.reveals.borrow_mut().push((proposal, v.clone(), salt, *s));
		self.pool_accepts
	}
}

fn request() -> JobRequest {
	JobRequest::example()
}

fn job(phase: Phase, committed: bool, revealed: bool) -> LocalJob {
	LocalJob { request: request(), phase, committed, revealed }
}

fn chain(block: u64, jobs: Vec<LocalJob>) -> FakeChain {
	FakeChain {
		block,
		jobs,
		pool_accepts: true,
		commits: RefCell::default(),
		reveals: RefCell::default(),
	}
}

fn verdict() -> Verdict {
	Verdict::Score { score: -42, log: ArtifactRef::new(digest_of(b"log"), "log-cid").unwrap() }
}

/// Expects one POST to `url` (with the token the node set, if any) and answers it.
fn expect(state: &State, url: &str, params: Vec<u8>, answer: String) {
	let mut headers = vec![("Content-Type".into(), "application/json".into())];
	if let Some(token) = runner_token() {
		headers.push(("Authorization".into(), format!("Bearer {token}")));
	}
	state.write().expect_request(PendingRequest {
		method: "POST".into(),
		uri: url.into(),
		headers,
		body: params,
		response: Some(answer.into_bytes()),
		sent: true,
		..Default::default()
	});
}

fn result(status: &JobStatus) -> String {
	format!(r#"{{"jsonrpc":"2.0","id":1,"result":{}}}"#, serde_json::to_string(status).unwrap())
}

fn status(state: JobState) -> JobStatus {
	JobStatus { id: request().id(), state }
}

fn done() -> JobState {
	JobState::Done { verdict: verdict(), signature: Signature([4; 64]) }
}

fn ext() -> (sp_io::TestExternalities, State) {
	let (offchain, state) = TestOffchainExt::new();
	let mut ext = sp_io::TestExternalities::default();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	(ext, state)
}

const URL: &str = DEFAULT_RUNNER_URL;

fn submit_body() -> Vec<u8> {
	request_body(1, "submit_job", (&request(),))
}

fn status_body() -> Vec<u8> {
	request_body(1, "job_status", (request().id(),))
}

#[test]
fn a_round_from_dispatch_to_reveal() {
	let (mut ext, state) = ext();
	ext.execute_with(|| {
		// Block 10: the job goes to the runner once.
		expect(&state, URL, submit_body(), result(&status(JobState::Queued)));
		let c = chain(10, vec![job(Phase::Commit, false, false)]);
		let report = run(&c);
		assert_eq!((report.dispatched, report.received, report.commits), (1, 0, 0));
		assert_eq!(record_of(&1u64, &request()).unwrap().dispatched, Some(10));

		// Block 11: polled, still running.
		expect(&state, URL, status_body(), result(&status(JobState::Running)));
		let report = run(&chain(11, vec![job(Phase::Commit, false, false)]));
		assert_eq!((report.dispatched, report.received), (0, 0));

		// Blocks 12 and 13: garbage, then an RPC error: noted, nothing breaks, nothing sent.
		expect(&state, URL, status_body(), "<html>bad gateway</html>".into());
		let report = run(&chain(12, vec![job(Phase::Commit, false, false)]));
		assert!(report.problems[0].contains("Garbage"), "{report:?}");
		let error = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"boom"}}"#;
		expect(&state, URL, status_body(), error.into());
		let report = run(&chain(13, vec![job(Phase::Commit, false, false)]));
		assert!(report.problems[0].contains("boom"), "{report:?}");

		// Block 14: the verdict is done; its hash is committed with a fresh salt.
		expect(&state, URL, status_body(), result(&status(done())));
		let c = chain(14, vec![job(Phase::Commit, false, false)]);
		let report = run(&c);
		assert_eq!((report.received, report.commits), (1, 1), "{report:?}");
		let record = record_of(&1u64, &request()).unwrap();
		let salt = record.salt.expect("a salt is kept");
		assert_eq!(record.result, Some((verdict(), Signature([4; 64]))));
		assert_eq!(c.commits.borrow()[0], (5, verdict_commitment(5, &verdict(), &salt, &1u64)));

		// Block 15: the commitment has not landed yet: no runner call, no second commit.
		let c = chain(15, vec![job(Phase::Commit, false, false)]);
		assert_eq!(run(&c), Report::default());
		// Block 18: still not on chain: sent again, with the same salt.
		let c = chain(18, vec![job(Phase::Commit, false, false)]);
		assert_eq!(run(&c).commits, 1);
		assert_eq!(c.commits.borrow()[0].1, verdict_commitment(5, &verdict(), &salt, &1u64));

		// Committed: nothing to do until the reveal phase.
		assert_eq!(run(&chain(19, vec![job(Phase::Commit, true, false)])), Report::default());
		// Reveal phase: the verdict, salt and runner signature go on chain.
		let c = chain(20, vec![job(Phase::Reveal, true, false)]);
		assert_eq!(run(&c).reveals, 1);
		assert_eq!(c.reveals.borrow()[0], (5, verdict(), salt, Signature([4; 64])));
		// Revealed: done.
		assert_eq!(run(&chain(21, vec![job(Phase::Reveal, true, true)])), Report::default());
		assert!(record_of(&1u64, &request()).is_some());
		// Settled: the round is gone from the chain, and its record from storage.
		assert_eq!(run(&chain(22, vec![])), Report::default());
		assert_eq!(record_of(&1u64, &request()), None);
	});
}

#[test]
fn a_runner_that_forgot_the_job_gets_it_again() {
	let (mut ext, state) = ext();
	ext.execute_with(|| {
		StorageValueRef::persistent(RUNNER_URL_KEY).set(&b"http://10.0.0.2:7000".to_vec());
		let url = "http://10.0.0.2:7000";
		expect(&state, url, submit_body(), result(&status(JobState::Queued)));
		assert_eq!(run(&chain(3, vec![job(Phase::Commit, false, false)])).dispatched, 1);
		// The runner restarted: it does not know the job; the worker posts it again, and the
		// answer to that post may already carry the verdict.
		expect(&state, url, status_body(), result(&status(JobState::Unknown)));
		expect(&state, url, submit_body(), result(&status(done())));
		let report = run(&chain(4, vec![job(Phase::Commit, false, false)]));
		assert_eq!((report.dispatched, report.received, report.commits), (1, 1, 1));
	});
}

#[test]
fn answers_for_another_job_are_not_taken() {
	let (mut ext, state) = ext();
	ext.execute_with(|| {
		let other = JobStatus { id: H256::repeat_byte(1), state: done() };
		expect(&state, URL, submit_body(), result(&other));
		let report = run(&chain(3, vec![job(Phase::Commit, false, false)]));
		assert_eq!((report.received, report.commits), (0, 0));
		assert!(report.problems[0].contains("another job"), "{report:?}");
		assert_eq!(record_of(&1u64, &request()).unwrap().result, None);
	});
}

#[test]
fn a_refused_transaction_is_retried_in_the_next_run() {
	let (mut ext, state) = ext();
	ext.execute_with(|| {
		expect(&state, URL, submit_body(), result(&status(done())));
		let mut c = chain(3, vec![job(Phase::Commit, false, false)]);
		c.pool_accepts = false;
		let report = run(&c);
		assert_eq!(report.commits, 0);
		assert!(report.problems[0].contains("refused commit_verdict"));
		let salt = record_of(&1u64, &request()).unwrap().salt;
		// The next block sends it (the verdict is kept: no second runner call).
		let c = chain(4, vec![job(Phase::Commit, false, false)]);
		assert_eq!(run(&c).commits, 1);
		assert_eq!(record_of(&1u64, &request()).unwrap().salt, salt);
	});
}

#[test]
fn a_job_locked_by_another_run_is_skipped() {
	let (mut ext, _state) = ext();
	ext.execute_with(|| {
		let mut key = b"poi::job::".to_vec();
		1u64.encode_to(&mut key);
		key.extend_from_slice(request().id().as_bytes());
		key.extend_from_slice(b"::lock");
		let mut lock = StorageLock::<Time>::with_deadline(&key, Duration::from_millis(LOCK_MS));
		let guard = lock.try_lock().unwrap();
		// No HTTP request is expected: the mock would fail the test on one.
		let report = run(&chain(3, vec![job(Phase::Commit, false, false)]));
		assert_eq!((report.locked, report.dispatched), (1, 0));
		drop(guard);
	});
}

#[test]
fn a_reveal_without_the_verdict_is_reported_not_invented() {
	let (mut ext, _state) = ext();
	ext.execute_with(|| {
		// Committed by this account, but the offchain DB that had the salt is gone.
		let c = chain(9, vec![job(Phase::Reveal, true, false)]);
		let report = run(&c);
		assert_eq!(report.reveals, 0);
		assert!(report.problems[0].contains("no verdict or salt"), "{report:?}");
		assert!(c.reveals.borrow().is_empty());
	});
}

#[test]
fn a_round_waiting_for_its_draw_is_left_alone() {
	let (mut ext, state) = ext();
	ext.execute_with(|| {
		// No expected request: a call to the runner would fail the run.
		assert_eq!(run(&chain(3, vec![job(Phase::Draw, false, false)])), Report::default());
		assert!(state.read().requests.is_empty());
	});
}

#[test]
fn an_oversized_answer_is_not_read() {
	let (mut ext, state) = ext();
	ext.execute_with(|| {
		// A runner (or whatever answers at its address) that sends a valid status padded with
		// a megabyte of whitespace: the worker stops reading at its cap and takes nothing.
		let mut padded = result(&status(done()));
		padded.insert_str(0, &" ".repeat(1 << 20));
		expect(&state, URL, submit_body(), padded);
		let report = run(&chain(3, vec![job(Phase::Commit, false, false)]));
		assert_eq!((report.received, report.commits), (0, 0));
		assert!(report.problems[0].contains("TooLarge"), "{report:?}");
		assert!(record_of(&1u64, &request()).and_then(|r| r.result).is_none());
	});
}

#[test]
fn every_call_carries_the_token_the_node_read() {
	let (mut ext, state) = ext();
	ext.execute_with(|| {
		assert_eq!(runner_token(), None, "a node without --runner-token-file sends none");
		let token = "5a".repeat(32);
		StorageValueRef::persistent(RUNNER_TOKEN_KEY).set(&token.as_bytes().to_vec());
		assert_eq!(Runner::configured(), Runner { url: URL.into(), token: Some(token.clone()) });
		// The expected requests carry `Authorization: Bearer <token>` (the test externalities
		// compare the headers), from dispatch to the verdict.
		expect(&state, URL, submit_body(), result(&status(JobState::Queued)));
		assert_eq!(run(&chain(3, vec![job(Phase::Commit, false, false)])).dispatched, 1);
		expect(&state, URL, status_body(), result(&status(done())));
		assert_eq!(run(&chain(4, vec![job(Phase::Commit, false, false)])).received, 1);
	});
}
