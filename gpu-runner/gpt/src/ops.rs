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
	backend::BackendStorage, bail, CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result,
	Shape, Tensor,
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
fn floats<'a>(storage: &'a CpuStorage, layout: &Layout, what: &str) -> Result<&'a [f32]> {
	let CpuStorage::F32(data) = storage else { bail!("{what}: f32 expected") };
	match layout.contiguous_offsets() {
		Some((start, end)) => Ok(&data[start..end]),
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

/// `y += a × x`.
#[inline(always)]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
	for (y, x) in y.iter_mut().zip(x) {
		*y += a * x;
	}
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
		let bias = floats(s3, l3, "bias")?;
		let ((rows, inputs), outputs) = (l1.shape().dims2()?, bias.len());
		// candle's own CPU matmul (gemm), on the weight's transposed layout: no copy.
		let product = s1.matmul(s2, (1, rows, outputs, inputs), l1, &l2.transpose(0, 1)?)?;
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

impl CustomOp1 for Gelu {
	fn name(&self) -> &'static str {
		"poi-gelu"
	}

	fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		let x = floats(storage, layout, "gelu")?;
		let mut y = vec![0f32; x.len()];
		y.par_chunks_mut(PIECE).zip(x.par_chunks(PIECE)).for_each(|(y, x)| {
			vectorised(|| {
				for (y, &x) in y.iter_mut().zip(x) {
					*y = 0.5 * x * (1.0 + gelu_tanh(x));
				}
			})
		});
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
		let mut dx = vec![0f32; x.len()];
		dx.par_chunks_mut(PIECE).zip(x.par_chunks(PIECE).zip(grad.par_chunks(PIECE))).for_each(
			|(dx, (x, grad))| {
				for ((dx, &x), &g) in dx.iter_mut().zip(x).zip(grad) {
					let t = gelu_tanh(x);
					let inner = GELU_SCALE * (1.0 + 3.0 * GELU_CUBIC * x * x);
					*dx = g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner);
				}
			},
		);
		Ok((CpuStorage::F32(dx), l1.shape().clone()))
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
		let width = gain.len();
		let mut y = vec![0f32; x.len()];
		y.par_chunks_mut(width * ROWS).zip(x.par_chunks(width * ROWS)).for_each(|(y, x)| {
			vectorised(|| {
				for (y, x) in y.chunks_exact_mut(width).zip(x.chunks_exact(width)) {
					let (mean, rstd) = moments(x, self.eps);
					for (((y, x), g), b) in y.iter_mut().zip(x).zip(gain).zip(bias) {
						*y = (x - mean) * rstd * g + b;
					}
				}
			})
		});
		Ok((CpuStorage::F32(y), l1.shape().clone()))
	}

	fn bwd(
		&self,
		x: &Tensor,
		gain: &Tensor,
		_bias: &Tensor,
		_: &Tensor,
		grad: &Tensor,
	) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
		let (rows, width) = x.dims2()?;
		let all =
			x.apply_op3_no_bwd(gain, &grad.contiguous()?, &LayerNormBackward { eps: self.eps })?;
		let dx = all.narrow(0, 0, rows * width)?.reshape((rows, width))?;
		let dgain = all.narrow(0, rows * width, width)?;
		let dbias = all.narrow(0, (rows + 1) * width, width)?;
		Ok((Some(dx), Some(dgain), Some(dbias)))
	}
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

/// The geometry of an attention kernel's rows.
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

impl Geometry {
	fn new(time: usize, heads: usize, width: usize) -> Self {
		let embd = width / 3;
		let head = embd / heads;
		Geometry { time, heads, head, embd, width, scale: 1.0 / (head as f32).sqrt() }
	}

	/// Offsets of head `h`'s query, key and value in a `qkv` row.
	fn offsets(&self, h: usize) -> (usize, usize, usize) {
		(h * self.head, self.embd + h * self.head, 2 * self.embd + h * self.head)
	}

