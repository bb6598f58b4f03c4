//! What `poi-gpt train` prints and `poi-runner` reads: one JSON line, [`Report`]. Its own
//! small crate, so that the trainer (its own workspace, with candle) and the runner (the
//! node's workspace) share the one definition.

use serde::{Deserialize, Serialize};

/// What a job came to, as `poi-gpt train` prints it (one JSON line on stdout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
	/// The finding.
	#[serde(flatten)]
	pub finding: Finding,
	/// The device trained on (`cpu`, `cuda:0`).
	pub device: String,
	/// The process's peak resident memory in KiB (Linux), when known.
	pub peak_rss_kib: Option<u64>,
}

/// The finding of a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "camelCase")]
pub enum Finding {
	/// Every trial finished: the median validation bits per byte, and each trial.
	#[serde(rename_all = "camelCase")]
	Measured {
		/// The median of the trials' val_bpb.
		val_bpb: f64,
		/// The trials.
		trials: Vec<TrialReport>,
	},
	/// The recipe is invalid (does not parse, outside the surface, diverged).
	Invalid {
		/// Why.
		reason: String,
	},
	/// The project's settings or corpus, or the machine, failed.
	#[serde(rename_all = "camelCase")]
	HarnessError {
		/// Why.
		reason: String,
	},
}

/// One trial, as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrialReport {
	/// Validation bits per byte.
	pub val_bpb: f64,
	/// Steps trained.
	pub steps: u32,
	/// Training time in seconds.
	pub train_seconds: f64,
	/// Training throughput: bytes predicted per second.
	pub tokens_per_second: f64,
}

#[cfg(test)]
mod tests;
