use super::*;
use alloc::{string::ToString, vec};

fn artifact(tag: u8, cid: &str) -> ArtifactRef {
	ArtifactRef::new(H256::repeat_byte(tag), cid.as_bytes()).unwrap()
}

fn score(score: Score) -> Verdict {
	Verdict::Score { score, log: artifact(3, "bafy-log") }
}

#[test]
fn a_cid_is_at_most_max_cid_len_bytes() {
	let longest = vec![b'Q'; MAX_CID_LEN as usize];
	assert_eq!(ArtifactRef::new(H256::zero(), longest.clone()).unwrap().cid.len(), 128);
	let too_long = vec![b'Q'; MAX_CID_LEN as usize + 1];
	assert_eq!(ArtifactRef::new(H256::zero(), too_long), Err(CidTooLong));
	// The bound is what the chain reserves for an artifact.
	let at_max = ArtifactRef::new(H256::zero(), longest).unwrap();
	assert_eq!(at_max.encoded_size(), ArtifactRef::max_encoded_len());
}

#[test]
fn an_artifact_matches_the_bytes_of_its_digest_only() {
	let log = ArtifactRef::new(digest_of(b"the log"), "cid").unwrap();
	assert!(log.matches(b"the log"));
	assert!(!log.matches(b"the log!"));
	assert_eq!(digest_of(b"").0, sp_crypto_hashing::blake2_256(b""));
}

#[test]
fn a_verdict_encodes_as_its_fields_in_order() {
	// Written out by hand, so a reordered variant or field (which would break every signature
	// and every client) fails here.
	let mut expected = vec![0u8]; // Score
	expected.extend_from_slice(&(-5i128).to_le_bytes());
	expected.extend_from_slice(&[3u8; 32]);
	expected.push(8 << 2); // compact length of "bafy-log"
	expected.extend_from_slice(b"bafy-log");
	assert_eq!(score(-5).encode(), expected);
	let invalid = Verdict::Invalid { log: artifact(3, "bafy-log") };
	assert_eq!(invalid.encode()[0], 2);
	assert_eq!(invalid.encode()[1..], expected[17..]);
	assert_eq!(Verdict::decode(&mut &expected[..]).unwrap(), score(-5));
}

#[test]
fn the_runner_payload_covers_chain_round_seed_verifier_and_verdict() {
	let (genesis, seed, verifier) =
		(H256::repeat_byte(7), H256::repeat_byte(9), H256::repeat_byte(4));
	let payload = runner_payload(&genesis, 5, RoundKind::Challenge, &seed, &verifier, &score(-5));
	let mut expected = vec![7u8; 32];
	expected.extend_from_slice(&5u64.to_le_bytes());
	expected.push(1); // Challenge
	expected.extend_from_slice(&[9u8; 32]);
	expected.extend_from_slice(&[4u8; 32]);
	expected.extend_from_slice(&sp_crypto_hashing::blake2_256(&score(-5).encode()));
	assert_eq!(payload, expected);

	// Each part changes what is signed.
	let other = [
		runner_payload(&seed, 5, RoundKind::Challenge, &seed, &verifier, &score(-5)),
		runner_payload(&genesis, 6, RoundKind::Challenge, &seed, &verifier, &score(-5)),
		runner_payload(&genesis, 5, RoundKind::Initial, &seed, &verifier, &score(-5)),
		runner_payload(&genesis, 5, RoundKind::Challenge, &genesis, &verifier, &score(-5)),
		runner_payload(&genesis, 5, RoundKind::Challenge, &seed, &seed, &score(-5)),
		runner_payload(&genesis, 5, RoundKind::Challenge, &seed, &verifier, &score(-4)),
	];
	assert!(other.iter().all(|o| *o != payload));
}

#[test]
fn commitments_bind_every_field_and_their_author() {
	let salt = H256::repeat_byte(1);
	let code = artifact(2, "bafy-code");
	let claim = claim_hash(100, &salt);
	assert_ne!(claim, claim_hash(101, &salt));
	assert_ne!(claim, claim_hash(100, &H256::repeat_byte(2)));
	assert_eq!(claim.0, sp_crypto_hashing::blake2_256(&(100i128, salt).encode()));

	let alice = [1u8; 32];
	let bob = [2u8; 32];
	let c = proposal_commitment(0, 0, &code, &claim, &alice);
	assert_eq!(c.0, sp_crypto_hashing::blake2_256(&(0u32, 0u32, &code, claim, alice).encode()));
	assert_ne!(c, proposal_commitment(0, 0, &code, &claim, &bob));
	assert_ne!(c, proposal_commitment(1, 0, &code, &claim, &alice));
	assert_ne!(c, proposal_commitment(0, 1, &code, &claim, &alice));
	assert_ne!(c, proposal_commitment(0, 0, &artifact(3, "bafy-code"), &claim, &alice));
	assert_ne!(c, proposal_commitment(0, 0, &code, &salt, &alice));

	let v = verdict_commitment(5, &score(-5), &salt, &alice);
	assert_eq!(v.0, sp_crypto_hashing::blake2_256(&(5u64, score(-5), salt, alice).encode()));
	assert_ne!(v, verdict_commitment(5, &score(-5), &salt, &bob));
	assert_ne!(v, verdict_commitment(6, &score(-5), &salt, &alice));
	assert_ne!(v, verdict_commitment(5, &score(-4), &salt, &alice));
	assert_ne!(v, verdict_commitment(5, &score(-5), &claim, &alice));
}

