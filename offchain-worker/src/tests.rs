use crate::{rpc::*, wire::*};
use codec::Encode;
use sp_core::H256;

fn job() -> JobRequest {
	JobRequest {
		proposal: 3,
		project: 1,
		evaluator: EvaluatorSpec::Wasm { fuel: 1_000_000 },
		..JobRequest::example()
	}
}

#[test]
fn verifier_key_type_is_poiv() {
	assert_eq!(&crate::VERIFIER_KEY_TYPE.0, b"poiv");
}

#[test]
fn job_id_depends_on_chain_proposal_round_seed_and_verifier_only() {
	let a = job();
	assert_eq!(a.id(), job().id());
	let mut b = job();
	b.code = Artifact::new(H256::zero(), "other");
	assert_eq!(a.id(), b.id(), "the id names the round, not what is in it");
	for change in [
		|j: &mut JobRequest| j.genesis = H256::zero(),
		|j: &mut JobRequest| j.proposal = 4,
		|j: &mut JobRequest| j.round = RoundKind::Challenge,
		|j: &mut JobRequest| j.seed = H256::zero(),
		|j: &mut JobRequest| j.verifier = H256::zero(),
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
fn scores_travel_as_decimal_strings_and_keep_i128_range() {
	for score in [i128::MIN, -997_900, 0, i128::MAX] {
		let v = Verdict::Score { score, log: Artifact::new(H256::zero(), "log") };
		let text = serde_json::to_string(&v).unwrap();
		assert!(text.contains(&format!("\"score\":\"{score}\"")), "{text}");
		assert!(text.contains("\"kind\":\"score\""), "{text}");
		assert_eq!(serde_json::from_str::<Verdict>(&text).unwrap(), v);
	}
	let bad = r#"{"kind":"score","score":"1e3","log":{"digest":"0x00","cid":""}}"#;
	assert!(serde_json::from_str::<Verdict>(bad).is_err());
}

#[test]
fn status_states_parse() {
	let id = job().id();
	let done = JobStatus {
		id,
		state: JobState::Done {
			verdict: Verdict::Invalid { log: Artifact::new(H256::repeat_byte(1), "l") },
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
fn verdict_scale_encoding_is_variant_then_fields() {
	let log = Artifact::new(H256::repeat_byte(2), "ab");
	let v = Verdict::HarnessError { log: log.clone() };
	let mut expected = vec![1u8];
	expected.extend_from_slice(&[2u8; 32]);
	expected.extend_from_slice(&[8, b'a', b'b']); // compact length 2, then the bytes
	assert_eq!(v.encode(), expected);
	let job = JobRequest { round: RoundKind::Challenge, ..job() };
	let payload = runner_payload(&job, &v);
	// genesis, proposal, round kind, seed, verifier, verdict hash.
	assert_eq!(payload.len(), 32 + 8 + 1 + 32 + 32 + 32);
	assert_eq!(&payload[..32], &[7u8; 32]);
	assert_eq!(&payload[32..40], &3u64.to_le_bytes());
	assert_eq!(payload[40], 1, "a challenge round");
	assert_eq!(&payload[41..73], &[9u8; 32]);
	assert_eq!(&payload[73..105], &[4u8; 32]);
	assert_eq!(&payload[105..], &sp_crypto_hashing::blake2_256(&expected));
}

#[test]
fn artifacts_check_their_digest() {
	let a = Artifact::new(digest_of(b"bytes"), "cid");
	assert!(a.matches(b"bytes"));
	assert!(!a.matches(b"bytes "));
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
