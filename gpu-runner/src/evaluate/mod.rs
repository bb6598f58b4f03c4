//! Evaluators: from a job and its artifacts to a verdict and the log of the run.

pub mod wasm;

use crate::store::{FetchError, Store};
use poi_offchain::wire::{Artifact, Direction, EvaluatorSpec, JobRequest};
use serde::Deserialize;
use std::{fmt::Write, time::Duration};

/// What an evaluation came to, before it is stored and signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
	/// A measured score (scaled, larger is better).
	Score(i128),
	/// The candidate is invalid.
	Invalid,
	/// The harness or the machine failed.
	HarnessError,
}

/// An evaluation: its finding and the log of the run (text, stored as an artifact).
#[derive(Clone, Debug)]
pub struct Evaluation {
	/// The finding.
	pub finding: Finding,
	/// The log.
	pub log: String,
}

/// The evaluators this runner has, by [`EvaluatorSpec::name`].
pub const EVALUATORS: &[&str] = &["wasm"];

/// Whether this runner can run `spec`.
pub fn supports(spec: &EvaluatorSpec) -> bool {
	EVALUATORS.contains(&spec.name())
}

/// The optional settings of a wasm project's protocol document (JSON):
/// `{"wasm": {"memoryMiB": 64, "wallSeconds": 60}}`. Anything else in the document is for
/// people.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Document {
	#[serde(default)]
	wasm: WasmSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WasmSettings {
	#[serde(default = "default_memory_mib", rename = "memoryMiB")]
	memory_mib: u32,
	#[serde(default = "default_wall_seconds")]
	wall_seconds: u32,
}

impl Default for WasmSettings {
	fn default() -> Self {
		WasmSettings { memory_mib: default_memory_mib(), wall_seconds: default_wall_seconds() }
	}
}

fn default_memory_mib() -> u32 {
	64
}

fn default_wall_seconds() -> u32 {
	60
}

/// The largest memory cap a document may ask for, in MiB.
const MAX_MEMORY_MIB: u32 = 4096;

/// Evaluates `job` with artifacts from `store`. Never panics on bad input: every failure is a
/// finding with its reason in the log.
pub fn evaluate(job: &JobRequest, store: &dyn Store) -> Evaluation {
	let mut log = String::new();
	let _ = writeln!(
		log,
		"poi-runner {} evaluator {}",
		env!("CARGO_PKG_VERSION"),
		job.evaluator.name()
	);
	let _ = writeln!(
		log,
		"job {:?}: proposal {} of project {}, {:?} round",
		job.id(),
		job.proposal,
		job.project,
		job.round
	);
	let _ = writeln!(log, "seed {:?}", job.seed);
	let finding = run(job, store, &mut log);
	let _ = match &finding {
		Finding::Score(score) => writeln!(log, "verdict: score {score}"),
		Finding::Invalid => writeln!(log, "verdict: invalid"),
		Finding::HarnessError => writeln!(log, "verdict: harness error"),
	};
	Evaluation { finding, log }
}

fn run(job: &JobRequest, store: &dyn Store, log: &mut String) -> Finding {
	// The project's own files: when they cannot be had the candidate is not at fault.
	let project_file = |what: &str, a: &Artifact, log: &mut String| match store.fetch(a) {
		Ok(bytes) => Some(bytes),
		Err(e) => {
			let _ = writeln!(log, "{what} {}: {e}", String::from_utf8_lossy(&a.cid));
			None
		},
	};
	let Some(document) = project_file("protocol document", &job.document, log) else {
		return Finding::HarnessError;
	};
	let Some(benchmark) = project_file("benchmark", &job.benchmark, log) else {
		return Finding::HarnessError;
	};
	// The candidate: a missing or altered candidate is the miner's fault.
	let candidate = match store.fetch(&job.code) {
		Ok(bytes) => bytes,
		Err(FetchError::Unavailable(why)) => {
			let _ = writeln!(log, "candidate: the store failed: {why}");
			return Finding::HarnessError;
		},
		Err(e) => {
			let _ = writeln!(log, "candidate {}: {e}", String::from_utf8_lossy(&job.code.cid));
			return Finding::Invalid;
		},
	};
	let _ = writeln!(
		log,
		"candidate {:?} ({} bytes), benchmark {:?} ({} bytes)",
		job.code.digest,
		candidate.len(),
		job.benchmark.digest,
		benchmark.len()
	);

	match job.evaluator {
		EvaluatorSpec::Wasm { fuel } => {
			let settings = serde_json::from_slice::<Document>(&document).unwrap_or_default().wasm;
			let limits = wasm::Limits {
				fuel,
				memory_bytes: (settings.memory_mib.min(MAX_MEMORY_MIB) as usize) << 20,
				wall: Duration::from_secs(settings.wall_seconds.max(1).into()),
			};
			let _ = writeln!(
				log,
				"limits: {fuel} fuel, {} MiB per memory, {} s",
				settings.memory_mib.min(MAX_MEMORY_MIB),
				settings.wall_seconds.max(1)
			);
			let run = wasm::run(&benchmark, &candidate, job.seed.0, limits);
			for line in &run.log {
				let _ = writeln!(log, "harness: {line}");
			}
			let _ = writeln!(log, "candidate calls: {}", run.calls);
			match run.outcome {
				wasm::Outcome::Measured(used) => {
					let _ = writeln!(log, "candidate fuel: {used}");
					match score_of_integer(used.into(), job.direction, job.scale_exponent) {
						Some(score) => Finding::Score(score),
						None => {
							let _ = writeln!(
								log,
								"the score does not fit an i128 at scale 10^{}",
								job.scale_exponent
							);
							Finding::HarnessError
						},
					}
				},
				wasm::Outcome::Invalid(why) => {
					let _ = writeln!(log, "invalid: {why}");
					Finding::Invalid
				},
				wasm::Outcome::HarnessError(why) => {
					let _ = writeln!(log, "harness error: {why}");
					Finding::HarnessError
				},
			}
		},
		EvaluatorSpec::CandleGpt { .. } => {
			let _ = writeln!(log, "this runner has no candle-gpt evaluator");
			Finding::HarnessError
		},
	}
}

/// The score of a raw integer metric: `raw * 10^scale`, negated when the metric is minimised.
pub fn score_of_integer(raw: u128, direction: Direction, scale_exponent: u8) -> Option<i128> {
	let scaled =
		10i128.checked_pow(scale_exponent.into())?.checked_mul(i128::try_from(raw).ok()?)?;
	Some(match direction {
		Direction::Maximize => scaled,
		Direction::Minimize => -scaled,
	})
}

#[cfg(test)]
pub(crate) mod tests;
