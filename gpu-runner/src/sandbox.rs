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
//!   bounded size, the folders a job binds, and optionally a [`Workspace`]: a writable folder
//!   of bounded size (a tmpfs of the sandbox's own, so that what it writes there cannot fill
//!   the host's disk), filled before the command starts, which the runner can still read after
//!   the sandbox has ended (a [`Folder`]). When the runner is root, each sandbox runs as
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
	fs,
	io::{Read, Write},
	os::{fd::AsRawFd, unix::fs::MetadataExt},
	path::{Path, PathBuf},
	process::{Child, Command, ExitStatus, Stdio},
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

/// Where the next search for a free sandbox user starts, in this runner's block.
static NEXT_USER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The real user ids of the sandbox users' processes now running (from `/proc`).
fn users_with_processes() -> std::collections::BTreeSet<u32> {
	let Ok(entries) = fs::read_dir("/proc") else { return Default::default() };
	entries
		.flatten()
		.filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
		.filter_map(|e| {
			let status = fs::read_to_string(e.path().join("status")).ok()?;
			let line = status.lines().find(|l| l.starts_with("Uid:"))?;
			line.split_whitespace().nth(1)?.parse().ok()
		})
		.filter(|uid| *uid >= FIRST_SANDBOX_UID)
		.collect()
}

/// The user a sandbox runs as, while a job holds it: one of its own when the runner is root
/// (released when dropped), else the runner's own user.
#[derive(Debug)]
pub struct Lease {
	uid: Option<u32>,
	/// `setpriv` and `kill`, to end whatever of the user is left when the lease ends.
	sweep: Option<(PathBuf, PathBuf)>,
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
			// Anything of the user that outlived its sandbox (a process that turned off its
			// parent-death signal while its bwrap was killed, say) ends here: `kill -KILL -1`
			// as that user signals every process of it.
			if let Some((setpriv, kill)) = &self.sweep {
				let _ = Command::new(setpriv)
					.args([format!("--reuid={uid}"), format!("--regid={uid}")])
					.arg("--clear-groups")
					.arg("--")
					.arg(kill)
					.args(["-KILL", "-1"])
					.stdin(Stdio::null())
					.stdout(Stdio::null())
					.stderr(Stdio::null())
					.status();
			}
			LEASED.lock().unwrap_or_else(|e| e.into_inner()).remove(&uid);
		}
	}
}

/// The line a sandbox prints first, before the job's command starts: output without it means
/// the sandbox did not start.
const STARTED: &str = "poi-sandbox-started";

/// The line a sandbox with a [`Workspace`] prints once it has filled it; it then waits for the
/// runner's word before the job's command starts.
const READY: &str = "poi-sandbox-ready";

/// Where a sandbox with a [`Workspace`] sees the folder it fills it from (read-only).
const WORKSPACE_SOURCE: &str = "/.poi-workspace";

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

