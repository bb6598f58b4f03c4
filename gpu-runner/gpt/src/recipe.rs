//! What a candidate chooses (its [`Recipe`]) and what a project allows ([`Settings`], the
//! protocol document's `"candleGpt"` object, parsed here and nowhere else).

use serde::Deserialize;

/// A candidate: how to build and train the model.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recipe {
	/// The model's shape.
	pub model: ModelShape,
	/// The optimiser and its settings.
	pub optimizer: OptimizerSpec,
	/// The learning-rate schedule.
	#[serde(default)]
	pub schedule: Schedule,
	/// Sequences per step.
	pub batch: u32,
	/// Training steps: at most the protocol's budget.
	pub steps: u32,
	/// The standard deviation of the initial weights.
	#[serde(default = "default_init_std")]
	pub init_std: f64,
}

fn default_init_std() -> f64 {
	0.02
}

/// A GPT's shape.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelShape {
	/// Transformer blocks.
	pub layers: u32,
	/// Attention heads per block (they divide `embd`).
	pub heads: u32,
	/// Embedding width.
	pub embd: u32,
	/// Context length in bytes.
	pub context: u32,
	/// The MLP's hidden width over `embd`.
	#[serde(default = "default_mlp_ratio")]
	pub mlp_ratio: u32,
}

fn default_mlp_ratio() -> u32 {
	4
}

/// The optimiser.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "name", rename_all = "camelCase", deny_unknown_fields)]
pub enum OptimizerSpec {
	/// AdamW.
	#[serde(rename_all = "camelCase")]
	Adamw {
		/// Peak learning rate.
		lr: f64,
		/// First-moment decay.
		#[serde(default = "default_beta1")]
		beta1: f64,
		/// Second-moment decay.
		#[serde(default = "default_beta2")]
		beta2: f64,
		/// Decoupled weight decay.
		#[serde(default)]
		weight_decay: f64,
	},
	/// Plain stochastic gradient descent.
	Sgd {
		/// Peak learning rate.
		lr: f64,
	},
}

fn default_beta1() -> f64 {
	0.9
}

fn default_beta2() -> f64 {
	0.99
}

impl OptimizerSpec {
	/// The optimiser's name, as a surface lists it.
	pub fn name(&self) -> &'static str {
		match self {
			OptimizerSpec::Adamw { .. } => "adamw",
			OptimizerSpec::Sgd { .. } => "sgd",
		}
	}

	/// The peak learning rate.
	pub fn lr(&self) -> f64 {
		match self {
			OptimizerSpec::Adamw { lr, .. } | OptimizerSpec::Sgd { lr } => *lr,
		}
	}
}

/// The learning-rate schedule: linear warm-up, then a decay to a fraction of the peak.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schedule {
	/// Steps of linear warm-up from `peak / warmup_steps` to the peak.
	#[serde(default)]
	pub warmup_steps: u32,
	/// The decay after the warm-up.
	#[serde(default)]
	pub decay: Decay,
	/// The learning rate at the last step, as a fraction of the peak.
	#[serde(default = "default_final_fraction")]
	pub final_lr_fraction: f64,
}

fn default_final_fraction() -> f64 {
	0.1
}

impl Default for Schedule {
	fn default() -> Self {
		Schedule {
			warmup_steps: 0,
			decay: Decay::Constant,
			final_lr_fraction: default_final_fraction(),
		}
	}
}

/// How the learning rate falls after the warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Decay {
	/// Stays at the peak.
	#[default]
	Constant,
	/// Falls linearly to the final fraction.
	Linear,
	/// Follows half a cosine to the final fraction.
	Cosine,
}

impl Schedule {
	/// The learning rate at `step` (from 0) of `steps`, for a peak of `peak`.
	pub fn lr_at(&self, peak: f64, step: u32, steps: u32) -> f64 {
		if step < self.warmup_steps {
			return peak * f64::from(step + 1) / f64::from(self.warmup_steps);
		}
		let span = steps.saturating_sub(self.warmup_steps).max(1);
		let progress = f64::from(step - self.warmup_steps) / f64::from(span);
		let floor = self.final_lr_fraction;
		let factor = match self.decay {
			Decay::Constant => 1.0,
			Decay::Linear => 1.0 - (1.0 - floor) * progress,
			Decay::Cosine => {
				floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
			},
		};
		peak * factor
	}
}

/// What a protocol allows a recipe to choose.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Surface {
	/// The most transformer blocks.
	pub max_layers: u32,
	/// The most attention heads.
	pub max_heads: u32,
	/// The widest embedding.
	pub max_embd: u32,
	/// The longest context.
	pub max_context: u32,
	/// The largest MLP ratio.
	pub max_mlp_ratio: u32,
	/// The largest batch.
	pub max_batch: u32,
	/// The most steps.
	pub max_steps: u32,
	/// The most parameters.
	pub max_params: u64,
	/// The highest peak learning rate.
	pub max_lr: f64,
	/// The optimisers allowed, by name (`adamw`, `sgd`).
	pub optimizers: Vec<String>,
}

impl Default for Surface {
	fn default() -> Self {
		Surface {
			max_layers: 8,
			max_heads: 8,
			max_embd: 256,
			max_context: 256,
			max_mlp_ratio: 4,
			max_batch: 64,
			max_steps: 100_000,
			max_params: 10_000_000,
			max_lr: 1.0,
			optimizers: vec!["adamw".into(), "sgd".into()],
		}
	}
}

