//! The sandbox against what a hostile command tries: the network, the host's files, memory,
//! processes, CPU, disk, output, and outliving its deadline. They need bubblewrap (the
//! README's test command installs it).

use super::*;
use std::{io::Write, net::TcpListener};

fn sandbox() -> Sandbox {
	Sandbox::detect().unwrap_or_else(|why| panic!("the sandbox tests need bubblewrap: {why}"))
}

fn limits() -> Limits {
	Limits {
		memory_bytes: 256 << 20,
		cpu_seconds: 20,
		processes: Some(64),
		file_bytes: 1 << 20,
		open_files: 64,
	}
}

fn spec(script: &str) -> Spec {
	Spec {
		script: script.into(),
		binds: Vec::new(),
		workdir: "/".into(),
		env: vec![("POI_SEED".into(), "0x01".into())],
		limits: limits(),
		tmp_bytes: 4 << 20,
		wall: Duration::from_secs(20),
	}
}

/// Runs `spec`: it started, and what it printed (stdout, then stderr) and its exit code.
fn run_in(sandbox: &Sandbox, spec: &Spec) -> (String, Option<i32>) {
	let (started, run) = sandbox.run(spec, &sandbox.lease().unwrap(), 1 << 16).expect("spawned");
	assert!(started, "the sandbox started: {}", String::from_utf8_lossy(&run.stderr));
	let text =
		format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
	(text, run.status.and_then(|s| s.code()))
}

#[test]
fn a_sandboxed_command_reaches_no_network_and_no_host_file() {
	let sandbox = sandbox();
	// A server on the host's loopback, which the command must not reach.
	let server = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = server.local_addr().unwrap().port();
	let secret = tempfile::tempdir().unwrap();
	std::fs::write(secret.path().join("key"), "secret").unwrap();
	std::env::set_var("POI_SANDBOX_TEST_LEAK", "leaked");
	let script = format!(
		"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 2)' \
		 && echo CONNECTED; \
		 cat {key} && echo READ; ls /root /home /work 2>/dev/null && echo LISTED; \
		 env | sort; id -u; grep CapEff /proc/self/status; echo x > /usr/poi || echo RO",
		key = secret.path().join("key").display()
	);
	let (text, code) = run_in(&sandbox, &spec(&script));
	assert_eq!(code, Some(0), "{text}");
	assert!(text.contains("Connection refused"), "{text}");
	for leak in ["CONNECTED", "READ", "LISTED", "secret", "leaked", "CARGO"] {
		assert!(!text.contains(leak), "{leak} in {text}");
	}
	assert!(text.contains("POI_SEED=0x01") && text.contains("HOME=/tmp"), "{text}");
	assert!(text.contains("CapEff:\t0000000000000000"), "{text}");
	assert!(text.contains("RO"), "{text}");
	if running_as_root() {
		let uid = format!("\n{}", FIRST_SANDBOX_UID / 100_000_000);
		assert!(text.contains(&uid) && !text.contains("\n0\n"), "a user of its own: {text}");
	}
}

#[test]
fn memory_cpu_disk_and_process_limits_hold() {
	let sandbox = sandbox();
	// Memory: 512 MiB of a 256 MiB allowance.
	let (text, code) =
		run_in(&sandbox, &spec("python3 -c 'x = bytearray(512 << 20); print(\"ALLOCATED\")'"));
	assert!(text.contains("MemoryError") && !text.contains("ALLOCATED"), "{text}");
	assert_ne!(code, Some(0));
	// CPU: a busy loop with one second of CPU is killed long before its wall clock.
	let mut busy = spec("while :; do :; done");
	busy.limits.cpu_seconds = 1;
	let (started, run) = sandbox.run(&busy, &sandbox.lease().unwrap(), 4096).unwrap();
	assert!(started && run.status.is_some_and(|s| !s.success()), "{run:?}");
	assert!(run.elapsed < Duration::from_secs(10), "{run:?}");
	// Disk: a file above the 1 MiB limit cannot be written, even in /tmp.
	let (text, code) = run_in(&sandbox, &spec("head -c 2000000 /dev/zero > /tmp/big; echo $?"));
	assert_eq!(code, Some(0));
	assert_ne!(text.lines().last(), Some("0"), "{text}");
	// /tmp itself is small: 4 MiB, whatever the number of files.
	let (text, _) = run_in(
		&sandbox,
		&spec("for i in 1 2 3 4 5 6; do head -c 1000000 /dev/zero > /tmp/f$i || echo FULL; done"),
	);
	assert!(text.contains("FULL") || text.contains("No space"), "{text}");
	// Processes: a fork bomb stops at the limit (enforced for the sandbox's own user when the
	// runner is root).
	if running_as_root() {
		let mut bomb =
			spec("for i in $(seq 200); do sleep 5 & done 2>/dev/null; ls /proc | grep -c '^[0-9]'");
		bomb.limits.processes = Some(16);
		bomb.wall = Duration::from_secs(3);
		let (started, run) = sandbox.run(&bomb, &sandbox.lease().unwrap(), 4096).unwrap();
		let out = String::from_utf8_lossy(&run.stdout);
		let count: u32 = out.trim().parse().unwrap_or(0);
		assert!(started && count <= 16, "{count} processes: {run:?}");
	}
}

