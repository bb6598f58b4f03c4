//! The `command` evaluator: any repository's benchmark command, re-run in a sandbox.
//!
//! - The benchmark artifact is a snapshot of the repository: a tar archive of files and
//!   folders (no links, devices or other kinds: a snapshot with one is the project's fault).
//! - The candidate is a tar archive of replacements for the files the protocol declares
//!   mutable (`"mutable": ["solve.py", "src/"]`: a path, or a folder ending in `/`); a file
//!   outside that set makes it invalid.
//! - The protocol document's `"command"` object ([`Settings`]) names the shell command, the
//!   metric's regular expression on its output (the last match's first group is the value),
//!   the trials and the limits; the chain's `Command { seconds }` is each trial's wall clock.
//!
//! Each trial runs in a [`Sandbox`] on a fresh writable copy of the snapshot with the
//! candidate in place (`/job`, where it starts: a [`Workspace`] of the protocol's `diskMiB`,
//! in memory, so that a trial cannot fill the runner's disk), beside the untouched snapshot,
//! read-only (`/src`), with `POI_SEED` (the round's seed, hex) and `POI_TRIAL` in its
//! environment. A trial that fails, prints no metric, runs past its wall clock or changes a
//! file of the benchmark (anything outside the mutable set) or a folder holding one (the
//! runner compares each one's inode and change time, which no unprivileged process can forge,
//! before and after: see [`fixed_paths`]) makes the candidate invalid; a sandbox that cannot
//! start is a harness error. The score is the median of the trials' values.

use super::Outcome;
use crate::sandbox::{Bind, Folder, Lease, Limits, Sandbox, Spec, Workspace};
use serde::Deserialize;
use std::{
	collections::{BTreeMap, BTreeSet},
	fmt::Write as _,
	fs,
	io::{Read, Write as _},
	os::unix::fs::{MetadataExt, OpenOptionsExt},
	path::{Component, Path},
	time::{Duration, Instant},
};

/// The most trials a protocol may ask for.
pub const MAX_TRIALS: u8 = 9;
/// The largest snapshot, unpacked.
pub const MAX_SNAPSHOT_BYTES: u64 = 256 << 20;
/// The largest candidate, unpacked.
pub const MAX_CANDIDATE_BYTES: u64 = 64 << 20;
/// The most files and folders of an archive.
pub const MAX_ENTRIES: usize = 20_000;
/// The longest name of a file or folder in an archive, in bytes.
const MAX_NAME_BYTES: usize = 255;
/// The longest path in an archive, in bytes.
const MAX_PATH_BYTES: usize = 1024;
/// What each trial may take besides its own wall clock (filling its workspace, ending it).
const TRIAL_MARGIN: Duration = Duration::from_secs(5);
/// How much of each trial's output the runner keeps (the metric is read from stdout's end).
const KEEP_OUTPUT: usize = 64 << 10;
/// How much of each trial's output goes into the job's log.
const LOG_OUTPUT: usize = 4 << 10;

/// The `"command"` settings of a protocol document.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
	/// The benchmark command, run by `/bin/sh -c` in `/job`.
	pub run: String,
	/// A regular expression over the command's stdout (multi-line: `^` and `$` match at each
	/// line); the first group of its last match is the metric.
	pub metric: String,
	/// The files a candidate may replace: paths, or folders ending in `/`.
	pub mutable: Vec<String>,
	/// Trials; the score is their median.
	#[serde(default = "default_trials")]
	pub trials: u8,
	/// Writable memory of each process, in MiB.
	#[serde(default = "default_memory_mib", rename = "memoryMiB")]
	pub memory_mib: u32,
	/// Processes and threads, all together.
	#[serde(default = "default_processes")]
	pub processes: u32,
	/// The size of the private `/tmp` (memory), in MiB.
	#[serde(default = "default_tmp_mib", rename = "tmpMiB")]
	pub tmp_mib: u32,
	/// The largest file a process may write, in MiB.
	#[serde(default = "default_file_mib", rename = "fileMiB")]
	pub file_mib: u32,
	/// The size of `/job` (memory), in MiB: the snapshot with the candidate, and all a trial
	/// writes there.
	#[serde(default = "default_disk_mib", rename = "diskMiB")]
	pub disk_mib: u32,
}

