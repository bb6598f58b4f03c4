//! The wasm evaluator and `evaluate` on small WAT modules: a harness that checks a byte-sum
//! candidate, candidates fast and slow, and candidates that misbehave in every way we know.

use super::{wasm, *};
use crate::store::BlobStore;
use poi_primitives::{digest_of, ArtifactRef, Evaluator, RoundKind};
use sp_core::H256;

pub(crate) use super::fixtures::{candidate, compile_bomb_text, HARNESS};

fn wasm_of(text: &str) -> Vec<u8> {
	wat::parse_str(text).expect("test modules are valid WAT")
}

fn limits() -> wasm::Limits {
	wasm::Limits { fuel: 1_000_000, memory_bytes: 1 << 20, wall: Duration::from_secs(20) }
}

fn run(harness: &str, candidate: &str) -> wasm::Run {
	wasm::run(&wasm_of(harness), &wasm_of(candidate), [3; 32], limits())
}

fn invalid(run: &wasm::Run, needle: &str) {
	match &run.outcome {
		wasm::Outcome::Invalid(why) => assert!(why.contains(needle), "{why:?} lacks {needle:?}"),
		other => panic!("expected invalid ({needle}), got {other:?}"),
	}
}

fn harness_error(run: &wasm::Run, needle: &str) {
	match &run.outcome {
		wasm::Outcome::HarnessError(why) => {
			assert!(why.contains(needle), "{why:?} lacks {needle:?}")
		},
		other => panic!("expected a harness error ({needle}), got {other:?}"),
	}
}

#[test]
fn faster_candidate_scores_less_fuel_deterministically() {
	let fast = run(HARNESS, &candidate(1, 0, "", ""));
	let slow = run(HARNESS, &candidate(3, 0, "", ""));
	let (wasm::Outcome::Measured(f), wasm::Outcome::Measured(s)) = (&fast.outcome, &slow.outcome)
	else {
		panic!("both measured: {fast:?} {slow:?}");
	};
	assert!(*f > 0 && f < s, "fast {f} < slow {s}");
	// Three passes cost about three times one pass (the loop dominates).
	assert!(*s > 2 * f && *s < 4 * f, "fast {f}, slow {s}");
	assert_eq!(fast.log, vec!["checked".to_string()]);
	assert_eq!(fast.calls, 1);
	for _ in 0..3 {
		assert_eq!(run(HARNESS, &candidate(1, 0, "", "")).outcome, fast.outcome);
	}
}

#[test]
fn wrong_answers_are_invalid() {
	invalid(&run(HARNESS, &candidate(1, 1, "", "")), "wrong answer: the harness returned 1");
}

#[test]
fn misbehaving_candidates_are_invalid_within_the_limits() {
	let started = std::time::Instant::now();
	let endless = "(loop $forever (br $forever))";
	invalid(&run(HARNESS, &candidate(1, 0, "", endless)), "ran out of fuel");
	invalid(&run(HARNESS, &candidate(1, 0, "", "unreachable")), "unreachable");
	let bomb = "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))";
	invalid(&run(HARNESS, &candidate(1, 0, "", bomb)), "candidate failed");
	let start_loop = "(func $start (loop $l (br $l))) (start $start)";
	invalid(&run(HARNESS, &candidate(1, 0, start_loop, "")), "ran out of fuel");
	let import = r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#;
	invalid(&run(HARNESS, &candidate(1, 0, import, "")), "imports wasi_snapshot_preview1.fd_write");
	let big_memory = "(memory (export \"memory\") 100)";
	let text = candidate(1, 0, "", "").replace("(memory (export \"memory\") 1)", big_memory);
	invalid(&run(HARNESS, &text), "initial memory of 6553600 bytes");
	let no_solve = candidate(1, 0, "", "").replace("(export \"solve\")", "");
	invalid(&run(HARNESS, &no_solve), "solve");
	let bad_input = candidate(1, 0, "", "").replace("(i32.const 1024))", "(i32.const -8))");
	invalid(&run(HARNESS, &bad_input), "outside its memory");
	let recursion = "(func $deep (call $deep)) (func $go (call $deep))";
	let text = candidate(1, 0, recursion, "(call $go)");
	invalid(&run(HARNESS, &text), "candidate failed");
	let not_wasm = wasm::run(&wasm_of(HARNESS), b"\0asm garbage", [0; 32], limits());
	invalid(&not_wasm, "not a module");
	assert!(started.elapsed() < Duration::from_secs(20), "all within the fuel limits");
}

