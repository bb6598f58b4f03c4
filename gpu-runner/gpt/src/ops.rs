//! Fused CPU kernels, each with its backward pass, for the operations where candle's composite
//! ops spent most of a training step: causal self-attention, layer norm, GELU and the
//! cross-entropy loss. Each is a candle custom op, so the autograd graph keeps only its inputs:
//! attention keeps no attention matrix (its backward pass recomputes each row's softmax), GELU
//! no intermediate powers, and the loss no log-softmax.
//!
//! On other devices (CUDA) the same functions run candle's composite ops ([`reference`]), which
//! the tests also use as the oracle for the kernels' values and gradients.
//!
//! Determinism: the work is cut into fixed pieces (a sequence of the batch, a block of rows),
//! whatever the number of threads, and every sum runs in a fixed order, so a CPU run gives the
//! same bits on one thread or sixteen. The kernels are plain loops that the compiler vectorises
//! (no `unsafe`, no fused multiply-add, so no result depends on the CPU's vector width).

use candle_core::{
	backend::BackendStorage, bail, CpuStorage, CustomOp1, CustomOp2, CustomOp3, InplaceOp2, Layout,
	Result, Shape, Tensor,
};
use rayon::prelude::*;

/// Causal self-attention over `qkv`, the rows `(batch × time, 3 × embd)` of queries, keys and
/// values (in that order, each `heads` heads wide), for sequences of `time` tokens: the rows
/// `(batch × time, embd)` of the heads' outputs, side by side.
pub fn causal_attention(qkv: &Tensor, time: usize, heads: usize) -> Result<Tensor> {
	let (rows, width) = qkv.dims2()?;
	if width % (3 * heads) != 0 || time == 0 || rows % time != 0 {
		bail!("attention: {rows}x{width} rows do not hold sequences of {time} with {heads} heads");
	}
	if !qkv.device().is_cpu() {
		return reference::causal_attention(qkv, time, heads);
	}
	qkv.contiguous()?.apply_op1(Attention { time, heads })
}

/// Layer norm over the last dimension of `x` (rows, width) with gain `gain` and bias `bias`.
pub fn layer_norm(x: &Tensor, gain: &Tensor, bias: &Tensor, eps: f32) -> Result<Tensor> {
	if !x.device().is_cpu() {
		return candle_nn::ops::layer_norm_slow(x, gain, bias, eps);
	}
	let (_, width) = x.dims2()?;
	if gain.dims1()? != width || bias.dims1()? != width {
		bail!("layer norm: gain and bias must have {width} entries");
	}
	x.contiguous()?.apply_op3(&gain.contiguous()?, &bias.contiguous()?, LayerNorm { eps })
}

/// GELU (the tanh approximation, as candle's `gelu` and PyTorch's `approximate="tanh"`).
pub fn gelu(x: &Tensor) -> Result<Tensor> {
	if !x.device().is_cpu() {
		return x.gelu();
	}
	x.contiguous()?.apply_op1(Gelu)
}

/// `layer_norm(x) Wᵀ + b`: [`layer_norm`] (gain `gain`, bias `shift`) then [`linear`] in one
/// op, which keeps `x` but not the norm's output for the backward pass.
pub fn norm_linear(
	x: &Tensor,
	(gain, shift): (&Tensor, &Tensor),
	(weight, bias): (&Tensor, &Tensor),
	eps: f32,
) -> Result<Tensor> {
	if !x.device().is_cpu() {
		return linear(&layer_norm(x, gain, shift, eps)?, weight, bias);
	}
	let ((_, inputs), (outputs, width)) = (x.dims2()?, weight.dims2()?);
	if width != inputs || bias.dims1()? != outputs || gain.dims1()? != inputs {
		bail!("norm and linear: {:?} rows, a {outputs}x{width} weight", x.dims());
	}
	let norm = Tensor::stack(&[gain, shift], 0)?;
	let wb = Tensor::cat(&[weight, &bias.unsqueeze(1)?], 1)?;
	x.contiguous()?.apply_op3(&norm, &wb, NormLinear { eps, targets: None })
}

/// The mean cross-entropy of [`norm_linear`]'s outputs against `targets`, in one op that keeps
/// neither the norm's output nor the logits for the backward pass.
pub fn norm_linear_cross_entropy(
	x: &Tensor,
	norm: (&Tensor, &Tensor),
	linear: (&Tensor, &Tensor),
	targets: &Tensor,
	eps: f32,
) -> Result<Tensor> {
	if !x.device().is_cpu() {
		return cross_entropy(&norm_linear(x, norm, linear, eps)?, targets);
	}
	let ((_, inputs), (outputs, width)) = (x.dims2()?, linear.0.dims2()?);
	let ((gain, shift), (weight, bias)) = (norm, linear);
	if width != inputs || bias.dims1()? != outputs || gain.dims1()? != inputs {
		bail!("norm and linear: {:?} rows, a {outputs}x{width} weight", x.dims());
	}
	if targets.dims1()? != x.dim(0)? {
		bail!("cross-entropy: {:?} rows but {:?} targets", x.dims(), targets.dims());
	}
	let norm = Tensor::stack(&[gain, shift], 0)?;
	let wb = Tensor::cat(&[weight, &bias.unsqueeze(1)?], 1)?;
	let op = NormLinear { eps, targets: Some(targets.contiguous()?) };
	x.contiguous()?.apply_op3(&norm, &wb, op)
}