fn default_trials() -> u8 {
	3
}
fn default_memory_mib() -> u32 {
	1024
}
fn default_processes() -> u32 {
	64
}
fn default_tmp_mib() -> u32 {
	64
}
fn default_file_mib() -> u32 {
	64
}
fn default_disk_mib() -> u32 {
	256
}

impl Settings {
	/// Checks what a protocol may ask for.
	fn check(&self) -> Result<(), String> {
		if self.run.trim().is_empty() {
			return Err("\"run\" is empty".into());
		}
		if self.mutable.is_empty() || self.mutable.iter().any(|m| relative(m).is_err()) {
			return Err("\"mutable\" must list relative paths, at least one".into());
		}
		if !(1..=MAX_TRIALS).contains(&self.trials) {
			return Err(format!("\"trials\" must be 1 to {MAX_TRIALS}"));
		}
		let bounded = [
			("memoryMiB", self.memory_mib, super::MAX_MEMORY_MIB),
			("processes", self.processes, 1024),
			("tmpMiB", self.tmp_mib, 1024),
			("fileMiB", self.file_mib, 4096),
			("diskMiB", self.disk_mib, 4096),
		];
		for (name, value, max) in bounded {
			if !(1..=max).contains(&value) {
				return Err(format!("\"{name}\" must be 1 to {max}"));
			}
		}
		Ok(())
	}

	/// Whether a candidate may replace `path`.
	fn is_mutable(&self, path: &str) -> bool {
		self.mutable.iter().any(|m| match m.strip_suffix('/') {
			Some(folder) => path.strip_prefix(folder).is_some_and(|rest| rest.starts_with('/')),
			None => m == path,
		})
	}

	fn limits(&self, seconds: u64) -> Limits {
		Limits {
			memory_bytes: u64::from(self.memory_mib) << 20,
			cpu_seconds: seconds,
			processes: Some(self.processes),
			file_bytes: u64::from(self.file_mib) << 20,
			open_files: 1024,
		}
	}
}

/// A file of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
struct File {
	bytes: Vec<u8>,
	executable: bool,
}

/// A snapshot or a candidate: files (and folders, some empty) by relative path.
#[derive(Clone, Debug, Default)]
struct Tree {
	files: BTreeMap<String, File>,
	folders: BTreeSet<String>,
}

impl Tree {
	/// The room it takes in a tmpfs: each file in whole pages, and a page for each folder.
	fn bytes_in_memory(&self, page: u64) -> u64 {
		let files: u64 = self.files.values().map(|f| (f.bytes.len() as u64).div_ceil(page)).sum();
		(files + self.folders.len() as u64) * page
	}

	/// Its largest file, with its size.
	fn largest(&self) -> Option<(&String, u64)> {
		self.files.iter().map(|(p, f)| (p, f.bytes.len() as u64)).max_by_key(|(_, n)| *n)
	}

	/// A path that is a file and also a folder, or a file with files under it: a tree that
	/// cannot be written out.
	fn clash(&self) -> Option<&String> {
		self.files.keys().find(|path| {
			let prefix = format!("{path}/");
			self.folders.contains(*path)
				|| self
					.files
					.range(prefix.clone()..)
					.next()
					.is_some_and(|(p, _)| p.starts_with(&prefix))
		})
	}
}

/// `path` as a relative path of normal components joined by `/` (`./` parts dropped);
/// absolute paths, `..`, and paths that are not UTF-8 are refused.
fn relative(path: &str) -> Result<String, String> {
	let mut parts = Vec::new();
	for component in Path::new(path.trim_end_matches('/')).components() {
		match component {
			Component::Normal(part) => parts
				.push(part.to_str().ok_or_else(|| format!("{path:?}: a name that is not UTF-8"))?),
			Component::CurDir => {},
			_ => return Err(format!("{path:?}: not a plain relative path")),
		}
	}
	// Names a file system takes: no NUL, at most 255 bytes a name (and a path that fits in
	// the scratch folder's, whatever its own length).
	let short = |p: &&str| p.len() <= MAX_NAME_BYTES && !p.contains('\0');
	if !parts.iter().all(short) || path.len() > MAX_PATH_BYTES {
		return Err(format!("{:?}: a name too long, or with a NUL", truncated(path)));
	}
	Ok(parts.join("/"))
}

