//! The off-chain worker hook in the mock runtime: local keys, signed transactions into the
//! pool, the runner answered by the offchain test externalities.

use crate::{mock::*, Evaluators};
use codec::{Decode, Encode};
use frame_support::{assert_ok, traits::Hooks};
use poi_offchain::{
	rpc::request_body,
	wire::*,
	worker::{record_of, LocalJob, DEFAULT_RUNNER_URL},
};
use poi_primitives::{digest_of, ArtifactRef, Phase, Verdict};
use sp_core::{
	offchain::{
		testing::{PendingRequest, TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	},
	H256,
};
use sp_runtime::testing::UintAuthorityId;

fn job(phase: Phase, committed: bool) -> LocalJob {
	LocalJob {
		request: JobRequest { proposal: 11, ..JobRequest::example() },
		phase,
		committed,
		revealed: false,
	}
}

type Shared<T> = std::sync::Arc<parking_lot::RwLock<T>>;

/// The mock runtime with the offchain worker, offchain DB and transaction pool extensions.
fn offchain_ext() -> (
	sp_io::TestExternalities,
	Shared<sp_core::offchain::testing::OffchainState>,
	Shared<sp_core::offchain::testing::PoolState>,
) {
	let mut ext = open_ext();
	let (offchain, state) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	(ext, state, pool_state)
}

fn verdict() -> Verdict {
	Verdict::Invalid { log: ArtifactRef::new(digest_of(b"why"), "why-cid").unwrap() }
}

fn answer(request: &JobRequest) -> Vec<u8> {
	let status = JobStatus {
		id: request.id(),
		state: JobState::Done { verdict: verdict(), signature: Signature([3; 64]) },
	};
	format!(r#"{{"jsonrpc":"2.0","id":1,"result":{}}}"#, serde_json::to_string(&status).unwrap())
		.into_bytes()
}

#[test]
fn local_verifiers_commit_and_reveal_signed_by_their_own_keys() {
	let (mut ext, state, pool_state) = offchain_ext();
	ext.execute_with(|| {
		// Keys 1 and 2 are local; 1 and 3 are verifiers; 2 is not, 3 has no local key.
		UintAuthorityId::set_all_keys([1u64, 2]);
		assert_ok!(Registry::register(
			RuntimeOrigin::signed(1),
			100,
			sp_core::sr25519::Public::from_raw([1; 32]),
			Evaluators::ALL
		));
		assert_ok!(Registry::register(
			RuntimeOrigin::signed(3),
			100,
			sp_core::sr25519::Public::from_raw([3; 32]),
			Evaluators::ALL
		));
		let mine = job(Phase::Commit, false);
		JOBS.with(|jobs| {
			*jobs.borrow_mut() = vec![
				(1, mine.clone()),
				(2, job(Phase::Commit, false)),
				(3, job(Phase::Commit, false)),
			]
		});
		// Only verifier 1's job reaches the runner.
		state.write().expect_request(PendingRequest {
			method: "POST".into(),
			uri: DEFAULT_RUNNER_URL.into(),
			headers: vec![("Content-Type".into(), "application/json".into())],
			body: request_body(1, "submit_job", (&mine.request,)),
			response: Some(answer(&mine.request)),
			sent: true,
			..Default::default()
		});
		Registry::offchain_worker(1);

		let salt = record_of(&1u64, &mine.request).unwrap().salt.unwrap();
		let raw = pool_state.write().transactions.pop().expect("one commit");
		assert!(pool_state.read().transactions.is_empty());
		let xt = Extrinsic::decode(&mut &raw[..]).unwrap();
		let sp_runtime::generic::Preamble::Signed(signer, signature, extension) = &xt.preamble
		else {
			panic!("a signed transaction")
		};
		assert_eq!(*signer, 1);
		assert_eq!(extension.0, 0, "the account's nonce");
		assert_eq!(signature.0, 1, "signed with key 1");
		let commitment = H256(sp_io::hashing::blake2_256(&(11u64, verdict(), salt, 1u64).encode()));
		assert_eq!(
			xt.function,
			RuntimeCall::System(frame_system::Call::remark {
				remark: (b"commit", 11u64, commitment).encode()
			})
		);

		// In the reveal phase: the reveal, with the same salt and the runner's signature; no
		// second runner call (the mock would fail on one).
		JOBS.with(|jobs| *jobs.borrow_mut() = vec![(1, job(Phase::Reveal, true))]);
		Registry::offchain_worker(2);
		let raw = pool_state.write().transactions.pop().expect("one reveal");
		let xt = Extrinsic::decode(&mut &raw[..]).unwrap();
		assert_eq!(
			xt.function,
			RuntimeCall::System(frame_system::Call::remark {
				remark: (b"reveal", 11u64, verdict(), salt, Signature([3; 64])).encode()
			})
		);
	});
}

#[test]
fn no_local_verifier_no_runner_calls() {
	let (mut ext, _state, pool_state) = offchain_ext();
	ext.execute_with(|| {
		UintAuthorityId::set_all_keys([5u64]);
		JOBS.with(|jobs| *jobs.borrow_mut() = vec![(5, job(Phase::Commit, false))]);
		// 5 has a local key and a job, but is no registered verifier.
		Registry::offchain_worker(1);
		assert!(pool_state.read().transactions.is_empty());
	});
}
