//! The GPT: candle_nn layers under named scopes, built from a `VarBuilder`, and a deterministic
//! initialisation over whatever variables the model declares.
//!
//! The variables and their names (`blocks.N` for block N):
//!
//! | name | shape |
//! |---|---|
//! | `token.weight` | 256 × embd |
//! | `position.weight` | context × embd |
//! | `blocks.N.norm1.{weight,bias}` | embd |
//! | `blocks.N.attention.qkv.{weight,bias}` | 3·embd × embd, 3·embd |
//! | `blocks.N.attention.projection.{weight,bias}` | embd × embd, embd |
//! | `blocks.N.norm2.{weight,bias}` | embd |
//! | `blocks.N.mlp.up.{weight,bias}` | hidden × embd, hidden |
//! | `blocks.N.mlp.down.{weight,bias}` | embd × hidden, embd |
//! | `norm.{weight,bias}` | embd |
//! | `head.{weight,bias}` | 256 × embd, 256 |
//!
//! Linear weights are stored `(out, in)`, as candle_nn (and PyTorch) keep them.

use crate::{data::Rng, ops, recipe::ModelShape, recipe::VOCAB};
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, LayerNormConfig, Linear, VarBuilder, VarMap};

/// Layer norm's ε.
const EPS: f64 = 1e-5;

/// A layer norm: candle_nn's weights, applied with the linear layer after it by the fused
/// kernel [`ops::norm_linear`] (candle's own fused layer norm has no backward pass, and the
/// norm's output need not be kept).
struct Norm(LayerNorm);

impl Norm {
	fn new(width: usize, vb: VarBuilder) -> Result<Self> {
		let config = LayerNormConfig { eps: EPS, ..LayerNormConfig::default() };
		Ok(Norm(candle_nn::layer_norm(width, config, vb)?))
	}

	fn parameters(&self) -> (&Tensor, &Tensor) {
		(self.0.weight(), self.0.bias().expect("layer_norm's default config has a bias; qed"))
	}

	/// `dense(norm(x))`.
	fn then(&self, dense: &Dense, x: &Tensor) -> Result<Tensor> {
		ops::norm_linear(x, self.parameters(), (dense.0.weight(), dense.bias()), EPS as f32)
	}
}

/// candle_nn's `Linear` (its weights and names), applied by the fused [`ops::linear`].
struct Dense(Linear);

impl Dense {
	fn new(inputs: usize, outputs: usize, vb: VarBuilder) -> Result<Self> {
		Ok(Dense(candle_nn::linear(inputs, outputs, vb)?))
	}
}

impl Dense {
	fn bias(&self) -> &Tensor {
		self.0.bias().expect("candle_nn::linear has a bias; qed")
	}

	/// The layer applied to `gelu(u)` ([`ops::gelu_linear`]).
	fn after_gelu(&self, u: &Tensor) -> Result<Tensor> {
		ops::gelu_linear(u, self.0.weight(), self.bias())
	}
}

impl Module for Dense {
	fn forward(&self, x: &Tensor) -> Result<Tensor> {
		ops::linear(x, self.0.weight(), self.bias())
	}
}

/// Causal self-attention: one projection to queries, keys and values, the fused kernel, and
/// the output projection.
struct Attention {
	qkv: Dense,
	projection: Dense,
	heads: usize,
}

impl Attention {
	fn new(shape: &ModelShape, vb: VarBuilder) -> Result<Self> {
		let c = shape.embd as usize;
		Ok(Attention {
			qkv: Dense::new(c, 3 * c, vb.pp("qkv"))?,
			projection: Dense::new(c, c, vb.pp("projection"))?,
			heads: shape.heads as usize,
		})
	}

	/// `x`: rows `(batch × time, embd)`, normalised by `norm` first.
	fn forward(&self, norm: &Norm, x: &Tensor, time: usize) -> Result<Tensor> {
		let qkv = norm.then(&self.qkv, x)?;
		self.projection.forward(&ops::causal_attention(&qkv, time, self.heads)?)
	}
}

struct Mlp {
	up: Dense,
	down: Dense,
}

impl Mlp {
	/// `x` normalised by `norm` first.
	fn forward(&self, norm: &Norm, x: &Tensor) -> Result<Tensor> {
		self.down.after_gelu(&norm.then(&self.up, x)?)
	}
}

struct Block {
	norm1: Norm,
	attention: Attention,
	norm2: Norm,
	mlp: Mlp,
}

