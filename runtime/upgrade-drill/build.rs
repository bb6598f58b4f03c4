//! Builds the two blobs of the runtime-upgrade drill (skipped with `SKIP_WASM_BUILD=1`): the
//! runtime one `spec_version` later as a network enacts it, and the same with `try-runtime`,
//! which `poi-node try-runtime` runs against a snapshot of the network's state.

fn main() {
	#[cfg(feature = "std")]
	{
		use substrate_wasm_builder::WasmBuilder;
		WasmBuilder::init_with_defaults().build();
		WasmBuilder::init_with_defaults()
			.enable_feature("try-runtime")
			.set_file_name("poi_upgrade_drill_try_runtime")
			.build();
	}
}
