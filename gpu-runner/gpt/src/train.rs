//! One trial: train a model from its seed for the recipe's steps, then measure it on the
//! held-out split.

use crate::{
	data::{batch_of, Rng, Split},
	model::{self, Gpt},
	recipe::{OptimizerSpec, Recipe, Validation},
};
use candle_core::{backprop::GradStore, DType, Device, Result};
use candle_nn::{
	optim::{AdamW, Optimizer, ParamsAdamW, SGD},
	VarBuilder, VarMap,
};
use std::time::{Duration, Instant};

/// The optimiser of a trial.
enum Optim {
	/// AdamW on the CPU: [`crate::optim::AdamW`], the same bits as candle_nn's in fewer passes.
	Fused(crate::optim::AdamW),
	/// candle_nn's AdamW, elsewhere.
	Adamw(AdamW),
	Sgd(SGD),
}

impl Optim {
	/// One step down the gradients `grads` at learning rate `lr`.
	fn step(&mut self, grads: &GradStore, lr: f64) -> Result<()> {
		match self {
			Optim::Fused(adam) => {
				adam.set_learning_rate(lr);
				adam.step(grads)
			},
			Optim::Adamw(adam) => {
				adam.set_learning_rate(lr);
				adam.step(grads)
			},
			Optim::Sgd(sgd) => {
				sgd.set_learning_rate(lr);
				sgd.step(grads)
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
) -> Result<Trial> {
	let mut rng = Rng::new(seed);
	let vars = VarMap::new();
	let model = model::create(&recipe.model, &vars, recipe.init_std, &mut rng, device)?;
	let context = recipe.model.context as usize;
	let peak = recipe.optimizer.lr();
	let mut optimizer = match recipe.optimizer {
		OptimizerSpec::Adamw { lr, beta1, beta2, weight_decay } => {
			let params = ParamsAdamW { lr, beta1, beta2, eps: 1e-8, weight_decay };
			match device.is_cpu() {
				true => Optim::Fused(crate::optim::AdamW::new(vars.all_vars(), params)?),
				false => Optim::Adamw(AdamW::new(vars.all_vars(), params)?),
			}
		},
		OptimizerSpec::Sgd { lr } => Optim::Sgd(SGD::new(vars.all_vars(), lr)?),
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
		let loss = model.loss(&inputs, &targets)?;
		last_loss = loss.to_scalar::<f32>()?;
		if !last_loss.is_finite() {
			diverged = true;
			break;
		}
		let grads = loss.backward()?;
		// The step's activations (the graph behind the loss) go before the optimiser's state
		// and temporaries come: the two are never held at once.
		drop(loss);
		optimizer.step(&grads, recipe.schedule.lr_at(peak, steps, recipe.steps))?;
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
		// A copy of the model over the trained values, not the variables: no autograd graph,
		// so each layer's activations are freed as soon as the next is computed.
		drop(optimizer);
		let model = frozen(&recipe.model, &vars, device)?;
		for group in windows.chunks(recipe.batch.max(8) as usize) {
			let (inputs, targets) = batch_of(group, context, device)?;
			let mean = model.loss(&inputs, &targets)?.to_scalar::<f32>()?;
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

/// The model over the current values of `vars`, as constants.
fn frozen(shape: &crate::recipe::ModelShape, vars: &VarMap, device: &Device) -> Result<Gpt> {
	let values = vars
		.data()
		.lock()
		.expect("no thread panics holding the variables; qed")
		.iter()
		.map(|(name, var)| (name.clone(), var.as_tensor().detach()))
		.collect();
	Gpt::new(shape, VarBuilder::from_tensors(values, DType::F32, device))
}
