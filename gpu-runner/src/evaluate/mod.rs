//! Evaluators: from a job and its artifacts to a verdict and the log of the run.

pub mod command;
#[doc(hidden)]
pub mod fixtures;
pub mod gpt;
pub mod wasm;

use crate::{
	sandbox::Sandbox,
	store::{FetchError, Store},
};
use poi_offchain::wire::JobRequest;
use poi_primitives::{ArtifactRef, Direction, Evaluator, EvaluatorKind};
use serde::Deserialize;
use std::{
	fmt::Write,
	path::{Path, PathBuf},
	time::Duration,
};

/// What an evaluator's run came to, with its measured metric `M`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome<M = f64> {
	/// The candidate's metric.
	Measured(M),
	/// The candidate is at fault, and why.
	Invalid(String),
	/// The project's files or settings, the harness or the machine are at fault, and why.
	HarnessError(String),
}

/// What a runner evaluates with: the program wasm jobs run in, the candle-gpt trainer and the
/// sandbox.
#[derive(Clone, Debug, Default)]
pub struct Tools {
	/// The runner's own executable, which runs each wasm job in a child process under limits
	/// ([`wasm::run_in_child`]); `None`: wasm jobs run in this process (tests).
	pub wasm_child: Option<PathBuf>,
	/// The `poi-gpt` trainer program: candle-gpt jobs.
	pub trainer: Option<PathBuf>,
	/// The bubblewrap sandbox: command jobs.
	pub sandbox: Option<Sandbox>,
}

impl Tools {
	/// The trainer found by [`gpt::program`] and the sandbox when [`Sandbox::detect`] finds it
	/// working (the reason it does not is logged).
	pub fn detect(trainer: Option<PathBuf>) -> Self {
		let sandbox = match Sandbox::detect() {
			Ok(sandbox) => Some(sandbox),
			Err(why) => {
				log::warn!("no sandbox, so command jobs are refused: {why}");
				None
			},
		};
		Tools { wasm_child: None, trainer, sandbox }
	}

	/// The evaluators these tools give a runner, by [`Evaluator::name`]: `wasm` always,
	/// `candle-gpt` with a trainer, `command` with a sandbox.
	pub fn evaluators(&self) -> Vec<&'static str> {
		let mut kinds = vec![EvaluatorKind::Wasm];
		if self.trainer.is_some() {
			kinds.push(EvaluatorKind::CandleGpt);
		}
		if self.sandbox.is_some() {
			kinds.push(EvaluatorKind::Command);
		}
		kinds.iter().map(EvaluatorKind::name).collect()
	}
}

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

