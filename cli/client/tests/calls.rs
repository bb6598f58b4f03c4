//! The calls the client builds are the runtime's calls: each is encoded through the generated
//! API (checked against the committed metadata, as it is against a node's) and decoded by the
//! runtime itself into the call and arguments meant.

use codec::Decode;
use poi_client::H256;
use poi_client::{api, subxt};
use poi_primitives::{ArtifactRef, Evaluators};
use poi_runtime::RuntimeCall;

/// The call data of `payload`, encoded offline with the committed metadata.
fn call_data<P: subxt::tx::Payload>(payload: &P) -> Vec<u8> {
	use subxt::config::substrate::SpecVersionForRange;
	let bytes =
		std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../metadata/poi.scale")).unwrap();
	let metadata = subxt::metadata::Metadata::decode_from(&bytes).unwrap().arc();
	let config = subxt::PolkadotConfig::builder()
		.use_historic_types(false)
		.set_spec_version_for_block_ranges([SpecVersionForRange {
			block_range: 0..u64::MAX,
			spec_version: 1,
			transaction_version: 1,
		}])
		.set_metadata_for_spec_versions([(1, metadata)])
		.build();
	let client = subxt::client::OfflineClient::new_with_config(config);
	client.at_block(0u64).unwrap().tx().call_data(payload).unwrap()
}

fn decoded<P: subxt::tx::Payload>(payload: &P) -> RuntimeCall {
	let data = call_data(payload);
	let mut input = &data[..];
	let call = RuntimeCall::decode(&mut input).expect("the runtime decodes the call");
	assert!(input.is_empty(), "the runtime reads every byte");
	call
}

#[test]
fn proposal_calls_are_the_runtimes() {
	let code = ArtifactRef::new(H256::repeat_byte(7), b"bafycid".to_vec()).unwrap();
	let claim = poi_primitives::claim_hash(-151_234, &H256::repeat_byte(9));
	let commitment = poi_primitives::proposal_commitment(3, 1, &code, &claim, &[4u8; 32]);
	match decoded(&api::tx().proposals().commit(3, commitment, 25)) {
		RuntimeCall::Proposals(pallet_proposals::Call::commit {
			project,
			commitment: c,
			stake,
		}) => {
			assert_eq!((project, c, stake), (3, commitment, 25));
		},
		other => panic!("{other:?}"),
	}
	match decoded(&api::tx().proposals().reveal(commitment, 1, poi_client::artifact(&code), claim))
	{
		RuntimeCall::Proposals(pallet_proposals::Call::reveal {
			commitment: c,
			parent,
			code: k,
			claim: h,
		}) => {
			assert_eq!((c, parent, k, h), (commitment, 1, code.clone(), claim));
		},
		other => panic!("{other:?}"),
	}
	match decoded(&api::tx().proposals().reveal_claim(8, -151_234, H256::repeat_byte(9))) {
		RuntimeCall::Proposals(pallet_proposals::Call::reveal_claim {
			proposal,
			claimed_score,
			salt,
		}) => {
			assert_eq!((proposal, claimed_score, salt), (8, -151_234, H256::repeat_byte(9)));
		},
		other => panic!("{other:?}"),
	}
}

#[test]
fn token_and_verifier_calls_are_the_runtimes() {
	match decoded(&api::tx().bonding_curve().buy(2, 30, 1_000)) {
		RuntimeCall::BondingCurve(pallet_bonding_curve::Call::buy {
			project,
			amount,
			max_cost,
		}) => {
			assert_eq!((project, amount, max_cost), (2, 30, 1_000));
		},
		other => panic!("{other:?}"),
	}
	let evaluators = Evaluators::NONE.with(poi_primitives::EvaluatorKind::Command);
	match decoded(&api::tx().verifiers().register(5, [6; 32], poi_client::evaluators(evaluators))) {
		RuntimeCall::Verifiers(pallet_verifiers::Call::register {
			bond,
			runner_key,
			evaluators: e,
		}) => {
			assert_eq!((bond, runner_key.0, e), (5, [6; 32], evaluators));
		},
		other => panic!("{other:?}"),
	}
}
