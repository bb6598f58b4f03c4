//! `poi-node`: the validator node of the poi chain.

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;
mod try_runtime;

fn main() {
	if let Err(error) = command::run() {
		// Print the error itself (not its `Debug` form) and exit non-zero, so that bad input
		// such as a missing chain spec or a port in use reads as a message, not a backtrace.
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}