/// `gelu(u) Wᵀ + b`: [`gelu`] then [`linear`] in one op, which keeps `u` but not `gelu(u)` for
/// the backward pass.
pub fn gelu_linear(u: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
	if !u.device().is_cpu() {
		return linear(&u.gelu()?, weight, bias);
	}
	let ((_, inputs), (outputs, width)) = (u.dims2()?, weight.dims2()?);
	if width != inputs || bias.dims1()? != outputs {
		bail!("linear: {:?} rows, a {outputs}x{width} weight, {:?} biases", u.dims(), bias.dims());
	}
	u.contiguous()?.apply_op3(&weight.contiguous()?, &bias.contiguous()?, GeluLinear)
}

/// The mean cross-entropy (nats) of `logits` (rows, classes) against `targets` (rows, u32).
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
	if !logits.device().is_cpu() {
		return candle_nn::loss::cross_entropy(logits, targets);
	}
	let (rows, _) = logits.dims2()?;
	if targets.dims1()? != rows {
		bail!("cross-entropy: {rows} rows of logits but {:?} targets", targets.dims());
	}
	logits.contiguous()?.apply_op2(&targets.contiguous()?, CrossEntropy)
}

/// `x W^T + b` for rows `x` (rows, in), a weight `W` (out, in) and a bias `b` (out), as
/// candle_nn's `Linear`. One op instead of a matmul and a broadcast add: the product is not
/// kept beside the sum for the backward pass, and the bias's gradient is a blocked column sum
/// on all threads (candle's broadcast backward sums it with a strided reduction on one).
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
	if !x.device().is_cpu() {
		return x.matmul(&weight.t()?)?.broadcast_add(bias);
	}
	let ((_, inputs), (outputs, width)) = (x.dims2()?, weight.dims2()?);
	if width != inputs || bias.dims1()? != outputs {
		bail!("linear: {:?} rows, a {outputs}x{width} weight, {:?} biases", x.dims(), bias.dims());
	}
	x.contiguous()?.apply_op3(&weight.contiguous()?, &bias.contiguous()?, Linear)
}

/// candle's composite ops for the same functions: what runs off the CPU, and the tests' oracle.
pub mod reference {
	use candle_core::{Result, Tensor, D};

	/// [`super::causal_attention`] from candle's matmul, mask and softmax.
	pub fn causal_attention(qkv: &Tensor, time: usize, heads: usize) -> Result<Tensor> {
		let (rows, width) = qkv.dims2()?;
		let (batch, embd) = (rows / time, width / 3);
		let head = embd / heads;
		let part = |n: usize| -> Result<Tensor> {
			qkv.narrow(1, n * embd, embd)?
				.reshape((batch, time, heads, head))?
				.transpose(1, 2)?
				.contiguous()
		};
		let (q, k, v) = (part(0)?, part(1)?, part(2)?);
		let mask: Vec<f32> = (0..time)
			.flat_map(|i| (0..time).map(move |j| if j <= i { 0.0 } else { f32::NEG_INFINITY }))
			.collect();
		let mask = Tensor::from_vec(mask, (time, time), qkv.device())?;
		let scores = (q.matmul(&k.t()?.contiguous()?)? * (1.0 / (head as f64).sqrt()))?;
		let weights = candle_nn::ops::softmax(&scores.broadcast_add(&mask)?, D::Minus1)?;
		weights.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((rows, embd))
	}
}

/// Runs `f` compiled for the widest vector extension this CPU has (AVX2 on most x86-64; pulp
/// checks at run time). The results are the same bits on any of them: Rust never fuses a
/// multiply and an add, and the kernels fix their order of additions ([`LANES`]).
#[inline(always)]
fn vectorised<R>(f: impl FnOnce() -> R) -> R {
	struct Wide<F>(F);
	impl<R, F: FnOnce() -> R> pulp::WithSimd for Wide<F> {
		type Output = R;
		#[inline(always)]
		fn with_simd<S: pulp::Simd>(self, _: S) -> R {
			(self.0)()
		}
	}
	pulp::Arch::new().dispatch(Wide(f))
}

/// A contiguous f32 slice of a CPU tensor's storage.
pub(crate) fn floats<'a>(
	storage: &'a CpuStorage,
	layout: &Layout,
	what: &str,
) -> Result<&'a [f32]> {
	let CpuStorage::F32(data) = storage else { bail!("{what}: f32 expected") };
	match layout.contiguous_offsets() {
		Some((start, end)) => Ok(&data[start..end]),
		None => bail!("{what}: a contiguous tensor expected"),
	}
}

/// [`floats`] for a storage an in-place op writes.
pub(crate) fn floats_mut<'a>(
	storage: &'a mut CpuStorage,
	layout: &Layout,
	what: &str,
) -> Result<&'a mut [f32]> {
	let CpuStorage::F32(data) = storage else { bail!("{what}: f32 expected") };
	match layout.contiguous_offsets() {
		Some((start, end)) => Ok(&mut data[start..end]),
		None => bail!("{what}: a contiguous tensor expected"),
	}
}

/// Lanes of the partial sums in [`sum`] and [`dot`]: a fixed number, so the order of additions
/// does not depend on the machine.
const LANES: usize = 8;

/// The sum of `a`, in lanes of [`LANES`] added in a fixed order.
#[inline(always)]
fn sum(a: &[f32]) -> f32 {
	let mut lanes = [0f32; LANES];
	let chunks = a.chunks_exact(LANES);
	let rest = chunks.remainder();
	for chunk in chunks {
		for l in 0..LANES {
			lanes[l] += chunk[l];
		}
	}
	fold(lanes) + rest.iter().sum::<f32>()
}

