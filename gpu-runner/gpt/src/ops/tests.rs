//! The fused kernels against candle's composite ops: values and gradients.

use super::*;
use crate::data::Rng;
use candle_core::{Device, Var};

fn random(shape: &[usize], std: f64, rng: &mut Rng) -> Var {
	let n = shape.iter().product();
	let data: Vec<f32> = (0..n).map(|_| (rng.normal() * std) as f32).collect();
	Var::from_tensor(&Tensor::from_vec(data, shape, &Device::Cpu).unwrap()).unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
	t.flatten_all().unwrap().to_vec1().unwrap()
}

/// The largest difference between `a` and `b`, relative to `b`'s largest magnitude.
fn relative(a: &Tensor, b: &Tensor) -> f32 {
	assert_eq!(a.dims(), b.dims());
	let (a, b) = (values(a), values(b));
	let scale = b.iter().fold(1e-12f32, |m, v| m.max(v.abs()));
	a.iter().zip(&b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

/// Checks that `fused` and `reference` agree on `inputs`, in value and in the gradient of a
/// weighted sum of the output (with weights that differ per element).
fn agree(
	inputs: &[Var],
	fused: impl Fn(&[Tensor]) -> Result<Tensor>,
	reference: impl Fn(&[Tensor]) -> Result<Tensor>,
	tolerance: f32,
) {
	let tensors: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
	let (ours, theirs) = (fused(&tensors).unwrap(), reference(&tensors).unwrap());
	let error = relative(&ours, &theirs);
	assert!(error < tolerance, "values differ by {error}");
	let weights = random(ours.dims(), 1.0, &mut Rng::new(7));
	let loss = |out: &Tensor| (out * weights.as_tensor()).unwrap().sum_all().unwrap();
	let (g1, g2) = (loss(&ours).backward().unwrap(), loss(&theirs).backward().unwrap());
	for (n, input) in inputs.iter().enumerate() {
		let (a, b) = (g1.get(input).expect("a gradient"), g2.get(input).expect("a gradient"));
		let error = relative(a, b);
		assert!(error < tolerance, "the gradients of input {n} differ by {error}");
	}
}

#[test]
fn exp_is_accurate_over_the_range_that_matters() {
	let mut worst = 0f32;
	let mut x = -87.0f32;
	while x < 88.0 {
		let (ours, libm) = (exp(x), x.exp());
		worst = worst.max(((ours - libm) / libm).abs());
		x += 0.0137;
	}
	assert!(worst < 5e-7, "relative error {worst}");
	assert_eq!(exp(0.0), 1.0);
	assert!(exp(f32::NAN).is_nan());
	assert_eq!(exp(f32::NEG_INFINITY), (-87f32).exp().max(exp(-87.0)));
	assert!(exp(1000.0).is_finite() && exp(-1000.0) >= 0.0);
}

#[test]
fn attention_matches_candles_composite_ops() {
	let mut rng = Rng::new(1);
	// Three sequences of 9 tokens, 3 heads of 5 (sizes that are not multiples of the lanes).
	let qkv = random(&[27, 45], 1.0, &mut rng);
	agree(
		&[qkv],
		|x| causal_attention(&x[0], 9, 3),
		|x| reference::causal_attention(&x[0], 9, 3),
		1e-5,
	);
	// The first token sees only itself: its output is its value.
	let qkv = random(&[8, 12], 1.0, &mut rng);
	let y = causal_attention(qkv.as_tensor(), 4, 2).unwrap();
	let first = values(&y.narrow(0, 0, 1).unwrap());
	let value = values(&qkv.as_tensor().narrow(0, 0, 1).unwrap().narrow(1, 8, 4).unwrap());
	assert_eq!(first, value);
}

#[test]
fn layer_norm_matches_candles_composite_ops() {
	let mut rng = Rng::new(2);
	// 150 rows (more than one block of 64) of width 37.
	let x = random(&[150, 37], 3.0, &mut rng);
	let gain = random(&[37], 1.0, &mut rng);
	let bias = random(&[37], 1.0, &mut rng);
	agree(
		&[x, gain, bias],
		|t| layer_norm(&t[0], &t[1], &t[2], 1e-5),
		|t| candle_nn::ops::layer_norm_slow(&t[0], &t[1], &t[2], 1e-5),
		1e-5,
	);
}

#[test]
fn gelu_matches_candles_composite_op() {
	let x = random(&[40_000], 3.0, &mut Rng::new(3));
	agree(&[x], |t| gelu(&t[0]), |t| t[0].gelu(), 1e-5);
}

#[test]
fn cross_entropy_matches_candles_composite_ops() {
	let mut rng = Rng::new(4);
	let logits = random(&[130, 256], 2.0, &mut rng);
	let targets: Vec<u32> = (0..130).map(|_| rng.below(256) as u32).collect();
	let targets = Tensor::from_vec(targets, 130, &Device::Cpu).unwrap();
	agree(
		&[logits],
		|t| cross_entropy(&t[0], &targets),
		|t| candle_nn::loss::cross_entropy(&t[0], &targets),
		1e-5,
	);
}

#[test]
fn bad_shapes_and_targets_are_errors_not_panics() {
	let x = Tensor::zeros((6, 10), candle_core::DType::F32, &Device::Cpu).unwrap();
	assert!(causal_attention(&x, 4, 1).is_err(), "6 rows are not sequences of 4");
	assert!(causal_attention(&x, 3, 4).is_err(), "10 columns are not 3 x 4 heads");
	let gain = Tensor::ones(9, candle_core::DType::F32, &Device::Cpu).unwrap();
	assert!(layer_norm(&x, &gain, &gain, 1e-5).is_err());
	let targets = Tensor::from_vec(vec![0u32, 1, 2, 3, 4, 10], 6, &Device::Cpu).unwrap();
	let error = cross_entropy(&x, &targets).unwrap_err().to_string();
	assert!(error.contains("target 10"), "{error}");
	let short = Tensor::from_vec(vec![0u32; 5], 5, &Device::Cpu).unwrap();
	assert!(cross_entropy(&x, &short).is_err());
}

#[test]
fn kernels_give_the_same_bits_on_any_number_of_threads() {
	let mut rng = Rng::new(5);
	let qkv = random(&[8 * 16, 3 * 32], 1.0, &mut rng);
	let run = || {
		let y = causal_attention(qkv.as_tensor(), 16, 4).unwrap();
		let grads = (gelu(&y).unwrap().sum_all().unwrap()).backward().unwrap();
		(values(&y), values(grads.get(&qkv).unwrap()))
	};
	let pool = |threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
	let one = pool(1).install(run);
	let three = pool(3).install(run);
	assert_eq!(one, three);
}

#[test]
fn linear_matches_candles_matmul_and_broadcast_add() {
	let mut rng = Rng::new(6);
	// 70 rows (more than one block of 64), 13 inputs, 9 outputs.
	let x = random(&[70, 13], 1.0, &mut rng);
	let weight = random(&[9, 13], 1.0, &mut rng);
	let bias = random(&[9], 1.0, &mut rng);
	agree(
		&[x, weight, bias],
		|t| linear(&t[0], &t[1], &t[2]),
		|t| t[0].matmul(&t[1].t()?)?.broadcast_add(&t[2]),
		1e-5,
	);
	let x = Tensor::zeros((4, 5), candle_core::DType::F32, &Device::Cpu).unwrap();
	let weight = Tensor::zeros((3, 6), candle_core::DType::F32, &Device::Cpu).unwrap();
	let bias = Tensor::zeros(3, candle_core::DType::F32, &Device::Cpu).unwrap();
	assert!(linear(&x, &weight, &bias).is_err(), "6 inputs expected, 5 given");
}

#[test]
fn gelu_linear_matches_gelu_then_linear() {
	let mut rng = Rng::new(8);
	let u = random(&[70, 24], 2.0, &mut rng);
	let weight = random(&[6, 24], 1.0, &mut rng);
	let bias = random(&[6], 1.0, &mut rng);
	agree(
		&[u, weight, bias],
		|t| gelu_linear(&t[0], &t[1], &t[2]),
		|t| t[0].gelu()?.matmul(&t[1].t()?)?.broadcast_add(&t[2]),
		1e-5,
	);
}

#[test]
fn norm_linear_matches_layer_norm_then_linear() {
	let mut rng = Rng::new(9);
	let x = random(&[70, 24], 3.0, &mut rng);
	let gain = random(&[24], 1.0, &mut rng);
	let shift = random(&[24], 1.0, &mut rng);
	let weight = random(&[10, 24], 1.0, &mut rng);
	let bias = random(&[10], 1.0, &mut rng);
	agree(
		&[x, gain, shift, weight, bias],
		|t| norm_linear(&t[0], (&t[1], &t[2]), (&t[3], &t[4]), 1e-5),
		|t| {
			let normed = candle_nn::ops::layer_norm_slow(&t[0], &t[1], &t[2], 1e-5)?;
			normed.matmul(&t[3].t()?)?.broadcast_add(&t[4])
		},
		1e-5,
	);
}

#[test]
fn norm_linear_cross_entropy_matches_its_parts() {
	let mut rng = Rng::new(10);
	let x = random(&[70, 24], 3.0, &mut rng);
	let gain = random(&[24], 1.0, &mut rng);
	let shift = random(&[24], 1.0, &mut rng);
	let weight = random(&[33, 24], 1.0, &mut rng);
	let bias = random(&[33], 1.0, &mut rng);
	let targets: Vec<u32> = (0..70).map(|_| rng.below(33) as u32).collect();
	let targets = Tensor::from_vec(targets, 70, &Device::Cpu).unwrap();
	agree(
		&[x, gain, shift, weight, bias],
		|t| norm_linear_cross_entropy(&t[0], (&t[1], &t[2]), (&t[3], &t[4]), &targets, 1e-5),
		|t| {
			let normed = candle_nn::ops::layer_norm_slow(&t[0], &t[1], &t[2], 1e-5)?;
			let logits = normed.matmul(&t[3].t()?)?.broadcast_add(&t[4])?;
			candle_nn::loss::cross_entropy(&logits, &targets)
		},
		1e-5,
	);
	let bad = Tensor::from_vec(vec![33u32; 70], 70, &Device::Cpu).unwrap();
	let x = Tensor::zeros((70, 24), candle_core::DType::F32, &Device::Cpu).unwrap();
	let (w, b) = (
		Tensor::zeros((33, 24), candle_core::DType::F32, &Device::Cpu).unwrap(),
		Tensor::zeros(33, candle_core::DType::F32, &Device::Cpu).unwrap(),
	);
	let (g, s) = (
		Tensor::ones(24, candle_core::DType::F32, &Device::Cpu).unwrap(),
		Tensor::zeros(24, candle_core::DType::F32, &Device::Cpu).unwrap(),
	);
	let error = norm_linear_cross_entropy(&x, (&g, &s), (&w, &b), &bad, 1e-5).unwrap_err();
	assert!(error.to_string().contains("target 33"), "{error}");
}
