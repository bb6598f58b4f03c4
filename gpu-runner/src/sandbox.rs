//! Running code the runner did not write: resource limits for every child it starts, and a
//! sandbox for commands from strangers' repositories.
//!
//! - [`Limits`] are rlimits set by `prlimit` (util-linux) before the program starts, with
//!   `setpriv --no-new-privs`, so that the program can gain no privilege through a setuid file.
//!   The workspace forbids `unsafe`, so the runner sets no rlimit in its own process: these
//!   small programs set them and then exec the child. The trainer (`poi-gpt`) runs under them.
//! - [`Sandbox`] adds bubblewrap (`bwrap`): fresh user, PID, network, IPC, UTS and cgroup
//!   namespaces (no network but a loopback of its own), no capabilities, a cleared environment,
//!   only `/usr` and a few files of `/etc` from the host (read-only), a private `/tmp` of
//!   bounded size, and the folders a job binds. When the runner is root, each sandbox runs as
//!   an unprivileged user of its own ([`Lease`]): the process limit is not enforced for root,
//!   and it counts all the processes of a user, so that sandboxes sharing a user would share
//!   it (one job's fork bomb would stop the others from starting).
//!   Killing the sandbox's first process at its deadline kills everything in it: its other
//!   processes live in its PID namespace, which ends with it.
//!
//! [`run`] runs a prepared command with a wall-clock deadline, keeping a bounded tail of its
//! output however much it prints.

use std::{
	collections::VecDeque,
	ffi::OsString,
	io::Read,
	os::unix::fs::MetadataExt,
	path::{Path, PathBuf},
	process::{Command, ExitStatus, Stdio},
	sync::mpsc,
	thread,
	time::{Duration, Instant},
};

/// The first of the user ids a root runner's sandboxes run as; each runner process takes a
/// block of [`USERS_PER_RUNNER`] of them after it (by its process id), a sandbox one of those.
pub const FIRST_SANDBOX_UID: u32 = 2_000_000_000;

/// The most sandboxes one root runner runs at once.
pub const USERS_PER_RUNNER: u32 = 64;

/// The user ids this process's sandboxes are running as.
static LEASED: std::sync::Mutex<std::collections::BTreeSet<u32>> =
	std::sync::Mutex::new(std::collections::BTreeSet::new());

/// The user a sandbox runs as, while a job holds it: one of its own when the runner is root
/// (released when dropped), else the runner's own user.
#[derive(Debug)]
pub struct Lease {
	uid: Option<u32>,
}

impl Lease {
	/// The user (and group) that must own what the sandbox writes to; `None`: the runner's.
	pub fn uid(&self) -> Option<u32> {
		self.uid
	}
}

impl Drop for Lease {
	fn drop(&mut self) {
		if let Some(uid) = self.uid {
			LEASED.lock().unwrap_or_else(|e| e.into_inner()).remove(&uid);
		}
	}
}

/// The line a sandbox prints first, before the job's command starts: output without it means
/// the sandbox did not start.
const STARTED: &str = "poi-sandbox-started";

/// Resource limits of a child and everything it starts (rlimits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// The most writable private memory (heap, stacks, anonymous maps) of each process, in
	/// bytes (`RLIMIT_DATA`; unlike an address-space limit it leaves a GPU driver's address
	/// reservations alone).
	pub memory_bytes: u64,
	/// The most CPU time of each process, in seconds (`RLIMIT_CPU`).
	pub cpu_seconds: u64,
	/// The most processes and threads of the sandbox's user (`RLIMIT_NPROC`); `None` leaves it
	/// alone (it counts every process of the user, so it fits only a user of the sandbox's own).
	pub processes: Option<u32>,
	/// The largest file a process may write, in bytes (`RLIMIT_FSIZE`).
	pub file_bytes: u64,
	/// The most open files of each process (`RLIMIT_NOFILE`).
	pub open_files: u32,
}

