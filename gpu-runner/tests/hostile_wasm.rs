//! Hostile wasm candidates against a runner service whose wasm jobs run, as `serve` runs them,
//! in child processes of the built `poi-runner` under rlimits: each ends invalid within its
//! limits, the service's own memory stays where it was, and the service serves the next job.

use poi_offchain::wire::{JobRequest, JobState};
use poi_primitives::{Direction, Evaluator, RoundKind, Verdict};
use poi_runner::{
	evaluate::{
		fixtures::{candidate, compile_bomb_text, HARNESS},
		Tools,
	},
	keys,
	service::Service,
	store::{BlobStore, Store},
};
use sp_core::H256;
use std::{
	path::PathBuf,
	sync::Arc,
	time::{Duration, Instant},
};

/// A figure of this process's `/proc/self/status` (`VmHWM`, `VmRSS`), in KiB.
fn status_kib(field: &str) -> u64 {
	let status = std::fs::read_to_string("/proc/self/status").unwrap();
	let line = status.lines().find(|l| l.starts_with(field)).unwrap();
	line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn wasm(text: &str) -> Vec<u8> {
	wat::parse_str(text).expect("test modules are valid WAT")
}

fn job(store: &dyn Store, proposal: u64, code: &[u8]) -> JobRequest {
	let document = br#"{"wasm": {"memoryMiB": 1, "wallSeconds": 1}}"#;
	JobRequest {
		genesis: H256::zero(),
		proposal,
		project: 0,
		round: RoundKind::Initial,
		seed: H256::repeat_byte(7),
		verifier: H256::zero(),
		evaluator: Evaluator::Wasm { fuel: 10_000_000 },
		direction: Direction::Minimize,
		scale_exponent: 0,
		document: store.put(document).unwrap(),
		benchmark: store.put(&wasm(HARNESS)).unwrap(),
		code: store.put(code).unwrap(),
	}
}

fn wait(service: &Service, id: H256) -> Verdict {
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		if let JobState::Done { verdict, .. } = service.status(id).state {
			return verdict;
		}
		assert!(Instant::now() < deadline, "job {id:?} not done");
		std::thread::sleep(Duration::from_millis(20));
	}
}

#[test]
fn hostile_candidates_end_invalid_in_child_processes_and_the_runner_serves_on() {
	let dir = tempfile::tempdir().unwrap();
	let store = Arc::new(BlobStore::open(&dir.path().join("blobs")).unwrap());
	let tools = Tools {
		wasm_child: Some(PathBuf::from(env!("CARGO_BIN_EXE_poi-runner"))),
		..Tools::default()
	};
	let service = Service::start(
		keys::dev_key(),
		store.clone(),
		dir.path().join("results"),
		16,
		1,
		tools,
		Duration::from_secs(60),
	)
	.unwrap();
	let memory = r#"(memory (export "memory") 1)"#;
	// 20 000 functions of 25 signed remainders each: just under the 4 MiB size cap. A remainder
	// compiles to its traps' checks as well (by zero, and the smallest value by -1), so the
	// module takes more than the document's 1 s to compile even on a fast core (2.6 s to
	// compile and run with a 30 s wall clock on the 2-core AMD EPYC of 2026-12-04; the same
	// chains of multiplications compiled and ran within 1 s there).
	let large = "(local i64) (local i64) ".to_string()
		+ &"(local.set 0 (i64.rem_s (local.get 0) (local.get 1))) ".repeat(25);
	let cases: Vec<(&str, String, &str)> = vec![
		(
			"a start function that loops",
			candidate(1, 0, "(func $s (loop $l (br $l))) (start $s)", ""),
			"fuel",
		),
		(
			"unbounded memory.grow",
			candidate(
				1,
				0,
				"",
				"(loop $g (br_if $g (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))",
			),
			"candidate failed",
		),
		(
			"deep recursion",
			candidate(1, 0, "(func $deep (call $deep)) (func $go (call $deep))", "(call $go)"),
			"candidate failed",
		),
		(
			"a forbidden import",
			candidate(
				1,
				0,
				r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#,
				"",
			),
			"imports wasi_snapshot_preview1.fd_write",
		),
		(
			"a huge initial memory",
			candidate(1, 0, "", "").replace(memory, r#"(memory (export "memory") 65536)"#),
			"initial memory",
		),
		("two memories", candidate(1, 0, "(memory 1)", ""), "2 memories"),
		("many tables", candidate(1, 0, &"(table 1 funcref) ".repeat(40), ""), "40 tables"),
		(
			"a compile-time bomb of 20 000 large functions",
			compile_bomb_text(20_000, &large),
			"compil",
		),
	];
	let modules: Vec<_> = cases.iter().map(|(_, text, _)| wasm(text)).collect();
	let bomb = modules.last().unwrap();
	assert!(bomb.len() > 3 << 20 && bomb.len() <= 4 << 20, "{} bytes", bomb.len());
	let good = wasm(&candidate(1, 0, "", ""));
	let before = status_kib("VmHWM:");
	for (n, ((what, _, reason), module)) in cases.iter().zip(&modules).enumerate() {
		let started = Instant::now();
		let job = job(&*store, n as u64, module);
		service.submit(job.clone()).unwrap();
		let verdict = wait(&service, job.id());
		let Verdict::Invalid { log } = verdict else {
			let text = String::from_utf8(store.fetch(verdict.log()).unwrap()).unwrap();
			panic!("{what}: not invalid but {verdict:?}:\n{text}");
		};
		let log = String::from_utf8(store.fetch(&log).unwrap()).unwrap();
		assert!(log.contains(reason), "{what}: {reason:?} not in\n{log}");
		// Within its limits: the document's 1 s wall clock (compiling the bomb takes longer).
		assert!(started.elapsed() < Duration::from_secs(10), "{what}: {:?}", started.elapsed());
		println!("{what}: invalid in {:.2} s", started.elapsed().as_secs_f64());
	}
	// The runner's own memory: the modules compiled in the children, not here.
	let grown = status_kib("VmHWM:").saturating_sub(before);
	println!("the runner's peak resident memory grew by {} KiB", grown);
	// (Compiled in this process, the bomb alone adds about 45 MiB in its first second.)
	assert!(grown < 16 << 10, "the runner grew by {grown} KiB");
	// And it serves the next job.
	let next = job(&*store, 99, &good);
	service.submit(next.clone()).unwrap();
	assert!(matches!(wait(&service, next.id()), Verdict::Score { .. }));
}