/// The size of the kernel's memory pages, which a tmpfs counts files in: the first
/// `KernelPageSize` of this process's maps (4 KiB when it cannot be read), read once.
pub fn page_size() -> u64 {
	static PAGE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
	*PAGE.get_or_init(|| {
		fs::read_to_string("/proc/self/smaps")
			.ok()
			.and_then(|maps| {
				let line = maps.lines().find(|l| l.starts_with("KernelPageSize:"))?;
				let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
				Some(kib * 1024)
			})
			.unwrap_or(4096)
	})
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

/// A writable folder of bounded size in a sandbox: a tmpfs of `bytes` at `target`, filled with a
/// copy of the host's folder `source` (which the sandbox's user must be able to read) before
/// the command starts. It lives in memory and with the sandbox: nothing the command writes
/// there reaches the host's disk.
#[derive(Clone, Debug)]
pub struct Workspace {
	/// The folder whose copy it starts as.
	pub source: PathBuf,
	/// Where the sandbox sees it (absolute).
	pub target: String,
	/// Its size, in bytes (files are counted in whole pages of 4 KiB).
	pub bytes: u64,
}

/// A sandbox's [`Workspace`] as the runner sees it: the folder stays readable through this
/// handle after the sandbox has ended, until the handle is dropped (which frees its memory).
#[derive(Debug)]
pub struct Folder {
	dir: fs::File,
}

impl Folder {
	/// The host's path to `relative` inside the workspace.
	pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
		PathBuf::from(format!("/proc/self/fd/{}", self.dir.as_raw_fd())).join(relative)
	}

	/// The workspace of the sandbox whose `bwrap` is process `bwrap`, once that sandbox has
	/// filled it: the root of the sandbox's first process must hold `workspace.source` at
	/// [`WORKSPACE_SOURCE`] (so that it is the sandbox's final root, not the host's, that is
	/// read).
	fn open(bwrap: u32, workspace: &Workspace) -> Result<Self, String> {
		let first = first_inside(bwrap)?;
		// The root, resolved once: what follows is read through this handle.
		let root = fs::File::open(format!("/proc/{first}/root"))
			.map_err(|e| format!("opening the sandbox's root: {e}"))?;
		let root = Folder { dir: root };
		let seen = fs::metadata(root.path(&WORKSPACE_SOURCE[1..]));
		let host = fs::metadata(&workspace.source);
		match (seen, host) {
			(Ok(seen), Ok(host)) if (seen.dev(), seen.ino()) == (host.dev(), host.ino()) => {},
			_ => return Err("the sandbox's root is not the one it was given".into()),
		}
		let target = root.path(workspace.target.trim_start_matches('/'));
		let dir = fs::File::open(&target)
			.map_err(|e| format!("opening the sandbox's workspace {}: {e}", workspace.target))?;
		if !dir.metadata().is_ok_and(|m| m.is_dir()) {
			return Err(format!("the sandbox's workspace {} is not a folder", workspace.target));
		}
		Ok(Folder { dir })
	}
}

/// The process id of the first process of the sandbox whose `bwrap` is process `bwrap` (its
/// one child; while bwrap runs, only bwrap can reap it, so the id is that process's).
fn first_inside(bwrap: u32) -> Result<String, String> {
	let children = format!("/proc/{bwrap}/task/{bwrap}/children");
	let listed = fs::read_to_string(&children)
		.map_err(|e| format!("reading {children} (the kernel needs CONFIG_PROC_CHILDREN): {e}"))?;
	listed
		.split_whitespace()
		.next()
		.map(str::to_string)
		.ok_or_else(|| "the sandbox has no first process".to_string())
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
	/// When it is killed (counted from the start of the command, after the workspace is
	/// filled).
	pub wall: Duration,
}

