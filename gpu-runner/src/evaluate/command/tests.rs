//! The command evaluator on small shell benchmarks: measured trials and their median, and
//! every way a candidate can try to cheat or break out, each of which must end invalid, never
//! as a harness error (which would release it unpunished) and never as a score. They need
//! bubblewrap (the README's test command installs it).

use super::*;
use std::net::TcpListener;

/// The benchmark: runs the candidate `solve.sh` as a child and prints its answer as the
/// metric, after checking that its own data file is intact.
const BENCH: &str =
	"set -e\nout=$(sh solve.sh)\ntest \"$(cat data.txt)\" = data\necho \"value: $out\"\n";

fn sandbox() -> Sandbox {
	Sandbox::detect().unwrap_or_else(|why| panic!("the command tests need bubblewrap: {why}"))
}

/// A tar archive of `files` (path, contents, mode).
pub(crate) fn tar_of(files: &[(&str, &str, u32)]) -> Vec<u8> {
	let mut builder = tar::Builder::new(Vec::new());
	for (path, contents, mode) in files {
		let mut header = tar::Header::new_gnu();
		header.set_size(contents.len() as u64);
		header.set_mode(*mode);
		header.set_entry_type(tar::EntryType::Regular);
		builder.append_data(&mut header, path, contents.as_bytes()).unwrap();
	}
	builder.into_inner().unwrap()
}

fn snapshot() -> Vec<u8> {
	tar_of(&[
		("bench.sh", BENCH, 0o755),
		("data.txt", "data", 0o644),
		("solve.sh", "echo 100", 0o644),
		("lib/helper.sh", "echo helper", 0o644),
	])
}

fn candidate(solve: &str) -> Vec<u8> {
	tar_of(&[("solve.sh", solve, 0o644)])
}

fn settings() -> Settings {
	serde_json::from_value(serde_json::json!({
		"run": "sh bench.sh",
		"metric": "^value: ([0-9.]+)$",
		"mutable": ["solve.sh", "extra/"],
		"trials": 3,
		"memoryMiB": 256,
		"processes": 32,
	}))
	.unwrap()
}

fn evaluate_with(settings: &Settings, snapshot: &[u8], candidate: &[u8]) -> (Outcome, String) {
	let mut log = String::new();
	let outcome = evaluate(
		&sandbox(),
		settings,
		5,
		"0x01",
		snapshot,
		candidate,
		Duration::from_secs(60),
		&mut log,
	);
	(outcome, log)
}

fn run(solve: &str) -> (Outcome, String) {
	evaluate_with(&settings(), &snapshot(), &candidate(solve))
}

fn assert_invalid((outcome, log): (Outcome, String), needle: &str) {
	match outcome {
		Outcome::Invalid(why) => assert!(why.contains(needle), "{why:?} lacks {needle:?}\n{log}"),
		other => panic!("{other:?}, not invalid ({needle}):\n{log}"),
	}
}

fn assert_harness_error((outcome, log): (Outcome, String), needle: &str) {
	match outcome {
		Outcome::HarnessError(why) => {
			assert!(why.contains(needle), "{why:?} lacks {needle:?}\n{log}")
		},
		other => panic!("{other:?}, not a harness error ({needle}):\n{log}"),
	}
}

#[test]
fn a_candidate_is_measured_in_each_trial_and_scored_by_the_median() {
	// Trials 0, 1, 2 answer 20, 31, 22: the median is 22. The seed reaches the command.
	let (outcome, log) = run(
		"test \"$POI_SEED\" = 0x01 || exit 1; case $POI_TRIAL in 0) echo 20;; 1) echo 31;; *) echo 22;; esac",
	);
	assert_eq!(outcome, Outcome::Measured(22.0), "{log}");
	for trial in ["trial 0: metric 20", "trial 1: metric 31", "trial 2: metric 22"] {
		assert!(log.contains(trial), "{trial} in\n{log}");
	}
	// The baseline in the snapshot (an empty candidate changes nothing).
	let (outcome, log) = evaluate_with(&settings(), &snapshot(), &tar_of(&[]));
	assert_eq!(outcome, Outcome::Measured(100.0), "{log}");
	// A file in a mutable folder, which the benchmark may use.
	let mut in_folder = settings();
	in_folder.run = "sh bench.sh && sh extra/more.sh".into();
	let extra = tar_of(&[("extra/more.sh", "echo value: 7", 0o644)]);
	assert_eq!(evaluate_with(&in_folder, &snapshot(), &extra).0, Outcome::Measured(7.0));
}