/// The dot product of `a` and `b` (of equal lengths), in lanes as [`sum`].
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
	let mut lanes = [0f32; LANES];
	let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
	let rest: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
	for (x, y) in ca.zip(cb) {
		for l in 0..LANES {
			lanes[l] += x[l] * y[l];
		}
	}
	fold(lanes) + rest
}

#[inline(always)]
fn fold(l: [f32; LANES]) -> f32 {
	((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]))
}

/// e^x without a call into libm, so loops over it vectorise: Cody–Waite reduction to
/// x = n ln 2 + r with |r| ≤ ln 2 / 2, a degree-7 Taylor polynomial for e^r (relative error
/// under 1e-8 before rounding) and 2^n from the exponent bits. Inputs are clamped to where
/// e^x is a normal f32; NaN stays NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
	const LOG2_E: f32 = std::f32::consts::LOG2_E;
	const LN2_HI: f32 = 0.693_359_4;
	const LN2_LO: f32 = -2.121_944_4e-4;
	// Adding and subtracting 1.5 × 2^23 rounds to the nearest integer (ties to even).
	const ROUND: f32 = 12_582_912.0;
	let x = x.clamp(-87.0, 88.0);
	let n = (x * LOG2_E + ROUND) - ROUND;
	let r = (x - n * LN2_HI) - n * LN2_LO;
	let p = 1.0
		+ r * (1.0
			+ r * (0.5
				+ r * (1.0 / 6.0
					+ r * (1.0 / 24.0
						+ r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
	p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// √(2/π), GELU's inner scale.
const GELU_SCALE: f32 = 0.797_884_6;
/// GELU's cubic coefficient.
const GELU_CUBIC: f32 = 0.044_715;

/// tanh(√(2/π)(x + 0.044715 x³)), the shared part of GELU and its derivative.
#[inline(always)]
fn gelu_tanh(x: f32) -> f32 {
	let u = GELU_SCALE * (x + GELU_CUBIC * x * x * x);
	1.0 - 2.0 / (exp(2.0 * u) + 1.0)
}

/// Elements per piece of the element-wise kernels.
const PIECE: usize = 1 << 14;
/// Rows per piece of the row-wise kernels.
const ROWS: usize = 64;

struct Linear;

/// A layer norm, then a linear layer: the norm's gain and bias stacked `(2, in)`, the weight and
/// bias side by side `(out, in + 1)`, so that the op has three inputs. With `targets`, its
/// output is the mean cross-entropy of the layer's outputs (logits) against them, and the
/// logits are not kept either.
struct NormLinear {
	eps: f32,
	targets: Option<Tensor>,
}

impl CustomOp3 for NormLinear {
	fn name(&self) -> &'static str {
		"poi-norm-linear"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
		s3: &CpuStorage,
		l3: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let x = floats(s1, l1, "norm")?;
		let norm = floats(s2, l2, "norm parameters")?;
		let (gain, bias) = norm.split_at(norm.len() / 2);
		let normed = CpuStorage::F32(layer_norm_forward(x, gain, bias, self.eps));
		let wb = floats(s3, l3, "weight and bias")?;
		let (outputs, columns) = l3.shape().dims2()?;
		let inputs = columns - 1;
		let biases: Vec<f32> = wb.chunks_exact(columns).map(|row| row[inputs]).collect();
		// The weight: the first `inputs` columns of each row, read in place.
		let weight = Layout::new((outputs, inputs).into(), vec![columns, 1], l3.start_offset());
		let out =
			linear_forward((&normed, &Layout::contiguous(l1.shape())), (s3, &weight), &biases)?;
		let Some(targets) = &self.targets else { return Ok(out) };
		let (CpuStorage::F32(logits), _) = &out else { bail!("norm and linear: f32 expected") };
		let targets = targets.to_vec1::<u32>()?;
		if let Some(bad) = targets.iter().find(|&&t| t as usize >= outputs) {
			bail!("cross-entropy: target {bad} is not one of {outputs} classes");
		}
		if targets.len() * outputs != logits.len() {
			bail!("cross-entropy: {} targets for {} rows", targets.len(), logits.len() / outputs);
		}
		let mean = cross_entropy_forward(logits, outputs, &targets);
		Ok((CpuStorage::F32(vec![mean]), Shape::from(())))
	}

	fn bwd(
		&self,
		x: &Tensor,
		norm: &Tensor,
		wb: &Tensor,
		_: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
		let (gain, bias) = (norm.get(0)?.detach(), norm.get(1)?.detach());
		let inputs = wb.dim(1)? - 1;
		// The norm's output again (not kept from the forward pass), only while it is needed.
		let normed = x.apply_op3_no_bwd(&gain, &bias, &LayerNorm { eps: self.eps })?;
		let grad = match &self.targets {
			None => grad.contiguous()?,
			// The logits again, then the loss's gradient with respect to them.
			Some(targets) => {
				let weight = wb.detach().narrow(1, 0, inputs)?;
				let logits = normed.apply_op3_no_bwd(
					&weight,
					&wb.detach().get_on_dim(1, inputs)?.contiguous()?,
					&Linear,
				)?;
				logits.apply_op3_no_bwd(targets, &grad.contiguous()?, &CrossEntropyBackward)?
			},
		};
		let dweight = grad.t()?.matmul(&normed)?;
		drop(normed);
		let dbias = grad.apply_op1_no_bwd(&ColumnSum)?;
		let dwb = Tensor::cat(&[&dweight, &dbias.unsqueeze(1)?], 1)?;
		let dnormed = grad.matmul(&wb.detach().narrow(1, 0, inputs)?)?;
		let (dx, dgain, dbias) = layer_norm_backward(x, &gain, &dnormed, self.eps)?;
		Ok((Some(dx), Some(Tensor::stack(&[&dgain, &dbias], 0)?), Some(dwb)))
	}
}

/// `x Wᵀ + b` on the CPU: candle's own matmul (gemm) on the weight's transposed layout (no
/// copy), then the bias on every row.
fn linear_forward(
	(x, lx): (&CpuStorage, &Layout),
	(w, lw): (&CpuStorage, &Layout),
	bias: &[f32],
) -> Result<(CpuStorage, Shape)> {
	let ((rows, inputs), outputs) = (lx.shape().dims2()?, bias.len());
	let product = x.matmul(w, (1, rows, outputs, inputs), lx, &lw.transpose(0, 1)?)?;
	let CpuStorage::F32(mut y) = product else { bail!("linear: f32 expected") };
	y.par_chunks_mut(outputs * ROWS).for_each(|y| {
		for row in y.chunks_exact_mut(outputs) {
			for (y, b) in row.iter_mut().zip(bias) {
				*y += b;
			}
		}
	});
	Ok((CpuStorage::F32(y), Shape::from((rows, outputs))))
}

impl CustomOp3 for Linear {
	fn name(&self) -> &'static str {
		"poi-linear"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
		s3: &CpuStorage,
		l3: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		linear_forward((s1, l1), (s2, l2), floats(s3, l3, "bias")?)
	}

	fn bwd(
		&self,
		x: &Tensor,
		weight: &Tensor,
		_: &Tensor,
		_: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
		let grad = grad.contiguous()?;
		let dx = grad.matmul(&weight.detach())?;
		let dweight = grad.t()?.matmul(&x.detach())?;
		let dbias = grad.apply_op1_no_bwd(&ColumnSum)?;
		Ok((Some(dx), Some(dweight), Some(dbias)))
	}
}

/// The sums of the columns of a (rows, width) tensor: blocks of rows in parallel, their partial
/// sums added in order.
struct ColumnSum;

impl CustomOp1 for ColumnSum {
	fn name(&self) -> &'static str {
		"poi-column-sum"
	}

	fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		let x = floats(storage, layout, "column sum")?;
		let (_, width) = layout.shape().dims2()?;
		let partials: Vec<Vec<f32>> = x
			.par_chunks(width * ROWS)
			.map(|x| {
				let mut partial = vec![0f32; width];
				for row in x.chunks_exact(width) {
					for (p, v) in partial.iter_mut().zip(row) {
						*p += v;
					}
				}
				partial
			})
			.collect();
		let mut sums = vec![0f32; width];
		for partial in partials {
			for (s, p) in sums.iter_mut().zip(partial) {
				*s += p;
			}
		}
		Ok((CpuStorage::F32(sums), Shape::from(width)))
	}
}

