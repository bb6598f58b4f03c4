//! `poi-node try-runtime`: checks a runtime upgrade against a network's state before anyone
//! enacts it.
//!
//! The command takes the whole state of one block, from a node over JSON-RPC (WebSocket) or from
//! a snapshot file an earlier run saved, and checks that it hashes to that block's state root:
//! nothing missing, nothing added. It puts the new runtime into `:code` and calls that runtime's
//! `TryRuntime_on_runtime_upgrade` in the node's own WebAssembly executor. Inside, FRAME runs the
//! migrations with their `pre_upgrade` and `post_upgrade` checks, decodes every pallet's storage
//! under the new types, and runs every pallet's `try_state` invariants. The command then runs the
//! migrations a second time over the result, which must change nothing. Their weight must fit
//! in one block.
//!
//! The runtime must be built with the feature `try-runtime` (the drill's blob is
//! `poi_upgrade_drill_try_runtime.compact.compressed.wasm`, crate `poi-upgrade-drill`). A
//! network enacts the same source built without that feature.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use codec::{Decode, DecodeAll, Encode};
use jsonrpsee::{core::client::ClientT, rpc_params, ws_client::WsClientBuilder};
use poi_runtime::{BlockNumber, Hash, Header};
use sc_executor::{RuntimeVersion, RuntimeVersionOf, WasmExecutor};
use sp_core::{
	storage::{well_known_keys, StorageChangeSet, StorageData, StorageKey},
	traits::{CallContext, ReadRuntimeVersionExt, RuntimeCode, WrappedRuntimeCode},
	Bytes,
};
use sp_runtime::{traits::BlakeTwo256, Weight};
use sp_state_machine::{BasicExternalities, InMemoryBackend, OverlayedChanges, StateMachine};

use crate::service::HostFunctions;
use clap::ValueEnum;

/// Keys asked for per `state_getKeysPaged` call (the most a node answers).
const KEYS_PER_PAGE: u32 = 1000;
/// Keys whose values are asked for per `state_queryStorageAt` call.
const VALUES_PER_CALL: usize = 500;
/// What a snapshot file starts with: its format and version.
const SNAPSHOT_MAGIC: &[u8; 12] = b"poi-state-v1";

/// Which of the runtime's checks run (frame-support's `UpgradeCheckSelect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Checks {
	/// The migrations' pre- and post-upgrade checks, and every pallet's `try_state`.
	All,
	/// The migrations' pre- and post-upgrade checks only.
	PreAndPost,
	/// Every pallet's `try_state` only; the runtime may have the state's own `spec_version`,
	/// which checks the state without an upgrade.
	TryState,
	/// None: the migrations run, and only their weight and idempotency are checked.
	None,
}

impl Checks {
	/// The SCALE encoding of `UpgradeCheckSelect` (variants None, All, PreAndPost, TryState, in
	/// that order). The node links frame-support without `try-runtime`: the feature would reach
	/// its own runtime through cargo's feature unification.
	fn encoded(self) -> [u8; 1] {
		[match self {
			Checks::None => 0,
			Checks::All => 1,
			Checks::PreAndPost => 2,
			Checks::TryState => 3,
		}]
	}

	/// Whether the migrations' own checks run: then the runtime must be an upgrade.
	fn pre_and_post(self) -> bool {
		matches!(self, Checks::All | Checks::PreAndPost)
	}
}

/// `poi-node try-runtime`: runs a new runtime's migrations and every pallet's `try_state`
/// against a network's state, as an upgrade to it would.
#[derive(Debug, clap::Parser)]
pub struct TryRuntimeCmd {
	/// The new runtime: a WebAssembly blob (compressed or not) built with the feature
	/// `try-runtime`.
	#[arg(long, value_name = "PATH")]
	pub runtime: PathBuf,

	/// A node to take the state from: its JSON-RPC address, ws:// or wss://.
	#[arg(long, value_name = "URL", required_unless_present = "snapshot")]
	pub uri: Option<String>,

