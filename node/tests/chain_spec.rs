//! The committed public-testnet chain specs (`chain-specs/`) match what the current runtime
//! produces, so that they cannot drift silently. Regenerate them with
//! `chain-specs/generate.sh` after a change of the runtime's genesis or version.
//!
//! The genesis storage is compared key by key, except the runtime code (`:code`): a WASM build
//! embeds build paths, so the blob differs between checkouts of the same source. For the code
//! the test compares the runtime version it embeds (spec name, spec and transaction version)
//! with the current runtime's.

mod common;

use common::*;
use sc_executor_common::runtime_blob::RuntimeBlob;

const CODE_KEY: &str = "0x3a636f6465";

fn committed(name: &str) -> serde_json::Value {
	let path = repo_root().join("chain-specs").join(name);
	let text = std::fs::read_to_string(&path)
		.unwrap_or_else(|e| panic!("{}: {e}; run chain-specs/generate.sh", path.display()));
	serde_json::from_str(&text).expect("committed spec is JSON")
}

fn generated(raw: bool) -> serde_json::Value {
	let mut args = vec!["export-chain-spec", "--chain", "testnet"];
	if raw {
		args.push("--raw");
	}
	let output = run(&args);
	let (stdout, stderr) = text(&output);
	assert!(output.status.success(), "{stderr}");
	serde_json::from_str(&stdout).expect("generated spec is JSON")
}

fn version_of(code_hex: &str) -> sp_version::RuntimeVersion {
	let code = sp_core::bytes::from_hex(code_hex).expect("code is hex");
	let blob = RuntimeBlob::uncompress_if_needed(&code).expect("code is a runtime blob");
	sc_executor::read_embedded_version(&blob)
		.expect("the version section decodes")
		.expect("the runtime embeds its version")
}

fn without(mut spec: serde_json::Value, pointer: &str, key: &str) -> serde_json::Value {
	spec.pointer_mut(pointer)
		.and_then(|v| v.as_object_mut())
		.map(|object| object.remove(key))
		.expect("the spec has that field");
	spec
}

#[test]
fn committed_raw_testnet_spec_matches_the_runtime() {
	let committed = committed("poi-testnet-raw.json");
	let generated = generated(true);

	let committed_code = committed["genesis"]["raw"]["top"][CODE_KEY].as_str().unwrap().to_owned();
	let generated_code = generated["genesis"]["raw"]["top"][CODE_KEY].as_str().unwrap().to_owned();
	let (old, new) = (version_of(&committed_code), version_of(&generated_code));
	assert_eq!(old.spec_name, new.spec_name);
	assert_eq!(
		(old.spec_version, old.transaction_version),
		(new.spec_version, new.transaction_version),
		"the runtime's version changed: regenerate chain-specs/"
	);

	let committed = without(committed, "/genesis/raw/top", CODE_KEY);
	let generated = without(generated, "/genesis/raw/top", CODE_KEY);
	let (a, b) = (
		committed["genesis"]["raw"]["top"].as_object().unwrap(),
		generated["genesis"]["raw"]["top"].as_object().unwrap(),
	);
	let differing: Vec<&String> =
		a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).collect();
	assert!(
		differing.is_empty(),
		"genesis storage differs at {differing:?}: regenerate chain-specs/ with chain-specs/generate.sh"
	);
	assert_eq!(committed, generated, "name, id, properties or boot nodes differ");
}

#[test]
fn committed_plain_testnet_spec_matches_the_runtime_preset() {
	let committed = committed("poi-testnet.json");
	let generated = generated(false);
	let committed = without(committed, "/genesis/runtimeGenesis", "code");
	let generated = without(generated, "/genesis/runtimeGenesis", "code");
	assert_eq!(committed, generated, "regenerate chain-specs/ with chain-specs/generate.sh");
}

#[test]
fn the_committed_raw_spec_loads_in_the_node() {
	let path = repo_root().join("chain-specs/poi-testnet-raw.json");
	let output = run(&["export-chain-spec", "--chain", path.to_str().unwrap(), "--raw"]);
	let (stdout, stderr) = text(&output);
	assert!(output.status.success(), "{stderr}");
	let spec: serde_json::Value = serde_json::from_str(&stdout).unwrap();
	assert_eq!(spec["id"], "poi_testnet");
	assert_eq!(spec["properties"]["tokenSymbol"], "POI");
}
