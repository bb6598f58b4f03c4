//! The model, its recipe and the protocol's settings, the data split and one trial.

use candle_core::{Device, Tensor, Var, D};
use candle_nn::{
	loss, ops,
	optim::{AdamW, Optimizer, ParamsAdamW, SGD},
};
use serde::Deserialize;
use std::time::{Duration, Instant};

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
	fn name(&self) -> &'static str {
		match self {
			OptimizerSpec::Adamw { .. } => "adamw",
			OptimizerSpec::Sgd { .. } => "sgd",
		}
	}

	fn lr(&self) -> f64 {
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

/// A small deterministic generator (SplitMix64): the same seed draws the same weights and
/// batches on every machine.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
	/// A generator from a seed.
	pub fn new(seed: u64) -> Self {
		Rng(seed)
	}

	/// The next 64 random bits.
	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	/// A number in `0..n` (`n > 0`).
	pub fn below(&mut self, n: usize) -> usize {
		(self.next_u64() % n as u64) as usize
	}

	/// A uniform number in (0, 1].
	fn unit(&mut self) -> f64 {
		((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
	}

	/// A standard normal number (Box–Muller).
	fn normal(&mut self) -> f64 {
		let (u, v) = (self.unit(), self.unit());
		(-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
	}
}

/// The corpus split into training and held-out chunks.
pub struct Split<'a> {
	/// Chunks to train on.
	pub train: Vec<&'a [u8]>,
	/// Chunks to measure on.
	pub valid: Vec<&'a [u8]>,
}

/// Splits `corpus` into chunks and holds out the share `validation.fraction` of them, chosen by
/// `rng`. Chunks too short for one window of `context + 1` bytes are left out.
pub fn split<'a>(
	corpus: &'a [u8],
	validation: &Validation,
	context: usize,
	rng: &mut Rng,
) -> Result<Split<'a>, String> {
	let mut chunks: Vec<&[u8]> =
		corpus.chunks(validation.chunk as usize).filter(|c| c.len() > context).collect();
	if chunks.len() < 2 {
		return Err(format!(
			"the corpus ({} bytes) has fewer than two chunks of {} bytes",
			corpus.len(),
			validation.chunk
		));
	}
	// Fisher–Yates: the first `held` chunks after the shuffle are held out.
	for i in (1..chunks.len()).rev() {
		chunks.swap(i, rng.below(i + 1));
	}
	let held =
		((chunks.len() as f64 * validation.fraction).ceil() as usize).clamp(1, chunks.len() - 1);
	let train = chunks.split_off(held);
	Ok(Split { train, valid: chunks })
}

/// The model's weights.
struct Gpt {
	shape: ModelShape,
	token: Var,
	position: Var,
	blocks: Vec<Block>,
	norm: (Var, Var),
	head: (Var, Var),
}

struct Block {
	norm1: (Var, Var),
	query: (Var, Var),
	key: (Var, Var),
	value: (Var, Var),
	projection: (Var, Var),
	norm2: (Var, Var),
	up: (Var, Var),
	down: (Var, Var),
}

/// candle's result.
pub type Res<T> = candle_core::Result<T>;

impl Gpt {
	fn new(shape: &ModelShape, std: f64, rng: &mut Rng, device: &Device) -> Res<Self> {
		let mut normal = |dims: &[usize]| -> Res<Var> {
			let n = dims.iter().product();
			let data: Vec<f32> = (0..n).map(|_| (rng.normal() * std) as f32).collect();
			Var::from_tensor(&Tensor::from_vec(data, dims, device)?)
		};
		let c = shape.embd as usize;
		let hidden = c * shape.mlp_ratio as usize;
		let filled = |n: usize, value: f32| -> Res<Var> {
			Var::from_tensor(&Tensor::full(value, n, device)?)
		};
		let norm = || -> Res<(Var, Var)> { Ok((filled(c, 1.0)?, filled(c, 0.0)?)) };
		let token = normal(&[VOCAB, c])?;
		let position = normal(&[shape.context as usize, c])?;
		let mut blocks = Vec::with_capacity(shape.layers as usize);
		for _ in 0..shape.layers {
			blocks.push(Block {
				norm1: norm()?,
				query: (normal(&[c, c])?, filled(c, 0.0)?),
				key: (normal(&[c, c])?, filled(c, 0.0)?),
				value: (normal(&[c, c])?, filled(c, 0.0)?),
				projection: (normal(&[c, c])?, filled(c, 0.0)?),
				norm2: norm()?,
				up: (normal(&[c, hidden])?, filled(hidden, 0.0)?),
				down: (normal(&[hidden, c])?, filled(c, 0.0)?),
			});
		}
		let norm = norm()?;
		let head = (normal(&[c, VOCAB])?, filled(VOCAB, 0.0)?);
		Ok(Gpt { shape: shape.clone(), token, position, blocks, norm, head })
	}