	/// The block whose state is taken (its hash); the node's finalized head by default.
	#[arg(long, value_name = "HASH", requires = "uri", value_parser = parse_hash)]
	pub at: Option<Hash>,

	/// A snapshot file. With --uri, the state taken is also saved there; without, the state is
	/// read from it.
	#[arg(long, value_name = "PATH")]
	pub snapshot: Option<PathBuf>,

	/// Which of the runtime's checks run.
	#[arg(long, value_enum, default_value = "all")]
	pub checks: Checks,
}

/// The state of one block: every top-level key and value.
#[derive(Encode, Decode, Debug)]
struct Snapshot {
	block_hash: Hash,
	block_number: BlockNumber,
	state_root: Hash,
	pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

type Executor = WasmExecutor<HostFunctions>;

impl TryRuntimeCmd {
	/// Runs the checks and prints what it found; an error says which check failed.
	pub fn run(&self) -> Result<(), String> {
		let new_code = std::fs::read(&self.runtime)
			.map_err(|e| format!("--runtime {}: {e}", self.runtime.display()))?;
		let snapshot = match &self.uri {
			Some(uri) => {
				let snapshot = tokio::runtime::Builder::new_current_thread()
					.enable_all()
					.build()
					.map_err(|e| format!("starting the RPC client: {e}"))?
					.block_on(take_state(uri, self.at))?;
				if let Some(path) = &self.snapshot {
					let mut bytes = SNAPSHOT_MAGIC.to_vec();
					snapshot.encode_to(&mut bytes);
					std::fs::write(path, bytes)
						.map_err(|e| format!("--snapshot {}: {e}", path.display()))?;
				}
				snapshot
			},
			None => {
				let path = self.snapshot.as_ref().expect("clap requires --uri or --snapshot; qed");
				read_snapshot(path)?
			},
		};
		let report = check_upgrade(&snapshot, &new_code, self.checks)?;
		println!("{report}");
		Ok(())
	}
}

fn parse_hash(text: &str) -> Result<Hash, String> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	let bytes = hex::decode(digits).map_err(|_| format!("{text:?}: expected a block hash"))?;
	if bytes.len() != 32 {
		return Err(format!("{text:?}: a block hash has 32 bytes"));
	}
	Ok(Hash::from_slice(&bytes))
}

fn read_snapshot(path: &std::path::Path) -> Result<Snapshot, String> {
	let bytes = std::fs::read(path).map_err(|e| format!("--snapshot {}: {e}", path.display()))?;
	let not_a_snapshot = || format!("--snapshot {}: not a poi-node state snapshot", path.display());
	let body = bytes.strip_prefix(SNAPSHOT_MAGIC.as_slice()).ok_or_else(not_a_snapshot)?;
	Snapshot::decode_all(&mut &body[..]).map_err(|_| not_a_snapshot())
}

