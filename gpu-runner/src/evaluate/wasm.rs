//! The `wasm` evaluator: a project's harness module drives a miner's candidate module under
//! wasmtime, and the score is the fuel the candidate spends (deterministic: every runner on the
//! same evaluator version counts the same fuel for the same modules and seed).
//!
//! ## The interface
//! The **candidate** imports nothing and exports
//! - `memory`;
//! - `input(len: i32) -> i32`: where the host may write `len` bytes of input;
//! - `solve(ptr: i32, len: i32) -> i64`: solves the input at `ptr`, returns where its output
//!   is, as `(out_ptr << 32) | out_len`.
//!
//! The **harness** exports `memory` and `run() -> i32` (0 when every answer was right, any
//! other value when the candidate answered wrongly), and may import from module `poi`:
//! - `seed(ptr: i32)`: writes the round's 32-byte seed at `ptr` (inputs come from it);
//! - `solve(in_ptr: i32, in_len: i32, out_ptr: i32, out_cap: i32) -> i32`: hands the input
//!   to the candidate, copies its output back and returns the output's length (or -1 when it
//!   does not fit in `out_cap`);
//! - `log(ptr: i32, len: i32)`: adds a line to the run's log.
//!
//! ## Limits and verdicts
//! The candidate and the harness each get the protocol's fuel; only the candidate's counts in
//! the score. Each memory is capped ([`Limits::memory_bytes`]); a wall-clock limit
//! ([`Limits::wall`]) stops a run that is too slow for this machine, and it starts before
//! compiling, which a module cannot reset. Nothing else is reachable: no WASI, no file system,
//! no network, no clock.
//!
//! The candidate's limits are its own: it may define one memory and one table (the harness's
//! share of the store is never its to spend), and a module is at most [`MAX_MODULE_BYTES`].
//! Modules compile on one thread (never on every core the node needs). A runner runs each job
//! in a child process of its own ([`run_in_child`]: `poi-runner wasm-child`) under rlimits:
//! writable memory of twice the memory cap plus [`CHILD_OVERHEAD_BYTES`], CPU time of the
//! wall clock; a compilation that passes the deadline ends with the child, and so does one
//! that outgrows the memory limit, which kills nothing but the child (the candidate's fault
//! when the harness had compiled). The runner's own memory never holds a compiled module.
//!
//! | what happened | outcome |
//! | --- | --- |
//! | harness answers 0 | [`Outcome::Measured`] (candidate fuel) |
//! | harness answers non-zero | invalid (wrong answers) |
//! | candidate not a module, too large, too slow to compile, imports anything, defines more than one memory or table, lacks an export, traps, runs out of fuel, outgrows its memory | invalid |
//! | harness not a module, too large or too slow to compile, lacks `run`, traps or runs out of its own fuel | harness error |
//! | the wall-clock limit | harness error (the machine was too slow: nobody's fault) |

use crate::sandbox;
use serde::{Deserialize, Serialize};
use std::{
	fs,
	path::Path,
	sync::mpsc,
	thread,
	time::{Duration, Instant},
};
use wasmtime::{
	Caller, Config, Engine, Instance, Linker, Memory, Module, Store, StoreLimits,
	StoreLimitsBuilder, Trap, TypedFunc,
};

/// The limits of one run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Fuel for the candidate, and separately for the harness.
	pub fuel: u64,
	/// The largest size of any one linear memory, in bytes.
	pub memory_bytes: usize,
	/// The longest a run may take.
	pub wall: Duration,
}

/// What a run came to: when every answer was right, the fuel the candidate spent.
pub type Outcome = super::Outcome<u64>;

/// A run's outcome and what the harness logged.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
	/// The outcome.
	pub outcome: Outcome,
	/// Lines the harness logged (at most [`MAX_LOG_LINES`]).
	pub log: Vec<String>,
	/// How many times the harness called the candidate.
	pub calls: u32,
}

/// The largest module (candidate or harness), in bytes.
pub const MAX_MODULE_BYTES: usize = 4 << 20;

/// The writable memory a wasm child may use besides its two linear memories: wasmtime,
/// compiling two modules of up to [`MAX_MODULE_BYTES`], and their code.
pub const CHILD_OVERHEAD_BYTES: u64 = 768 << 20;

/// How long past its wall clock a wasm child may take to answer before it is killed.
const CHILD_GRACE: Duration = Duration::from_secs(5);

/// The line a wasm child prints on stderr as each module compiles (`… harness`, `… candidate`).
pub(crate) const COMPILED: &str = "poi-wasm compiled";

