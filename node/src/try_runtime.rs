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
//! The runtime must be built with the feature `try-runtime` (the upgrade drill's is crate
//! `poi-upgrade-drill-try-runtime`'s blob). A network enacts the same source built without that
//! feature.

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
					write_snapshot(path, &snapshot)?;
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
	text.parse().map_err(|_| format!("{text:?}: expected a block hash, 32 bytes of hex"))
}

/// Writes `snapshot` to `path`: the magic, then its SCALE encoding.
fn write_snapshot(path: &std::path::Path, snapshot: &Snapshot) -> Result<(), String> {
	let mut bytes = SNAPSHOT_MAGIC.to_vec();
	snapshot.encode_to(&mut bytes);
	std::fs::write(path, bytes).map_err(|e| format!("--snapshot {}: {e}", path.display()))
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
	if sp_runtime::traits::Header::hash(&header) != block_hash {
		return Err(format!(
			"{uri}: chain_getHeader({block_hash:?}) answered another block's header"
		));
	}

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
		// Each page starts after the last key of the one before; a node that answers
		// otherwise would have this loop forever.
		if let (Some(previous), Some(first)) = (keys.last(), page.first()) {
			if first.0 <= previous.0 {
				return Err(format!(
					"{uri}: state_getKeysPaged went back to 0x{}",
					hex::encode(&first.0)
				));
			}
		}
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

/// The executor every check shares: it keeps the runtimes it compiled (the state's and the new
/// one) for the next call.
fn executor() -> &'static Executor {
	static EXECUTOR: std::sync::OnceLock<Executor> = std::sync::OnceLock::new();
	EXECUTOR.get_or_init(|| {
		Executor::builder()
			.with_offchain_heap_alloc_strategy(sc_executor::HeapAllocStrategy::Dynamic {
				maximum_pages: None,
			})
			.with_max_runtime_instances(2)
			.with_runtime_cache_size(4)
			.build()
	})
}

/// A blob as the executor takes it; the fetcher lends the bytes.
fn runtime_code<'a>(fetch: &'a WrappedRuntimeCode<'a>) -> RuntimeCode<'a> {
	RuntimeCode {
		code_fetcher: fetch,
		heap_pages: None,
		hash: sp_crypto_hashing::blake2_256(&fetch.0).to_vec(),
	}
}

/// The runtime version of a blob (read from its custom section, or by calling it).
fn version_of(code: &[u8], what: &str) -> Result<RuntimeVersion, String> {
	let fetch = WrappedRuntimeCode(code.into());
	executor()
		.runtime_version(&mut BasicExternalities::default(), &runtime_code(&fetch))
		.map_err(|e| format!("{what}: not a runtime: {e}"))
}

/// Clears `frame_system`'s events, as a block does before its runtime-upgrade hook
/// (`System::reset_events`): each run of the migrations starts without the previous run's, and
/// a migration that deposits an event is still idempotent.
fn clear_events(
	overlay: &mut OverlayedChanges<BlakeTwo256>,
	backend: &InMemoryBackend<BlakeTwo256>,
) {
	use sp_externalities::Externalities;
	let system = sp_crypto_hashing::twox_128(b"System");
	let mut ext = sp_state_machine::Ext::new(overlay, backend, None);
	for item in [&b"Events"[..], b"EventCount"] {
		ext.clear_storage(&[system, sp_crypto_hashing::twox_128(item)].concat());
	}
	let topics = [system, sp_crypto_hashing::twox_128(b"EventTopics")].concat();
	let _ = ext.clear_prefix(&topics, None, None);
}

/// The TryRuntime API version this command calls (`on_runtime_upgrade(UpgradeCheckSelect)`).
const TRY_RUNTIME_API_VERSION: u32 = 1;