	fn vars(&self) -> Vec<Var> {
		let mut vars = vec![self.token.clone(), self.position.clone()];
		let mut pair = |(w, b): &(Var, Var)| {
			vars.push(w.clone());
			vars.push(b.clone());
		};
		for block in &self.blocks {
			for p in [
				&block.norm1,
				&block.query,
				&block.key,
				&block.value,
				&block.projection,
				&block.norm2,
				&block.up,
				&block.down,
			] {
				pair(p);
			}
		}
		pair(&self.norm);
		pair(&self.head);
		vars
	}

	/// Logits `(batch * time, VOCAB)` for byte ids `(batch, time)`.
	fn forward(&self, ids: &Tensor, mask: &Tensor) -> Res<Tensor> {
		let (b, t) = ids.dims2()?;
		let c = self.shape.embd as usize;
		let heads = self.shape.heads as usize;
		let hd = c / heads;
		let linear = |x: &Tensor, (w, bias): &(Var, Var)| x.matmul(w)?.broadcast_add(bias);
		let norm = |x: &Tensor, (g, bias): &(Var, Var)| ops::layer_norm_slow(x, g, bias, 1e-5);
		let tokens = self.token.index_select(&ids.flatten_all()?, 0)?.reshape((b, t, c))?;
		let positions = self.position.narrow(0, 0, t)?;
		let mut x = tokens.broadcast_add(&positions)?.reshape((b * t, c))?;
		let scale = 1.0 / (hd as f64).sqrt();
		for block in &self.blocks {
			let h = norm(&x, &block.norm1)?;
			let heads_of = |y: Tensor| -> Res<Tensor> {
				y.reshape((b, t, heads, hd))?.transpose(1, 2)?.contiguous()
			};
			let q = heads_of(linear(&h, &block.query)?)?;
			let k = heads_of(linear(&h, &block.key)?)?;
			let v = heads_of(linear(&h, &block.value)?)?;
			let attention = (q.matmul(&k.t()?.contiguous()?)? * scale)?.broadcast_add(mask)?;
			let attention = ops::softmax(&attention, D::Minus1)?;
			let y = attention.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b * t, c))?;
			x = (x + linear(&y, &block.projection)?)?;
			let h = norm(&x, &block.norm2)?;
			let h = linear(&linear(&h, &block.up)?.gelu()?, &block.down)?;
			x = (x + h)?;
		}
		linear(&norm(&x, &self.norm)?, &self.head)
	}
}

/// The parameters of a model of this shape, counted from its weights (checks [`parameters`]).
pub fn count_parameters(shape: &ModelShape, device: &Device) -> Res<u64> {
	let model = Gpt::new(shape, 0.02, &mut Rng::new(0), device)?;
	Ok(model.vars().iter().map(|v| v.elem_count() as u64).sum())
}

/// The causal mask: 0 on and below the diagonal, −∞ above.
fn causal_mask(t: usize, device: &Device) -> Res<Tensor> {
	let data: Vec<f32> = (0..t)
		.flat_map(|i| (0..t).map(move |j| if j <= i { 0.0 } else { f32::NEG_INFINITY }))
		.collect();
	Tensor::from_vec(data, (t, t), device)
}

/// Inputs `(rows, context)` and flat targets from `windows` (a chunk and a start in it): each
/// target is the byte after its input.
fn batch_of(windows: &[(&[u8], usize)], context: usize, device: &Device) -> Res<(Tensor, Tensor)> {
	let mut inputs = Vec::with_capacity(windows.len() * context);
	let mut targets = Vec::with_capacity(windows.len() * context);
	for (chunk, start) in windows {
		inputs.extend(chunk[*start..start + context].iter().map(|&b| u32::from(b)));
		targets.extend(chunk[start + 1..start + context + 1].iter().map(|&b| u32::from(b)));
	}
	Ok((
		Tensor::from_vec(inputs, (windows.len(), context), device)?,
		Tensor::from_vec(targets, windows.len() * context, device)?,
	))
}

/// The optimiser of a trial.
enum Optim {
	Adamw(AdamW),
	Sgd(SGD),
}

impl Optim {
	/// One step down `loss`'s gradient at learning rate `lr`.
	fn step(&mut self, loss: &Tensor, lr: f64) -> Res<()> {
		match self {
			Optim::Adamw(adam) => {
				adam.set_learning_rate(lr);
				adam.backward_step(loss)
			},
			Optim::Sgd(sgd) => {
				sgd.set_learning_rate(lr);
				sgd.backward_step(loss)
			},
		}
	}
}

