//! `poi-gpt train --document F --corpus F --recipe F --seed 0x.. --steps N`: runs one
//! candle-gpt job and prints its [`poi_gpt::Report`] as one JSON line on stdout (progress goes
//! to stderr). Exit status 0 whenever a report was printed, whatever its finding; 2 for bad
//! arguments. `poi-gpt device` prints the device a job would train on.

use poi_gpt::{train, Finding, Report};
use std::{collections::HashMap, os::unix::process::CommandExt, path::PathBuf, process::ExitCode};

/// glibc's allocator settings for a training step, which frees and allocates tensors of a few
/// MiB thousands of times: by default glibc hands blocks of 128 KiB and more straight back to
/// the kernel (and trims the heap's top), so each came back as fresh zeroed pages and a quarter
/// of a step went to page faults. With these, freed blocks are reused; the peak is unchanged
/// (measured: 10.9k against 9.1k tokens/s, 123 MB both; mimalloc was as fast as the latter but
/// peaked at 163 MB). glibc reads them from the environment when a process starts.
const ALLOCATOR_SETTINGS: [(&str, &str); 2] =
	[("MALLOC_MMAP_THRESHOLD_", "268435456"), ("MALLOC_TRIM_THRESHOLD_", "268435456")];

/// Starts this program again with [`ALLOCATOR_SETTINGS`] unless they (or the caller's own
/// settings) are in the environment: `exec`, so the process, its limits and its pid stay. It
/// also fixes `RAYON_NUM_THREADS` (when unset) to the cores this process may use: candle asks
/// for the thread count before every matrix product, and without the variable it parses
/// `/proc/cpuinfo` each time (3 % of a step).
fn with_settings() {
	if std::env::var_os(ALLOCATOR_SETTINGS[0].0).is_some() {
		return;
	}
	let Ok(program) = std::env::current_exe() else { return };
	let mut command = std::process::Command::new(program);
	command.args(std::env::args_os().skip(1)).envs(ALLOCATOR_SETTINGS);
	if std::env::var_os("RAYON_NUM_THREADS").is_none() {
		let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
		command.env("RAYON_NUM_THREADS", cores.to_string());
	}
	let error = command.exec();
	eprintln!("poi-gpt: not restarted with the allocator's settings ({error}); going on without");
}

const USAGE: &str = "usage: poi-gpt train --document FILE --corpus FILE --recipe FILE \
                     --seed 0x<64 hex digits> --steps N\n       poi-gpt device";

fn parse_seed(text: &str) -> Result<[u8; 32], String> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
		return Err(format!("--seed: 64 hex digits expected, not {text:?}"));
	}
	let mut seed = [0u8; 32];
	for (i, byte) in seed.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
	}
	Ok(seed)
}

fn train(args: &[String]) -> Result<Report, String> {
	let mut options = HashMap::new();
	let mut rest = args.iter();
	while let Some(flag) = rest.next() {
		let name = flag.strip_prefix("--").ok_or_else(|| format!("unexpected {flag:?}"))?;
		if !["document", "corpus", "recipe", "seed", "steps"].contains(&name) {
			return Err(format!("unknown option {flag}"));
		}
		let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
		options.insert(name, value.clone());
	}
	let option = |name: &str| options.get(name).ok_or_else(|| format!("--{name} is required"));
	let read = |name: &str| -> Result<Vec<u8>, String> {
		let path = PathBuf::from(option(name)?);
		std::fs::read(&path).map_err(|e| format!("--{name} {}: {e}", path.display()))
	};
	let (document, corpus, recipe) = (read("document")?, read("corpus")?, read("recipe")?);
	let seed = parse_seed(option("seed")?)?;
	let steps: u32 =
		option("steps")?.parse().map_err(|e| format!("--steps: a whole number: {e}"))?;
	let device = train::device();
	eprintln!("device: {}", train::device_name(&device));
	// The job runs on a worker of the pool that candle's kernels use, so the thread that walks
	// the graph is one of the pool's threads rather than one more thread competing for cores.
	let pool =
		rayon::ThreadPoolBuilder::new().build().map_err(|e| format!("a thread pool: {e}"))?;
	let finding = pool.install(|| {
		poi_gpt::evaluate(&document, &corpus, &recipe, &seed, steps, &device, &mut |line| {
			eprintln!("{line}")
		})
	});
	Ok(Report {
		finding,
		device: train::device_name(&device).into(),
		peak_rss_kib: poi_gpt::peak_rss_kib(),
	})
}

fn main() -> ExitCode {
	with_settings();
	let args: Vec<String> = std::env::args().skip(1).collect();
	match args.first().map(String::as_str) {
		Some("train") => match train(&args[1..]) {
			Ok(report) => {
				if let Finding::Invalid { reason } | Finding::HarnessError { reason } =
					&report.finding
				{
					eprintln!("{reason}");
				}
				println!("{}", serde_json::to_string(&report).expect("a report serialises; qed"));
				ExitCode::SUCCESS
			},
			Err(why) => {
				eprintln!("poi-gpt: {why}\n{USAGE}");
				ExitCode::from(2)
			},
		},
		Some("device") => {
			println!("{}", train::device_name(&train::device()));
			ExitCode::SUCCESS
		},
		_ => {
			eprintln!("{USAGE}");
			ExitCode::from(2)
		},
	}
}