/// The validation split: the corpus is cut into chunks, and the round's seed picks
/// `fraction` of them (at least one) to hold out.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Validation {
	/// The share of chunks held out, in (0, 0.5].
	pub fraction: f64,
	/// Chunk length in bytes.
	pub chunk: u32,
	/// The most bytes predicted when measuring.
	pub max_tokens: u32,
}

impl Default for Validation {
	fn default() -> Self {
		Validation { fraction: 0.1, chunk: 4096, max_tokens: 32_768 }
	}
}

/// A candle-gpt project's settings (the protocol document's `"candleGpt"`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
	/// Trials per job; the score is their median.
	pub trials: u32,
	/// The held-out split.
	pub validation: Validation,
	/// What recipes may choose.
	pub surface: Surface,
}

impl Default for Settings {
	fn default() -> Self {
		Settings { trials: 1, validation: Validation::default(), surface: Surface::default() }
	}
}

/// The most trials a protocol may ask for.
pub const MAX_TRIALS: u32 = 9;

impl Settings {
	/// Checks the project's own settings; an error is the project's fault (a harness error).
	pub fn check(&self) -> Result<(), String> {
		let v = &self.validation;
		if !(1..=MAX_TRIALS).contains(&self.trials) {
			return Err(format!("trials must be 1 to {MAX_TRIALS}, not {}", self.trials));
		}
		if !(v.fraction > 0.0 && v.fraction <= 0.5) {
			return Err(format!("validation fraction must be in (0, 0.5], not {}", v.fraction));
		}
		if v.chunk < 2 || v.max_tokens == 0 {
			return Err("validation chunk must be at least 2 bytes and max tokens positive".into());
		}
		Ok(())
	}
}

/// The number of parameters of a model of this shape; `None` when it does not fit a u64
/// (every step is checked: the shape comes from strangers, its bounds from the project).
pub fn parameters(shape: &ModelShape) -> Option<u64> {
	let c = u64::from(shape.embd);
	let vocab = VOCAB as u64;
	let hidden = c.checked_mul(shape.mlp_ratio.into())?;
	// q, k, v and the projection: four c×c weights and their biases.
	let attention = c.checked_mul(c)?.checked_mul(4)?.checked_add(c.checked_mul(4)?)?;
	// Two c×hidden weights, and their biases.
	let mlp = c.checked_mul(hidden)?.checked_mul(2)?.checked_add(hidden)?.checked_add(c)?;
	let norms = c.checked_mul(4)?;
	let block = attention.checked_add(mlp)?.checked_add(norms)?;
	let embeddings = vocab.checked_add(shape.context.into())?.checked_mul(c)?;
	let head = c.checked_mul(vocab)?.checked_add(vocab)?.checked_add(c.checked_mul(2)?)?;
	u64::from(shape.layers).checked_mul(block)?.checked_add(embeddings)?.checked_add(head)
}

impl Recipe {
	/// Checks the recipe against the protocol's surface; an error makes the candidate invalid.
	pub fn check(&self, settings: &Settings) -> Result<(), String> {
		let s = &settings.surface;
		let m = &self.model;
		let bounded = |what: &str, value: u32, max: u32| {
			if value == 0 || value > max {
				Err(format!("{what} must be 1 to {max}, not {value}"))
			} else {
				Ok(())
			}
		};
		bounded("layers", m.layers, s.max_layers)?;
		bounded("heads", m.heads, s.max_heads)?;
		bounded("embd", m.embd, s.max_embd)?;
		bounded("context", m.context, s.max_context)?;
		bounded("mlpRatio", m.mlp_ratio, s.max_mlp_ratio)?;
		bounded("batch", self.batch, s.max_batch)?;
		bounded("steps", self.steps, s.max_steps)?;
		if !m.embd.is_multiple_of(m.heads) {
			return Err(format!("{} heads do not divide embd {}", m.heads, m.embd));
		}
		if m.context >= settings.validation.chunk {
			return Err(format!(
				"context {} must be shorter than the protocol's chunk of {} bytes",
				m.context, settings.validation.chunk
			));
		}
		match parameters(m) {
			Some(n) if n <= s.max_params => {},
			n => return Err(format!("{n:?} parameters, more than {}", s.max_params)),
		}
		if !s.optimizers.iter().any(|o| o == self.optimizer.name()) {
			return Err(format!("optimizer {} is not allowed", self.optimizer.name()));
		}
		let lr = self.optimizer.lr();
		if !(lr > 0.0 && lr <= s.max_lr) {
			return Err(format!("learning rate must be in (0, {}], not {lr}", s.max_lr));
		}
		if let OptimizerSpec::Adamw { beta1, beta2, weight_decay, .. } = self.optimizer {
			if !(0.0..1.0).contains(&beta1) || !(0.0..1.0).contains(&beta2) {
				return Err("AdamW betas must be in [0, 1)".into());
			}
			if !(0.0..=1.0).contains(&weight_decay) {
				return Err("weight decay must be in [0, 1]".into());
			}
		}
		if self.schedule.warmup_steps > self.steps {
			return Err("warm-up is longer than the training".into());
		}
		if !(0.0..=1.0).contains(&self.schedule.final_lr_fraction) {
			return Err("final learning-rate fraction must be in [0, 1]".into());
		}
		if !(self.init_std > 0.0 && self.init_std <= 1.0) {
			return Err(format!("initial std must be in (0, 1], not {}", self.init_std));
		}
		Ok(())
	}
}

/// Bytes are tokens.
pub const VOCAB: usize = 256;