/// Processes whose command line contains `needle`.
fn processes_with(needle: &str) -> usize {
	std::fs::read_dir("/proc")
		.unwrap()
		.filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
		.filter(|cmdline| String::from_utf8_lossy(cmdline).contains(needle))
		.count()
}

#[test]
fn a_sandbox_past_its_deadline_is_killed_with_everything_it_started() {
	let sandbox = sandbox();
	let mut hang = spec("setsid sleep 4242 & (sleep 4243 &) ; sleep 4244");
	hang.wall = Duration::from_millis(1500);
	let (started, run) = sandbox.run(&hang, &sandbox.lease().unwrap(), 4096).unwrap();
	assert!(started && run.status.is_none(), "{run:?}");
	assert!(run.elapsed < Duration::from_secs(4), "{run:?}");
	thread::sleep(Duration::from_millis(500));
	for sleeper in ["sleep 4242", "sleep 4243", "sleep 4244"] {
		assert_eq!(processes_with(sleeper), 0, "{sleeper} outlived the sandbox");
	}
}

#[test]
fn binds_are_read_only_unless_writable_and_files_belong_to_the_sandbox_user() {
	let sandbox = sandbox();
	let lease = sandbox.lease().unwrap();
	let dir = tempfile::tempdir().unwrap();
	let (ro, rw) = (dir.path().join("ro"), dir.path().join("rw"));
	for d in [&ro, &rw] {
		std::fs::create_dir(d).unwrap();
		if let Some(uid) = lease.uid() {
			std::os::unix::fs::chown(d, Some(uid), Some(uid)).unwrap();
		}
	}
	std::fs::write(ro.join("data"), "project data").unwrap();
	// The temporary folder is private to the runner's user: the sandbox's user must pass it.
	if let Some(uid) = lease.uid() {
		std::os::unix::fs::chown(dir.path(), Some(uid), Some(uid)).unwrap();
	}
	let mut both = spec("cat /src/data; echo x > /src/data || echo DENIED; echo out > /job/result");
	both.binds = vec![
		Bind { source: ro.clone(), target: "/src".into(), writable: false },
		Bind { source: rw.clone(), target: "/job".into(), writable: true },
	];
	both.workdir = "/job".into();
	let (started, run) = sandbox.run(&both, &lease, 4096).unwrap();
	let text =
		format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
	let code = run.status.and_then(|s| s.code());
	assert!(started, "{text}");
	assert_eq!(code, Some(0), "{text}");
	assert!(text.contains("project data") && text.contains("DENIED"), "{text}");
	assert_eq!(std::fs::read_to_string(ro.join("data")).unwrap(), "project data");
	let result = rw.join("result");
	assert_eq!(std::fs::read_to_string(&result).unwrap(), "out\n");
	if let Some(uid) = lease.uid() {
		assert_eq!(std::fs::metadata(&result).unwrap().uid(), uid);
	}
}

#[test]
fn output_is_bounded_and_a_sandbox_that_cannot_start_says_so() {
	let sandbox = sandbox();
	let (started, run) = sandbox
		.run(&spec("head -c 5000000 /dev/zero; echo END"), &sandbox.lease().unwrap(), 1000)
		.unwrap();
	assert!(started);
	assert_eq!(run.stdout.len(), 1000);
	assert!(run.stdout.ends_with(b"\0END\n"));
	// The command fails: it started, and its failure is its own.
	let (started, run) = sandbox
		.run(&spec("echo poi-sandbox-started; exit 3"), &sandbox.lease().unwrap(), 1000)
		.unwrap();
	assert!(started && run.status.and_then(|s| s.code()) == Some(3), "{run:?}");
	// A folder to bind that does not exist: the sandbox does not start.
	let mut broken = spec("exit 0");
	broken.binds =
		vec![Bind { source: "/nonexistent/poi".into(), target: "/job".into(), writable: true }];
	let (started, run) = sandbox.run(&broken, &sandbox.lease().unwrap(), 1000).unwrap();
	assert!(!started && !run.status.unwrap().success(), "{run:?}");
}