impl Block {
	fn new(shape: &ModelShape, vb: VarBuilder) -> Result<Self> {
		let c = shape.embd as usize;
		let hidden = c * shape.mlp_ratio as usize;
		let mlp = vb.pp("mlp");
		Ok(Block {
			norm1: Norm::new(c, vb.pp("norm1"))?,
			attention: Attention::new(shape, vb.pp("attention"))?,
			norm2: Norm::new(c, vb.pp("norm2"))?,
			mlp: Mlp {
				up: Dense::new(c, hidden, mlp.pp("up"))?,
				down: Dense::new(hidden, c, mlp.pp("down"))?,
			},
		})
	}

	fn forward(&self, x: &Tensor, time: usize) -> Result<Tensor> {
		let x = (x + self.attention.forward(&self.norm1, x, time)?)?;
		&x + self.mlp.forward(&self.norm2, &x)?
	}
}

/// The model.
pub struct Gpt {
	token: Embedding,
	position: Embedding,
	blocks: Vec<Block>,
	norm: Norm,
	head: Dense,
	embd: usize,
}

impl Gpt {
	/// Declares (or, from a builder over tensors, loads) the model's variables under `vb`.
	pub fn new(shape: &ModelShape, vb: VarBuilder) -> Result<Self> {
		let c = shape.embd as usize;
		let blocks = (0..shape.layers as usize)
			.map(|n| Block::new(shape, vb.pp(format!("blocks.{n}"))))
			.collect::<Result<_>>()?;
		Ok(Gpt {
			token: candle_nn::embedding(VOCAB, c, vb.pp("token"))?,
			position: candle_nn::embedding(shape.context as usize, c, vb.pp("position"))?,
			blocks,
			norm: Norm::new(c, vb.pp("norm"))?,
			head: Dense::new(c, VOCAB, vb.pp("head"))?,
			embd: c,
		})
	}

	/// The last hidden rows `(batch × time, embd)` for byte ids `(batch, time)`.
	fn hidden(&self, ids: &Tensor) -> Result<Tensor> {
		let (b, t) = ids.dims2()?;
		let positions = self.position.embeddings().narrow(0, 0, t)?;
		let mut x =
			self.token.forward(ids)?.broadcast_add(&positions)?.reshape((b * t, self.embd))?;
		for block in &self.blocks {
			x = block.forward(&x, t)?;
		}
		Ok(x)
	}

	/// Logits `(batch × time, 256)` for byte ids `(batch, time)`.
	pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
		self.norm.then(&self.head, &self.hidden(ids)?)
	}

	/// The mean cross-entropy (nats) of the next bytes `targets` (`batch × time`) after `ids`:
	/// the loss of [`Self::forward`]'s logits, in one op that keeps no logits.
	pub fn loss(&self, ids: &Tensor, targets: &Tensor) -> Result<Tensor> {
		let head = (self.head.0.weight(), self.head.bias());
		ops::norm_linear_cross_entropy(
			&self.hidden(ids)?,
			self.norm.parameters(),
			head,
			targets,
			EPS as f32,
		)
	}
}

/// A model of `shape` with fresh variables in `vars`, initialised by [`initialise`].
pub fn create(
	shape: &ModelShape,
	vars: &VarMap,
	std: f64,
	rng: &mut Rng,
	device: &Device,
) -> Result<Gpt> {
	let model = Gpt::new(shape, VarBuilder::from_varmap(vars, DType::F32, device))?;
	initialise(vars, std, rng)?;
	Ok(model)
}

/// Sets every variable in `vars`, in the sorted order of their names: matrices (weights and
/// embeddings) to normal draws of standard deviation `std` from `rng` (row by row), biases to
/// zero, and the other vectors (layer norms' gains) to one. Nothing else is kept from the
/// builder's own initialisation, which draws from candle's generator and differs between runs.
pub fn initialise(vars: &VarMap, std: f64, rng: &mut Rng) -> Result<()> {
	let vars = vars.data().lock().expect("no thread panics holding the variables; qed");
	let mut names: Vec<&String> = vars.keys().collect();
	names.sort();
	for name in names {
		let var = &vars[name];
		let value = match var.rank() {
			2 => {
				let data: Vec<f32> =
					(0..var.elem_count()).map(|_| (rng.normal() * std) as f32).collect();
				Tensor::from_vec(data, var.shape(), var.device())?
			},
			_ if name.ends_with("bias") => var.zeros_like()?,
			_ => var.ones_like()?,
		};
		var.set(&value)?;
	}
	Ok(())
}

/// The parameters of a model of this shape, counted from its variables (checks
/// [`crate::recipe::parameters`]).
pub fn count_parameters(shape: &ModelShape, device: &Device) -> Result<u64> {
	let vars = VarMap::new();
	Gpt::new(shape, VarBuilder::from_varmap(&vars, DType::F32, device))?;
	Ok(vars.all_vars().iter().map(|v| v.elem_count() as u64).sum())
}