struct Gelu;

/// GELU of every element, in pieces on all threads.
fn gelu_forward(x: &[f32]) -> Vec<f32> {
	let mut y = vec![0f32; x.len()];
	zip_map(x, &mut y, |x, y| *y = 0.5 * x * (1.0 + gelu_tanh(x)));
	y
}

/// `f(x[i], &mut y[i])` for every element, in pieces on all threads, each compiled for the
/// vector extension pulp picks (`f` is inlined into it).
fn zip_map(x: &[f32], y: &mut [f32], f: impl Fn(f32, &mut f32) + Copy + Send + Sync) {
	y.par_chunks_mut(PIECE).zip(x.par_chunks(PIECE)).for_each(|(y, x)| {
		pulp::Arch::new().dispatch(ZipMap { x, y, f });
	});
}

/// A piece of [`zip_map`].
struct ZipMap<'a, F> {
	x: &'a [f32],
	y: &'a mut [f32],
	f: F,
}

impl<F: Fn(f32, &mut f32)> pulp::WithSimd for ZipMap<'_, F> {
	type Output = ();
	#[inline(always)]
	fn with_simd<S: pulp::Simd>(self, _: S) {
		for (y, &x) in self.y.iter_mut().zip(self.x) {
			(self.f)(x, y);
		}
	}
}

/// GELU, then a linear layer: `gelu(u) Wᵀ + b`. The activations `gelu(u)` are not kept for the
/// backward pass, which recomputes them from `u` (the MLP's widest tensor, kept once, not twice).
struct GeluLinear;

impl CustomOp3 for GeluLinear {
	fn name(&self) -> &'static str {
		"poi-gelu-linear"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
		s3: &CpuStorage,
		l3: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let g = CpuStorage::F32(gelu_forward(floats(s1, l1, "gelu")?));
		linear_forward((&g, &Layout::contiguous(l1.shape())), (s2, l2), floats(s3, l3, "bias")?)
	}

	fn bwd(
		&self,
		u: &Tensor,
		weight: &Tensor,
		_: &Tensor,
		_: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
		// One widest temporary at a time: `gelu(u)` goes before `dg` comes, and `du` is
		// written over `dg`.
		let grad = grad.contiguous()?;
		let dweight = grad.t()?.matmul(&u.apply_op1_no_bwd(&Gelu)?)?;
		let dbias = grad.apply_op1_no_bwd(&ColumnSum)?;
		let du = grad.matmul(&weight.detach())?;
		du.inplace_op2(u, &GeluBackwardInPlace)?;
		Ok((Some(du), Some(dweight), Some(dbias)))
	}
}