impl Limits {
	/// The `prlimit` and `setpriv` words that set these limits on the program that follows:
	/// `prlimit --data=… --cpu=… … -- setpriv [--reuid … --regid … --clear-groups]
	/// --no-new-privs --`.
	fn wrapper(&self, tools: &Wrappers, user: Option<u32>) -> Vec<OsString> {
		let mut words: Vec<OsString> = vec![tools.prlimit.clone().into()];
		words.push(format!("--data={}", self.memory_bytes).into());
		words.push(format!("--cpu={}", self.cpu_seconds.max(1)).into());
		if let Some(n) = self.processes {
			words.push(format!("--nproc={n}").into());
		}
		words.push(format!("--fsize={}", self.file_bytes).into());
		words.push(format!("--nofile={}", self.open_files).into());
		words.push("--core=0".into());
		words.push("--".into());
		words.push(tools.setpriv.clone().into());
		if let Some(uid) = user {
			words.push(format!("--reuid={uid}").into());
			words.push(format!("--regid={uid}").into());
			words.push("--clear-groups".into());
		}
		words.push("--no-new-privs".into());
		words.push("--".into());
		words
	}

	/// A command that runs `program` under these limits, as the runner's own user.
	pub fn command(&self, program: &Path) -> Result<Command, String> {
		let tools = Wrappers::find()?;
		let mut words = self.wrapper(&tools, None);
		words.push(program.into());
		let mut command = Command::new(&words[0]);
		command.args(&words[1..]);
		Ok(command)
	}
}

/// The programs that set limits: `prlimit` and `setpriv` (util-linux).
#[derive(Clone, Debug)]
struct Wrappers {
	prlimit: PathBuf,
	setpriv: PathBuf,
}

impl Wrappers {
	fn find() -> Result<Self, String> {
		Ok(Wrappers { prlimit: find_program("prlimit")?, setpriv: find_program("setpriv")? })
	}
}

/// `name` on the `PATH` (or in `/usr/bin` and `/usr/sbin`), as an absolute path.
fn find_program(name: &str) -> Result<PathBuf, String> {
	let path = std::env::var_os("PATH").unwrap_or_default();
	std::env::split_paths(&path)
		.chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
		.map(|dir| dir.join(name))
		.find(|candidate| candidate.is_absolute() && candidate.is_file())
		.ok_or_else(|| format!("{name} is not installed (it is on no folder of the PATH)"))
}