#[test]
fn a_workspace_is_filled_bounded_and_readable_after_the_sandbox_ended() {
	let sandbox = sandbox();
	let lease = sandbox.lease().unwrap();
	let source = tempfile::tempdir().unwrap();
	std::fs::write(source.path().join("given"), "given").unwrap();
	if let Some(uid) = lease.uid() {
		std::os::unix::fs::chown(source.path(), Some(uid), Some(uid)).unwrap();
	}
	let workspace =
		Workspace { source: source.path().into(), target: "/job".into(), bytes: 1 << 20 };
	let mut spec = spec("cat given; echo made > made; head -c 2000000 /dev/zero > big; echo $?");
	spec.workdir = "/job".into();
	let mut before = None;
	let (started, run, folder) = sandbox
		.run_in(&spec, &workspace, &lease, 4096, |f| {
			before = std::fs::read_to_string(f.path("given")).ok();
		})
		.unwrap();
	let out = String::from_utf8_lossy(&run.stdout);
	assert!(started, "{out} {}", String::from_utf8_lossy(&run.stderr));
	assert_eq!(before.as_deref(), Some("given"), "the runner saw it before the command");
	// Writing past its size failed (the host's disk has far more room).
	assert_eq!(out, "given1\n");
	let folder = folder.expect("a workspace after the run");
	assert_eq!(std::fs::read_to_string(folder.path("made")).unwrap(), "made\n");
	assert!(std::fs::metadata(folder.path("big")).unwrap().len() < 1 << 20);
	// It was a copy: the host's folder is as it was.
	assert!(!source.path().join("made").exists() && !source.path().join("big").exists());
	// A source the sandbox cannot read: the command does not start.
	let closed =
		Workspace { source: "/nonexistent/poi".into(), target: "/job".into(), bytes: 1 << 20 };
	let (started, _, folder) = sandbox.run_in(&spec, &closed, &lease, 4096, |_| {}).unwrap();
	assert!(!started && folder.is_none());
}

/// A process of `uid` that sleeps for half a minute, once it has started.
fn sleeper(uid: u32) -> std::process::Child {
	let child = Command::new("setpriv")
		.args([format!("--reuid={uid}"), format!("--regid={uid}"), "--clear-groups".into()])
		.args(["sleep", "30"])
		.spawn()
		.unwrap();
	thread::sleep(Duration::from_millis(200));
	child
}

#[test]
fn each_sandbox_of_a_root_runner_has_a_user_of_its_own() {
	let sandbox = sandbox();
	let leases: Vec<_> = (0..3).map(|_| sandbox.lease().unwrap()).collect();
	if !running_as_root() {
		assert!(leases.iter().all(|l| l.uid().is_none()));
		return;
	}
	let uids: std::collections::BTreeSet<_> = leases.iter().map(|l| l.uid().unwrap()).collect();
	assert_eq!(uids.len(), 3);
	assert!(uids.iter().all(|&uid| uid >= FIRST_SANDBOX_UID));
	// A released user is free again, when its turn comes.
	let first = *uids.first().unwrap();
	drop(leases);
	let turn = 2 * USERS_PER_RUNNER;
	assert!((0..turn).any(|_| sandbox.lease().unwrap().uid() == Some(first)));
	// But not while a process of it is still running (one that a killed sandbox left dying,
	// say): it would count against the next sandbox's process limit.
	let mut left = sleeper(first);
	let leased: Vec<_> = (0..turn).map(|_| sandbox.lease().unwrap().uid().unwrap()).collect();
	let _ = left.kill();
	let _ = left.wait();
	assert!(!leased.contains(&first), "{first} leased while its process ran");
	// What a sandbox's user left running (a process that escaped its bwrap) ends with the
	// lease.
	let lease = sandbox.lease().unwrap();
	let uid = lease.uid().unwrap();
	let mut escaped = sleeper(uid);
	assert!(escaped.try_wait().unwrap().is_none(), "it runs");
	drop(lease);
	let status = escaped.wait().unwrap();
	assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "{status}");
}

#[test]
fn the_root_and_dev_are_read_only_and_shm_is_bounded() {
	let sandbox = sandbox();
	// /tmp and /dev/shm are 4 MiB each; the root and /dev take nothing.
	let script = "echo x > /x || echo ROOT-RO; echo x > /dev/x || echo DEV-RO; \
		echo x > /dev/null && echo NULL-OK; echo x > /tmp/x && echo TMP-OK; \
		for i in 1 2 3 4 5 6; do head -c 1000000 /dev/zero > /dev/shm/f$i; done; \
		cat /dev/shm/f* | wc -c";
	let (text, _) = run_in(&sandbox, &spec(script));
	for word in ["ROOT-RO", "DEV-RO", "NULL-OK", "TMP-OK"] {
		assert!(text.contains(word), "{word} in {text}");
	}
	// The byte count `wc` printed (stderr, after stdout, has the failed writes).
	let shm: u64 = text.lines().find_map(|l| l.trim().parse().ok()).expect(&text);
	assert!(shm <= 4 << 20, "{text}");
}

#[test]
fn limits_without_a_sandbox_apply_to_a_plain_child() {
	let dir = tempfile::tempdir().unwrap();
	let script = dir.path().join("show");
	let mut file = std::fs::File::create(&script).unwrap();
	writeln!(file, "#!/bin/sh\nulimit -d; ulimit -n; ulimit -t; grep NoNewPrivs /proc/self/status")
		.unwrap();
	drop(file);
	std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
	let command = limits().command(&script).unwrap();
	let run = run(command, Duration::from_secs(10), 4096).unwrap();
	let text = String::from_utf8_lossy(&run.stdout);
	assert!(run.status.unwrap().success(), "{run:?}");
	assert_eq!(text, "262144\n64\n20\nNoNewPrivs:\t1\n");
}