#[test]
fn a_candidate_that_changes_the_benchmark_is_invalid_however_it_hides_it() {
	// Replacing a benchmark file in the archive.
	let bench = tar_of(&[("bench.sh", "echo value: 1", 0o755)]);
	assert_invalid(evaluate_with(&settings(), &snapshot(), &bench), "does not let it change");
	// Near misses of the mutable set: neither a sibling of the folder nor the folder itself.
	for path in ["extras/x.sh", "extra", "solve.sh.bak"] {
		let near = tar_of(&[(path, "x", 0o644)]);
		assert_invalid(evaluate_with(&settings(), &snapshot(), &near), "does not let it change");
	}
	// At run time: writing to the benchmark's data, then putting it back as it was; replacing
	// a file by a copy; deleting one; changing a file's mode; a file in a folder.
	for attack in [
		"echo data > data.txt; echo 1",
		"cp data.txt /tmp/d; echo x >> data.txt; cp /tmp/d data.txt; echo 1",
		"cp bench.sh b; mv b bench.sh; echo 1",
		"rm lib/helper.sh; echo 1",
		"chmod 600 data.txt; echo 1",
		"mv lib lib2; mkdir lib; cp lib2/helper.sh lib/; echo 1",
		// A forged folder in place of the benchmark's while it runs, the original put back
		// after: the files in it keep their stamps, the folder does not.
		"mv lib lib2; mkdir lib; echo 'echo forged' > lib/helper.sh; rm -r lib; mv lib2 lib; echo 1",
		// A link in place of a folder, to the original moved elsewhere: the runner must not
		// read the benchmark's files through it.
		"mv lib lib2; ln -s lib2 lib; echo 1",
		// A new entry in a folder of the benchmark.
		"echo x > lib/new.sh; echo 1",
	] {
		assert_invalid(run(attack), "of the benchmark");
	}
}

#[test]
fn a_trial_writes_no_more_than_its_workspace_holds() {
	let mut small = settings();
	small.disk_mib = 1;
	// Within the size, writing is fine.
	let (outcome, log) =
		evaluate_with(&small, &snapshot(), &candidate("head -c 500000 /dev/zero > f; echo 5"));
	assert_eq!(outcome, Outcome::Measured(5.0), "{log}");
	// One large file, or many small ones: the workspace is full at 1 MiB (the runner's disk
	// has far more room), and the trial fails.
	for fill in [
		"head -c 2000000 /dev/zero > big || exit 1; echo 1",
		"i=0; while [ $i -lt 400 ]; do head -c 4096 /dev/zero > f$i || exit 1; i=$((i+1)); done; echo 1",
	] {
		assert_invalid(evaluate_with(&small, &snapshot(), &candidate(fill)), "failed");
	}
	// A candidate too large for it is invalid; a snapshot too large is the project's fault.
	let big = "x".repeat(2 << 20);
	let large = tar_of(&[("extra/big", big.as_str(), 0o644)]);
	assert_invalid(evaluate_with(&small, &snapshot(), &large), "does not fit");
	let large = tar_of(&[("bench.sh", BENCH, 0o755), ("data.txt", big.as_str(), 0o644)]);
	assert_harness_error(evaluate_with(&small, &large, &candidate("echo 1")), "does not fit");
	// A file larger than a process may write: the candidate's is invalid (it could not be
	// copied into the workspace), the snapshot's the project's fault.
	let mut one_file = settings();
	one_file.file_mib = 1;
	let large = tar_of(&[("solve.sh", big.as_str(), 0o644)]);
	assert_invalid(evaluate_with(&one_file, &snapshot(), &large), "larger than \"fileMiB\"");
	let large = tar_of(&[("bench.sh", BENCH, 0o755), ("data.txt", big.as_str(), 0o644)]);
	let outcome = evaluate_with(&one_file, &large, &candidate("echo 1"));
	assert_harness_error(outcome, "larger than \"fileMiB\"");
}