/// Takes the whole top-level state of block `at` (the finalized head if `None`) from a node.
async fn take_state(uri: &str, at: Option<Hash>) -> Result<Snapshot, String> {
	if !(uri.starts_with("ws://") || uri.starts_with("wss://")) {
		return Err(format!("--uri {uri:?}: expected ws://HOST:PORT or wss://HOST:PORT"));
	}
	let rpc_error = |call: &str, e: jsonrpsee::core::client::Error| format!("{uri}: {call}: {e}");
	let client = WsClientBuilder::default()
		.max_response_size(u32::MAX)
		.request_timeout(Duration::from_secs(120))
		.build(uri)
		.await
		.map_err(|e| format!("--uri {uri}: {e}"))?;
	let block_hash: Hash = match at {
		Some(hash) => hash,
		None => client
			.request("chain_getFinalizedHead", rpc_params![])
			.await
			.map_err(|e| rpc_error("chain_getFinalizedHead", e))?,
	};
	let header: Header = client
		.request::<Option<Header>, _>("chain_getHeader", rpc_params![block_hash])
		.await
		.map_err(|e| rpc_error("chain_getHeader", e))?
		.ok_or_else(|| format!("{uri}: block {block_hash:?} is not known to the node"))?;

	let mut keys: Vec<StorageKey> = Vec::new();
	loop {
		let page: Vec<StorageKey> = client
			.request(
				"state_getKeysPaged",
				rpc_params![Bytes(Vec::new()), KEYS_PER_PAGE, keys.last(), block_hash],
			)
			.await
			.map_err(|e| rpc_error("state_getKeysPaged", e))?;
		let last_page = page.len() < KEYS_PER_PAGE as usize;
		keys.extend(page);
		if last_page {
			break;
		}
	}
	if let Some(child) =
		keys.iter().find(|key| key.0.starts_with(well_known_keys::CHILD_STORAGE_KEY_PREFIX))
	{
		return Err(format!(
			"block {block_hash:?} has a child trie (0x{}); try-runtime takes top-level state only",
			hex::encode(&child.0)
		));
	}

	let mut pairs = Vec::with_capacity(keys.len());
	for chunk in keys.chunks(VALUES_PER_CALL) {
		let sets: Vec<StorageChangeSet<Hash>> = client
			.request("state_queryStorageAt", rpc_params![chunk, block_hash])
			.await
			.map_err(|e| rpc_error("state_queryStorageAt", e))?;
		for (key, value) in sets.into_iter().flat_map(|set| set.changes) {
			// A key listed a moment ago has a value at the same block.
			let StorageData(value) =
				value.ok_or_else(|| format!("{uri}: no value for 0x{}", hex::encode(&key.0)))?;
			pairs.push((key.0, value));
		}
	}
	if pairs.len() != keys.len() {
		return Err(format!("{uri}: {} keys listed, {} values returned", keys.len(), pairs.len()));
	}
	Ok(Snapshot { block_hash, block_number: header.number, state_root: header.state_root, pairs })
}

/// The runtime version of a blob (read from its custom section, or by calling it).
fn version_of(executor: &Executor, code: &[u8], what: &str) -> Result<RuntimeVersion, String> {
	let fetch = WrappedRuntimeCode(code.into());
	let runtime_code = RuntimeCode {
		code_fetcher: &fetch,
		heap_pages: None,
		hash: sp_crypto_hashing::blake2_256(code).to_vec(),
	};
	executor
		.runtime_version(&mut BasicExternalities::default(), &runtime_code)
		.map_err(|e| format!("{what}: not a runtime: {e}"))
}