/// A wasm child's job, beside the modules in its folder.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChildJob {
	seed: [u8; 32],
	fuel: u64,
	memory_bytes: usize,
	wall_ms: u64,
}

/// Runs `candidate` under `harness` as [`run`] does, in a child process (`program wasm-child`,
/// the runner's own executable) under rlimits, killed if it does not answer by its wall clock
/// and [`CHILD_GRACE`]. A child that dies while compiling the harness is a harness error;
/// while compiling the candidate (a compile-time bomb past the memory or CPU limit), the
/// candidate is invalid.
pub fn run_in_child(
	program: &Path,
	harness: &[u8],
	candidate: &[u8],
	seed: [u8; 32],
	limits: Limits,
) -> Run {
	match child(program, harness, candidate, seed, limits) {
		Ok(run) => run,
		Err(why) => error_run(Outcome::HarnessError(format!("the wasm process: {why}"))),
	}
}

fn child(
	program: &Path,
	harness: &[u8],
	candidate: &[u8],
	seed: [u8; 32],
	limits: Limits,
) -> Result<Run, String> {
	let mut dir = tempfile::Builder::new();
	dir.prefix("poi-wasm-");
	dir.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
	let dir = dir.tempdir().map_err(|e| format!("scratch folder: {e}"))?;
	let job = ChildJob {
		seed,
		fuel: limits.fuel,
		memory_bytes: limits.memory_bytes,
		wall_ms: limits.wall.as_millis().try_into().unwrap_or(u64::MAX),
	};
	let job = serde_json::to_vec(&job).map_err(|e| e.to_string())?;
	for (name, bytes) in
		[("job.json", &job[..]), ("harness.wasm", harness), ("candidate.wasm", candidate)]
	{
		fs::write(dir.path().join(name), bytes).map_err(|e| format!("writing {name}: {e}"))?;
	}
	let child_limits = sandbox::Limits {
		memory_bytes: (limits.memory_bytes as u64)
			.saturating_mul(2)
			.saturating_add(CHILD_OVERHEAD_BYTES),
		cpu_seconds: limits.wall.as_secs().saturating_add(2),
		processes: None,
		file_bytes: 1 << 20,
		open_files: 64,
	};
	let mut command = child_limits.command(program)?;
	command.arg("wasm-child").arg(dir.path());
	let ran = sandbox::run(command, limits.wall.saturating_add(CHILD_GRACE), 1 << 20)?;
	let stderr = String::from_utf8_lossy(&ran.stderr);
	let compiled = |what: &str| stderr.contains(&format!("{COMPILED} {what}"));
	let how = ran.status.map_or("killed at its deadline".to_string(), |s| s.to_string());
	match ran.status {
		Some(status) if status.success() => serde_json::from_slice(&ran.stdout)
			.map_err(|e| format!("its answer does not parse: {e}")),
		_ if !compiled("harness") => Err(format!("it ended compiling the harness ({how})")),
		_ if !compiled("candidate") => Ok(error_run(Outcome::Invalid(format!(
			"candidate: compiling it ended the wasm process ({how}): it needs more than the \
			 runner's limits"
		)))),
		_ => Err(format!("it ended during the run ({how})")),
	}
}

/// The wasm child's side (`poi-runner wasm-child DIR`): runs the job in `dir` and prints the
/// [`Run`] as JSON.
pub fn child_main(dir: &Path) -> Result<(), String> {
	let read = |name: &str| fs::read(dir.join(name)).map_err(|e| format!("reading {name}: {e}"));
	let job: ChildJob = serde_json::from_slice(&read("job.json")?).map_err(|e| e.to_string())?;
	let limits = Limits {
		fuel: job.fuel,
		memory_bytes: job.memory_bytes,
		wall: Duration::from_millis(job.wall_ms),
	};
	let report = |what: &str| eprintln!("{COMPILED} {what}");
	let run =
		run_reporting(&read("harness.wasm")?, &read("candidate.wasm")?, job.seed, limits, &report);
	println!("{}", serde_json::to_string(&run).map_err(|e| e.to_string())?);
	Ok(())
}
/// The memories and tables a candidate may define; the store holds as many again for the
/// harness.
const CANDIDATE_MEMORIES: u32 = 1;
const CANDIDATE_TABLES: u32 = 1;
const HARNESS_TABLES: u32 = 3;

/// The most lines a harness may log, and the longest line kept.
pub const MAX_LOG_LINES: usize = 64;
const MAX_LOG_LINE: usize = 512;
/// The largest input or output that crosses between harness and candidate in one call.
const MAX_TRANSFER: usize = 64 << 20;