/// The start of `path`, for a message.
fn truncated(path: &str) -> String {
	path.chars().take(80).collect()
}

/// Unpacks a tar archive of at most `max_bytes` of files into a [`Tree`].
fn unpack(archive: &[u8], max_bytes: u64) -> Result<Tree, String> {
	let mut tree = Tree::default();
	let mut total = 0u64;
	let mut archive = tar::Archive::new(archive);
	let entries = archive.entries().map_err(|e| format!("not a tar archive: {e}"))?;
	for (n, entry) in entries.enumerate() {
		if n >= MAX_ENTRIES {
			return Err(format!("more than {MAX_ENTRIES} entries"));
		}
		let mut entry = entry.map_err(|e| format!("a broken tar entry: {e}"))?;
		let raw = entry.path().map_err(|e| format!("a bad path: {e}"))?;
		let path = relative(&raw.to_string_lossy())?;
		let kind = entry.header().entry_type();
		if kind.is_dir() {
			if !path.is_empty() {
				tree.folders.insert(path);
			}
			continue;
		}
		if !kind.is_file() || path.is_empty() {
			return Err(format!("{path:?} is not a plain file or folder ({kind:?})"));
		}
		let size = entry.size();
		total = total.saturating_add(size);
		if total > max_bytes {
			return Err(format!("more than {} MiB of files", max_bytes >> 20));
		}
		let mut bytes = Vec::with_capacity(size as usize);
		entry
			.by_ref()
			.take(size)
			.read_to_end(&mut bytes)
			.map_err(|e| format!("reading {path:?}: {e}"))?;
		let executable = entry.header().mode().map(|m| m & 0o111 != 0).unwrap_or(false);
		if tree.files.insert(path.clone(), File { bytes, executable }).is_some() {
			return Err(format!("{path:?} appears twice"));
		}
	}
	if let Some(path) = tree.clash() {
		return Err(format!("{path:?} is both a file and a folder"));
	}
	Ok(tree)
}

/// Writes `tree` into the empty folder `dir`, owned by `owner` when one is given.
fn write_tree(tree: &Tree, dir: &Path, owner: Option<u32>) -> Result<(), String> {
	let io = |what: &Path, e: std::io::Error| format!("writing {}: {e}", what.display());
	let own = |path: &Path| -> Result<(), String> {
		match owner {
			Some(uid) => {
				std::os::unix::fs::lchown(path, Some(uid), Some(uid)).map_err(|e| io(path, e))
			},
			None => Ok(()),
		}
	};
	let parents = tree.files.keys().filter_map(|p| Path::new(p).parent().map(Path::to_path_buf));
	let folders: BTreeSet<_> =
		tree.folders.iter().map(|f| Path::new(f).to_path_buf()).chain(parents).collect();
	for folder in &folders {
		// Every ancestor too, in order, so that each is owned alike.
		for ancestor in folder.ancestors().collect::<Vec<_>>().into_iter().rev() {
			let path = dir.join(ancestor);
			if ancestor.as_os_str().is_empty() || path.is_dir() {
				continue;
			}
			fs::create_dir(&path).map_err(|e| io(&path, e))?;
			own(&path)?;
		}
	}
	for (name, file) in &tree.files {
		let path = dir.join(name);
		let mode = if file.executable { 0o755 } else { 0o644 };
		let mut out = fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(mode)
			.open(&path)
			.map_err(|e| io(&path, e))?;
		out.write_all(&file.bytes).map_err(|e| io(&path, e))?;
		own(&path)?;
	}
	own(dir)
}

/// What identifies a file's content, or a folder's entries, without reading them: the kind,
/// the inode and the change time, which every write, rename, link, new or removed entry or
/// mode change moves and no unprivileged process can set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
	folder: bool,
	dev: u64,
	ino: u64,
	/// The change time, since the epoch.
	changed: Duration,
}