	/// Head `h`'s keys or values (at `offset` in the rows of `seq`) transposed into `out`
	/// (head × time), so that a row of scores is a sum of vectors along the sequence.
	#[inline(always)]
	fn transpose(&self, seq: &[f32], offset: usize, out: &mut [f32]) {
		let t = self.time;
		for j in 0..t {
			for (d, &value) in seq[j * self.width + offset..][..self.head].iter().enumerate() {
				out[d * t + j] = value;
			}
		}
	}

	/// The softmax weights of `query` over the first `n` keys, from the transposed keys `kt`,
	/// in `weights[..n]`.
	#[inline(always)]
	fn softmax_row(&self, query: &[f32], kt: &[f32], n: usize, weights: &mut [f32]) {
		let t = self.time;
		let w = &mut weights[..n];
		w.fill(0.0);
		for (d, &q) in query.iter().enumerate() {
			axpy(w, q * self.scale, &kt[d * t..][..n]);
		}
		let max = w.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
		for s in w.iter_mut() {
			*s = exp(*s - max);
		}
		let inv = 1.0 / sum(w);
		for s in w.iter_mut() {
			*s *= inv;
		}
	}
}

/// [`Attention`] for one sequence: `seq` its rows of `qkv`, `y` its rows of the output. A
/// [`pulp::WithSimd`] (rather than a closure for [`vectorised`]) so that it is certain to be
/// inlined into, and compiled for, the vector extension that pulp picks.
struct AttentionSequence<'a> {
	g: Geometry,
	seq: &'a [f32],
	y: &'a mut [f32],
}

impl pulp::WithSimd for AttentionSequence<'_> {
	type Output = ();
	#[inline(always)]
	fn with_simd<S: pulp::Simd>(self, _: S) {
		attention_sequence(self.g, self.seq, self.y)
	}
}

/// [`AttentionSequence`] for the backward pass: `dseq` its rows of `dqkv`.
struct AttentionSequenceBackward<'a> {
	g: Geometry,
	seq: &'a [f32],
	y: &'a [f32],
	dy: &'a [f32],
	dseq: &'a mut [f32],
}

impl pulp::WithSimd for AttentionSequenceBackward<'_> {
	type Output = ();
	#[inline(always)]
	fn with_simd<S: pulp::Simd>(self, _: S) {
		attention_sequence_backward(self.g, self.seq, self.y, self.dy, self.dseq)
	}
}

#[inline(always)]
fn attention_sequence(g: Geometry, seq: &[f32], y: &mut [f32]) {
	let (t, width, head) = (g.time, g.width, g.head);
	let mut weights = vec![0f32; t];
	let mut kt = vec![0f32; head * t];
	for h in 0..g.heads {
		let (q, k, v) = g.offsets(h);
		g.transpose(seq, k, &mut kt);
		for i in 0..t {
			g.softmax_row(&seq[i * width + q..][..head], &kt, i + 1, &mut weights);
			let out = &mut y[i * g.embd + h * head..][..head];
			for (j, &p) in weights[..=i].iter().enumerate() {
				axpy(out, p, &seq[j * width + v..][..head]);
			}
		}
	}
}