#[derive(Clone)]
struct Candidate {
	memory: Memory,
	input: TypedFunc<i32, i32>,
	solve: TypedFunc<(i32, i32), i64>,
}

struct Ctx {
	limits: StoreLimits,
	seed: [u8; 32],
	candidate: Option<Candidate>,
	candidate_fuel: u64,
	candidate_used: u64,
	/// Set when the candidate failed inside a `poi.solve` call.
	candidate_fault: Option<String>,
	log: Vec<String>,
	calls: u32,
}

/// Runs `candidate` under `harness` with `seed` within `limits`, in this process.
pub fn run(harness: &[u8], candidate: &[u8], seed: [u8; 32], limits: Limits) -> Run {
	run_reporting(harness, candidate, seed, limits, &|_| {})
}

/// [`run`], calling `compiled("harness")` and `compiled("candidate")` as each module compiles.
fn run_reporting(
	harness: &[u8],
	candidate: &[u8],
	seed: [u8; 32],
	limits: Limits,
	compiled: &dyn Fn(&str),
) -> Run {
	let mut config = Config::new();
	config
		.consume_fuel(true)
		.epoch_interruption(true)
		.cranelift_nan_canonicalization(true)
		.relaxed_simd_deterministic(true)
		.parallel_compilation(false)
		.max_wasm_stack(512 << 10);
	let engine = match Engine::new(&config) {
		Ok(engine) => engine,
		Err(e) => return error_run(Outcome::HarnessError(format!("wasmtime: {e}"))),
	};

	// The wall clock, from now: a timer thread ends the run by bumping the engine's epoch.
	let deadline = Instant::now() + limits.wall;
	let (done, timer) = mpsc::channel::<()>();
	let timer_engine = engine.clone();
	let wall = limits.wall;
	let timer = thread::spawn(move || {
		if let Err(mpsc::RecvTimeoutError::Timeout) = timer.recv_timeout(wall) {
			timer_engine.increment_epoch();
		}
	});
	let result = run_in(&engine, harness, candidate, seed, limits, deadline, compiled);
	drop(done);
	let _ = timer.join();
	result
}

fn error_run(outcome: Outcome) -> Run {
	Run { outcome, log: Vec::new(), calls: 0 }
}

/// Compiles `bytes` on a thread of its own, waiting until `deadline` at most.
fn compile(engine: &Engine, bytes: &[u8], deadline: Instant) -> Result<Module, String> {
	if bytes.len() > MAX_MODULE_BYTES {
		return Err(format!("{} bytes, larger than {MAX_MODULE_BYTES}", bytes.len()));
	}
	let (sender, answer) = mpsc::channel();
	let (engine, bytes) = (engine.clone(), bytes.to_vec());
	thread::Builder::new()
		.name("poi-wasm-compile".into())
		.spawn(move || {
			let _ = sender.send(Module::new(&engine, &bytes));
		})
		.map_err(|e| format!("no thread to compile on: {e}"))?;
	match answer.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
		Ok(Ok(module)) => Ok(module),
		Ok(Err(e)) => Err(format!("not a module: {e}")),
		Err(_) => Err("compiling took longer than the run's wall-clock limit".into()),
	}
}