fn compile_bomb(count: usize, body: &str) -> Vec<u8> {
	wasm_of(&compile_bomb_text(count, body))
}

#[test]
fn a_candidate_cannot_spend_the_harness_s_quota() {
	// The harness needs a memory and a table of its own; a candidate that defines more than
	// one of each would take them, and the run would blame the harness.
	let harness = HARNESS.replace(
		"(memory (export \"memory\") 1)",
		"(memory (export \"memory\") 1) (table 1 funcref)",
	);
	assert!(matches!(run(&harness, &candidate(1, 0, "", "")).outcome, wasm::Outcome::Measured(_)));
	invalid(&run(&harness, &candidate(1, 0, "(memory 1)", "")), "2 memories");
	let tables = "(table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref)";
	invalid(&run(&harness, &candidate(1, 0, tables, "")), "4 tables");
	// A huge initial memory is the candidate's fault, and no memory is reserved for it.
	let huge = candidate(1, 0, "", "")
		.replace("(memory (export \"memory\") 1)", "(memory (export \"memory\") 65536)");
	invalid(&run(&harness, &huge), "memory");
}

#[test]
fn compiling_is_bounded_in_size_and_time() {
	let limits = wasm::Limits { wall: Duration::from_secs(2), ..limits() };
	// 20 000 large functions: refused by size before anything is compiled.
	let large = "(local i64) ".to_string()
		+ &"(local.set 0 (i64.mul (local.get 0) (i64.const 7))) ".repeat(30);
	let bomb = compile_bomb(20_000, &large);
	assert!(bomb.len() > wasm::MAX_MODULE_BYTES, "{} bytes", bomb.len());
	let harness_wasm = wasm_of(HARNESS);
	let started = std::time::Instant::now();
	invalid(&wasm::run(&harness_wasm, &bomb, [0; 32], limits), "larger than");
	assert!(started.elapsed() < Duration::from_secs(1), "refused without compiling");
	// Just under the size cap, compiling takes longer than the run may: the deadline, which
	// starts before compiling, ends it as the candidate's fault.
	let body = "(local i64) ".to_string()
		+ &"(local.set 0 (i64.mul (local.get 0) (i64.const 7))) ".repeat(12);
	let fitting = compile_bomb(wasm::MAX_MODULE_BYTES / 200, &body);
	assert!(fitting.len() <= wasm::MAX_MODULE_BYTES, "{} bytes", fitting.len());
	let tight = wasm::Limits { wall: Duration::from_millis(200), ..limits };
	let harness = wasm_of(HARNESS);
	let started = std::time::Instant::now();
	invalid(&wasm::run(&harness, &fitting, [0; 32], tight), "compil");
	assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
	// And the evaluator goes on to the next job.
	let next = wasm::run(&wasm_of(HARNESS), &wasm_of(&candidate(1, 0, "", "")), [0; 32], limits);
	assert!(matches!(next.outcome, wasm::Outcome::Measured(_)), "{next:?}");
}