/// The bubblewrap sandbox, once [`Sandbox::detect`] has found it working.
#[derive(Clone, Debug)]
pub struct Sandbox {
	bwrap: PathBuf,
	tools: Wrappers,
	/// `kill` (procps), to stop a sandbox from the inside first (see [`Running::kill`]).
	kill: PathBuf,
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

impl Run {
	/// Whether stdout starts with the sandbox's `marker`, which is then taken off it.
	fn strip(&mut self, marker: &str) -> bool {
		let there = self.stdout.starts_with(marker.as_bytes());
		if there {
			self.stdout.drain(..marker.len());
		}
		there
	}
}

impl Sandbox {
	/// Finds `bwrap`, `prlimit` and `setpriv` and checks that a sandbox starts on this
	/// machine (user namespaces may be off); `Err` says why not.
	pub fn detect() -> Result<Self, String> {
		let sandbox = Sandbox {
			bwrap: find_program("bwrap")
				.map_err(|e| format!("{e}; install bubblewrap (Debian: apt install bubblewrap)"))?,
			tools: Wrappers::find()?,
			kill: find_program("kill")?,
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
		// With a workspace, as the command evaluator runs its trials: the runner must be able to
		// read it (through /proc) before and after.
		let lease = sandbox.lease()?;
		let source = tempfile::tempdir().map_err(|e| format!("a folder for the probe: {e}"))?;
		fs::write(source.path().join("probe"), "probe")
			.map_err(|e| format!("a folder for the probe: {e}"))?;
		if let Some(uid) = lease.uid() {
			std::os::unix::fs::chown(source.path(), Some(uid), Some(uid))
				.map_err(|e| format!("a folder for the probe: {e}"))?;
		}
		let workspace =
			Workspace { source: source.path().into(), target: "/job".into(), bytes: 1 << 20 };
		let mut seen = false;
		let (started, run, folder) = sandbox.run_in(&probe, &workspace, &lease, 4096, |f| {
			seen = fs::read(f.path("probe")).is_ok_and(|b| b == b"probe");
		})?;
		let seen_after = folder.is_some_and(|f| fs::metadata(f.path("probe")).is_ok());
		match run.status {
			Some(status) if started && status.success() && seen && seen_after => Ok(sandbox),
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
			return Ok(Lease { uid: None, sweep: None });
		}
		let block = FIRST_SANDBOX_UID + (std::process::id() % (1 << 22)) * USERS_PER_RUNNER;
		// In turn from the one after the last leased, and none whose processes are still
		// there: a sandbox killed at its deadline (a fork bomb's, say) takes a moment to go,
		// and they would count against the next sandbox's process limit.
		let busy = users_with_processes();
		let mut leased = LEASED.lock().unwrap_or_else(|e| e.into_inner());
		let next = NEXT_USER.load(std::sync::atomic::Ordering::Relaxed);
		let uid = (0..USERS_PER_RUNNER)
			.map(|i| block + (next + i) % USERS_PER_RUNNER)
			.find(|uid| !leased.contains(uid) && !busy.contains(uid))
			.ok_or_else(|| format!("all {USERS_PER_RUNNER} sandbox users are in use"))?;
		NEXT_USER.store((uid - block + 1) % USERS_PER_RUNNER, std::sync::atomic::Ordering::Relaxed);
		leased.insert(uid);
		let sweep = Some((self.tools.setpriv.clone(), self.kill.clone()));
		Ok(Lease { uid: Some(uid), sweep })
	}

	/// The command that runs `spec` as `lease`'s user, with `workspace` (without its deadline:
	/// see [`Sandbox::run`]).
	fn command(&self, spec: &Spec, workspace: Option<&Workspace>, lease: &Lease) -> Command {
		let mut words = spec.limits.wrapper(&self.tools, lease.uid);
		let mut add = |items: &[&std::ffi::OsStr]| words.extend(items.iter().map(|s| s.into()));
		let os = |s: &'static str| std::ffi::OsStr::new(s);
		add(&[self.bwrap.as_os_str()]);
		for flag in [
			"--unshare-all",
			"--unshare-user",
			"--disable-userns",
			"--die-with-parent",
			// The command is the namespace's first process, which bwrap waits for and reaps:
			// with bwrap's own first process, bwrap exits before that one has ended, leaving it
			// for the system's init to reap, and until then it counts against its user's
			// process limit.
			"--as-pid-1",
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
		// bwrap's root and /dev are tmpfs of the sandbox's user: made read-only once every
		// mount is in place (at the end), with a /dev/shm of /tmp's size.
		add(&[os("--size"), tmp_size.as_ref(), os("--tmpfs"), os("/dev/shm")]);
		add(&[os("--size"), tmp_size.as_ref(), os("--tmpfs"), os("/tmp")]);
		for bind in &spec.binds {
			let how = if bind.writable { "--bind" } else { "--ro-bind" };
			add(&[os(how), bind.source.as_os_str(), bind.target.as_ref()]);
		}
		let size;
		// The marker first, then the job's command in place of this shell; with a workspace,
		// the copy, the second marker and the runner's word between them.
		let start = match workspace {
			Some(workspace) => {
				size = workspace.bytes.max(4096).to_string();
				add(&[os("--ro-bind"), workspace.source.as_os_str(), os(WORKSPACE_SOURCE)]);
				add(&[os("--size"), size.as_ref(), os("--tmpfs"), workspace.target.as_ref()]);
				format!(
					"echo {STARTED}; cp -a {WORKSPACE_SOURCE}/. \"$1\"/ || exit 125; echo {READY}; \
					 read -r _ && exec /bin/sh -c \"$0\""
				)
			},
			None => format!("echo {STARTED}; exec /bin/sh -c \"$0\""),
		};
		add(&[os("--remount-ro"), os("/dev"), os("--remount-ro"), os("/")]);
		add(&[os("--chdir"), spec.workdir.as_ref(), os("--"), os("/bin/sh"), os("-c")]);
		add(&[start.as_ref(), spec.script.as_ref()]);
		if let Some(workspace) = workspace {
			add(&[workspace.target.as_ref()]);
		}
		let mut command = Command::new(&words[0]);
		command.args(&words[1..]);
		command
	}

	/// Runs `spec` as `lease`'s user, keeping the last `keep` bytes of each output.
	/// `Ok((started, run))`: `started` is whether the sandbox came up (the job's command ran);
	/// `Err`: the sandbox could not be spawned at all.
	pub fn run(&self, spec: &Spec, lease: &Lease, keep: usize) -> Result<(bool, Run), String> {
		let marker = format!("{STARTED}\n");
		let mut running =
			Running::spawn(self.command(spec, None, lease), marker.len(), keep, false)?;
		running.inside_first = Some(self.kill.clone());
		let mut run = running.finish(spec.wall)?;
		let started = run.strip(&marker);
		Ok((started, run))
	}

	/// [`Sandbox::run`] with `workspace`: once the sandbox has filled it, and before the
	/// command starts, `ready` sees it (to take note of what it holds); the [`Folder`] comes
	/// back with the run, when the command started. `Err`: the sandbox could not be spawned,
	/// or its workspace could not be found.
	pub fn run_in(
		&self,
		spec: &Spec,
		workspace: &Workspace,
		lease: &Lease,
		keep: usize,
		ready: impl FnOnce(&Folder),
	) -> Result<(bool, Run, Option<Folder>), String> {
		let marker = format!("{STARTED}\n{READY}\n");
		let command = self.command(spec, Some(workspace), lease);
		let began = Instant::now();
		let mut running = Running::spawn(command, marker.len(), keep, true)?;
		running.inside_first = Some(self.kill.clone());
		// Filling the workspace and the command share the wall clock.
		let mut filled = running.head.recv_timeout(spec.wall).is_ok_and(|h| h == marker.as_bytes());
		let mut folder = None;
		if !filled {
			running.kill();
		} else {
			match Folder::open(running.child.id(), workspace) {
				Ok(opened) => {
					ready(&opened);
					folder = Some(opened);
				},
				Err(why) => {
					running.kill();
					return Err(why);
				},
			}
		}
		// The word to start (or, closing its input without it, to stop). Only the sandbox's own
		// script runs before it: a sandbox that is gone by then did not start.
		if let Some(mut input) = running.child.stdin.take() {
			filled = filled && input.write_all(b"go\n").is_ok();
		}
		let mut run = running.finish(spec.wall.saturating_sub(began.elapsed()))?;
		let started = filled && run.strip(&marker);
		Ok((started, run, folder.filter(|_| started)))
	}
}

/// Reads `from` to its end on a thread, keeping its first `head` bytes and its last `keep`
/// bytes after them (everything when it prints no more). The first `head` bytes (fewer if it
/// ends before) come through the first channel as soon as they are read, all the bytes through
/// the second at the end; a grandchild that keeps the pipe open after the child died cannot
/// hold the job up (see [`collect`]).
fn reader(
	mut from: impl Read + Send + 'static,
	head: usize,
	keep: usize,
) -> (mpsc::Receiver<Vec<u8>>, mpsc::Receiver<Vec<u8>>) {
	let (send_head, receive_head) = mpsc::channel();
	let (send, receive) = mpsc::channel();
	thread::spawn(move || {
		let mut first = Vec::with_capacity(head);
		let mut tail: VecDeque<u8> = VecDeque::with_capacity(keep.min(1 << 16));
		let mut buffer = [0u8; 8192];
		let mut head_sent = false;
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
			if !head_sent && first.len() == head {
				head_sent = true;
				let _ = send_head.send(first.clone());
			}
		}
		if !head_sent {
			let _ = send_head.send(first.clone());
		}
		first.extend(tail);
		let _ = send.send(first);
	});
	(receive_head, receive)
}

/// What a [`reader`] read, waiting at most two seconds after the child ended.
fn collect(reader: &mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
	reader.recv_timeout(Duration::from_secs(2)).unwrap_or_default()
}

/// Runs `command` with no input, killing it after `wall`, and keeps the last `keep` bytes of
/// each of its outputs. `Err`: it could not be started, or waiting for it failed.
pub fn run(command: Command, wall: Duration, keep: usize) -> Result<Run, String> {
	Running::spawn(command, 0, keep, false)?.finish(wall)
}

/// A started child whose outputs are read on threads.
struct Running {
	child: Child,
	program: String,
	/// For a sandbox (`bwrap`): kill its first process before it, so that bwrap reaps it and
	/// exits. Killed first, bwrap would leave that process for the system's init to reap, and
	/// until then it would count against its user's process limit (the next sandbox's, when
	/// the runner is not root). The `kill` program that does it.
	inside_first: Option<PathBuf>,
	/// The first bytes of its stdout, as soon as they are read.
	head: mpsc::Receiver<Vec<u8>>,
	stdout: mpsc::Receiver<Vec<u8>>,
	stderr: mpsc::Receiver<Vec<u8>>,
}

impl Running {
	/// Starts `command` (with a pipe for its input when `input`, else none), keeping the first
	/// `head` bytes of its stdout and the last `keep` bytes of each output.
	fn spawn(mut command: Command, head: usize, keep: usize, input: bool) -> Result<Self, String> {
		let program = command.get_program().to_string_lossy().into_owned();
		let mut child = command
			.stdin(if input { Stdio::piped() } else { Stdio::null() })
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.map_err(|e| format!("starting {program}: {e}"))?;
		let (head, stdout) = reader(child.stdout.take().expect("piped; qed"), head, keep);
		let (_, stderr) = reader(child.stderr.take().expect("piped; qed"), 0, keep);
		Ok(Running { child, program, inside_first: None, head, stdout, stderr })
	}

