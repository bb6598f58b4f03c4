//! The `candle-gpt` evaluator's runner side: each job runs the trainer program `poi-gpt`
//! (`gpu-runner/gpt/`, candle) as a child process, so that a job's memory, time and crashes stay
//! apart from the runner; a trainer past the job's deadline is killed (a harness error). The
//! trainer trains the recipe's steps, at most the protocol's budget. It reads the protocol
//! document, the corpus and the recipe from files and prints one JSON report; see its crate
//! documentation for the recipe, the settings and how val_bpb is measured.

use poi_offchain::wire::JobRequest;
use std::{
	fmt::Write as _,
	fs,
	io::Read,
	path::{Path, PathBuf},
	process::{Command, Stdio},
	sync::mpsc,
	thread,
	time::{Duration, Instant},
};

/// The environment variable naming the trainer program.
pub const PROGRAM_ENV: &str = "POI_GPT_BIN";

/// The most of the trainer's stderr kept in a job's log.
const MAX_TRAINER_LOG: usize = 64 * 1024;

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

/// What the trainer found.
#[derive(Debug, PartialEq)]
pub enum Outcome {
	/// The median validation bits per byte.
	Measured(f64),
	/// The recipe is invalid, and why.
	Invalid(String),
	/// The project's settings or corpus are at fault, and why.
	HarnessError(String),
}

/// Reads `from` to its end on a thread. The bytes come through the channel; a grandchild that
/// keeps the pipe open after the trainer died cannot hold the job up (see [`collect`]).
fn reader(mut from: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
	let (send, receive) = mpsc::channel();
	thread::spawn(move || {
		let mut bytes = Vec::new();
		let _ = from.read_to_end(&mut bytes);
		let _ = send.send(bytes);
	});
	receive
}

/// What a [`reader`] read, waiting at most two seconds after the trainer ended.
fn collect(reader: &mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
	reader.recv_timeout(Duration::from_secs(2)).unwrap_or_default()
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
	let mut child = Command::new(program)
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
		.arg(steps.to_string())
		.stdin(Stdio::null())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.map_err(|e| format!("starting {}: {e}", program.display()))?;
	let stdout = reader(child.stdout.take().expect("piped; qed"));
	let stderr = reader(child.stderr.take().expect("piped; qed"));
	let started = Instant::now();
	let status = loop {
		match child.try_wait() {
			Ok(Some(status)) => break Ok(status),
			Ok(None) if started.elapsed() > deadline => {
				let _ = child.kill();
				let _ = child.wait();
				break Err(format!(
					"the trainer ran past the job's deadline of {:.1} s",
					deadline.as_secs_f64()
				));
			},
			Ok(None) => thread::sleep(Duration::from_millis(50)),
			Err(e) => break Err(format!("waiting for the trainer: {e}")),
		}
	};
	let errors = collect(&stderr);
	let errors = String::from_utf8_lossy(&errors[..errors.len().min(MAX_TRAINER_LOG)]);
	for line in errors.lines() {
		let _ = writeln!(log, "poi-gpt: {line}");
	}
	let status = status?;
	let output = collect(&stdout);
	if !status.success() {
		return Err(format!("the trainer failed ({status})"));
	}
	let report = String::from_utf8_lossy(&output);
	let report: serde_json::Value = report
		.lines()
		.last()
		.and_then(|line| serde_json::from_str(line).ok())
		.ok_or_else(|| "the trainer printed no report".to_string())?;
	if let Some(kib) = report.get("peakRssKib").and_then(|v| v.as_u64()) {
		let _ = writeln!(log, "trainer peak memory: {} MiB", kib / 1024);
	}
	let reason = || report.get("reason").and_then(|r| r.as_str()).unwrap_or("").to_string();
	match report.get("finding").and_then(|f| f.as_str()) {
		Some("measured") => report
			.get("valBpb")
			.and_then(|v| v.as_f64())
			.map(Outcome::Measured)
			.ok_or_else(|| "the trainer's report has no valBpb".into()),
		Some("invalid") => Ok(Outcome::Invalid(reason())),
		Some("harnessError") => Ok(Outcome::HarnessError(reason())),
		other => Err(format!("the trainer's report has an unknown finding {other:?}")),
	}
}
