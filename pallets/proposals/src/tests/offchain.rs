//! The verifiers' off-chain worker driving a real round of this pallet: jobs built from the
//! round and the project's protocol, the runner answered through the offchain test
//! externalities, the signed transactions from the pool dispatched, the proposal settled.

use super::*;
use codec::{Decode, Encode};
use frame_support::traits::Hooks;
use poi_offchain::{rpc::request_body, wire};
use poi_primitives::{account_bytes, Direction, Evaluator};
use sp_core::offchain::{
	testing::{PendingRequest, TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use sp_runtime::traits::Dispatchable;

#[test]
fn a_runner_signs_the_bytes_the_chain_checks() {
	new_test_ext().execute_with(|| {
		let log = ArtifactRef::new(H256::repeat_byte(8), vec![b'Q'; 46]).unwrap();
		for v in [
			Verdict::Score { score: -123_456, log: log.clone() },
			Verdict::HarnessError { log: log.clone() },
			Verdict::Invalid { log: log.clone() },
		] {
			let job = wire::JobRequest {
				genesis: Props::genesis_hash(),
				proposal: 9,
				round: RoundKind::Challenge,
				seed: H256::repeat_byte(3),
				verifier: account_bytes(&account(12)),
				..wire::JobRequest::example()
			};
			assert_eq!(
				wire::runner_payload(&job, &v),
				Props::runner_payload(
					9,
					RoundKind::Challenge,
					&H256::repeat_byte(3),
					&account(12),
					&v
				)
			);
		}
		// A runner names its verifier by the account id's own 32 bytes.
		assert_eq!(account_bytes(&account(12)).encode(), account(12).encode());
		assert_eq!(
			Props::genesis_hash().encode(),
			frame_system::Pallet::<Test>::block_hash(0u64).encode()
		);
	});
}

#[test]
fn the_offchain_worker_takes_a_round_from_reveal_to_settlement() {
	let mut ext = new_test_ext();
	let keystore = MemoryKeystore::new();
	let key = keystore.sr25519_generate_new(poi_offchain::VERIFIER_KEY_TYPE, Some("//V")).unwrap();
	let (offchain, state) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(KeystoreExt::new(keystore));
	ext.execute_with(|| {
		// A project re-run by one verifier: the one whose key is in this node's keystore.
		let project = pallet_projects::NextProjectId::<Test>::get();
		let protocol = Protocol { quorum: 1, ..Protocol::example(46) };
		assert_ok!(Registry::create_project(
			RuntimeOrigin::signed(account(1)),
			protocol.clone(),
			b"nanogpt".to_vec(),
			b"NANO".to_vec(),
			curve(),
			None,
		));
		assert_ok!(Curve::buy(RuntimeOrigin::signed(account(MINER)), project, 300, u64::MAX));
		let verifier = AccountId::from(key);
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(account(1)),
			verifier.clone(),
			200_000
		));
		assert_ok!(Verifiers::register(
			RuntimeOrigin::signed(verifier.clone()),
			100_000,
			runner(42).public(),
			Evaluators::ALL
		));
		let claim = -900_000;
		let id = propose(MINER, project, 0, 7, claim);
		assert_eq!(assigned(id), vec![verifier.clone()]);

		// The job the runner gets: the round, the protocol's evaluator, metric and artifacts.
		let round = Rounds::<Test>::get(id).unwrap();
		let request = wire::JobRequest {
			genesis: Props::genesis_hash(),
			proposal: id,
			project,
			round: RoundKind::Initial,
			seed: round.seed,
			verifier: account_bytes(&verifier),
			evaluator: Evaluator::CandleGpt { steps: 1_000 },
			direction: Direction::Minimize,
			scale_exponent: 6,
			document: protocol.document.clone(),
			benchmark: protocol.benchmark.clone(),
			code: code(7),
		};
		let verdict = Verdict::Score {
			score: claim,
			log: ArtifactRef::new(H256::repeat_byte(5), b"log-cid".to_vec()).unwrap(),
		};
		let signature = runner(42).sign(&wire::runner_payload(&request, &verdict));
		let answer = wire::JobStatus {
			id: request.id(),
			state: wire::JobState::Done {
				verdict: verdict.clone(),
				signature: wire::Signature(signature.0),
			},
		};
		state.write().expect_request(PendingRequest {
			method: "POST".into(),
			uri: poi_offchain::worker::DEFAULT_RUNNER_URL.into(),
			headers: vec![("Content-Type".into(), "application/json".into())],
			body: request_body(1, "submit_job", (&request,)),
			response: Some(
				format!(
					r#"{{"jsonrpc":"2.0","id":1,"result":{}}}"#,
					serde_json::to_string(&answer).unwrap()
				)
				.into_bytes(),
			),
			sent: true,
			..Default::default()
		});

		// Each transaction the worker sends is signed by the verifier; dispatching it is what
		// the block author would do.
		let dispatch_from_pool = || {
			let raw = pool_state.write().transactions.pop().expect("a transaction in the pool");
			assert!(pool_state.read().transactions.is_empty());
			let xt = Extrinsic::decode(&mut &raw[..]).unwrap();
			let sp_runtime::generic::Preamble::Signed(signer, _, _) = &xt.preamble else {
				panic!("signed")
			};
			assert_eq!(*signer, verifier);
			assert_ok!(xt.function.dispatch(RuntimeOrigin::signed(signer.clone())));
		};
		Verifiers::offchain_worker(now());
		dispatch_from_pool();
		let round = Rounds::<Test>::get(id).unwrap();
		assert!(round.assignments[0].commitment.is_some());
		assert_eq!(round.phase, Phase::Reveal, "the only verifier committed");
		// The miner's client reveals the claim now that the verdict is committed.
		reveal_claim_when_due(id);

		next_block();
		Verifiers::offchain_worker(now());
		dispatch_from_pool();
		assert!(matches!(status(id), ProposalStatus::Approved { .. }), "{:?}", status(id));
		assert_eq!(<Registry as Lineage<AccountId>>::best(project).unwrap().1, claim);
		check();
	});
}
