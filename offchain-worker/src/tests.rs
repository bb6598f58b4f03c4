use crate::{rpc::*, wire::*};
use poi_primitives::{ArtifactRef, Evaluator, RoundKind, Verdict};
use sp_core::H256;

fn job() -> JobRequest {
	JobRequest {
		proposal: 3,
		project: 1,
		evaluator: Evaluator::Wasm { fuel: 1_000_000 },
		..JobRequest::example()
	}
}

#[test]
fn verifier_key_type_is_poiv() {
	assert_eq!(&crate::VERIFIER_KEY_TYPE.0, b"poiv");
}

#[test]
fn a_job_id_names_the_whole_request() {
	let a = job();
	assert_eq!(a.id(), job().id());
	assert_eq!(a.id().0, sp_crypto_hashing::blake2_256(&codec::Encode::encode(&a)));
	for change in [
		|j: &mut JobRequest| j.genesis = H256::zero(),
		|j: &mut JobRequest| j.proposal = 4,
		|j: &mut JobRequest| j.project = 2,
		|j: &mut JobRequest| j.round = RoundKind::Challenge,
		|j: &mut JobRequest| j.seed = H256::zero(),
		|j: &mut JobRequest| j.verifier = H256::zero(),
		|j: &mut JobRequest| j.evaluator = Evaluator::Wasm { fuel: 1 },
		|j: &mut JobRequest| j.direction = poi_primitives::Direction::Maximize,
		|j: &mut JobRequest| j.scale_exponent = 1,
		|j: &mut JobRequest| j.document = ArtifactRef::new(H256::zero(), "other").unwrap(),
		|j: &mut JobRequest| j.benchmark = ArtifactRef::new(H256::zero(), "other").unwrap(),
		// The same round with another candidate (whoever reaches the runner first).
		|j: &mut JobRequest| j.code = ArtifactRef::new(H256::zero(), "other").unwrap(),
	] {
		let mut c = job();
		change(&mut c);
		assert_ne!(a.id(), c.id());
	}
}

#[test]
fn job_round_trips_through_json_with_hex_hashes() {
	let text = serde_json::to_string(&job()).unwrap();
	assert!(text.contains("\"genesis\":\"0x0707"), "{text}");
	assert!(text.contains("\"evaluator\":{\"wasm\":{\"fuel\":1000000}}"), "{text}");
	assert!(text.contains("\"cid\":\"candidate-cid\""), "{text}");
	assert_eq!(serde_json::from_str::<JobRequest>(&text).unwrap(), job());
}

#[test]
fn status_states_parse() {
	let id = job().id();
	let done = JobStatus {
		id,
		state: JobState::Done {
			verdict: Verdict::Invalid { log: ArtifactRef::new(H256::repeat_byte(1), "l").unwrap() },
			signature: Signature([5; 64]),
		},
	};
	let text = serde_json::to_string(&done).unwrap();
	assert!(text.contains("\"state\":\"done\""), "{text}");
	assert_eq!(serde_json::from_str::<JobStatus>(&text).unwrap(), done);
	let queued = format!("{{\"id\":\"{id:?}\",\"state\":\"queued\"}}");
	assert_eq!(
		serde_json::from_str::<JobStatus>(&queued).unwrap(),
		JobStatus { id, state: JobState::Queued }
	);
	let short_signature = text.replace(&"05".repeat(64), "0505");
	assert!(serde_json::from_str::<JobStatus>(&short_signature).is_err());
}

#[test]
fn the_runner_signs_the_payload_of_its_job() {
	let v = Verdict::HarnessError { log: ArtifactRef::new(H256::repeat_byte(2), "ab").unwrap() };
	let job = JobRequest { round: RoundKind::Challenge, ..job() };
	assert_eq!(
		runner_payload(&job, &v),
		poi_primitives::runner_payload(
			&H256::repeat_byte(7),
			3,
			RoundKind::Challenge,
			&H256::repeat_byte(9),
			&H256::repeat_byte(4),
			&v
		)
	);
}

#[test]
fn requests_and_responses() {
	let body = request_body(1, "job_status", (H256::repeat_byte(1),));
	let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
	assert_eq!(value["jsonrpc"], "2.0");
	assert_eq!(value["method"], "job_status");
	assert_eq!(value["params"][0], format!("{:?}", H256::repeat_byte(1)));

	let ok = br#"{"jsonrpc":"2.0","id":1,"result":{"id":"0x0101010101010101010101010101010101010101010101010101010101010101","state":"running"}}"#;
	let status: JobStatus = parse_response(ok).unwrap();
	assert_eq!(status.state, JobState::Running);

	let full = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"queue full"}}"#;
	assert_eq!(
		parse_response::<JobStatus>(full),
		Err(CallError::Rpc(RpcError { code: QUEUE_FULL, message: "queue full".into() }))
	);
	for garbage in [&b"<html>502</html>"[..], b"", b"{}", br#"{"result":{"id":1}}"#] {
		assert_eq!(parse_response::<JobStatus>(garbage), Err(CallError::Garbage));
	}
}