/// With `p` query `i`'s softmax weights, `dy` its output's gradient and `y` its output:
/// `ds_j = p_j (dy · v_j − dy · y) / √head`, then `dq_i = Σ_j ds_j k_j`, `dk_j += ds_j q_i` and
/// `dv_j += p_j dy`. Keys' and values' gradients gather in transposed scratch (`dkt`, `dvt`),
/// written back once per head.
#[inline(always)]
fn attention_sequence_backward(g: Geometry, seq: &[f32], y: &[f32], dy: &[f32], dseq: &mut [f32]) {
	let (t, width, head) = (g.time, g.width, g.head);
	let mut p = vec![0f32; t];
	let mut ds = vec![0f32; t];
	let mut kt = vec![0f32; head * t];
	let mut vt = vec![0f32; head * t];
	let mut dkt = vec![0f32; head * t];
	let mut dvt = vec![0f32; head * t];
	for h in 0..g.heads {
		let (q, k, v) = g.offsets(h);
		g.transpose(seq, k, &mut kt);
		g.transpose(seq, v, &mut vt);
		dkt.fill(0.0);
		dvt.fill(0.0);
		for i in 0..t {
			let n = i + 1;
			let query = &seq[i * width + q..][..head];
			let dy_i = &dy[i * g.embd + h * head..][..head];
			g.softmax_row(query, &kt, n, &mut p);
			// Σ_j p_j (dy · v_j) = dy · y_i.
			let centre = dot(dy_i, &y[i * g.embd + h * head..][..head]);
			let ds = &mut ds[..n];
			ds.fill(0.0);
			for (d, &grad) in dy_i.iter().enumerate() {
				axpy(ds, grad, &vt[d * t..][..n]);
			}
			for (ds, &p) in ds.iter_mut().zip(&p[..n]) {
				*ds = p * (*ds - centre) * g.scale;
			}
			let dq = &mut dseq[i * width + q..][..head];
			for (j, &s) in ds.iter().enumerate() {
				axpy(dq, s, &seq[j * width + k..][..head]);
			}
			for d in 0..head {
				axpy(&mut dkt[d * t..][..n], query[d], ds);
				axpy(&mut dvt[d * t..][..n], dy_i[d], &p[..n]);
			}
		}
		for j in 0..t {
			for d in 0..head {
				dseq[j * width + k + d] = dkt[d * t + j];
				dseq[j * width + v + d] = dvt[d * t + j];
			}
		}
	}
}

impl CustomOp1 for Attention {
	fn name(&self) -> &'static str {
		"poi-causal-attention"
	}

	fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
		let qkv = floats(storage, layout, "attention")?;
		let (rows, width) = layout.shape().dims2()?;
		let g = Geometry::new(self.time, self.heads, width);
		let mut y = vec![0f32; rows * g.embd];
		// A sequence a piece: its rows of y are contiguous.
		y.par_chunks_mut(g.time * g.embd)
			.zip(qkv.par_chunks(g.time * width))
			.for_each(|(y, seq)| pulp::Arch::new().dispatch(AttentionSequence { g, seq, y }));
		Ok((CpuStorage::F32(y), Shape::from((rows, g.embd))))
	}

	fn bwd(&self, qkv: &Tensor, y: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
		let backward = AttentionBackward { time: self.time, heads: self.heads };
		Ok(Some(qkv.apply_op3_no_bwd(y, &grad.contiguous()?, &backward)?))
	}
}

/// The gradient of [`Attention`] for `(qkv, y, dy)`: `dqkv`, recomputing each softmax row.
struct AttentionBackward {
	time: usize,
	heads: usize,
}

impl CustomOp3 for AttentionBackward {
	fn name(&self) -> &'static str {
		"poi-causal-attention-backward"
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
		let qkv = floats(s1, l1, "attention")?;
		let (y, dy) = (floats(s2, l2, "attention output")?, floats(s3, l3, "attention gradient")?);
		let (rows, width) = l1.shape().dims2()?;
		let g = Geometry::new(self.time, self.heads, width);
		if y.len() != rows * g.embd || dy.len() != y.len() {
			bail!("attention backward: shapes differ");
		}
		let (t, embd) = (g.time, g.embd);
		let mut dqkv = vec![0f32; qkv.len()];
		dqkv.par_chunks_mut(t * width)
			.zip(qkv.par_chunks(t * width).zip(y.par_chunks(t * embd).zip(dy.par_chunks(t * embd))))
			.for_each(|(dseq, (seq, (y, dy)))| {
				pulp::Arch::new().dispatch(AttentionSequenceBackward { g, seq, y, dy, dseq })
			});
		Ok((CpuStorage::F32(dqkv), l1.shape().clone()))
	}
}

struct CrossEntropy;

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
		let (rows, classes) = l1.shape().dims2()?;
		let targets = targets(s2, l2, classes)?;
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
		let mean = partials.iter().sum::<f64>() / rows.max(1) as f64;
		Ok((CpuStorage::F32(vec![mean as f32]), Shape::from(())))
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