impl CustomOp1 for Gelu {
	fn name(&self) -> &'static str {
		"poi-gelu"
	}

	fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		let y = gelu_forward(floats(storage, layout, "gelu")?);
		Ok((CpuStorage::F32(y), layout.shape().clone()))
	}

	fn bwd(&self, x: &Tensor, _: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
		Ok(Some(x.apply_op2_no_bwd(&grad.contiguous()?, &GeluBackward)?))
	}
}

/// `grad × gelu'(x)`.
struct GeluBackward;

impl CustomOp2 for GeluBackward {
	fn name(&self) -> &'static str {
		"poi-gelu-backward"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let (x, grad) = (floats(s1, l1, "gelu")?, floats(s2, l2, "gelu gradient")?);
		if x.len() != grad.len() {
			bail!("gelu backward: {} inputs, {} gradients", x.len(), grad.len());
		}
		let mut dx = grad.to_vec();
		gelu_backward(x, &mut dx);
		Ok((CpuStorage::F32(dx), l1.shape().clone()))
	}
}

/// `grad × gelu'(x)` in place of `grad`, in pieces on all threads.
fn gelu_backward(x: &[f32], grad: &mut [f32]) {
	zip_map(x, grad, |x, g| {
		let t = gelu_tanh(x);
		let inner = GELU_SCALE * (1.0 + 3.0 * GELU_CUBIC * x * x);
		*g *= 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner;
	});
}

/// [`gelu_backward`] on a gradient the caller owns: `grad`'s storage is updated.
struct GeluBackwardInPlace;

impl InplaceOp2 for GeluBackwardInPlace {
	fn name(&self) -> &'static str {
		"poi-gelu-backward-in-place"
	}

	fn cpu_fwd(
		&self,
		s1: &mut CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
	) -> Result<()> {
		let x = floats(s2, l2, "gelu")?;
		let grad = floats_mut(s1, l1, "gelu gradient")?;
		if grad.len() != x.len() {
			bail!("gelu backward: {} inputs, {} gradients", x.len(), grad.len());
		}
		gelu_backward(x, grad);
		Ok(())
	}
}

struct LayerNorm {
	eps: f32,
}

/// A row's mean and 1/σ.
#[inline(always)]
fn moments(x: &[f32], eps: f32) -> (f32, f32) {
	let n = x.len() as f32;
	let mean = sum(x) / n;
	let mut lanes = [0f32; LANES];
	let chunks = x.chunks_exact(LANES);
	let rest: f32 = chunks.remainder().iter().map(|v| (v - mean) * (v - mean)).sum();
	for chunk in chunks {
		for l in 0..LANES {
			let d = chunk[l] - mean;
			lanes[l] += d * d;
		}
	}
	let variance = (fold(lanes) + rest) / n;
	(mean, 1.0 / (variance + eps).sqrt())
}

impl CustomOp3 for LayerNorm {
	fn name(&self) -> &'static str {
		"poi-layer-norm"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
		s3: &CpuStorage,
		l3: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let x = floats(s1, l1, "layer norm")?;
		let (gain, bias) = (floats(s2, l2, "layer norm gain")?, floats(s3, l3, "layer norm bias")?);
		Ok((CpuStorage::F32(layer_norm_forward(x, gain, bias, self.eps)), l1.shape().clone()))
	}

	fn bwd(
		&self,
		x: &Tensor,
		gain: &Tensor,
		_bias: &Tensor,
		_: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
		let (dx, dgain, dbias) = layer_norm_backward(x, gain, &grad.contiguous()?, self.eps)?;
		Ok((Some(dx), Some(dgain), Some(dbias)))
	}
}

/// Layer norm of the rows of `x` (each as wide as `gain`).
fn layer_norm_forward(x: &[f32], gain: &[f32], bias: &[f32], eps: f32) -> Vec<f32> {
	let width = gain.len();
	let mut y = vec![0f32; x.len()];
	y.par_chunks_mut(width * ROWS).zip(x.par_chunks(width * ROWS)).for_each(|(y, x)| {
		for (y, x) in y.chunks_exact_mut(width).zip(x.chunks_exact(width)) {
			let (mean, rstd) = moments(x, eps);
			for (((y, x), g), b) in y.iter_mut().zip(x).zip(gain).zip(bias) {
				*y = (x - mean) * rstd * g + b;
			}
		}
	});
	y
}

/// A layer norm's gradients `(dx, dgain, dbias)` for its input `x` (rows, width), its gain and
/// the output's gradient `grad`.
fn layer_norm_backward(
	x: &Tensor,
	gain: &Tensor,
	grad: &Tensor,
	eps: f32,
) -> Result<(Tensor, Tensor, Tensor)> {
	let (rows, width) = x.dims2()?;
	let all = x.apply_op3_no_bwd(gain, grad, &LayerNormBackward { eps })?;
	let dx = all.narrow(0, 0, rows * width)?.reshape((rows, width))?;
	let dgain = all.narrow(0, rows * width, width)?;
	let dbias = all.narrow(0, (rows + 1) * width, width)?;
	Ok((dx, dgain, dbias))
}

/// The gradients of a layer norm for `(x, gain, grad)`: `dx`, then `dgain`, then `dbias`, in one
/// flat tensor.
struct LayerNormBackward {
	eps: f32,
}