fn run_in(
	engine: &Engine,
	harness: &[u8],
	candidate: &[u8],
	seed: [u8; 32],
	limits: Limits,
	deadline: Instant,
	compiled: &dyn Fn(&str),
) -> Run {
	let harness_module = match compile(engine, harness, deadline) {
		Ok(m) => m,
		Err(why) => return error_run(Outcome::HarnessError(format!("harness: {why}"))),
	};
	compiled("harness");
	let candidate_module = match compile(engine, candidate, deadline) {
		Ok(m) => m,
		Err(why) => return error_run(Outcome::Invalid(format!("candidate: {why}"))),
	};
	compiled("candidate");
	let needs = candidate_module.resources_required();
	if needs.num_memories > CANDIDATE_MEMORIES || needs.num_tables > CANDIDATE_TABLES {
		return error_run(Outcome::Invalid(format!(
			"candidate defines {} memories and {} tables: at most {CANDIDATE_MEMORIES} and \
			 {CANDIDATE_TABLES}",
			needs.num_memories, needs.num_tables
		)));
	}
	let initial = needs.max_initial_memory_size.unwrap_or(0).saturating_mul(64 << 10);
	if initial > limits.memory_bytes as u64 {
		return error_run(Outcome::Invalid(format!(
			"candidate asks for an initial memory of {initial} bytes: the limit is {}",
			limits.memory_bytes
		)));
	}
	if let Some(import) = candidate_module.imports().next() {
		return error_run(Outcome::Invalid(format!(
			"candidate imports {}.{}: candidates may import nothing",
			import.module(),
			import.name()
		)));
	}

	let ctx = Ctx {
		limits: StoreLimitsBuilder::new()
			.memory_size(limits.memory_bytes)
			.memories(CANDIDATE_MEMORIES as usize + 1)
			.instances(2)
			.tables((CANDIDATE_TABLES + HARNESS_TABLES) as usize)
			.table_elements(100_000)
			.trap_on_grow_failure(true)
			.build(),
		seed,
		candidate: None,
		candidate_fuel: limits.fuel,
		candidate_used: 0,
		candidate_fault: None,
		log: Vec::new(),
		calls: 0,
	};
	let mut store = Store::new(engine, ctx);
	store.limiter(|ctx| &mut ctx.limits);
	store.set_epoch_deadline(1);
	store.epoch_deadline_trap();

	// The candidate: instantiated (its start function runs on its own fuel), then its exports.
	let fuel_set = store.set_fuel(limits.fuel);
	let instance = fuel_set.and_then(|()| Instance::new(&mut store, &candidate_module, &[]));
	let instance = match instance {
		Ok(instance) => instance,
		Err(e) => return finish(store, candidate_failure(&e, "candidate failed to instantiate")),
	};
	let left = store.get_fuel().unwrap_or(0);
	store.data_mut().candidate_fuel = left;
	store.data_mut().candidate_used = limits.fuel.saturating_sub(left);
	let exports = (|| -> Result<Candidate, String> {
		let memory = instance
			.get_memory(&mut store, "memory")
			.ok_or("candidate does not export `memory`")?;
		let input = instance
			.get_typed_func::<i32, i32>(&mut store, "input")
			.map_err(|e| format!("candidate export `input(i32) -> i32`: {e}"))?;
		let solve = instance
			.get_typed_func::<(i32, i32), i64>(&mut store, "solve")
			.map_err(|e| format!("candidate export `solve(i32, i32) -> i64`: {e}"))?;
		Ok(Candidate { memory, input, solve })
	})();
	match exports {
		Ok(c) => store.data_mut().candidate = Some(c),
		Err(why) => return finish(store, Outcome::Invalid(why)),
	}

	// The harness, with the host functions it may import.
	let mut linker = Linker::<Ctx>::new(engine);
	let linked = linker
		.func_wrap("poi", "seed", host_seed)
		.and_then(|l| l.func_wrap("poi", "log", host_log))
		.and_then(|l| l.func_wrap("poi", "solve", host_solve));
	if let Err(e) = linked {
		return finish(store, Outcome::HarnessError(format!("linking: {e}")));
	}
	if let Err(e) = store.set_fuel(limits.fuel) {
		return finish(store, Outcome::HarnessError(format!("fuel: {e}")));
	}
	let harness = match linker.instantiate(&mut store, &harness_module) {
		Ok(h) => h,
		Err(e) => return finish_trap(store, e, "harness failed to instantiate"),
	};
	let run = match harness.get_typed_func::<(), i32>(&mut store, "run") {
		Ok(run) => run,
		Err(e) => {
			return finish(
				store,
				Outcome::HarnessError(format!("harness export `run() -> i32`: {e}")),
			)
		},
	};
	match run.call(&mut store, ()) {
		Ok(0) if store.data().calls == 0 => {
			finish(store, Outcome::HarnessError("the harness never called the candidate".into()))
		},
		Ok(0) => {
			let used = store.data().candidate_used;
			finish(store, Outcome::Measured(used))
		},
		Ok(code) => {
			finish(store, Outcome::Invalid(format!("wrong answer: the harness returned {code}")))
		},
		Err(e) => finish_trap(store, e, "harness trapped"),
	}
}

fn finish(store: Store<Ctx>, outcome: Outcome) -> Run {
	let ctx = store.into_data();
	Run { outcome, log: ctx.log, calls: ctx.calls }
}

/// The outcome of an error that ended the harness: the candidate's fault if it failed inside
/// `poi.solve`, the machine's if the wall clock ran out, else the harness's.
fn finish_trap(store: Store<Ctx>, error: wasmtime::Error, context: &str) -> Run {
	if is_interrupt(&error) {
		return finish(store, Outcome::HarnessError("the wall-clock limit ran out".into()));
	}
	let outcome = match store.data().candidate_fault.clone() {
		Some(why) => Outcome::Invalid(why),
		None => Outcome::HarnessError(format!("{context}: {}", describe(&error))),
	};
	finish(store, outcome)
}

