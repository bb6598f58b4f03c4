//! Builds the runtime of the upgrade drill (skipped with `SKIP_WASM_BUILD=1`): the runtime one
//! `spec_version` later, as a network enacts it. Its `try-runtime` build is crate
//! `poi-upgrade-drill-try-runtime`'s: a WebAssembly project of its own, so the two builds never
//! share an output file.

fn main() {
	#[cfg(feature = "std")]
	{
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