/// Checks an upgrade to `new_code` over `snapshot`; returns the report to print.
fn check_upgrade(snapshot: &Snapshot, new_code: &[u8], checks: Checks) -> Result<String, String> {
	let state: BTreeMap<Vec<u8>, Vec<u8>> = snapshot.pairs.iter().cloned().collect();
	let old_code = state
		.get(well_known_keys::CODE)
		.ok_or_else(|| format!("block {:?}: no runtime in its state", snapshot.block_hash))?;
	let old = version_of(old_code, "the state's runtime")?;
	let new = version_of(new_code, "--runtime")?;
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
	match new.api_version(&try_runtime_api) {
		None => {
			return Err("--runtime was built without the feature `try-runtime`: it has no \
				 TryRuntime API"
				.into())
		},
		Some(TRY_RUNTIME_API_VERSION) => {},
		Some(version) => {
			return Err(format!(
				"--runtime has TryRuntime API version {version}; this poi-node calls version \
				 {TRY_RUNTIME_API_VERSION}"
			))
		},
	}

	let state_version = old.state_version();
	let backend = InMemoryBackend::<BlakeTwo256>::from((state, state_version));
	if *backend.root() != snapshot.state_root {
		return Err(format!(
			"the state hashes to {:?}, but block {:?} has state root {:?}: the state is not the \
			 block's whole state, or not stored as the state's runtime stores it",
			backend.root(),
			snapshot.block_hash,
			snapshot.state_root
		));
	}

	let mut overlay = OverlayedChanges::<BlakeTwo256>::default();
	overlay.set_storage(well_known_keys::CODE.to_vec(), Some(new_code.to_vec()));
	let fetch = WrappedRuntimeCode(new_code.into());
	let new_runtime = runtime_code(&fetch);
	// One run of the migrations as the first block under the new code runs them (its events
	// cleared first); the state root after it.
	let run = |checks: Checks, overlay: &mut OverlayedChanges<BlakeTwo256>| {
		clear_events(overlay, &backend);
		let mut extensions = sp_externalities::Extensions::default();
		extensions.register(ReadRuntimeVersionExt::new(executor().clone()));
		let output = StateMachine::new(
			&backend,
			overlay,
			executor(),
			"TryRuntime_on_runtime_upgrade",
			&checks.encoded(),
			&mut extensions,
			&new_runtime,
			CallContext::Offchain,
		)
		.execute()
		.map_err(|e| {
			// The runtime logs which check failed (on stderr, before this error); the error
			// itself is a wasm trap whose first line is enough.
			let e = e.to_string();
			format!(
				"the upgrade's checks failed (the runtime's log names the check): {}",
				e.lines().next().unwrap_or_default()
			)
		})?;
		let weights = <(Weight, Weight)>::decode(&mut &output[..])
			.map_err(|e| format!("TryRuntime_on_runtime_upgrade returned no weights: {e}"))?;
		Ok::<_, String>((weights, overlay.storage_root(&backend, state_version).0))
	};

	let ((weight, max_block), after_first) = run(checks, &mut overlay)?;
	if weight.any_gt(max_block) {
		return Err(format!(
			"the migrations weigh {weight}, more than a block holds ({max_block}): the chain \
			 would stall on the upgrade"
		));
	}
	let (_, after_second) = run(Checks::None, &mut overlay)?;
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
		let mut snapshot = Snapshot {
			block_hash: Hash::repeat_byte(9),
			block_number: 0,
			state_root: Hash::zero(),
			pairs: storage.top.into_iter().collect(),
		};
		reroot(&mut snapshot);
		snapshot
	}

	/// Gives `snapshot` the root of the state it holds, as a block with that state would.
	fn reroot(snapshot: &mut Snapshot) {
		let state: BTreeMap<Vec<u8>, Vec<u8>> = snapshot.pairs.iter().cloned().collect();
		snapshot.state_root =
			*InMemoryBackend::<BlakeTwo256>::from((state, sp_runtime::StateVersion::V1)).root();
	}

	/// The network state recorded before drill 5's upgrade (spec 110).
	fn recorded_snapshot() -> Snapshot {
		let path =
			std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state.snap");
		read_snapshot(&path).unwrap()
	}

	/// Sets the value of `pallet`'s storage item `item` (a plain value, or the first entry of
	/// a map), keeping the state's root true.
	fn set_item(snapshot: &mut Snapshot, pallet: &str, item: &str, value: Vec<u8>) {
		let prefix = [
			sp_crypto_hashing::twox_128(pallet.as_bytes()),
			sp_crypto_hashing::twox_128(item.as_bytes()),
		]
		.concat();
		let (_, old) = snapshot
			.pairs
			.iter_mut()
			.find(|(key, _)| key.starts_with(&prefix))
			.unwrap_or_else(|| panic!("{pallet}::{item} is stored"));
		*old = value;
		reroot(snapshot);
	}

	fn try_runtime_blob() -> &'static [u8] {
		poi_upgrade_drill_try_runtime::WASM_BINARY.expect("built without SKIP_WASM_BUILD")
	}

	#[test]
	fn the_checks_reach_the_runtime_as_selected() {
		// A state every value of which decodes, but whose projects break `try_state`: a project
		// at an id not below the counter.
		let mut broken_invariant = recorded_snapshot();
		set_item(&mut broken_invariant, "Projects", "NextProjectId", 0u32.encode());
		// A state with a value that does not decode.
		let mut undecodable = recorded_snapshot();
		set_item(&mut undecodable, "Verifiers", "Verifiers", vec![0xff]);
		for (checks, invariant_checked, decoding_checked) in [
			(Checks::All, true, true),
			(Checks::TryState, true, true),
			(Checks::PreAndPost, false, true),
			(Checks::None, false, false),
		] {
			let outcome = check_upgrade(&broken_invariant, try_runtime_blob(), checks);
			assert_eq!(outcome.is_err(), invariant_checked, "{checks:?}: {outcome:?}");
			let outcome = check_upgrade(&undecodable, try_runtime_blob(), checks);
			assert_eq!(outcome.is_err(), decoding_checked, "{checks:?}: {outcome:?}");
			if let Err(error) = outcome {
				assert!(error.contains("the upgrade's checks failed"), "{error}");
			}
		}
	}

	#[test]
	fn the_enacted_drill_runtime_is_the_nodes_one_spec_version_later() {
		let enacted = version_of(poi_upgrade_drill::WASM_BINARY.unwrap(), "drill").unwrap();
		let checked = version_of(try_runtime_blob(), "drill").unwrap();
		let own = poi_runtime::VERSION;
		assert_eq!(enacted.spec_version, own.spec_version + 1);
		assert_eq!(checked.spec_version, own.spec_version + 1);
		for version in [&enacted, &checked] {
			assert_eq!(
				(&version.spec_name, &version.impl_name, version.authoring_version),
				(&own.spec_name, &own.impl_name, own.authoring_version)
			);
			assert_eq!(
				(version.impl_version, version.transaction_version, version.system_version),
				(own.impl_version, own.transaction_version, own.system_version)
			);
		}
		// The enacted runtime has the node's APIs (in any order); the checked one has
		// TryRuntime besides.
		let sorted = |apis: &[([u8; 8], u32)]| {
			let mut apis = apis.to_vec();
			apis.sort();
			apis
		};
		assert_eq!(sorted(&enacted.apis), sorted(&own.apis));
		let try_runtime = sp_crypto_hashing::blake2_64(b"TryRuntime");
		assert_eq!(checked.api_version(&try_runtime), Some(TRY_RUNTIME_API_VERSION));
		let mut without_try_runtime = sorted(&checked.apis);
		without_try_runtime.retain(|api| api.0 != try_runtime);
		assert_eq!(without_try_runtime, sorted(&own.apis));
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
		let snapshot = recorded_snapshot();
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
		reroot(&mut later);
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
		write_snapshot(&path, &snapshot).unwrap();
		let bytes = std::fs::read(&path).unwrap();
		let read = read_snapshot(&path).unwrap();
		assert_eq!(read.encode(), snapshot.encode());

		std::fs::write(&path, b"{\"not\": \"a snapshot\"}").unwrap();
		assert!(read_snapshot(&path).unwrap_err().contains("not a poi-node state snapshot"));
		std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
		assert!(read_snapshot(&path).unwrap_err().contains("not a poi-node state snapshot"));
		assert!(read_snapshot(&dir.path().join("none")).unwrap_err().contains("none"));
	}
}
