//! AdamW in two passes over each variable per step, in place: candle_nn's `AdamW` makes about
//! ten tensor operations per variable, each a pass over it and a new allocation. The same
//! arithmetic as candle_nn's (the same f32 operations in the same order, so the same bits),
//! which stays the optimiser off the CPU.

use crate::ops::{floats, floats_mut};
use candle_core::{backprop::GradStore, bail, CpuStorage, InplaceOp2, Layout, Result, Tensor, Var};
use candle_nn::{optim::ParamsAdamW, Optimizer};

/// AdamW over `vars`; each variable's first and second moments side by side in one tensor.
pub struct AdamW {
	vars: Vec<(Var, Tensor)>,
	params: ParamsAdamW,
	step: i32,
}

impl AdamW {
	/// AdamW for `vars` (on the CPU) with `params`.
	pub fn new(vars: Vec<Var>, params: ParamsAdamW) -> Result<Self> {
		let vars = vars
			.into_iter()
			.map(|var| {
				let moments = Tensor::zeros(2 * var.elem_count(), var.dtype(), var.device())?;
				Ok((var, moments))
			})
			.collect::<Result<_>>()?;
		Ok(AdamW { vars, params, step: 0 })
	}

	/// Sets the learning rate for the next steps.
	pub fn set_learning_rate(&mut self, lr: f64) {
		self.params.lr = lr;
	}

	/// One step down `grads`; variables without a gradient are left as they are.
	pub fn step(&mut self, grads: &GradStore) -> Result<()> {
		self.step = self.step.saturating_add(1);
		let p = &self.params;
		let moments = Moments {
			beta1: p.beta1 as f32,
			beta2: p.beta2 as f32,
			rest1: (1.0 - p.beta1) as f32,
			rest2: (1.0 - p.beta2) as f32,
		};
		let update = Update {
			decay: (1.0 - p.lr * p.weight_decay) as f32,
			lr: p.lr as f32,
			eps: p.eps as f32,
			scale_m: (1.0 / (1.0 - p.beta1.powi(self.step))) as f32,
			scale_v: (1.0 / (1.0 - p.beta2.powi(self.step))) as f32,
		};
		for (var, state) in &self.vars {
			if let Some(grad) = grads.get(var) {
				state.inplace_op2(&grad.contiguous()?, &moments)?;
				var.as_tensor().inplace_op2(state, &update)?;
			}
		}
		Ok(())
	}
}

/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²` on the moments `(m, v)` with the gradient `g`.
struct Moments {
	beta1: f32,
	beta2: f32,
	/// 1 − β₁, computed in f64 as candle_nn does.
	rest1: f32,
	/// 1 − β₂.
	rest2: f32,
}

impl InplaceOp2 for Moments {
	fn name(&self) -> &'static str {
		"poi-adamw-moments"
	}

	fn cpu_fwd(
		&self,
		s1: &mut CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
	) -> Result<()> {
		let grad = floats(s2, l2, "adamw gradient")?;
		let state = floats_mut(s1, l1, "adamw moments")?;
		if state.len() != 2 * grad.len() {
			bail!("adamw: {} moments for {} gradients", state.len(), grad.len());
		}
		let (m, v) = state.split_at_mut(grad.len());
		// candle_nn's order: each product with a scalar is an affine map (`x·a + 0`).
		let (c1, c2) = (self.rest1, self.rest2);
		for ((m, v), &g) in m.iter_mut().zip(v.iter_mut()).zip(grad) {
			*m = (*m * self.beta1 + 0.0) + (g * c1 + 0.0);
			*v = (*v * self.beta2 + 0.0) + ((g * g) * c2 + 0.0);
		}
		Ok(())
	}
}

/// `θ ← θ(1−λ·lr) − lr · m̂ / (√v̂ + ε)` from the moments.
struct Update {
	decay: f32,
	lr: f32,
	eps: f32,
	scale_m: f32,
	scale_v: f32,
}

impl InplaceOp2 for Update {
	fn name(&self) -> &'static str {
		"poi-adamw-update"
	}

	fn cpu_fwd(
		&self,
		s1: &mut CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
	) -> Result<()> {
		let state = floats(s2, l2, "adamw moments")?;
		let theta = floats_mut(s1, l1, "adamw variable")?;
		if state.len() != 2 * theta.len() {
			bail!("adamw: {} moments for {} values", state.len(), theta.len());
		}
		let (m, v) = state.split_at(theta.len());
		for ((theta, &m), &v) in theta.iter_mut().zip(m).zip(v) {
			let m_hat = m * self.scale_m + 0.0;
			let v_hat = v * self.scale_v + 0.0;
			let adjusted = m_hat / ((v_hat.sqrt() * 1.0) + self.eps);
			*theta = (*theta * self.decay + 0.0) - (adjusted * self.lr + 0.0);
		}
		Ok(())
	}
}

impl Optimizer for AdamW {
	type Config = ParamsAdamW;

	fn new(vars: Vec<Var>, config: ParamsAdamW) -> Result<Self> {
		AdamW::new(vars, config)
	}

	fn step(&mut self, grads: &GradStore) -> Result<()> {
		AdamW::step(self, grads)
	}

	fn learning_rate(&self) -> f64 {
		self.params.lr
	}

	fn set_learning_rate(&mut self, lr: f64) {
		AdamW::set_learning_rate(self, lr)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::data::Rng;
	use candle_core::Device;

	#[test]
	fn the_same_bits_as_candle_nns_adamw() {
		let mut rng = Rng::new(11);
		let mut values = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.normal() as f32).collect() };
		let (start, grads): (Vec<f32>, Vec<Vec<f32>>) =
			(values(300), (0..5).map(|_| values(300)).collect());
		let params =
			ParamsAdamW { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.1 };
		let run = |optimizer: &mut dyn FnMut(&GradStore) -> Result<()>, var: &Var| {
			for g in &grads {
				// A gradient store with `g` for `var`: the gradient of Σ g·var.
				let g = Tensor::from_slice(g, 300, &Device::Cpu).unwrap();
				let loss = (var.as_tensor() * &g).unwrap().sum_all().unwrap();
				optimizer(&loss.backward().unwrap()).unwrap();
			}
			var.as_tensor().to_vec1::<f32>().unwrap()
		};
		let ours = Var::from_slice(&start, 300, &Device::Cpu).unwrap();
		let mut fused = AdamW::new(vec![ours.clone()], params.clone()).unwrap();
		let theirs = Var::from_slice(&start, 300, &Device::Cpu).unwrap();
		let mut candle = candle_nn::AdamW::new(vec![theirs.clone()], params).unwrap();
		let a = run(&mut |g| fused.step(g), &ours);
		let b = run(&mut |g| candle.step(g), &theirs);
		assert_ne!(a, start, "the values moved");
		assert_eq!(a, b);
	}
}
