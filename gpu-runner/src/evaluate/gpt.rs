//! The `candle-gpt` evaluator's runner side: each job runs the trainer program `poi-gpt`
//! (`gpu-runner/gpt/`, candle) as a child process, so that a job's memory, time and crashes stay
//! apart from the runner, under the runner's own [`TRAINER_LIMITS`] whatever the protocol
//! allows; a trainer past the job's deadline is killed (a harness error). The
//! trainer trains the recipe's steps, at most the protocol's budget. It reads the protocol
//! document, the corpus and the recipe from files and prints one JSON report; see its crate
//! documentation for the recipe, the settings and how val_bpb is measured.

use super::Outcome;
use crate::sandbox::{self, Limits};
use poi_gpt_report::{Finding, Report};
use poi_offchain::wire::JobRequest;
use std::{
	fmt::Write as _,
	fs,
	path::{Path, PathBuf},
	process::{Command, Stdio},
	time::Duration,
};

/// The environment variable naming the trainer program.
pub const PROGRAM_ENV: &str = "POI_GPT_BIN";

/// The most of the trainer's stderr kept in a job's log.
const MAX_TRAINER_LOG: usize = 64 * 1024;

/// The trainer's limits, whatever the protocol document allows: 4 GiB of writable memory
/// (the example's model needs under 0.5 GiB; a GPU's memory is not counted), 256 open files,
/// files of at most 1 GiB, no core dumps, no new privileges, and CPU time for all its threads
/// of at most the job's deadline on every core (set per job).
pub const TRAINER_LIMITS: Limits = Limits {
	memory_bytes: 4 << 30,
	cpu_seconds: 0,
	processes: None,
	file_bytes: 1 << 30,
	open_files: 256,
};

/// The trainer program: `$POI_GPT_BIN` when set, else `poi-gpt` beside this executable when it
/// is there.
pub fn program() -> Option<PathBuf> {
	if let Some(path) = std::env::var_os(PROGRAM_ENV).filter(|p| !p.is_empty()) {
		return Some(PathBuf::from(path));
	}
	let beside = std::env::current_exe().ok()?.parent()?.join("poi-gpt");
	beside.is_file().then_some(beside)
}

/// The devices this runner evaluates on: the CPU, and the trainer's device when it is another
/// (a `cuda` build of `poi-gpt` on a machine with a GPU).
pub fn devices(trainer: Option<&Path>) -> Vec<String> {
	let mut devices = vec!["cpu".to_string()];
	let trainer = trainer.and_then(|program| {
		let output = Command::new(program).arg("device").stderr(Stdio::null()).output().ok()?;
		output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
	});
	if let Some(device) = trainer.filter(|d| !d.is_empty() && d != "cpu") {
		devices.push(device);
	}
	devices
}

/// Runs `program` on one job with a budget of `steps` training steps per trial, killing it
/// after `deadline`; `Err` is a failure of the trainer or the machine, or the deadline.
#[allow(clippy::too_many_arguments)]
pub fn train(
	program: &Path,
	job: &JobRequest,
	steps: u32,
	document: &[u8],
	corpus: &[u8],
	recipe: &[u8],
	deadline: Duration,
	log: &mut String,
) -> Result<Outcome, String> {
	// The job's scratch directory: a new one with a random name, created exclusively and
	// private (0700), so no other user of the machine can plant or read it; removed when the
	// job ends, however it ends.
	let mut scratch = tempfile::Builder::new();
	scratch.prefix("poi-gpt-");
	#[cfg(unix)]
	scratch.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
	let scratch = scratch.tempdir().map_err(|e| format!("scratch directory: {e}"))?;
	let file = |name: &str, bytes: &[u8]| -> Result<PathBuf, String> {
		let path = scratch.path().join(name);
		fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
		Ok(path)
	};
	let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
	let limits = Limits {
		cpu_seconds: deadline.as_secs().saturating_add(1).saturating_mul(cores),
		..TRAINER_LIMITS
	};
	let mut command = limits.command(program)?;
	command
		.arg("train")
		.arg("--document")
		.arg(file("document", document)?)
		.arg("--corpus")
		.arg(file("corpus", corpus)?)
		.arg("--recipe")
		.arg(file("recipe.json", recipe)?)
		.arg("--seed")
		.arg(format!("{:?}", job.seed))
		.arg("--steps")
		.arg(steps.to_string());
	let run = sandbox::run(command, deadline, MAX_TRAINER_LOG)?;
	for line in String::from_utf8_lossy(&run.stderr).lines() {
		let _ = writeln!(log, "poi-gpt: {line}");
	}
	let Some(status) = run.status else {
		return Err(format!(
			"the trainer ran past the job's deadline of {:.1} s",
			deadline.as_secs_f64()
		));
	};
	if !status.success() {
		return Err(format!("the trainer failed ({status})"));
	}
	let stdout = String::from_utf8_lossy(&run.stdout);
	let line = stdout.lines().last().ok_or("the trainer printed no report")?;
	let report: Report =
		serde_json::from_str(line).map_err(|e| format!("the trainer's report: {e}"))?;
	if let Some(kib) = report.peak_rss_kib {
		let _ = writeln!(log, "trainer peak memory: {} MiB", kib / 1024);
	}
	Ok(match report.finding {
		Finding::Measured { val_bpb, .. } => Outcome::Measured(val_bpb),
		Finding::Invalid { reason } => Outcome::Invalid(reason),
		Finding::HarnessError { reason } => Outcome::HarnessError(reason),
	})
}