/// `path`'s [`Stamp`]; `None`: neither a file nor a folder (a link), or gone.
fn stamp(path: &Path) -> Option<Stamp> {
	let meta = fs::symlink_metadata(path).ok()?;
	let changed = Duration::new(meta.ctime().max(0) as u64, meta.ctime_nsec() as u32);
	(meta.is_file() || meta.is_dir()).then(|| Stamp {
		folder: meta.is_dir(),
		dev: meta.dev(),
		ino: meta.ino(),
		changed,
	})
}

/// The paths a trial must leave as they are: the benchmark's files (all but the mutable ones)
/// and the folders that hold them (but the top, `/job` itself, which cannot be moved). The
/// folders count because moving one away, putting a forged copy in its place and moving it
/// back would leave its files' stamps as they were. In order, each folder before what is in
/// it: checked in this order, no path is read through a link the trial made.
fn fixed_paths<'a>(tree: &'a Tree, settings: &Settings) -> Vec<&'a str> {
	let mut paths = BTreeSet::new();
	for file in tree.files.keys().filter(|p| !settings.is_mutable(p)) {
		paths.insert(file.as_str());
		let mut folder = file.as_str();
		while let Some((parent, _)) = folder.rsplit_once('/') {
			paths.insert(parent);
			folder = parent;
		}
	}
	paths.into_iter().collect()
}

/// Waits until the clock has moved past every change time in `stamps` (by a tick of a coarse
/// clock at the least), so that a trial cannot change a file within the same tick as the copy
/// that made it and leave its change time as it was (kernels before 6.13 keep a tmpfs's times
/// in ticks).
fn after_the_clock_moved(stamps: &[Option<Stamp>]) {
	const TICK: Duration = Duration::from_millis(20);
	let Some(newest) = stamps.iter().flatten().map(|s| s.changed).max() else { return };
	let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
	// At most five ticks, whatever the clock does.
	let give_up = Instant::now() + 5 * TICK;
	while now().is_ok_and(|now| now < newest + TICK) && Instant::now() < give_up {
		std::thread::sleep(Duration::from_millis(2));
	}
}