#[test]
fn account_bytes_are_the_account_padded_or_cut_to_32() {
	assert_eq!(account_bytes(&[5u8; 32]), H256::repeat_byte(5));
	let mut short = [0u8; 32];
	short[..8].copy_from_slice(&7u64.to_le_bytes());
	assert_eq!(account_bytes(&7u64), H256(short));
	assert_eq!(account_bytes(&[6u8; 40]), H256::repeat_byte(6));
}

#[test]
fn the_json_forms_are_camel_case_with_text_cids_and_scores() {
	let json =
		serde_json::to_value(score(-170_141_183_460_469_231_731_687_303_715_884_105_728)).unwrap();
	assert_eq!(
		json,
		serde_json::json!({
			"kind": "score",
			"score": "-170141183460469231731687303715884105728",
			"log": { "digest": format!("0x{}", "03".repeat(32)), "cid": "bafy-log" },
		})
	);
	assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), score(Score::MIN));
	assert_eq!(
		serde_json::to_value(Verdict::HarnessError { log: artifact(3, "x") }).unwrap()["kind"],
		"harnessError"
	);
	assert_eq!(
		serde_json::to_value(Evaluator::CandleGpt { steps: 3 }).unwrap(),
		serde_json::json!({ "candleGpt": { "steps": 3 } })
	);
	assert_eq!(serde_json::to_value(Direction::Minimize).unwrap(), "minimize");
	assert_eq!(serde_json::to_value(RoundKind::Challenge).unwrap(), "challenge");
	assert_eq!(
		serde_json::to_value(Evaluator::Command { seconds: 60 }).unwrap(),
		serde_json::json!({ "command": { "seconds": 60 } })
	);
	assert_eq!(
		serde_json::to_value(Evaluators::ALL).unwrap(),
		serde_json::json!({ "wasm": true, "candleGpt": true, "command": true })
	);
}

#[test]
fn bad_json_is_refused_with_a_reason() {
	let digest = format!("0x{}", "03".repeat(32));
	let long = "Q".repeat(MAX_CID_LEN as usize + 1);
	let err =
		serde_json::from_value::<ArtifactRef>(serde_json::json!({ "digest": digest, "cid": long }))
			.unwrap_err();
	assert!(err.to_string().contains("a CID is at most 128 bytes"), "{err}");
	let err = serde_json::from_value::<Verdict>(serde_json::json!({
		"kind": "score", "score": 5, "log": { "digest": digest, "cid": "x" }
	}))
	.unwrap_err();
	assert!(err.to_string().contains("string"), "{err}");
	let err = serde_json::from_value::<Verdict>(serde_json::json!({
		"kind": "score", "score": "1e3", "log": { "digest": digest, "cid": "x" }
	}))
	.unwrap_err();
	assert!(err.to_string().contains("decimal i128"), "{err}");
	assert!(serde_json::from_value::<Verdict>(serde_json::json!({
		"kind": "perfect", "log": { "digest": digest, "cid": "x" }
	}))
	.is_err());
}

#[test]
fn evaluators_name_and_contain_their_kinds() {
	assert_eq!(Evaluator::Wasm { fuel: 1 }.name(), "wasm");
	assert_eq!(Evaluator::CandleGpt { steps: 1 }.name(), "candle-gpt");
	assert!(Evaluator::Wasm { fuel: 1 }.is_deterministic());
	assert!(!Evaluator::CandleGpt { steps: 1 }.is_deterministic());
	assert_eq!(Evaluator::Command { seconds: 1 }.name(), "command");
	assert!(!Evaluator::Command { seconds: 1 }.is_deterministic());
	let wasm_only = Evaluators::NONE.with(EvaluatorKind::Wasm);
	assert!(wasm_only.has(EvaluatorKind::Wasm) && !wasm_only.has(EvaluatorKind::CandleGpt));
	assert!(!wasm_only.has(EvaluatorKind::Command));
	assert!(Evaluators::NONE.is_empty() && !wasm_only.is_empty());
	let all = [EvaluatorKind::Wasm, EvaluatorKind::CandleGpt, EvaluatorKind::Command];
	assert_eq!(all.iter().fold(Evaluators::NONE, |e, k| e.with(*k)), Evaluators::ALL);
	assert!(all.iter().all(|k| Evaluators::ALL.has(*k)));
	// SCALE: the variant's index, then its budget; the flags in order.
	assert_eq!(Evaluator::Command { seconds: 0x0102_0304 }.encode(), vec![2, 4, 3, 2, 1]);
	assert_eq!(Evaluators::NONE.with(EvaluatorKind::Command).encode(), vec![0, 0, 1]);
	assert_eq!(score(1).log().cid.to_vec(), b"bafy-log".to_vec());
	assert_eq!(Verdict::Invalid { log: artifact(4, "w") }.log().digest, H256::repeat_byte(4));
	assert_eq!(CidTooLong.to_string(), "a CID is at most 128 bytes");
}
