//! The data: a deterministic generator, the corpus split and batches.

use crate::recipe::Validation;
use candle_core::{Device, Tensor};

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
	pub fn normal(&mut self) -> f64 {
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

/// Inputs `(rows, context)` and flat targets from `windows` (a chunk and a start in it): each
/// target is the byte after its input.
pub fn batch_of(
	windows: &[(&[u8], usize)],
	context: usize,
	device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
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