impl CustomOp3 for LayerNormBackward {
	fn name(&self) -> &'static str {
		"poi-layer-norm-backward"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
		s3: &CpuStorage,
		l3: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let x = floats(s1, l1, "layer norm")?;
		let gain = floats(s2, l2, "layer norm gain")?;
		let grad = floats(s3, l3, "layer norm gradient")?;
		let width = gain.len();
		if x.len() != grad.len() || x.len() % width != 0 {
			bail!("layer norm backward: shapes differ");
		}
		let rows = x.len() / width;
		let mut out = vec![0f32; (rows + 2) * width];
		let (dx, params) = out.split_at_mut(rows * width);
		// Each block of rows sums its share of dgain and dbias; the blocks are added in order.
		let partials: Vec<Vec<f32>> = dx
			.par_chunks_mut(width * ROWS)
			.zip(x.par_chunks(width * ROWS).zip(grad.par_chunks(width * ROWS)))
			.map(|(dx, (x, grad))| {
				vectorised(|| {
					let mut partial = vec![0f32; 2 * width];
					let (dgain, dbias) = partial.split_at_mut(width);
					let mut hat = vec![0f32; width];
					let mut dhat = vec![0f32; width];
					for ((dx, x), grad) in dx
						.chunks_exact_mut(width)
						.zip(x.chunks_exact(width))
						.zip(grad.chunks_exact(width))
					{
						let (mean, rstd) = moments(x, self.eps);
						for i in 0..width {
							hat[i] = (x[i] - mean) * rstd;
							dhat[i] = grad[i] * gain[i];
							dgain[i] += grad[i] * hat[i];
							dbias[i] += grad[i];
						}
						let n = width as f32;
						let (mean_dhat, mean_dhat_hat) = (sum(&dhat) / n, dot(&dhat, &hat) / n);
						for i in 0..width {
							dx[i] = rstd * (dhat[i] - mean_dhat - hat[i] * mean_dhat_hat);
						}
					}
					partial
				})
			})
			.collect();
		for partial in partials {
			for (p, v) in params.iter_mut().zip(partial) {
				*p += v;
			}
		}
		let len = out.len();
		Ok((CpuStorage::F32(out), Shape::from(len)))
	}
}

struct Attention {
	time: usize,
	heads: usize,
}

/// The geometry of the attention kernels' rows, and views of them for candle's matmul.
#[derive(Clone, Copy)]
struct Geometry {
	/// Tokens per sequence.
	time: usize,
	/// Heads.
	heads: usize,
	/// Width of one head.
	head: usize,
	/// Width of the output rows (heads × head).
	embd: usize,
	/// Width of the `qkv` rows (3 × embd).
	width: usize,
	/// 1/√head.
	scale: f32,
}

/// Which third of a `qkv` row.
#[derive(Clone, Copy)]
enum Part {
	Query = 0,
	Key = 1,
	Value = 2,
}

impl Geometry {
	fn new(time: usize, heads: usize, width: usize) -> Self {
		let embd = width / 3;
		let head = embd / heads;
		Geometry { time, heads, head, embd, width, scale: 1.0 / (head as f32).sqrt() }
	}

	/// Sequence `b`'s queries, keys or values as `(heads, time, head)`, in `qkv` rows that
	/// start at `base`: no copy, gemm reads the strides.
	fn part(&self, base: usize, b: usize, part: Part) -> Layout {
		let start = base + b * self.time * self.width + part as usize * self.embd;
		Layout::new(
			(self.heads, self.time, self.head).into(),
			vec![self.head, self.width, 1],
			start,
		)
	}

	/// [`Self::part`] transposed: `(heads, head, time)`.
	fn part_t(&self, base: usize, b: usize, part: Part) -> Layout {
		let start = base + b * self.time * self.width + part as usize * self.embd;
		Layout::new(
			(self.heads, self.head, self.time).into(),
			vec![self.head, 1, self.width],
			start,
		)
	}

	/// Sequence `b`'s rows of an output-shaped tensor (`(rows, embd)`, from `base`) as
	/// `(heads, time, head)`.
	fn output(&self, base: usize, b: usize) -> Layout {
		let start = base + b * self.time * self.embd;
		Layout::new((self.heads, self.time, self.head).into(), vec![self.head, self.embd, 1], start)
	}

	/// A contiguous `(heads, time, time)` matrix per head, or its transpose.
	fn square(&self, transposed: bool) -> Layout {
		let t = self.time;
		let stride = if transposed { vec![t * t, 1, t] } else { vec![t * t, t, 1] };
		Layout::new((self.heads, t, t).into(), stride, 0)
	}

	/// The softmax weights of one sequence, every head: `scores` `(heads, time, time)` in,
	/// scaled, masked (zero above the diagonal) and normalised per row.
	fn softmax(&self, scores: &mut [f32]) {
		pulp::Arch::new().dispatch(MaskedSoftmax { g: *self, scores })
	}

	/// `(heads, time, head)` `from` into the rows `(time, row)` of `to` at `offset`.
	fn scatter(&self, from: &[f32], to: &mut [f32], row: usize, offset: usize) {
		let (t, head) = (self.time, self.head);
		for h in 0..self.heads {
			for i in 0..t {
				to[i * row + offset + h * head..][..head]
					.copy_from_slice(&from[(h * t + i) * head..][..head]);
			}
		}
	}
}

/// See [`Geometry::softmax`]. A [`pulp::WithSimd`] so that it is compiled for the vector
/// extension pulp picks (a closure would not be inlined there).
struct MaskedSoftmax<'a> {
	g: Geometry,
	scores: &'a mut [f32],
}

