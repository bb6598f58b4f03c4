//! What `poi-gpt train` prints and `poi-runner` reads: one JSON line, [`Report`]. Its own
//! small crate, so that the trainer (its own workspace, with candle) and the runner (the
//! node's workspace) share the one definition.

use serde::{Deserialize, Serialize};

/// What a job came to, as `poi-gpt train` prints it (one JSON line on stdout).
///
/// It is read and written through a flat form ([`Wire`]), not serde's `flatten` and internal
/// tags: those buffer numbers, which fails for `f64`s when a build enables serde_json's
/// `arbitrary_precision` (as the node's workspace does).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Wire", into = "Wire")]
pub struct Report {
	/// The finding.
	pub finding: Finding,
	/// The device trained on (`cpu`, `cuda:0`).
	pub device: String,
	/// The process's peak resident memory in KiB (Linux), when known.
	pub peak_rss_kib: Option<u64>,
}

/// The finding of a job.
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
	/// Every trial finished: the median validation bits per byte, and each trial.
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

/// The kinds of [`Finding`], as `"finding"` names them.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Kind {
	Measured,
	Invalid,
	HarnessError,
}

/// [`Report`] as one flat JSON object.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
	finding: Kind,
	#[serde(default, skip_serializing_if = "Option::is_none")]
	val_bpb: Option<f64>,
	#[serde(default, skip_serializing_if = "Option::is_none")]
	trials: Option<Vec<TrialReport>>,
	#[serde(default, skip_serializing_if = "Option::is_none")]
	reason: Option<String>,
	device: String,
	#[serde(default)]
	peak_rss_kib: Option<u64>,
}

impl TryFrom<Wire> for Report {
	type Error = String;

	fn try_from(wire: Wire) -> Result<Self, String> {
		let reason = || wire.reason.clone().ok_or("missing field `reason`");
		let finding = match wire.finding {
			Kind::Measured => Finding::Measured {
				val_bpb: wire.val_bpb.ok_or("missing field `valBpb`")?,
				trials: wire.trials.clone().ok_or("missing field `trials`")?,
			},
			Kind::Invalid => Finding::Invalid { reason: reason()? },
			Kind::HarnessError => Finding::HarnessError { reason: reason()? },
		};
		Ok(Report { finding, device: wire.device, peak_rss_kib: wire.peak_rss_kib })
	}
}

impl From<Report> for Wire {
	fn from(report: Report) -> Self {
		let (finding, val_bpb, trials, reason) = match report.finding {
			Finding::Measured { val_bpb, trials } => {
				(Kind::Measured, Some(val_bpb), Some(trials), None)
			},
			Finding::Invalid { reason } => (Kind::Invalid, None, None, Some(reason)),
			Finding::HarnessError { reason } => (Kind::HarnessError, None, None, Some(reason)),
		};
		Wire {
			finding,
			val_bpb,
			trials,
			reason,
			device: report.device,
			peak_rss_kib: report.peak_rss_kib,
		}
	}
}

#[cfg(test)]
mod tests;
