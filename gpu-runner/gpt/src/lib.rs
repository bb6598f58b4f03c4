//! `poi-gpt`: the candle-gpt evaluator. It trains a small byte-level GPT with candle from the
//! candidate's recipe on the project's corpus and measures validation bits per byte on a
//! held-out split that the round's seed chooses. `poi-runner` runs it as a child process per
//! job (`poi-gpt train ...`, one JSON [`Report`] on stdout, progress on stderr).
//!
//! - The **benchmark** artifact is the corpus (any bytes; each byte is a token).
//! - The **candidate** is a [`Recipe`] (JSON): model shape, optimiser, schedule, batch, steps.
//!   A recipe that does not parse, or lies outside the protocol's [`Surface`], is invalid.
//! - The **protocol document** may set [`Settings`] under `"candleGpt"`: the number of trials,
//!   the validation split and the surface. Settings that do not parse or make no sense are a
//!   harness error (the project's fault, not the miner's).
//!
//! Each trial starts from weights drawn from its own seed (derived from the round's seed and
//! the trial's number, never from candle's generator, so a trial is the same on every run) and
//! trains for the recipe's steps, which may not exceed the protocol's budget of steps: the
//! same training on every machine, however fast (a budget in seconds would let a faster
//! runner train more and score differently). The score is the median of the trials'
//! `val_bpb = mean cross-entropy / ln 2`.

pub mod data;
pub mod model;
pub mod ops;
pub mod optim;
pub mod recipe;
pub mod train;

pub use poi_gpt_report::{Finding, Report, TrialReport};
pub use recipe::{
	Decay, ModelShape, OptimizerSpec, Recipe, Schedule, Settings, Surface, Validation,
};

/// The settings in a protocol document: its `"candleGpt"` object. A document that is not a
/// JSON object (prose, say), or has no such key, gives the defaults.
pub fn settings_of(document: &[u8]) -> Result<Settings, String> {
	let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(document) else {
		return Ok(Settings::default());
	};
	let settings: Settings = match fields.remove("candleGpt") {
		None => Settings::default(),
		Some(value) => serde_json::from_value(value)
			.map_err(|e| format!("the protocol document's \"candleGpt\" settings: {e}"))?,
	};
	settings.check()?;
	Ok(settings)
}

/// The generator seed of trial `n` for the round's `seed`.
pub fn trial_seed(seed: &[u8; 32], n: u32) -> u64 {
	let mut mixed = u64::from(n).wrapping_add(1).wrapping_mul(0xA076_1D64_78BD_642F);
	for word in seed.chunks_exact(8) {
		let word = u64::from_le_bytes(word.try_into().expect("chunks of 8; qed"));
		mixed = data::Rng::new(mixed ^ word).next_u64();
	}
	mixed
}

/// Evaluates `recipe` (the candidate's bytes) on `corpus` under `document`'s settings, on
/// `device`; a recipe of more than `steps` training steps (the protocol's budget per trial) is
/// invalid. `log` receives progress lines.
pub fn evaluate(
	document: &[u8],
	corpus: &[u8],
	recipe: &[u8],
	seed: &[u8; 32],
	steps: u32,
	device: &candle_core::Device,
	log: &mut dyn FnMut(String),
) -> Finding {
	let settings = match settings_of(document) {
		Ok(settings) => settings,
		Err(reason) => return Finding::HarnessError { reason },
	};
	let recipe = match serde_json::from_slice::<Recipe>(recipe)
		.map_err(|e| format!("the recipe does not parse: {e}"))
		.and_then(|r| r.check(&settings).map(|()| r))
		.and_then(|r| match r.steps <= steps {
			true => Ok(r),
			false => Err(format!(
				"the recipe trains {} steps, more than the protocol's budget of {steps}",
				r.steps
			)),
		}) {
		Ok(recipe) => recipe,
		Err(reason) => return Finding::Invalid { reason },
	};
	log(format!("recipe: {recipe:?}"));
	log(format!(
		"parameters: {}, {} steps per trial (budget {steps}), {} trial(s)",
		recipe::parameters(&recipe.model).unwrap_or_default(),
		recipe.steps,
		settings.trials
	));
	let mut split_rng = data::Rng::new(trial_seed(seed, u32::MAX));
	let split = match data::split(
		corpus,
		&settings.validation,
		recipe.model.context as usize,
		&mut split_rng,
	) {
		Ok(split) => split,
		Err(reason) => return Finding::HarnessError { reason },
	};
	log(format!(
		"corpus: {} bytes, {} training and {} held-out chunks",
		corpus.len(),
		split.train.len(),
		split.valid.len()
	));
	let mut trials = Vec::with_capacity(settings.trials as usize);
	for n in 0..settings.trials {
		let trial = match train::trial(
			&recipe,
			&split,
			&settings.validation,
			trial_seed(seed, n),
			device,
		) {
			Ok(trial) => trial,
			Err(e) => {
				return Finding::HarnessError { reason: format!("trial {}: candle: {e}", n + 1) }
			},
		};
		log(format!(
			"trial {}: {} steps in {:.2} s ({:.0} tokens/s), last loss {:.4}, val_bpb {:.6} over {} bytes",
			n + 1,
			trial.steps,
			trial.train_time.as_secs_f64(),
			trial.tokens_per_second(),
			trial.last_loss,
			trial.val_bpb,
			trial.valid_tokens
		));
		if !trial.val_bpb.is_finite() {
			return Finding::Invalid { reason: format!("training diverged in trial {}", n + 1) };
		}
		trials.push(TrialReport {
			val_bpb: trial.val_bpb,
			steps: trial.steps,
			train_seconds: trial.train_time.as_secs_f64(),
			tokens_per_second: trial.tokens_per_second(),
		});
	}
	let values: Vec<f64> = trials.iter().map(|t| t.val_bpb).collect();
	let val_bpb = train::median(&values);
	log(format!("val_bpb (median of {}): {val_bpb:.6}", values.len()));
	Finding::Measured { val_bpb, trials }
}

/// The process's peak resident memory in KiB (`VmHWM` in `/proc/self/status`; Linux only).
pub fn peak_rss_kib() -> Option<u64> {
	let status = std::fs::read_to_string("/proc/self/status").ok()?;
	let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
	line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests;
