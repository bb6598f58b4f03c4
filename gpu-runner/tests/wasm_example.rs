//! The repository's wasm example (examples/wasm-sort), built from source and scored by the
//! evaluator: the faster candidate beats the baseline, every runner counts the same fuel.

use poi_offchain::wire::JobRequest;
use poi_primitives::{Direction, Evaluator, RoundKind};
use poi_runner::{
	evaluate::{evaluate, Finding},
	store::{BlobStore, Store},
};
use sp_core::H256;
use std::{path::PathBuf, process::Command};

fn example() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/wasm-sort")
}

fn build() -> PathBuf {
	let status = Command::new("bash").arg(example().join("build.sh")).status().unwrap();
	assert!(status.success(), "examples/wasm-sort/build.sh failed");
	example().join("build")
}

fn score(store: &BlobStore, out: &std::path::Path, candidate: &str, seed: u8) -> Finding {
	let put = |path: PathBuf| store.put(&std::fs::read(path).unwrap()).unwrap();
	let protocol: serde_json::Value =
		serde_json::from_slice(&std::fs::read(example().join("protocol.json")).unwrap()).unwrap();
	let job = JobRequest {
		genesis: H256::zero(),
		proposal: 1,
		project: 0,
		round: RoundKind::Initial,
		seed: H256::repeat_byte(seed),
		verifier: H256::zero(),
		evaluator: Evaluator::Wasm { fuel: protocol["budget"].as_u64().unwrap() },
		direction: Direction::Minimize,
		scale_exponent: 0,
		document: put(example().join("protocol.json")),
		benchmark: put(out.join("harness.wasm")),
		code: put(out.join(format!("{candidate}.wasm"))),
	};
	let evaluation = evaluate(&job, store);
	assert!(
		evaluation.log.contains("4 rounds of 2048 numbers sorted correctly")
			|| !matches!(evaluation.finding, Finding::Score(_)),
		"{}",
		evaluation.log
	);
	evaluation.finding
}

#[test]
fn the_faster_candidate_beats_the_baseline_on_every_seed() {
	let out = build();
	let dir = tempfile::tempdir().unwrap();
	let store = BlobStore::open(dir.path()).unwrap();
	for seed in [1u8, 2, 77] {
		let Finding::Score(baseline) = score(&store, &out, "baseline", seed) else {
			panic!("the baseline scores")
		};
		let Finding::Score(faster) = score(&store, &out, "faster", seed) else {
			panic!("the faster candidate scores")
		};
		assert!(faster > baseline, "seed {seed}: faster {faster} beats baseline {baseline}");
		// Far beyond the protocol's 1 % threshold: O(n log n) against O(n^2).
		assert!(faster / 10 > baseline, "seed {seed}: {faster} vs {baseline}");
		// Deterministic: the same modules and seed cost the same fuel.
		assert_eq!(score(&store, &out, "baseline", seed), Finding::Score(baseline));
		assert_eq!(score(&store, &out, "faster", seed), Finding::Score(faster));
	}
	// The harness is no candidate: it imports the host's functions.
	assert_eq!(score(&store, &out, "harness", 1), Finding::Invalid);
}