/// Runs the `command` evaluator on one job: `seconds` a trial, within `deadline`.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
	sandbox: &Sandbox,
	settings: &Settings,
	seconds: u32,
	seed: &str,
	snapshot: &[u8],
	candidate: &[u8],
	deadline: Duration,
	log: &mut String,
) -> Outcome {
	let started = Instant::now();
	if let Err(why) = settings.check() {
		return Outcome::HarnessError(format!("the protocol document's \"command\": {why}"));
	}
	// All the trials must fit in the job's time, whatever the candidate does: else the last
	// trial's fate would depend on how long it let the first ones run.
	let needed = (Duration::from_secs(seconds.into()) + TRIAL_MARGIN) * settings.trials.into();
	if needed > deadline {
		return Outcome::HarnessError(format!(
			"{} trials of {seconds} s do not fit in the job's deadline ({} s left)",
			settings.trials,
			deadline.as_secs()
		));
	}
	let metric = match regex::RegexBuilder::new(&settings.metric)
		.multi_line(true)
		.size_limit(1 << 20)
		.build()
	{
		Ok(re) if re.captures_len() > 1 => re,
		Ok(_) => return Outcome::HarnessError("\"metric\" has no group to read".into()),
		Err(e) => return Outcome::HarnessError(format!("\"metric\": {e}")),
	};
	let snapshot = match unpack(snapshot, MAX_SNAPSHOT_BYTES) {
		Ok(tree) => tree,
		Err(why) => return Outcome::HarnessError(format!("the benchmark snapshot: {why}")),
	};
	let candidate = match unpack(candidate, MAX_CANDIDATE_BYTES) {
		Ok(tree) => tree,
		Err(why) => return Outcome::Invalid(format!("the candidate: {why}")),
	};
	if let Some(path) = candidate.files.keys().find(|p| !settings.is_mutable(p)) {
		return Outcome::Invalid(format!(
			"the candidate has {path:?}, which the protocol does not let it change"
		));
	}
	let mut tree = snapshot.clone();
	tree.files.extend(candidate.files.clone());
	if let Some(clash) = tree.clash() {
		return Outcome::Invalid(format!("the candidate's {clash:?} is a folder of the benchmark"));
	}
	// What a trial's workspace must hold, and the largest file it may write (the copy into the
	// workspace is written under that limit too).
	let (disk, file) = (u64::from(settings.disk_mib) << 20, u64::from(settings.file_mib) << 20);
	if let Some((path, _)) = snapshot.largest().filter(|(_, n)| *n > file) {
		return Outcome::HarnessError(format!(
			"the benchmark snapshot's {path:?} is larger than \"fileMiB\" ({} MiB)",
			settings.file_mib
		));
	}
	if let Some((path, _)) = candidate.largest().filter(|(_, n)| *n > file) {
		return Outcome::Invalid(format!(
			"the candidate's {path:?} is larger than \"fileMiB\" ({} MiB)",
			settings.file_mib
		));
	}
	let page = crate::sandbox::page_size();
	if snapshot.bytes_in_memory(page) > disk {
		return Outcome::HarnessError(format!(
			"the benchmark snapshot does not fit in \"diskMiB\" ({} MiB)",
			settings.disk_mib
		));
	}
	if tree.bytes_in_memory(page) > disk {
		return Outcome::Invalid(format!(
			"the snapshot with the candidate does not fit in \"diskMiB\" ({} MiB)",
			settings.disk_mib
		));
	}
	let _ = writeln!(
		log,
		"snapshot: {} files; candidate: {} files ({})",
		snapshot.files.len(),
		candidate.files.len(),
		candidate.files.keys().cloned().collect::<Vec<_>>().join(", ")
	);
	let lease = match sandbox.lease() {
		Ok(lease) => lease,
		Err(why) => return Outcome::HarnessError(why),
	};
	let scratch = match Scratch::new(&snapshot, &tree, &lease) {
		Ok(scratch) => scratch,
		Err(why) => return Outcome::HarnessError(why),
	};
	let fixed = fixed_paths(&tree, settings);
	let mut values = Vec::new();
	for trial in 0..settings.trials {
		let left = deadline.saturating_sub(started.elapsed());
		let trial = Trial { n: trial, settings, seconds, seed, fixed: &fixed, left };
		match trial.run(sandbox, &lease, &scratch, &metric, log) {
			Ok(value) => values.push(value),
			Err(outcome) => return outcome,
		}
	}
	Outcome::Measured(median(&mut values))
}

/// The median of `values` (the mean of the middle two when there is an even number).
fn median(values: &mut [f64]) -> f64 {
	values.sort_by(f64::total_cmp);
	let n = values.len();
	if n % 2 == 1 {
		values[n / 2]
	} else {
		(values[n / 2 - 1] + values[n / 2]) / 2.0
	}
}

/// A job's private scratch folder: the snapshot (`src/`) and the snapshot with the candidate
/// in place (`job/`, which each trial's workspace is a copy of); removed when dropped. The
/// trials write nothing here.
struct Scratch {
	dir: tempfile::TempDir,
}

impl Scratch {
	fn new(snapshot: &Tree, tree: &Tree, lease: &Lease) -> Result<Self, String> {
		let mut builder = tempfile::Builder::new();
		builder.prefix("poi-command-");
		builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
		let dir = builder.tempdir().map_err(|e| format!("scratch folder: {e}"))?;
		let scratch = Scratch { dir };
		for (folder, tree, owner) in [("src", snapshot, None), ("job", tree, lease.uid())] {
			let path = scratch.dir.path().join(folder);
			fs::create_dir(&path).map_err(|e| format!("scratch folder: {e}"))?;
			write_tree(tree, &path, owner)?;
		}
		// The sandbox's user passes through the scratch folder (still closed to everyone else).
		if let Some(uid) = lease.uid() {
			std::os::unix::fs::chown(scratch.dir.path(), Some(uid), Some(uid))
				.map_err(|e| format!("scratch folder: {e}"))?;
		}
		Ok(scratch)
	}
}

/// One trial of a job.
struct Trial<'a> {
	n: u8,
	settings: &'a Settings,
	seconds: u32,
	seed: &'a str,
	/// The benchmark's files and folders the trial must leave as they are ([`fixed_paths`]).
	fixed: &'a [&'a str],
	left: Duration,
}