/// Whether this process runs as root: `/proc/self` belongs to the process's effective user.
pub fn running_as_root() -> bool {
	std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// A folder of the host that a sandbox sees.
#[derive(Clone, Debug)]
pub struct Bind {
	/// Where it is on the host.
	pub source: PathBuf,
	/// Where the sandbox sees it (absolute).
	pub target: String,
	/// Whether the sandbox may write to it.
	pub writable: bool,
}

/// What runs in a sandbox.
#[derive(Clone, Debug)]
pub struct Spec {
	/// A shell command (`sh -c`).
	pub script: String,
	/// The folders it sees besides the system's.
	pub binds: Vec<Bind>,
	/// Where it starts (a folder inside the sandbox).
	pub workdir: String,
	/// Its environment, besides `PATH`, `HOME`, `TMPDIR` and `LANG`.
	pub env: Vec<(String, String)>,
	/// Its rlimits.
	pub limits: Limits,
	/// The size of its private `/tmp`, in bytes (it is memory: a tmpfs).
	pub tmp_bytes: u64,
	/// When it is killed.
	pub wall: Duration,
}

/// The bubblewrap sandbox, once [`Sandbox::detect`] has found it working.
#[derive(Clone, Debug)]
pub struct Sandbox {
	bwrap: PathBuf,
	tools: Wrappers,
	/// Whether sandboxes run as users of their own (the runner is root).
	own_users: bool,
}

/// How a sandboxed or limited run ended.
#[derive(Debug)]
pub struct Run {
	/// The exit status; `None` when it was killed at its deadline.
	pub status: Option<ExitStatus>,
	/// The end of what it printed on stdout (at most the `keep` bytes [`run`] was given).
	pub stdout: Vec<u8>,
	/// The end of what it printed on stderr.
	pub stderr: Vec<u8>,
	/// How long it ran.
	pub elapsed: Duration,
}

impl Sandbox {
	/// Finds `bwrap`, `prlimit` and `setpriv` and checks that a sandbox starts on this
	/// machine (user namespaces may be off); `Err` says why not.
	pub fn detect() -> Result<Self, String> {
		let sandbox = Sandbox {
			bwrap: find_program("bwrap")
				.map_err(|e| format!("{e}; install bubblewrap (Debian: apt install bubblewrap)"))?,
			tools: Wrappers::find()?,
			own_users: running_as_root(),
		};
		let probe = Spec {
			script: "exit 0".into(),
			binds: Vec::new(),
			workdir: "/".into(),
			env: Vec::new(),
			limits: Limits {
				memory_bytes: 256 << 20,
				cpu_seconds: 10,
				processes: None,
				file_bytes: 1 << 20,
				open_files: 64,
			},
			tmp_bytes: 1 << 20,
			wall: Duration::from_secs(20),
		};
		let (started, run) = sandbox.run(&probe, &sandbox.lease()?, 4096)?;
		match run.status {
			Some(status) if started && status.success() => Ok(sandbox),
			_ => Err(format!(
				"bubblewrap does not start a sandbox here ({}): {}",
				run.status.map_or("killed".to_string(), |s| s.to_string()),
				String::from_utf8_lossy(&run.stderr).trim()
			)),
		}
	}

	/// A user for one sandbox: a free one of this runner's block when it is root. `Err`: all
	/// [`USERS_PER_RUNNER`] are in use.
	pub fn lease(&self) -> Result<Lease, String> {
		if !self.own_users {
			return Ok(Lease { uid: None });
		}
		let block = FIRST_SANDBOX_UID + (std::process::id() % (1 << 22)) * USERS_PER_RUNNER;
		let mut leased = LEASED.lock().unwrap_or_else(|e| e.into_inner());
		let uid = (block..block + USERS_PER_RUNNER)
			.find(|uid| !leased.contains(uid))
			.ok_or_else(|| format!("all {USERS_PER_RUNNER} sandbox users are in use"))?;
		leased.insert(uid);
		Ok(Lease { uid: Some(uid) })
	}

	/// The command that runs `spec` as `lease`'s user (without its deadline: see
	/// [`Sandbox::run`]).
	pub fn command(&self, spec: &Spec, lease: &Lease) -> Command {
		let mut words = spec.limits.wrapper(&self.tools, lease.uid);
		let mut add = |items: &[&std::ffi::OsStr]| words.extend(items.iter().map(|s| s.into()));
		let os = |s: &'static str| std::ffi::OsStr::new(s);
		add(&[self.bwrap.as_os_str()]);
		for flag in [
			"--unshare-all",
			"--unshare-user",
			"--disable-userns",
			"--die-with-parent",
			"--new-session",
			"--clearenv",
			"--cap-drop",
			"ALL",
		] {
			add(&[os(flag)]);
		}
		let base = [
			("PATH", "/usr/local/bin:/usr/bin:/bin"),
			("HOME", "/tmp"),
			("TMPDIR", "/tmp"),
			("LANG", "C.UTF-8"),
		];
		for (name, value) in base
			.iter()
			.map(|(n, v)| (*n, *v))
			.chain(spec.env.iter().map(|(n, v)| (n.as_str(), v.as_str())))
		{
			add(&[os("--setenv"), name.as_ref(), value.as_ref()]);
		}
		add(&[os("--ro-bind"), os("/usr"), os("/usr")]);
		// The top-level folders that are links into /usr on a merged-/usr system, or folders of
		// their own on others.
		for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
			match std::fs::symlink_metadata(top) {
				Ok(meta) if meta.file_type().is_symlink() => {
					if let Ok(target) = std::fs::read_link(top) {
						add(&[os("--symlink"), target.as_os_str(), os(top)]);
					}
				},
				Ok(meta) if meta.is_dir() => add(&[os("--ro-bind"), os(top), os(top)]),
				_ => {},
			}
		}
		for etc in ["/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"]
		{
			add(&[os("--ro-bind-try"), os(etc), os(etc)]);
		}
		let tmp_size = spec.tmp_bytes.max(4096).to_string();
		add(&[os("--proc"), os("/proc"), os("--dev"), os("/dev")]);
		add(&[os("--size"), tmp_size.as_ref(), os("--tmpfs"), os("/tmp")]);
		for bind in &spec.binds {
			let how = if bind.writable { "--bind" } else { "--ro-bind" };
			add(&[os(how), bind.source.as_os_str(), bind.target.as_ref()]);
		}
		// The marker first, then the job's command in place of this shell.
		let marker = format!("echo {STARTED}; exec /bin/sh -c \"$0\"");
		add(&[os("--chdir"), spec.workdir.as_ref(), os("--"), os("/bin/sh"), os("-c")]);
		add(&[marker.as_ref(), spec.script.as_ref()]);
		let mut command = Command::new(&words[0]);
		command.args(&words[1..]);
		command
	}

	/// Runs `spec` as `lease`'s user, keeping the last `keep` bytes of each output.
	/// `Ok((started, run))`: `started` is whether the sandbox came up (the job's command ran);
	/// `Err`: the sandbox could not be spawned at all.
	pub fn run(&self, spec: &Spec, lease: &Lease, keep: usize) -> Result<(bool, Run), String> {
		let marker = format!("{STARTED}\n");
		let mut run = run_keeping(self.command(spec, lease), spec.wall, marker.len(), keep)?;
		let started = run.stdout.starts_with(marker.as_bytes());
		if started {
			run.stdout.drain(..marker.len());
		}
		Ok((started, run))
	}
}