/// The evaluator settings of a protocol document (JSON): `{"wasm": {"memoryMiB": 64,
/// "wallSeconds": 60}}` for wasm projects, `{"candleGpt": {...}}` (read by the trainer) for
/// candle-gpt projects, `{"command": {...}}` ([`command::Settings`], which has no defaults)
/// for command projects. A document that is not a JSON object (prose, say) gives `None`;
/// anything else in it is for people.
fn settings<T: serde::de::DeserializeOwned>(
	document: &[u8],
	key: &str,
) -> Result<Option<T>, String> {
	let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(document) else {
		return Ok(None);
	};
	match fields.remove(key) {
		None => Ok(None),
		Some(value) => serde_json::from_value(value)
			.map(Some)
			.map_err(|e| format!("the protocol document's \"{key}\" settings: {e}")),
	}
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
pub const MAX_MEMORY_MIB: u32 = 4096;

/// How long a job may take by default, from the moment the runner accepts it to its verdict:
/// 8 minutes, inside a round's 10-minute verdict commit period with time to commit.
pub const DEFAULT_JOB_LIMIT: Duration = Duration::from_secs(480);

/// Evaluates `job` with artifacts from `store`, within [`DEFAULT_JOB_LIMIT`]. Never panics on
/// bad input: every failure is a finding with its reason in the log.
pub fn evaluate(job: &JobRequest, store: &dyn Store) -> Evaluation {
	// Found once: detecting the sandbox starts one.
	static TOOLS: std::sync::OnceLock<Tools> = std::sync::OnceLock::new();
	let tools = TOOLS.get_or_init(|| Tools::detect(gpt::program()));
	evaluate_with(job, store, tools, DEFAULT_JOB_LIMIT)
}

/// [`evaluate`] with `tools` (candle-gpt jobs without a trainer and command jobs without a
/// sandbox are harness errors), in at most `time_left`: a run that cannot finish by then is
/// stopped and is a harness error, so that the verifier still has a signed verdict to reveal
/// (it releases the proposal and slashes nobody).
pub fn evaluate_with(
	job: &JobRequest,
	store: &dyn Store,
	tools: &Tools,
	time_left: Duration,
) -> Evaluation {
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
	let finding = run(job, store, tools, time_left, &mut log);
	let _ = match &finding {
		Finding::Score(score) => writeln!(log, "verdict: score {score}"),
		Finding::Invalid => writeln!(log, "verdict: invalid"),
		Finding::HarnessError => writeln!(log, "verdict: harness error"),
	};
	Evaluation { finding, log }
}

fn run(
	job: &JobRequest,
	store: &dyn Store,
	tools: &Tools,
	time_left: Duration,
	log: &mut String,
) -> Finding {
	let started = std::time::Instant::now();
	// The project's own files: when they cannot be had the candidate is not at fault.
	let project_file = |what: &str, a: &ArtifactRef, log: &mut String| match store.fetch(a) {
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
		Evaluator::Wasm { fuel } => {
			let settings = match settings::<WasmSettings>(&document, "wasm") {
				Ok(settings) => settings.unwrap_or_default(),
				Err(why) => {
					let _ = writeln!(log, "harness error: {why}");
					return Finding::HarnessError;
				},
			};
			// The document's wall clock, or the job's time left if that is shorter.
			let wall = Duration::from_secs(settings.wall_seconds.max(1).into())
				.min(time_left.saturating_sub(started.elapsed()));
			let limits = wasm::Limits {
				fuel,
				memory_bytes: (settings.memory_mib.min(MAX_MEMORY_MIB) as usize) << 20,
				wall,
			};
			let _ = writeln!(
				log,
				"limits: {fuel} fuel, {} MiB per memory, {:.1} s",
				settings.memory_mib.min(MAX_MEMORY_MIB),
				wall.as_secs_f64()
			);
			let run = match &tools.wasm_child {
				Some(program) => {
					wasm::run_in_child(program, &benchmark, &candidate, job.seed.0, limits)
				},
				None => wasm::run(&benchmark, &candidate, job.seed.0, limits),
			};
			for line in &run.log {
				let _ = writeln!(log, "harness: {line}");
			}
			let _ = writeln!(log, "candidate calls: {}", run.calls);
			match run.outcome {
				wasm::Outcome::Measured(used) => {
					let _ = writeln!(log, "candidate fuel: {used}");
					let score = score_of_integer(used.into(), job.direction, job.scale_exponent);
					finding_of(score, used, job, log)
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
		Evaluator::CandleGpt { steps } => {
			let deadline = time_left.saturating_sub(started.elapsed());
			let trainer = tools.trainer.as_deref();
			candle_gpt(job, steps, deadline, &document, &benchmark, &candidate, trainer, log)
		},
		Evaluator::Command { seconds } => {
			let Some(sandbox) = &tools.sandbox else {
				let _ = writeln!(log, "harness error: no sandbox (install bubblewrap)");
				return Finding::HarnessError;
			};
			let settings = match settings::<command::Settings>(&document, "command") {
				Ok(Some(settings)) => settings,
				Ok(None) => {
					let _ =
						writeln!(log, "harness error: the protocol document has no \"command\"");
					return Finding::HarnessError;
				},
				Err(why) => {
					let _ = writeln!(log, "harness error: {why}");
					return Finding::HarnessError;
				},
			};
			let _ = writeln!(
				log,
				"command {:?}, {} trials of at most {seconds} s, metric {:?}",
				settings.run, settings.trials, settings.metric
			);
			let deadline = time_left.saturating_sub(started.elapsed());
			let seed = format!("{:?}", job.seed);
			let outcome = command::evaluate(
				sandbox, &settings, seconds, &seed, &benchmark, &candidate, deadline, log,
			);
			finding_of_outcome(outcome, job, log)
		},
	}
}

/// The finding of an evaluator's outcome with a real metric.
fn finding_of_outcome(outcome: Outcome, job: &JobRequest, log: &mut String) -> Finding {
	match outcome {
		Outcome::Measured(value) => {
			let score = score_of_real(value, job.direction, job.scale_exponent);
			finding_of(score, value, job, log)
		},
		Outcome::Invalid(why) => {
			let _ = writeln!(log, "invalid: {why}");
			Finding::Invalid
		},
		Outcome::HarnessError(why) => {
			let _ = writeln!(log, "harness error: {why}");
			Finding::HarnessError
		},
	}
}

#[allow(clippy::too_many_arguments)]
fn candle_gpt(
	job: &JobRequest,
	steps: u32,
	deadline: Duration,
	document: &[u8],
	corpus: &[u8],
	candidate: &[u8],
	trainer: Option<&Path>,
	log: &mut String,
) -> Finding {
	let Some(program) = trainer else {
		let _ = writeln!(log, "harness error: no poi-gpt trainer (set POI_GPT_BIN)");
		return Finding::HarnessError;
	};
	let _ = writeln!(
		log,
		"trainer {} ({steps} steps at most, deadline {:.1} s)",
		program.display(),
		deadline.as_secs_f64()
	);
	let outcome = gpt::train(program, job, steps, document, corpus, candidate, deadline, log);
	finding_of_outcome(outcome.unwrap_or_else(Outcome::HarnessError), job, log)
}

/// The score of a real metric: `value * 10^scale` rounded to the nearest integer, negated when
/// the metric is minimised; `None` when it is not finite or does not fit.
pub fn score_of_real(value: f64, direction: Direction, scale_exponent: u8) -> Option<i128> {
	let scaled = (value * 10f64.powi(scale_exponent.into())).round();
	// i128 holds about ±1.7e38: stay well inside it so the cast never saturates.
	if !scaled.is_finite() || scaled.abs() >= 1e38 {
		return None;
	}
	Some(oriented(scaled as i128, direction))
}

/// The score of a raw integer metric: `raw * 10^scale`, negated when the metric is minimised.
pub fn score_of_integer(raw: u128, direction: Direction, scale_exponent: u8) -> Option<i128> {
	let scaled =
		10i128.checked_pow(scale_exponent.into())?.checked_mul(i128::try_from(raw).ok()?)?;
	Some(oriented(scaled, direction))
}

/// A scaled metric as a score: larger is better, so a minimised metric is negated.
fn oriented(scaled: i128, direction: Direction) -> i128 {
	match direction {
		Direction::Maximize => scaled,
		Direction::Minimize => -scaled,
	}
}

/// The finding for a measured `raw` metric whose score is `score` (`None`: it does not fit).
fn finding_of(
	score: Option<i128>,
	raw: impl std::fmt::Display,
	job: &JobRequest,
	log: &mut String,
) -> Finding {
	match score {
		Some(score) => Finding::Score(score),
		None => {
			let _ = writeln!(
				log,
				"harness error: {raw} does not fit an i128 at scale 10^{}",
				job.scale_exponent
			);
			Finding::HarnessError
		},
	}
}

#[cfg(test)]
pub(crate) mod tests;