fn candidate_failure(error: &wasmtime::Error, context: &str) -> Outcome {
	if is_interrupt(error) {
		Outcome::HarnessError("the wall-clock limit ran out".into())
	} else {
		Outcome::Invalid(format!("{context}: {}", describe(error)))
	}
}

fn is_interrupt(error: &wasmtime::Error) -> bool {
	matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt))
}

fn describe(error: &wasmtime::Error) -> String {
	match error.downcast_ref::<Trap>() {
		Some(Trap::OutOfFuel) => "ran out of fuel".into(),
		Some(trap) => format!("trap: {trap}"),
		None => format!("{error:#}").lines().next().unwrap_or_default().to_string(),
	}
}

fn harness_memory(caller: &mut Caller<'_, Ctx>) -> wasmtime::Result<Memory> {
	caller
		.get_export("memory")
		.and_then(|e| e.into_memory())
		.ok_or_else(|| wasmtime::Error::msg("the harness does not export `memory`"))
}

fn host_seed(mut caller: Caller<'_, Ctx>, ptr: i32) -> wasmtime::Result<()> {
	let memory = harness_memory(&mut caller)?;
	let seed = caller.data().seed;
	memory.write(&mut caller, ptr as u32 as usize, &seed)?;
	Ok(())
}

fn host_log(mut caller: Caller<'_, Ctx>, ptr: i32, len: i32) -> wasmtime::Result<()> {
	let memory = harness_memory(&mut caller)?;
	let len = (len as u32 as usize).min(MAX_LOG_LINE);
	let mut bytes = vec![0u8; len];
	memory.read(&caller, ptr as u32 as usize, &mut bytes)?;
	let log = &mut caller.data_mut().log;
	if log.len() < MAX_LOG_LINES {
		log.push(String::from_utf8_lossy(&bytes).into_owned());
	}
	Ok(())
}

fn host_solve(
	mut caller: Caller<'_, Ctx>,
	in_ptr: i32,
	in_len: i32,
	out_ptr: i32,
	out_cap: i32,
) -> wasmtime::Result<i32> {
	let memory = harness_memory(&mut caller)?;
	let in_len = in_len as u32 as usize;
	if in_len > MAX_TRANSFER {
		return Err(wasmtime::Error::msg("input larger than 64 MiB"));
	}
	let mut input = vec![0u8; in_len];
	memory.read(&caller, in_ptr as u32 as usize, &mut input)?;
	let candidate = caller.data().candidate.clone().expect("set before the harness runs; qed");
	caller.data_mut().calls = caller.data().calls.saturating_add(1);

	// Switch to the candidate's fuel for the call, and back afterwards.
	let harness_fuel = caller.get_fuel()?;
	let budget = caller.data().candidate_fuel;
	caller.set_fuel(budget)?;
	let answer = call_candidate(&mut caller, candidate, &input);
	let left = caller.get_fuel()?;
	let ctx = caller.data_mut();
	ctx.candidate_used = ctx.candidate_used.saturating_add(budget.saturating_sub(left));
	ctx.candidate_fuel = left;
	caller.set_fuel(harness_fuel)?;

	let output = match answer {
		Ok(output) => output,
		Err(error) => {
			if !is_interrupt(&error) {
				caller.data_mut().candidate_fault =
					Some(format!("candidate failed: {}", describe(&error)));
			}
			return Err(error);
		},
	};
	if output.len() > out_cap.max(0) as usize {
		return Ok(-1);
	}
	memory.write(&mut caller, out_ptr as u32 as usize, &output)?;
	Ok(output.len() as i32)
}

fn call_candidate(
	caller: &mut Caller<'_, Ctx>,
	candidate: Candidate,
	input: &[u8],
) -> wasmtime::Result<Vec<u8>> {
	let ptr = candidate.input.call(&mut *caller, input.len() as i32)?;
	candidate
		.memory
		.write(&mut *caller, ptr as u32 as usize, input)
		.map_err(|_| wasmtime::Error::msg("`input` returned a buffer outside its memory"))?;
	let packed = candidate.solve.call(&mut *caller, (ptr, input.len() as i32))? as u64;
	let (out_ptr, out_len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
	if out_len > MAX_TRANSFER {
		return Err(wasmtime::Error::msg("output larger than 64 MiB"));
	}
	let mut output = vec![0u8; out_len];
	candidate
		.memory
		.read(&*caller, out_ptr, &mut output)
		.map_err(|_| wasmtime::Error::msg("`solve` returned an output outside its memory"))?;
	Ok(output)
}