	fn kill(&mut self) {
		let kill = self.inside_first.clone();
		if let Some(kill) = kill.filter(|_| matches!(self.child.try_wait(), Ok(None))) {
			if let Ok(first) = first_inside(self.child.id()) {
				let _ = Command::new(kill)
					.args(["-KILL", &first])
					.stdout(Stdio::null())
					.stderr(Stdio::null())
					.status();
				let until = Instant::now() + Duration::from_secs(2);
				while Instant::now() < until {
					if let Ok(Some(_)) = self.child.try_wait() {
						return;
					}
					thread::sleep(Duration::from_millis(5));
				}
			}
		}
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// Waits for it to end, killing it after `wall` from now.
	fn finish(mut self, wall: Duration) -> Result<Run, String> {
		let started = Instant::now();
		let status = loop {
			match self.child.try_wait() {
				Ok(Some(status)) => break Some(status),
				Ok(None) if started.elapsed() >= wall => {
					self.kill();
					break None;
				},
				Ok(None) => thread::sleep(Duration::from_millis(20)),
				Err(e) => {
					self.kill();
					return Err(format!("waiting for {}: {e}", self.program));
				},
			}
		};
		let elapsed = started.elapsed();
		Ok(Run { status, stdout: collect(&self.stdout), stderr: collect(&self.stderr), elapsed })
	}
}

#[cfg(test)]
mod tests;