impl Trial<'_> {
	/// The trial's value, or the job's outcome when the trial ends it.
	fn run(
		&self,
		sandbox: &Sandbox,
		lease: &Lease,
		scratch: &Scratch,
		metric: &regex::Regex,
		log: &mut String,
	) -> Result<f64, Outcome> {
		let own_limit = Duration::from_secs(self.seconds.into());
		if self.left.is_zero() {
			return Err(Outcome::HarnessError("the job's deadline came before the trial".into()));
		}
		let fixed = self.fixed;
		let spec = Spec {
			script: self.settings.run.clone(),
			binds: vec![Bind {
				source: scratch.dir.path().join("src"),
				target: "/src".into(),
				writable: false,
			}],
			workdir: "/job".into(),
			env: vec![
				("POI_SEED".into(), self.seed.to_string()),
				("POI_TRIAL".into(), self.n.to_string()),
				// Python would write its caches beside the benchmark's modules.
				("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
			],
			// A second more of CPU than of wall clock: a busy loop runs out of time first.
			limits: self.settings.limits(u64::from(self.seconds) + 1),
			tmp_bytes: u64::from(self.settings.tmp_mib) << 20,
			wall: own_limit.min(self.left),
		};
		let workspace = Workspace {
			source: scratch.dir.path().join("job"),
			target: "/job".into(),
			bytes: u64::from(self.settings.disk_mib) << 20,
		};
		let mut before = Vec::new();
		let ready = |job: &Folder| {
			before = fixed.iter().map(|p| stamp(&job.path(p))).collect();
			after_the_clock_moved(&before);
		};
		let (started, run, job) = sandbox
			.run_in(&spec, &workspace, lease, KEEP_OUTPUT, ready)
			.map_err(Outcome::HarnessError)?;
		let status = run.status.map_or("killed".to_string(), |s| s.to_string());
		let _ = writeln!(log, "trial {}: {status} in {:.2} s", self.n, run.elapsed.as_secs_f64());
		for (name, bytes) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
			let tail = &bytes[bytes.len().saturating_sub(LOG_OUTPUT)..];
			for line in String::from_utf8_lossy(tail).lines() {
				let _ = writeln!(log, "  {name}: {line}");
			}
		}
		let Some(job) = job.filter(|_| started) else {
			return Err(Outcome::HarnessError("the sandbox did not start".into()));
		};
		if before.len() != fixed.len() || before.iter().any(Option::is_none) {
			return Err(Outcome::HarnessError("the trial's workspace could not be read".into()));
		}
		// In order, stopping at the first change: nothing is read through what the trial made.
		let changed = fixed.iter().zip(&before).find(|(p, was)| stamp(&job.path(p)) != **was);
		if let Some((path, _)) = changed {
			return Err(Outcome::Invalid(format!(
				"trial {} changed {path:?}, a file or folder of the benchmark",
				self.n
			)));
		}
		let Some(status) = run.status else {
			return Err(if spec.wall < own_limit {
				Outcome::HarnessError("the job's deadline stopped a trial".into())
			} else {
				Outcome::Invalid(format!("trial {} ran past its {} s", self.n, self.seconds))
			});
		};
		if !status.success() {
			return Err(Outcome::Invalid(format!("trial {} failed ({status})", self.n)));
		}
		let stdout = String::from_utf8_lossy(&run.stdout);
		let value = metric
			.captures_iter(&stdout)
			.last()
			.and_then(|c| c.get(1))
			.map(|m| m.as_str().trim().to_string());
		let value = match value.as_deref().map(str::parse::<f64>) {
			Some(Ok(v)) if v.is_finite() => v,
			Some(_) => {
				return Err(Outcome::Invalid(format!(
					"trial {}: the metric {value:?} is not a finite number",
					self.n
				)))
			},
			None => {
				return Err(Outcome::Invalid(format!("trial {} printed no metric", self.n)));
			},
		};
		let _ = writeln!(log, "trial {}: metric {value}", self.n);
		Ok(value)
	}
}

#[cfg(test)]
pub(crate) mod tests;