#[test]
fn a_candidate_that_fails_hangs_or_reaches_out_is_invalid() {
	assert_invalid(run("exit 1"), "failed");
	assert_invalid(run("echo not a number"), "printed no metric");
	// The metric printed straight to the runner by a grandchild, not through the benchmark,
	// is still the benchmark's output; but a benchmark's `set -e` sees the failure.
	assert_invalid(run("echo value: 1 >&2; exit 3"), "failed");
	assert_invalid(run("while :; do :; done"), "ran past its 5 s");
	assert_invalid(run("sleep 60"), "ran past its 5 s");
	// The network: a server on the host's loopback cannot be reached.
	let server = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = server.local_addr().unwrap().port();
	let reach = format!(
		"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 2)' && echo 1"
	);
	assert_invalid(run(&reach), "failed");
	// Memory beyond the protocol's 256 MiB.
	assert_invalid(run("python3 -c 'x = bytearray(512 << 20)' && echo 1"), "failed");
	// Archives that are not plain files: links, a path out of the tree, not an archive.
	let mut link = tar::Builder::new(Vec::new());
	let mut header = tar::Header::new_gnu();
	header.set_entry_type(tar::EntryType::Symlink);
	header.set_size(0);
	link.append_link(&mut header, "solve.sh", "/etc/passwd").unwrap();
	let link = link.into_inner().unwrap();
	assert_invalid(evaluate_with(&settings(), &snapshot(), &link), "not a plain file");
	assert_invalid(evaluate_with(&settings(), &snapshot(), b"not a tar"), "the candidate");
	let mut escape = tar_of(&[("solve.sh", "echo 1", 0o644)]);
	// Rewrite the entry's name to `../solve.sh`: the header's first bytes and its checksum.
	escape[..11].copy_from_slice(b"../solve.sh");
	let mut header = tar::Header::new_old();
	header.as_mut_bytes().copy_from_slice(&escape[..512]);
	header.set_cksum();
	escape[..512].copy_from_slice(header.as_bytes());
	assert_invalid(evaluate_with(&settings(), &snapshot(), &escape), "not a plain relative path");
}

#[test]
fn the_project_s_faults_are_harness_errors() {
	let link = {
		let mut builder = tar::Builder::new(Vec::new());
		let mut header = tar::Header::new_gnu();
		header.set_entry_type(tar::EntryType::Symlink);
		header.set_size(0);
		builder.append_link(&mut header, "data.txt", "/root").unwrap();
		builder.into_inner().unwrap()
	};
	assert_harness_error(evaluate_with(&settings(), &link, &candidate("echo 1")), "snapshot");
	let cases: Vec<(fn(&mut Settings), &str)> = vec![
		(|s| s.metric = "value: [0-9]+".into(), "no group"),
		(|s| s.metric = "value: ([0-9]+".into(), "metric"),
		(|s| s.trials = 0, "trials"),
		(|s| s.trials = MAX_TRIALS + 1, "trials"),
		(|s| s.memory_mib = 0, "memoryMiB"),
		(|s| s.mutable = vec!["../x".into()], "mutable"),
		(|s| s.mutable = Vec::new(), "mutable"),
		(|s| s.run = " ".into(), "run"),
	];
	for (break_it, needle) in cases {
		let mut s = settings();
		break_it(&mut s);
		assert_harness_error(evaluate_with(&s, &snapshot(), &candidate("echo 1")), needle);
	}
	// The job's deadline, shorter than a trial's own limit, is not the candidate's fault.
	let mut log = String::new();
	let outcome = evaluate(
		&sandbox(),
		&settings(),
		30,
		"0x01",
		&snapshot(),
		&candidate("sleep 20; echo 1"),
		Duration::from_secs(1),
		&mut log,
	);
	assert!(
		matches!(&outcome, Outcome::HarnessError(why) if why.contains("deadline")),
		"{outcome:?}\n{log}"
	);
}

#[test]
fn paths_are_plain_and_relative() {
	assert_eq!(relative("./a/b/").unwrap(), "a/b");
	assert_eq!(relative("a").unwrap(), "a");
	// Names no file system takes (they would fail while the runner writes them out, a
	// harness error, were they not refused here).
	let long_name = format!("extra/{}", "a".repeat(256));
	let long_path = "extra/".to_string() + &"abcdefghi/".repeat(110) + "x";
	assert!(relative(&format!("extra/{}", "a".repeat(255))).is_ok());
	for bad in [long_name.as_str(), long_path.as_str(), "extra/a\0b"] {
		assert!(relative(bad).is_err(), "{bad}");
	}
	for bad in ["/etc/passwd", "../a", "a/../../b"] {
		assert!(relative(bad).is_err(), "{bad}");
	}
	let s = settings();
	assert!(s.is_mutable("solve.sh") && s.is_mutable("extra/a/b.sh"));
	assert!(!s.is_mutable("extra") && !s.is_mutable("extras/a") && !s.is_mutable("bench.sh"));
	let mut values = vec![3.0, 1.0, 2.0, 10.0];
	assert_eq!(median(&mut values), 2.5);
}
