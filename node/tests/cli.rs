//! The node's command line, run as a user would: chain specs with their properties, key
//! insertion for the verifier key type, and clean errors for bad input.

mod common;

use std::{
	io::Read,
	net::TcpListener,
	process::{Command, Stdio},
	time::{Duration, Instant},
};

use common::*;

fn properties_of(spec_json: &str) -> serde_json::Value {
	let spec: serde_json::Value = serde_json::from_str(spec_json).expect("the spec is JSON");
	spec["properties"].clone()
}

fn assert_poi_properties(properties: &serde_json::Value) {
	assert_eq!(properties["tokenSymbol"], "POI");
	assert_eq!(properties["tokenDecimals"], 12);
	assert_eq!(properties["ss58Format"], 42);
}

#[test]
fn export_chain_spec_has_token_properties_for_every_builtin_chain() {
	for chain in ["dev", "local", "testnet"] {
		let output = run(&["export-chain-spec", "--chain", chain]);
		let (stdout, stderr) = text(&output);
		assert!(output.status.success(), "{chain}: {stderr}");
		assert_poi_properties(&properties_of(&stdout));
		let spec: serde_json::Value = serde_json::from_str(&stdout).unwrap();
		assert!(spec["genesis"]["runtimeGenesis"]["patch"]["aura"]["authorities"].is_array());
	}
}

#[test]
fn build_spec_plain_and_raw_work_as_zombienet_calls_them() {
	let dir = tempfile::tempdir().unwrap();
	let plain = run(&["build-spec", "--chain", "local", "--disable-default-bootnode"]);
	let (stdout, stderr) = text(&plain);
	assert!(plain.status.success(), "{stderr}");
	assert_poi_properties(&properties_of(&stdout));

	let plain_path = dir.path().join("local.json");
	std::fs::write(&plain_path, &stdout).unwrap();
	let raw = run(&["build-spec", "--chain", plain_path.to_str().unwrap(), "--raw"]);
	let (raw_stdout, stderr) = text(&raw);
	assert!(raw.status.success(), "{stderr}");
	let spec: serde_json::Value = serde_json::from_str(&raw_stdout).unwrap();
	assert_poi_properties(&spec["properties"]);
	let top = spec["genesis"]["raw"]["top"].as_object().expect("raw genesis storage");
	assert!(top.contains_key("0x3a636f6465"), "the raw spec holds the runtime code");
}

/// `poi-node key insert` into a dev-chain keystore under `base`.
fn key_insert(base: &std::path::Path, key_type: &str, suri: &str) -> std::process::Output {
	run(&[
		"key",
		"insert",
		"--chain",
		"dev",
		"--base-path",
		base.to_str().expect("temp paths are UTF-8"),
		"--key-type",
		key_type,
		"--scheme",
		"sr25519",
		"--suri",
		suri,
	])
}

/// Names of the files in the dev chain's keystore under `base` (none if it does not exist).
fn keystore_files(base: &std::path::Path) -> Vec<String> {
	match std::fs::read_dir(base.join("chains/poi_dev/keystore")) {
		Ok(entries) => {
			entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
		},
		Err(_) => Vec::new(),
	}
}

#[test]
fn key_insert_puts_a_verifier_key_into_the_keystore() {
	let base = tempfile::tempdir().unwrap();
	let output = key_insert(base.path(), "poiv", "//Alice//verifier");
	let (_, stderr) = text(&output);
	assert!(output.status.success(), "{stderr}");

	let names = keystore_files(base.path());
	// Keystore files are named by the hex of the key type followed by the public key.
	let poiv_hex = "706f6976";
	assert_eq!(poi_offchain::VERIFIER_KEY_TYPE.0, *b"poiv");
	assert_eq!(names.len(), 1, "{names:?}");
	assert!(names[0].starts_with(poiv_hex), "{names:?}");
	assert_eq!(names[0].len(), poiv_hex.len() + 64, "an sr25519 public key follows");
}

#[test]
fn key_insert_refuses_a_malformed_key_cleanly() {
	let base = tempfile::tempdir().unwrap();
	let output = key_insert(base.path(), "poiv", "0xnot-hex-and-not-a-phrase");
	assert_clean_failure(&output, "Error");
	assert!(keystore_files(base.path()).is_empty(), "nothing was stored");
}

#[test]
fn key_insert_refuses_a_malformed_key_type() {
	let base = tempfile::tempdir().unwrap();
	let output = key_insert(base.path(), "toolong", "//Alice");
	assert_clean_failure(&output, "key type");
	assert!(keystore_files(base.path()).is_empty(), "nothing was stored");
}

#[test]
fn a_missing_chain_spec_is_a_clean_error() {
	let output = run(&["--chain", "/nonexistent/poi-spec.json", "--tmp"]);
	assert_clean_failure(&output, "/nonexistent/poi-spec.json");
	let (_, stderr) = text(&output);
	assert!(stderr.contains("neither a built-in chain"), "{stderr}");
}

#[test]
fn a_malformed_chain_spec_is_a_clean_error() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("broken.json");
	std::fs::write(&path, "{ this is not json").unwrap();
	let output = run(&["export-chain-spec", "--chain", path.to_str().unwrap()]);
	assert_clean_failure(&output, "could not be read");
}

#[test]
fn an_rpc_port_in_use_is_a_clean_error() {
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = listener.local_addr().unwrap().port().to_string();
	let p2p = TcpListener::bind("127.0.0.1:0").unwrap();
	let p2p_port = p2p.local_addr().unwrap().port().to_string();
	drop(p2p);

	let mut child = Command::new(node_bin())
		.args([
			"--dev",
			"--tmp",
			"--rpc-port",
			&port,
			"--port",
			&p2p_port,
			"--no-prometheus",
			"--no-telemetry",
			"--no-mdns",
		])
		.stdout(Stdio::null())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap();

	let deadline = Instant::now() + Duration::from_secs(120);
	let status = loop {
		if let Some(status) = child.try_wait().unwrap() {
			break status;
		}
		if Instant::now() > deadline {
			child.kill().ok();
			panic!("poi-node kept running with its RPC port taken");
		}
		std::thread::sleep(Duration::from_millis(200));
	};
	let mut stderr = String::new();
	child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
	drop(listener);

	assert!(!status.success(), "{stderr}");
	assert!(
		stderr.contains("in use") || stderr.contains("AddrInUse"),
		"the error names the taken port: {stderr}"
	);
	assert!(!stderr.contains("panicked"), "{stderr}");
}