/// Reads `from` to its end on a thread, keeping its first `head` bytes and its last `keep`
/// bytes after them (everything when it prints no more). The bytes come through the channel;
/// a grandchild that keeps the pipe open after the child died cannot hold the job up (see
/// [`collect`]).
fn reader(
	mut from: impl Read + Send + 'static,
	head: usize,
	keep: usize,
) -> mpsc::Receiver<Vec<u8>> {
	let (send, receive) = mpsc::channel();
	thread::spawn(move || {
		let mut first = Vec::with_capacity(head);
		let mut tail: VecDeque<u8> = VecDeque::with_capacity(keep.min(1 << 16));
		let mut buffer = [0u8; 8192];
		loop {
			match from.read(&mut buffer) {
				Ok(0) | Err(_) => break,
				Ok(n) => {
					let into_head = n.min(head - first.len());
					first.extend_from_slice(&buffer[..into_head]);
					tail.extend(&buffer[into_head..n]);
					let excess = tail.len().saturating_sub(keep);
					tail.drain(..excess);
				},
			}
		}
		first.extend(tail);
		let _ = send.send(first);
	});
	receive
}

/// What a [`reader`] read, waiting at most two seconds after the child ended.
fn collect(reader: &mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
	reader.recv_timeout(Duration::from_secs(2)).unwrap_or_default()
}

/// Runs `command` with no input, killing it after `wall`, and keeps the last `keep` bytes of
/// each of its outputs. `Err`: it could not be started, or waiting for it failed.
pub fn run(command: Command, wall: Duration, keep: usize) -> Result<Run, String> {
	run_keeping(command, wall, 0, keep)
}

/// [`run`], keeping the first `head` bytes of stdout besides its last `keep` bytes.
fn run_keeping(
	mut command: Command,
	wall: Duration,
	head: usize,
	keep: usize,
) -> Result<Run, String> {
	let program = command.get_program().to_string_lossy().into_owned();
	let mut child = command
		.stdin(Stdio::null())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.map_err(|e| format!("starting {program}: {e}"))?;
	let stdout = reader(child.stdout.take().expect("piped; qed"), head, keep);
	let stderr = reader(child.stderr.take().expect("piped; qed"), 0, keep);
	let started = Instant::now();
	let status = loop {
		match child.try_wait() {
			Ok(Some(status)) => break Some(status),
			Ok(None) if started.elapsed() >= wall => {
				let _ = child.kill();
				let _ = child.wait();
				break None;
			},
			Ok(None) => thread::sleep(Duration::from_millis(20)),
			Err(e) => {
				let _ = child.kill();
				let _ = child.wait();
				return Err(format!("waiting for {program}: {e}"));
			},
		}
	};
	let elapsed = started.elapsed();
	Ok(Run { status, stdout: collect(&stdout), stderr: collect(&stderr), elapsed })
}

#[cfg(test)]
mod tests;