/// Checks an upgrade to `new_code` over `snapshot`; returns the report to print.
fn check_upgrade(snapshot: &Snapshot, new_code: &[u8], checks: Checks) -> Result<String, String> {
	let executor = Executor::builder()
		.with_offchain_heap_alloc_strategy(sc_executor::HeapAllocStrategy::Dynamic {
			maximum_pages: None,
		})
		.with_max_runtime_instances(1)
		.build();

	let state: BTreeMap<Vec<u8>, Vec<u8>> = snapshot.pairs.iter().cloned().collect();
	let old_code = state
		.get(well_known_keys::CODE)
		.ok_or_else(|| format!("block {:?}: no runtime in its state", snapshot.block_hash))?;
	let old = version_of(&executor, old_code, "the state's runtime")?;
	let new = version_of(&executor, new_code, "--runtime")?;
	if new.spec_name != old.spec_name {
		return Err(format!(
			"--runtime is {:?}, the state's runtime is {:?}: not the same chain",
			new.spec_name, old.spec_name
		));
	}
	if new.spec_version < old.spec_version
		|| (checks.pre_and_post() && new.spec_version == old.spec_version)
	{
		return Err(format!(
			"--runtime has spec_version {}, not above the state's {}: not an upgrade \
			 (--checks try-state checks a runtime of the same spec_version)",
			new.spec_version, old.spec_version
		));
	}
	let try_runtime_api = sp_crypto_hashing::blake2_64(b"TryRuntime");
	if !new.has_api_with(&try_runtime_api, |_| true) {
		return Err(
			"--runtime was built without the feature `try-runtime`: it has no TryRuntime API"
				.into(),
		);
	}

	let state_version = old.state_version();
	let backend = InMemoryBackend::<BlakeTwo256>::from((state, state_version));
	if *backend.root() != snapshot.state_root {
		return Err(format!(
			"the state taken hashes to {:?}, block {:?} has state root {:?}: it is not the \
			 block's whole state",
			backend.root(),
			snapshot.block_hash,
			snapshot.state_root
		));
	}

	let mut overlay = OverlayedChanges::<BlakeTwo256>::default();
	overlay.set_storage(well_known_keys::CODE.to_vec(), Some(new_code.to_vec()));
	let fetch = WrappedRuntimeCode(new_code.into());
	let runtime_code = RuntimeCode {
		code_fetcher: &fetch,
		heap_pages: None,
		hash: sp_crypto_hashing::blake2_256(new_code).to_vec(),
	};
	let call = |checks: Checks, overlay: &mut OverlayedChanges<BlakeTwo256>| {
		let mut extensions = sp_externalities::Extensions::default();
		extensions.register(ReadRuntimeVersionExt::new(executor.clone()));
		let output = StateMachine::new(
			&backend,
			overlay,
			&executor,
			"TryRuntime_on_runtime_upgrade",
			&checks.encoded(),
			&mut extensions,
			&runtime_code,
			CallContext::Offchain,
		)
		.execute()
		.map_err(|e| {
			// The runtime logs which check failed (above, on stderr); the error is a wasm trap
			// whose first line is enough.
			let e = e.to_string();
			format!(
				"the upgrade's checks failed (the runtime's log above names the check): {}",
				e.lines().next().unwrap_or_default()
			)
		})?;
		<(Weight, Weight)>::decode(&mut &output[..])
			.map_err(|e| format!("TryRuntime_on_runtime_upgrade returned no weights: {e}"))
	};

	let (weight, max_block) = call(checks, &mut overlay)?;
	let after_first = overlay.storage_root(&backend, state_version).0;
	if weight.any_gt(max_block) {
		return Err(format!(
			"the migrations weigh {weight}, more than a block holds ({max_block}): the chain \
			 would stall on the upgrade"
		));
	}
	call(Checks::None, &mut overlay)?;
	let after_second = overlay.storage_root(&backend, state_version).0;
	if after_second != after_first {
		return Err(
			"the migrations are not idempotent: a second run changed the state again".into()
		);
	}

	let bytes: usize = snapshot.pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
	Ok(format!(
		"state: block #{} {:?}, {} keys, {bytes} bytes, matches its state root\n\
		 runtime: {} spec_version {} -> {}\n\
		 migrations: ref_time {} ({:.4} % of a block), proof_size {} bytes; a second run \
		 changes nothing\n\
		 checks: {} passed",
		snapshot.block_number,
		snapshot.block_hash,
		snapshot.pairs.len(),
		old.spec_name,
		old.spec_version,
		new.spec_version,
		weight.ref_time(),
		weight.ref_time() as f64 * 100.0 / max_block.ref_time().max(1) as f64,
		weight.proof_size(),
		checks.to_possible_value().expect("no variant is skipped; qed").get_name(),
	))
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The node's runtime's spec_version; the drill's is one above.
	const SPEC: u32 = poi_runtime::VERSION.spec_version;

	#[test]
	fn checks_encode_as_frame_support_upgrade_check_select() {
		// The variant indices of `UpgradeCheckSelect`, as its SCALE encoding has them.
		assert_eq!(Checks::None.encoded(), [0]);
		assert_eq!(Checks::All.encoded(), [1]);
		assert_eq!(Checks::PreAndPost.encoded(), [2]);
		assert_eq!(Checks::TryState.encoded(), [3]);
		assert!(Checks::All.pre_and_post() && Checks::PreAndPost.pre_and_post());
		assert!(!Checks::TryState.pre_and_post() && !Checks::None.pre_and_post());
	}

	#[test]
	fn block_hashes_parse_with_or_without_0x() {
		let hash = Hash::repeat_byte(0xab);
		assert_eq!(parse_hash(&format!("{hash:?}")).unwrap(), hash);
		assert_eq!(parse_hash(&"ab".repeat(32)).unwrap(), hash);
		for bad in ["", "0x", "0xzz", &"ab".repeat(31), &"ab".repeat(33)] {
			assert!(parse_hash(bad).is_err(), "{bad}");
		}
	}

	/// The development chain's genesis state as a snapshot of block 0, with its true root.
	fn genesis_snapshot() -> Snapshot {
		let storage = crate::chain_spec::load_spec("dev")
			.expect("the dev spec loads")
			.as_storage_builder()
			.build_storage()
			.expect("the dev genesis builds");
		let pairs: Vec<(Vec<u8>, Vec<u8>)> = storage.top.into_iter().collect();
		let state: BTreeMap<Vec<u8>, Vec<u8>> = pairs.iter().cloned().collect();
		let state_root =
			*InMemoryBackend::<BlakeTwo256>::from((state, sp_runtime::StateVersion::V1)).root();
		Snapshot { block_hash: Hash::repeat_byte(9), block_number: 0, state_root, pairs }
	}

	fn try_runtime_blob() -> &'static [u8] {
		poi_upgrade_drill::try_runtime::WASM_BINARY.expect("built without SKIP_WASM_BUILD")
	}

	#[test]
	fn the_upgrade_drill_runtime_passes_over_the_dev_genesis() {
		let snapshot = genesis_snapshot();
		for checks in [Checks::All, Checks::PreAndPost, Checks::TryState, Checks::None] {
			let report = check_upgrade(&snapshot, try_runtime_blob(), checks)
				.unwrap_or_else(|e| panic!("{checks:?}: {e}"));
			assert!(report.contains("matches its state root"), "{report}");
			assert!(report.contains(&format!("spec_version {SPEC} -> {}", SPEC + 1)), "{report}");
			assert!(report.contains("a second run changes nothing"), "{report}");
		}
	}

	/// A change of a stored type must come with its migration: the runtime of this source (one
	/// spec_version later, with try-runtime) upgrades the whole state of a zombienet network
	/// recorded with an earlier runtime (`docs/development.md` says when to record it again).
	#[test]
	fn the_upgrade_passes_over_the_recorded_network_state() {
		let path =
			std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state.snap");
		let snapshot = read_snapshot(&path).unwrap();
		assert!(snapshot.pairs.len() > 100, "a network's state, not a genesis");
		let report = check_upgrade(&snapshot, try_runtime_blob(), Checks::All)
			.unwrap_or_else(|e| panic!("{e}"));
		assert!(report.contains("matches its state root"), "{report}");
		assert!(report.contains(&format!("-> {}", SPEC + 1)), "{report}");
	}

	#[test]
	fn a_state_that_is_not_the_blocks_whole_state_is_refused() {
		let mut snapshot = genesis_snapshot();
		// One value changed: the state no longer hashes to the block's root.
		let (_, value) =
			snapshot.pairs.iter_mut().find(|(key, _)| key != well_known_keys::CODE).unwrap();
		value.push(0);
		let error = check_upgrade(&snapshot, try_runtime_blob(), Checks::All).unwrap_err();
		assert!(error.contains("not the block's whole state"), "{error}");
		// One key missing.
		let mut snapshot = genesis_snapshot();
		snapshot.pairs.retain(|(key, _)| key == well_known_keys::CODE);
		let error = check_upgrade(&snapshot, try_runtime_blob(), Checks::All).unwrap_err();
		assert!(error.contains("not the block's whole state"), "{error}");
		// No runtime at all.
		snapshot.pairs.clear();
		let error = check_upgrade(&snapshot, try_runtime_blob(), Checks::All).unwrap_err();
		assert!(error.contains("no runtime in its state"), "{error}");
	}

	#[test]
	fn runtimes_that_are_no_upgrade_or_cannot_check_are_refused() {
		let snapshot = genesis_snapshot();
		let enacted = poi_upgrade_drill::WASM_BINARY.expect("built without SKIP_WASM_BUILD");
		let error = check_upgrade(&snapshot, enacted, Checks::All).unwrap_err();
		assert!(error.contains("without the feature `try-runtime`"), "{error}");

		// The state's own runtime is no upgrade; try-state alone takes the same spec_version,
		// but the node's runtime has no TryRuntime API.
		let own = poi_runtime::WASM_BINARY.expect("built without SKIP_WASM_BUILD");
		let error = check_upgrade(&snapshot, own, Checks::All).unwrap_err();
		assert!(error.contains("not an upgrade"), "{error}");
		let error = check_upgrade(&snapshot, own, Checks::TryState).unwrap_err();
		assert!(error.contains("without the feature `try-runtime`"), "{error}");

		// A state whose runtime is the later one: the drill's runtime would be a downgrade.
		let mut later = genesis_snapshot();
		for (key, value) in later.pairs.iter_mut() {
			if key == well_known_keys::CODE {
				*value = try_runtime_blob().to_vec();
			}
		}
		let state: BTreeMap<_, _> = later.pairs.iter().cloned().collect();
		later.state_root =
			*InMemoryBackend::<BlakeTwo256>::from((state, sp_runtime::StateVersion::V1)).root();
		let error = check_upgrade(&later, own, Checks::TryState).unwrap_err();
		let downgrade = format!("spec_version {SPEC}, not above the state's {}", SPEC + 1);
		assert!(error.contains(&downgrade), "{error}");
		// The same spec_version checks the state with try-state, not with pre- and post-checks.
		assert!(check_upgrade(&later, try_runtime_blob(), Checks::TryState).is_ok());
		let error = check_upgrade(&later, try_runtime_blob(), Checks::PreAndPost).unwrap_err();
		assert!(error.contains("not an upgrade"), "{error}");

		let error = check_upgrade(&snapshot, b"not wasm", Checks::All).unwrap_err();
		assert!(error.contains("--runtime: not a runtime"), "{error}");
	}

	#[test]
	fn an_address_that_is_not_websocket_is_refused_before_connecting() {
		let dir = tempfile::tempdir().unwrap();
		let runtime = dir.path().join("runtime.wasm");
		std::fs::write(&runtime, try_runtime_blob()).unwrap();
		let cmd = TryRuntimeCmd {
			runtime,
			uri: Some("http://127.0.0.1:9944".into()),
			at: None,
			snapshot: None,
			checks: Checks::All,
		};
		let error = cmd.run().unwrap_err();
		assert!(error.contains("expected ws://HOST:PORT"), "{error}");
	}

	#[test]
	fn a_snapshot_file_round_trips_and_others_are_refused() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("state.snap");
		let snapshot = Snapshot {
			block_hash: Hash::repeat_byte(1),
			block_number: 7,
			state_root: Hash::repeat_byte(2),
			pairs: vec![(b"k".to_vec(), b"v".to_vec())],
		};
		let mut bytes = SNAPSHOT_MAGIC.to_vec();
		snapshot.encode_to(&mut bytes);
		std::fs::write(&path, &bytes).unwrap();
		let read = read_snapshot(&path).unwrap();
		assert_eq!(read.encode(), snapshot.encode());

		std::fs::write(&path, b"{\"not\": \"a snapshot\"}").unwrap();
		assert!(read_snapshot(&path).unwrap_err().contains("not a poi-node state snapshot"));
		std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
		assert!(read_snapshot(&path).unwrap_err().contains("not a poi-node state snapshot"));
		assert!(read_snapshot(&dir.path().join("none")).unwrap_err().contains("none"));
	}
}