impl pulp::WithSimd for MaskedSoftmax<'_> {
	type Output = ();
	#[inline(always)]
	fn with_simd<S: pulp::Simd>(self, _: S) {
		let t = self.g.time;
		for row in self.scores.chunks_exact_mut(t * t) {
			for (i, row) in row.chunks_exact_mut(t).enumerate() {
				let (seen, masked) = row.split_at_mut(i + 1);
				masked.fill(0.0);
				let mut max = f32::NEG_INFINITY;
				for s in seen.iter_mut() {
					*s *= self.g.scale;
					max = max.max(*s);
				}
				for s in seen.iter_mut() {
					*s = exp(*s - max);
				}
				let inv = 1.0 / sum(seen);
				for s in seen.iter_mut() {
					*s *= inv;
				}
			}
		}
	}
}

/// The scores' gradient from the weights `p` and their gradient `dp` (in place):
/// `ds_j = p_j (dp_j − Σ_k p_k dp_k) / √head`.
struct SoftmaxBackward<'a> {
	g: Geometry,
	p: &'a [f32],
	dp: &'a mut [f32],
}

impl pulp::WithSimd for SoftmaxBackward<'_> {
	type Output = ();
	#[inline(always)]
	fn with_simd<S: pulp::Simd>(self, _: S) {
		let t = self.g.time;
		for (p, dp) in self.p.chunks_exact(t).zip(self.dp.chunks_exact_mut(t)) {
			let centre = dot(p, dp);
			for (dp, &p) in dp.iter_mut().zip(p) {
				*dp = p * (*dp - centre) * self.g.scale;
			}
		}
	}
}

fn f32s(storage: CpuStorage) -> Result<Vec<f32>> {
	match storage {
		CpuStorage::F32(data) => Ok(data),
		_ => bail!("attention: f32 expected"),
	}
}

/// One sequence's attention (`b`, of the `qkv` rows from `base`) into its rows `y`, with
/// candle's matmul (gemm) for `Q Kᵀ` and `P V`: per head, `(time × head) (head × time)` and
/// `(time × time) (time × head)`.
fn attention_sequence(
	g: Geometry,
	qkv: &CpuStorage,
	base: usize,
	b: usize,
	y: &mut [f32],
) -> Result<()> {
	let (t, head) = (g.time, g.head);
	let scores = qkv.matmul(
		qkv,
		(g.heads, t, t, head),
		&g.part(base, b, Part::Query),
		&g.part_t(base, b, Part::Key),
	)?;
	let mut p = f32s(scores)?;
	g.softmax(&mut p);
	let out = CpuStorage::F32(p).matmul(
		qkv,
		(g.heads, t, head, t),
		&g.square(false),
		&g.part(base, b, Part::Value),
	)?;
	g.scatter(&f32s(out)?, y, g.embd, 0);
	Ok(())
}

/// One sequence's gradient `dseq` (its rows of `dqkv`) from `dy` (the output's gradient, rows
/// from `dy_base`): the weights `P` again, then `dP = dY Vᵀ`, `dS` ([`SoftmaxBackward`]),
/// `dQ = dS K`, `dK = dSᵀ Q` and `dV = Pᵀ dY`, all with gemm.
fn attention_sequence_backward(
	g: Geometry,
	(qkv, base): (&CpuStorage, usize),
	(dy, dy_base): (&CpuStorage, usize),
	b: usize,
	dseq: &mut [f32],
) -> Result<()> {
	let (t, head, heads, width) = (g.time, g.head, g.heads, g.width);
	let scores = qkv.matmul(
		qkv,
		(heads, t, t, head),
		&g.part(base, b, Part::Query),
		&g.part_t(base, b, Part::Key),
	)?;
	let mut p = f32s(scores)?;
	g.softmax(&mut p);
	let dp = dy.matmul(
		qkv,
		(heads, t, t, head),
		&g.output(dy_base, b),
		&g.part_t(base, b, Part::Value),
	)?;
	let mut ds = f32s(dp)?;
	pulp::Arch::new().dispatch(SoftmaxBackward { g, p: &p, dp: &mut ds });
	let (p, ds) = (CpuStorage::F32(p), CpuStorage::F32(ds));
	let dq = ds.matmul(qkv, (heads, t, head, t), &g.square(false), &g.part(base, b, Part::Key))?;
	let dk = ds.matmul(qkv, (heads, t, head, t), &g.square(true), &g.part(base, b, Part::Query))?;
	let dv = p.matmul(dy, (heads, t, head, t), &g.square(true), &g.output(dy_base, b))?;
	g.scatter(&f32s(dq)?, dseq, width, Part::Query as usize * g.embd);
	g.scatter(&f32s(dk)?, dseq, width, Part::Key as usize * g.embd);
	g.scatter(&f32s(dv)?, dseq, width, Part::Value as usize * g.embd);
	Ok(())
}

impl CustomOp1 for Attention {
	fn name(&self) -> &'static str {
		"poi-causal-attention"
	}

	fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		floats(storage, layout, "attention")?;
		let (rows, width) = layout.shape().dims2()?;
		let g = Geometry::new(self.time, self.heads, width);
		let mut y = vec![0f32; rows * g.embd];
		// A sequence a piece: its rows of y are contiguous.
		y.par_chunks_mut(g.time * g.embd)
			.enumerate()
			.try_for_each(|(b, y)| attention_sequence(g, storage, layout.start_offset(), b, y))?;
		Ok((CpuStorage::F32(y), Shape::from((rows, g.embd))))
	}

	fn bwd(&self, qkv: &Tensor, _: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
		let backward = AttentionBackward { time: self.time, heads: self.heads };
		Ok(Some(qkv.apply_op2_no_bwd(&grad.contiguous()?, &backward)?))
	}
}

