//! Chain specifications: built from the runtime's genesis presets, or read from a file.

use poi_runtime::{genesis_config_presets::PUBLIC_TESTNET_RUNTIME_PRESET, WASM_BINARY};
use sc_service::ChainType;

/// A chain spec of this node's runtime (no node-side extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// The chain's properties, which wallets and Polkadot.js apps read: token symbol, token
/// decimals and address format.
pub fn chain_properties() -> sc_service::Properties {
	let mut properties = sc_service::Properties::new();
	properties.insert("tokenSymbol".into(), poi_runtime::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), poi_runtime::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), poi_runtime::SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"The runtime's WebAssembly binary is not available: this node was built with \
		 SKIP_WASM_BUILD. Rebuild without it."
			.to_string()
	})
}

fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name(name)
		.with_id(id)
		.with_protocol_id("poi")
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(chain_properties())
		.build())
}

/// A single-validator development chain authored by Alice (`--dev`, `--chain dev`).
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"poi development",
		"poi_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// A local four-validator testnet whose validators are also its verifiers (`--chain local`;
/// zombienet uses it).
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"poi local testnet",
		"poi_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// The public testnet, built from the runtime's preset (`--chain testnet`). Validators join
/// with the committed raw spec, `chain-specs/poi-testnet-raw.json`, which a test keeps equal
/// to this.
pub fn public_testnet_chain_spec() -> Result<ChainSpec, String> {
	from_preset("poi testnet", "poi_testnet", ChainType::Live, PUBLIC_TESTNET_RUNTIME_PRESET)
}

/// The development chain plus a project whose token Ferdie holds (`--chain benchmark`): the
/// state `benchmark extrinsic` measures `proposals.commit` on.
pub fn benchmark_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"poi benchmark",
		"poi_benchmark",
		ChainType::Development,
		poi_runtime::genesis_config_presets::BENCHMARK_RUNTIME_PRESET,
	)
}

/// The spec a `--chain` argument names: a built-in id, or the path of a JSON chain spec.
pub fn load_spec(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" => Box::new(development_chain_spec()?),
		"" | "local" => Box::new(local_chain_spec()?),
		"testnet" | "poi-testnet" => Box::new(public_testnet_chain_spec()?),
		"benchmark" => Box::new(benchmark_chain_spec()?),
		path => {
			let path = std::path::PathBuf::from(path);
			if !path.is_file() {
				return Err(format!(
					"Chain spec '{}' is neither a built-in chain (dev, local, testnet, benchmark) nor an \
					 existing file.",
					path.display()
				));
			}
			Box::new(ChainSpec::from_json_file(path.clone()).map_err(|e| {
				format!("Chain spec file '{}' could not be read: {e}", path.display())
			})?)
		},
	})
}