/// What one trial measured.
#[derive(Clone, Debug)]
pub struct Trial {
	/// Validation bits per byte (not finite when training diverged).
	pub val_bpb: f64,
	/// Steps trained (the recipe's, unless training diverged first).
	pub steps: u32,
	/// Training time.
	pub train_time: Duration,
	/// Bytes predicted while training.
	pub train_tokens: u64,
	/// Bytes measured on the held-out split.
	pub valid_tokens: u64,
	/// The training loss at the last step (nats).
	pub last_loss: f32,
}

impl Trial {
	/// Training throughput in tokens per second.
	pub fn tokens_per_second(&self) -> f64 {
		self.train_tokens as f64 / self.train_time.as_secs_f64().max(1e-9)
	}
}

/// The device the evaluator trains on: the first CUDA device when built with `cuda` and one is
/// there, else the CPU.
pub fn device() -> Device {
	#[cfg(feature = "cuda")]
	if let Ok(device) = Device::new_cuda(0) {
		return device;
	}
	Device::Cpu
}

/// A name for `device`, for logs and `info`.
pub fn device_name(device: &Device) -> &'static str {
	match device {
		Device::Cpu => "cpu",
		Device::Cuda(_) => "cuda:0",
		Device::Metal(_) => "metal",
	}
}

/// Trains one model with `recipe` on `split` for the recipe's steps (the same number on every
/// machine, however fast), and measures it.
pub fn trial(
	recipe: &Recipe,
	split: &Split,
	validation: &Validation,
	seed: u64,
	device: &Device,
) -> Res<Trial> {
	let mut rng = Rng::new(seed);
	let model = Gpt::new(&recipe.model, recipe.init_std, &mut rng, device)?;
	let context = recipe.model.context as usize;
	let mask = causal_mask(context, device)?;
	let peak = recipe.optimizer.lr();
	let mut optimizer = match recipe.optimizer {
		OptimizerSpec::Adamw { lr, beta1, beta2, weight_decay } => {
			let params = ParamsAdamW { lr, beta1, beta2, eps: 1e-8, weight_decay };
			Optim::Adamw(AdamW::new(model.vars(), params)?)
		},
		OptimizerSpec::Sgd { lr } => Optim::Sgd(SGD::new(model.vars(), lr)?),
	};
	let started = Instant::now();
	let mut steps = 0;
	let mut last_loss = f32::NAN;
	let mut diverged = false;
	let mut windows = Vec::with_capacity(recipe.batch as usize);
	while steps < recipe.steps {
		windows.clear();
		for _ in 0..recipe.batch {
			let chunk = split.train[rng.below(split.train.len())];
			windows.push((chunk, rng.below(chunk.len() - context)));
		}
		let (inputs, targets) = batch_of(&windows, context, device)?;
		let loss = loss::cross_entropy(&model.forward(&inputs, &mask)?, &targets)?;
		last_loss = loss.to_scalar::<f32>()?;
		if !last_loss.is_finite() {
			diverged = true;
			break;
		}
		optimizer.step(&loss, recipe.schedule.lr_at(peak, steps, recipe.steps))?;
		steps += 1;
	}
	let train_time = started.elapsed();
	let train_tokens = u64::from(steps) * u64::from(recipe.batch) * context as u64;

	// Held-out: consecutive windows through the chosen chunks, up to the protocol's tokens.
	let mut windows = Vec::new();
	let mut valid_tokens = 0u64;
	'chunks: for chunk in &split.valid {
		let mut start = 0;
		while start + context < chunk.len() {
			if valid_tokens >= u64::from(validation.max_tokens) {
				break 'chunks;
			}
			windows.push((*chunk, start));
			valid_tokens += context as u64;
			start += context;
		}
	}
	let mut nats = 0f64;
	if !diverged {
		for group in windows.chunks(recipe.batch.max(8) as usize) {
			let (inputs, targets) = batch_of(group, context, device)?;
			let logits = model.forward(&inputs, &mask)?.detach();
			let mean = loss::cross_entropy(&logits, &targets)?.to_scalar::<f32>()?;
			nats += f64::from(mean) * (group.len() * context) as f64;
		}
	}
	let val_bpb = if !diverged {
		nats / valid_tokens.max(1) as f64 / std::f64::consts::LN_2
	} else {
		f64::NAN
	};
	Ok(Trial { val_bpb, steps, train_time, train_tokens, valid_tokens, last_loss })
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
	let mut sorted = values.to_vec();
	sorted.sort_by(f64::total_cmp);
	let n = sorted.len();
	if n == 0 {
		f64::NAN
	} else if n % 2 == 1 {
		sorted[n / 2]
	} else {
		(sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
	}
}