#[test]
fn the_wall_clock_stops_a_slow_run_as_a_harness_error() {
	let endless = candidate(1, 0, "", "(loop $forever (br $forever))");
	let limits = wasm::Limits { fuel: u64::MAX / 2, wall: Duration::from_millis(300), ..limits() };
	let started = std::time::Instant::now();
	let run = wasm::run(&wasm_of(HARNESS), &wasm_of(&endless), [0; 32], limits);
	harness_error(&run, "wall-clock");
	assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn broken_harnesses_are_harness_errors() {
	let good = candidate(1, 0, "", "");
	let garbage = wasm::run(b"nope", &wasm_of(&good), [0; 32], limits());
	harness_error(&garbage, "not a module");
	let trapping = HARNESS.replace("(call $seed (i32.const 0))", "unreachable");
	harness_error(&run(&trapping, &good), "harness trapped");
	let idle =
		r#"(module (memory (export "memory") 1) (func (export "run") (result i32) (i32.const 0)))"#;
	harness_error(&run(idle, &good), "never called the candidate");
	let unknown = HARNESS.replace(r#"(import "poi" "log""#, r#"(import "poi" "clock""#);
	harness_error(&run(&unknown, &good), "harness failed to instantiate");
	let no_run = HARNESS.replace("(export \"run\")", "");
	harness_error(&run(&no_run, &good), "run");
}

/// A job of proposal 7 with the byte-sum fixtures' settings and these files put in `store`.
pub(crate) fn job(
	store: &dyn crate::store::Store,
	document: &[u8],
	harness: &[u8],
	candidate: &[u8],
) -> JobRequest {
	JobRequest {
		genesis: H256::repeat_byte(1),
		proposal: 7,
		project: 0,
		round: RoundKind::Initial,
		seed: H256::repeat_byte(3),
		verifier: H256::repeat_byte(5),
		evaluator: Evaluator::Wasm { fuel: 1_000_000 },
		direction: Direction::Minimize,
		scale_exponent: 0,
		document: store.put(document).unwrap(),
		benchmark: store.put(harness).unwrap(),
		code: store.put(candidate).unwrap(),
	}
}

/// A document capping memories at 1 MiB.
const SMALL_MEMORY: &[u8] = br#"{"wasm": {"memoryMiB": 1, "wallSeconds": 20}}"#;

#[test]
fn evaluate_scores_and_checks_artifacts() {
	let dir = tempfile::tempdir().unwrap();
	let store = BlobStore::open(dir.path()).unwrap();
	let harness = wasm_of(HARNESS);
	let good = wasm_of(&candidate(1, 0, "", ""));
	let j = job(&store, SMALL_MEMORY, &harness, &good);

	let wasm::Outcome::Measured(fuel) = run(HARNESS, &candidate(1, 0, "", "")).outcome else {
		panic!("measured")
	};
	let e = evaluate(&j, &store);
	assert_eq!(e.finding, Finding::Score(-(fuel as i128)), "{}", e.log);
	assert!(e.log.contains(&format!("candidate fuel: {fuel}")), "{}", e.log);
	assert!(e.log.contains("harness: checked"), "{}", e.log);

	let mut maximised = j.clone();
	maximised.direction = Direction::Maximize;
	maximised.scale_exponent = 2;
	assert_eq!(evaluate(&maximised, &store).finding, Finding::Score(fuel as i128 * 100));

	// The candidate's bytes are not what its digest says: invalid.
	let mut lying = j.clone();
	lying.code.digest = digest_of(b"something else");
	let e = evaluate(&lying, &store);
	assert_eq!(e.finding, Finding::Invalid);
	assert!(e.log.contains("do not match its digest"), "{}", e.log);
	// A candidate nobody can fetch: invalid.
	let mut missing = j.clone();
	missing.code = ArtifactRef::new(digest_of(b"x"), hex::encode(digest_of(b"x"))).unwrap();
	assert_eq!(evaluate(&missing, &store).finding, Finding::Invalid);
	// The project's benchmark cannot be had: not the miner's fault.
	let mut no_benchmark = j.clone();
	no_benchmark.benchmark.digest = H256::zero();
	assert_eq!(evaluate(&no_benchmark, &store).finding, Finding::HarnessError);
	// A candle-gpt job on a runner without the trainer.
	let mut candle = j.clone();
	candle.evaluator = Evaluator::CandleGpt { steps: 1 };
	let e = evaluate_with(&candle, &store, &Tools::default(), DEFAULT_JOB_LIMIT);
	assert_eq!(e.finding, Finding::HarnessError);
	assert!(e.log.contains("no poi-gpt trainer"), "{}", e.log);
	// Wasm settings the runner cannot read are the project's fault, not silently defaults.
	for document in [&br#"{"wasm": {"memoryMB": 1}}"#[..], br#"{"wasm": {"memoryMiB": "lots"}}"#] {
		let e = evaluate(&job(&store, document, &harness, &good), &store);
		assert_eq!(e.finding, Finding::HarnessError, "{}", e.log);
		assert!(e.log.contains(r#"the protocol document's "wasm" settings"#), "{}", e.log);
	}
	// A document that is prose gives the default limits.
	let prose = evaluate(&job(&store, b"# Sort faster\nRules: ...", &harness, &good), &store);
	assert_eq!(prose.finding, Finding::Score(-(fuel as i128)), "{}", prose.log);
	// The document's memory cap (1 MiB = 16 pages) applies.
	let grows = wasm_of(&candidate(1, 0, "", "(drop (memory.grow (i32.const 20)))"));
	let j2 = job(&store, SMALL_MEMORY, &harness, &grows);
	assert_eq!(evaluate(&j2, &store).finding, Finding::Invalid);
}

#[test]
fn scores_of_integers() {
	assert_eq!(score_of_integer(5, Direction::Minimize, 0), Some(-5));
	assert_eq!(score_of_integer(5, Direction::Maximize, 3), Some(5_000));
	assert_eq!(score_of_integer(u128::MAX, Direction::Maximize, 0), None);
	assert_eq!(score_of_integer(10, Direction::Maximize, 38), None);
	assert_eq!(score_of_integer(0, Direction::Minimize, 38), Some(0));
}

#[test]
fn scores_of_reals() {
	assert_eq!(score_of_real(0.9979, Direction::Minimize, 6), Some(-997_900));
	assert_eq!(score_of_real(1.25, Direction::Maximize, 2), Some(125));
	assert_eq!(score_of_real(f64::NAN, Direction::Minimize, 6), None);
	assert_eq!(score_of_real(f64::INFINITY, Direction::Minimize, 0), None);
	assert_eq!(score_of_real(2.0, Direction::Minimize, 38), None);
}

/// A stand-in for `poi-gpt` (a shell script): logs its arguments and recipe to stderr, then
/// runs `body`.
pub(crate) fn trainer(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
	use std::os::unix::fs::PermissionsExt;
	let path = dir.join(name);
	let script = format!(
		"#!/bin/sh\necho \"args: $*\" >&2\n[ \"$1\" = train ] || exit 9\necho \"recipe: $(cat \"$7\")\" >&2\necho \"scratch: $(dirname \"$3\")\" >&2\n{body}\n"
	);
	std::fs::write(&path, script).unwrap();
	std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
	path
}

#[test]
fn candle_gpt_jobs_run_the_trainer_and_read_its_report() {
	let dir = tempfile::tempdir().unwrap();
	let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
	let mut j =
		job(&store, br#"{"candleGpt": {"trials": 2}}"#, b"corpus bytes", br#"{"recipe": 1}"#);
	j.evaluator = Evaluator::CandleGpt { steps: 30 };
	j.scale_exponent = 6;
	let with = |body: &str| {
		let program = trainer(dir.path(), "poi-gpt", body);
		evaluate_with(
			&j,
			&store,
			&Tools { trainer: Some(program.clone()), ..Tools::default() },
			Duration::from_secs(360),
		)
	};

	let e = with(
		r#"echo '{"finding":"measured","valBpb":1.5,"trials":[],"device":"cpu","peakRssKib":20480}'"#,
	);
	assert_eq!(e.finding, Finding::Score(-1_500_000), "{}", e.log);
	assert!(e.log.contains(&format!("--seed {:?} --steps 30", j.seed)), "{}", e.log);
	assert!(e.log.contains(r#"poi-gpt: recipe: {"recipe": 1}"#), "{}", e.log);
	assert!(e.log.contains("trainer peak memory: 20 MiB"), "{}", e.log);
	assert!(e.log.contains("30 steps at most, deadline 3"), "{}", e.log);
	// The scratch files are gone after the job.
	let scratch = e.log.lines().find_map(|l| l.strip_prefix("poi-gpt: scratch: ")).unwrap();
	assert!(!std::path::Path::new(scratch).exists());

	let e = with(r#"echo '{"finding":"invalid","reason":"layers must be 1 to 4","device":"cpu"}'"#);
	assert_eq!(e.finding, Finding::Invalid);
	assert!(e.log.contains("invalid: layers must be 1 to 4"), "{}", e.log);

	let e = with(r#"echo '{"finding":"harnessError","reason":"corpus too short","device":"cpu"}'"#);
	assert_eq!(e.finding, Finding::HarnessError);
	assert!(e.log.contains("harness error: corpus too short"), "{}", e.log);

	// A trainer that fails, prints nonsense, or a score out of range: harness errors.
	for (body, why) in [
		("exit 3", "the trainer failed"),
		("true", "no report"),
		("echo 'not json'", "the trainer's report"),
		(r#"echo '{"finding":"measured","trials":[],"device":"cpu"}'"#, "valBpb"),
		(r#"echo '{"finding":"maybe","device":"cpu"}'"#, "maybe"),
		(
			r#"echo '{"finding":"measured","valBpb":1e300,"trials":[],"device":"cpu"}'"#,
			"does not fit",
		),
	] {
		let e = with(body);
		assert_eq!(e.finding, Finding::HarnessError, "{body}");
		assert!(e.log.contains(why), "{body}: {}", e.log);
	}
}

#[test]
fn the_trainer_s_scratch_directory_is_private_and_unpredictable() {
	let dir = tempfile::tempdir().unwrap();
	let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
	let mut j = job(&store, b"{}", b"the project's corpus", b"{}");
	j.evaluator = Evaluator::CandleGpt { steps: 1 };
	// Another user of the machine plants a link where a predictable scratch path would be.
	let planted = std::env::temp_dir().join(format!(
		"poi-gpt-{}-{}",
		hex::encode(&j.id()[..8]),
		std::process::id()
	));
	let trap = dir.path().join("trap");
	std::fs::create_dir(&trap).unwrap();
	std::os::unix::fs::symlink(&trap, &planted).unwrap();
	let body = r#"echo "mode: $(stat -c %a "$(dirname "$3")")" >&2
echo "limits: $(ulimit -d) KiB, $(ulimit -n) files, $(grep NoNewPrivs /proc/self/status)" >&2
echo '{"finding":"invalid","reason":"x","device":"cpu"}'"#;
	let program = trainer(dir.path(), "poi-gpt", body);
	let e = evaluate_with(
		&j,
		&store,
		&Tools { trainer: Some(program.clone()), ..Tools::default() },
		Duration::from_secs(60),
	);
	let _ = std::fs::remove_file(&planted);
	assert_eq!(e.finding, Finding::Invalid, "{}", e.log);
	assert!(std::fs::read_dir(&trap).unwrap().next().is_none(), "written through the link");
	assert!(e.log.contains("poi-gpt: mode: 700"), "{}", e.log);
	// The trainer runs under the runner's limits, whatever the protocol says.
	assert!(e.log.contains("limits: 4194304 KiB, 256 files, NoNewPrivs:\t1"), "{}", e.log);
	let scratch = e.log.lines().find_map(|l| l.strip_prefix("poi-gpt: scratch: ")).unwrap();
	assert_ne!(std::path::Path::new(scratch), planted.as_path());
}

#[test]
fn a_trainer_past_the_job_s_deadline_is_killed_and_the_job_is_a_harness_error() {
	let dir = tempfile::tempdir().unwrap();
	let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
	let mut j = job(&store, b"{}", b"corpus", b"{}");
	j.evaluator = Evaluator::CandleGpt { steps: 1 };
	let program = trainer(dir.path(), "slow", "sleep 30");
	let started = std::time::Instant::now();
	let mut log = String::new();
	let outcome =
		gpt::train(&program, &j, 1, b"{}", b"corpus", b"{}", Duration::from_millis(500), &mut log);
	assert!(outcome.unwrap_err().contains("past the job's deadline"));
	assert!(started.elapsed() < Duration::from_secs(10));
	// Through the evaluator: the job's time left is the trainer's deadline, and running out
	// of it is a harness error (the verifier still reveals a signed verdict).
	let started = std::time::Instant::now();
	let e = evaluate_with(
		&j,
		&store,
		&Tools { trainer: Some(program.clone()), ..Tools::default() },
		Duration::from_millis(500),
	);
	assert_eq!(e.finding, Finding::HarnessError, "{}", e.log);
	assert!(e.log.contains("past the job's deadline"), "{}", e.log);
	assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn command_jobs_run_in_the_sandbox_and_score_the_median_metric() {
	use super::command::tests::tar_of;
	let dir = tempfile::tempdir().unwrap();
	let store = BlobStore::open(dir.path()).unwrap();
	let document = br#"{"command": {"run": "sh solve.sh", "metric": "^took ([0-9.]+) s$",
		"mutable": ["solve.sh"], "trials": 1}}"#;
	let snapshot = tar_of(&[("solve.sh", "echo took 2.5 s", 0o644)]);
	let faster = tar_of(&[("solve.sh", "echo took 1.25 s", 0o644)]);
	let mut j = job(&store, document, &snapshot, &faster);
	j.evaluator = Evaluator::Command { seconds: 10 };
	j.scale_exponent = 2;
	let tools = Tools::detect(None);
	assert!(tools.evaluators().contains(&"command"), "bubblewrap is installed");
	let e = evaluate_with(&j, &store, &tools, DEFAULT_JOB_LIMIT);
	assert_eq!(e.finding, Finding::Score(-125), "{}", e.log);
	assert!(e.log.contains("trial 0: metric 1.25"), "{}", e.log);
	// Without a sandbox, or without the document's settings, it is no fault of the miner's.
	let e = evaluate_with(&j, &store, &Tools::default(), DEFAULT_JOB_LIMIT);
	assert_eq!(e.finding, Finding::HarnessError);
	assert!(e.log.contains("no sandbox"), "{}", e.log);
	for document in [&b"# prose"[..], br#"{"command": {"run": "x"}}"#] {
		let mut k = job(&store, document, &snapshot, &faster);
		k.evaluator = j.evaluator;
		let e = evaluate_with(&k, &store, &tools, DEFAULT_JOB_LIMIT);
		assert_eq!(e.finding, Finding::HarnessError, "{}", e.log);
		assert!(e.log.contains("\"command\""), "{}", e.log);
	}
}

/// The wasm child's deaths, with a stand-in for the runner's executable: a shell script that
/// prints the compile markers it is given, then dies as a process does when an allocation
/// fails under its memory limit (Rust aborts: SIGABRT). Whose fault a death is depends only on
/// which module was compiling, which a candidate cannot forge (it has no way to write to the
/// child's stderr).
#[test]
fn a_wasm_child_that_dies_compiling_blames_the_module_it_was_compiling() {
	use std::os::unix::fs::PermissionsExt;
	let dir = tempfile::tempdir().unwrap();
	let run = |name: &str, compiled: &[&str]| {
		let path = dir.path().join(name);
		let markers: String =
			compiled.iter().map(|m| format!("echo '{} {m}' >&2\n", wasm::COMPILED)).collect();
		let script =
			format!("#!/bin/sh\n[ \"$1\" = wasm-child ] || exit 9\n{markers}kill -ABRT $$\n");
		std::fs::write(&path, script).unwrap();
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
		let limits = wasm::Limits { wall: Duration::from_secs(5), ..limits() };
		wasm::run_in_child(&path, b"harness", b"candidate", [0; 32], limits).outcome
	};
	match run("candidate-bomb", &["harness"]) {
		wasm::Outcome::Invalid(why) => {
			assert!(why.contains("compiling it ended the wasm process"), "{why}");
			assert!(why.contains("SIGABRT") || why.contains("signal: 6"), "{why}");
		},
		other => panic!("a death compiling the candidate is the candidate's: {other:?}"),
	}
	match run("harness-dies", &[]) {
		wasm::Outcome::HarnessError(why) => assert!(why.contains("compiling the harness"), "{why}"),
		other => panic!("a death compiling the harness is the project's: {other:?}"),
	}
	match run("dies-running", &["harness", "candidate"]) {
		wasm::Outcome::HarnessError(why) => assert!(why.contains("during the run"), "{why}"),
		other => panic!("a death after both compiled is not blamed on the candidate: {other:?}"),
	}
}