/// The gradient of [`Attention`] for `(qkv, dy)`: `dqkv`.
struct AttentionBackward {
	time: usize,
	heads: usize,
}

impl CustomOp2 for AttentionBackward {
	fn name(&self) -> &'static str {
		"poi-causal-attention-backward"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		floats(s1, l1, "attention")?;
		let dy = floats(s2, l2, "attention gradient")?;
		let (rows, width) = l1.shape().dims2()?;
		let g = Geometry::new(self.time, self.heads, width);
		if dy.len() != rows * g.embd {
			bail!("attention backward: shapes differ");
		}
		let mut dqkv = vec![0f32; rows * width];
		dqkv.par_chunks_mut(g.time * width).enumerate().try_for_each(|(b, dseq)| {
			attention_sequence_backward(
				g,
				(s1, l1.start_offset()),
				(s2, l2.start_offset()),
				b,
				dseq,
			)
		})?;
		Ok((CpuStorage::F32(dqkv), l1.shape().clone()))
	}
}

struct CrossEntropy;

/// The mean over rows of `log Σ e^logit − logit[target]` (rows of `classes` logits), summed in
/// f64 by blocks of rows, in order.
fn cross_entropy_forward(logits: &[f32], classes: usize, targets: &[u32]) -> f32 {
	let partials: Vec<f64> = logits
		.par_chunks(classes * ROWS)
		.zip(targets.par_chunks(ROWS))
		.map(|(logits, targets)| {
			vectorised(|| {
				logits
					.chunks_exact(classes)
					.zip(targets)
					.map(|(row, &t)| f64::from(log_sum_exp(row) - row[t as usize]))
					.sum::<f64>()
			})
		})
		.collect();
	(partials.iter().sum::<f64>() / targets.len().max(1) as f64) as f32
}

/// A row's log Σ e^logit.
#[inline(always)]
fn log_sum_exp(row: &[f32]) -> f32 {
	let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
	let mut lanes = [0f32; LANES];
	let chunks = row.chunks_exact(LANES);
	let rest: f32 = chunks.remainder().iter().map(|&v| exp(v - max)).sum();
	for chunk in chunks {
		for l in 0..LANES {
			lanes[l] += exp(chunk[l] - max);
		}
	}
	max + (fold(lanes) + rest).ln()
}

fn targets<'a>(storage: &'a CpuStorage, layout: &Layout, classes: usize) -> Result<&'a [u32]> {
	let CpuStorage::U32(data) = storage else { bail!("cross-entropy: u32 targets expected") };
	let Some((start, end)) = layout.contiguous_offsets() else {
		bail!("cross-entropy: contiguous targets expected")
	};
	let targets = &data[start..end];
	if let Some(bad) = targets.iter().find(|&&t| t as usize >= classes) {
		bail!("cross-entropy: target {bad} is not one of {classes} classes");
	}
	Ok(targets)
}

impl CustomOp2 for CrossEntropy {
	fn name(&self) -> &'static str {
		"poi-cross-entropy"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let logits = floats(s1, l1, "cross-entropy")?;
		let (_, classes) = l1.shape().dims2()?;
		let mean = cross_entropy_forward(logits, classes, targets(s2, l2, classes)?);
		Ok((CpuStorage::F32(vec![mean]), Shape::from(())))
	}

	fn bwd(
		&self,
		logits: &Tensor,
		targets: &Tensor,
		_: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>)> {
		let dlogits =
			logits.apply_op3_no_bwd(targets, &grad.contiguous()?, &CrossEntropyBackward)?;
		Ok((Some(dlogits), None))
	}
}

/// `(softmax(logits) − onehot(targets)) × grad / rows`.
struct CrossEntropyBackward;

impl CustomOp3 for CrossEntropyBackward {
	fn name(&self) -> &'static str {
		"poi-cross-entropy-backward"
	}

	fn cpu_fwd(
		&self,
		s1: &CpuStorage,
		l1: &Layout,
		s2: &CpuStorage,
		l2: &Layout,
		s3: &CpuStorage,
		l3: &Layout,
	) -> Result<(CpuStorage, Shape)> {
		let logits = floats(s1, l1, "cross-entropy")?;
		let (rows, classes) = l1.shape().dims2()?;
		let targets = targets(s2, l2, classes)?;
		let &[grad] = floats(s3, l3, "cross-entropy gradient")? else {
			bail!("cross-entropy backward: a scalar gradient expected")
		};
		let scale = grad / rows.max(1) as f32;
		let mut dlogits = vec![0f32; logits.len()];
		dlogits
			.par_chunks_mut(classes * ROWS)
			.zip(logits.par_chunks(classes * ROWS).zip(targets.par_chunks(ROWS)))
			.for_each(|(d, (logits, targets))| {
				vectorised(|| {
					for ((d, row), &t) in
						d.chunks_exact_mut(classes).zip(logits.chunks_exact(classes)).zip(targets)
					{
						let lse = log_sum_exp(row);
						for (d, &l) in d.iter_mut().zip(row) {
							*d = exp(l - lse) * scale;
						}
						d[t as usize] -= scale;
					}
				})
			});
		Ok((CpuStorage::F32(dlogits), l1.shape().clone()))
	}
}

#[cfg(test)]
mod tests;
