//! Genesis presets: the starting state of the development chain, the local testnet and the
//! public testnet. `poi-node build-spec --chain <name>` and `export-chain-spec` turn them into
//! chain specs.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use crate::{
	AccountId, AuraConfig, Balance, BalancesConfig, GrandpaConfig, ProjectsConfig,
	RuntimeGenesisConfig, SudoConfig, UNIT,
};

/// Name of the public testnet preset.
pub const PUBLIC_TESTNET_RUNTIME_PRESET: &str = "poi_testnet";

/// Name of the preset `poi-node benchmark extrinsic` runs on (`--chain benchmark`).
pub const BENCHMARK_RUNTIME_PRESET: &str = "benchmark";

/// The project of the benchmark preset.
pub const BENCHMARK_PROJECT: poi_primitives::ProjectId = 0;

/// The tokens of it Ferdie holds in the benchmark preset.
pub const BENCHMARK_HOLDING: Balance = 10_000;

/// What each endowed account starts with: a million POI.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;

/// One validator's consensus keys.
#[derive(Clone)]
pub struct Authority {
	/// Block authoring key.
	pub aura: AuraId,
	/// Finality key.
	pub grandpa: GrandpaId,
}

/// The consensus keys of a well-known development account (`//Alice`, `//Bob`, ...).
pub fn dev_authority(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Authority {
	Authority { aura: sr.public().into(), grandpa: ed.public().into() }
}

/// The smallest project quorum on the testnets: one verifier never decides a round alone.
pub const TESTNET_MIN_QUORUM: u32 = 3;

/// A genesis config patch: these authorities, this root key, these endowed accounts, this
/// smallest project quorum.
pub fn testnet_genesis(
	authorities: Vec<Authority>,
	root: AccountId,
	endowed_accounts: Vec<AccountId>,
	min_quorum: u32,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|account| (account, ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		aura: AuraConfig {
			authorities: authorities.iter().map(|a| a.aura.clone()).collect::<Vec<_>>(),
		},
		grandpa: GrandpaConfig {
			authorities: authorities.iter().map(|a| (a.grandpa.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		projects: ProjectsConfig { min_quorum },
	})
}

/// Alice, Bob and Charlie as validators.
fn alice_bob_charlie() -> Vec<Authority> {
	vec![
		dev_authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		dev_authority(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		dev_authority(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
	]
}

fn well_known_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// The bond of the development verifier (Alice).
pub const DEV_VERIFIER_BOND: Balance = 1_000 * UNIT;

/// Development: one validator, Alice, who is also root and a verifier served by the
/// development runner (`poi-runner --dev`); the well-known accounts endowed; projects may ask
/// for a quorum of one (the one dev verifier).
pub fn development_config_genesis() -> Value {
	let mut patch = testnet_genesis(
		vec![dev_authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Sr25519Keyring::Alice.to_account_id(),
		well_known_accounts(),
		1,
	);
	let runner_key = sp_core::sr25519::Public::from_raw(crate::configs::DEV_RUNNER_KEY);
	let extra = serde_json::json!({
		"verifiers": {
			"verifiers": [[Sr25519Keyring::Alice.to_account_id(), DEV_VERIFIER_BOND, runner_key]]
		},
	});
	if let (Value::Object(patch), Value::Object(extra)) = (&mut patch, extra) {
		patch.extend(extra);
	}
	patch
}

/// Local testnet: Alice, Bob and Charlie validate (zombienet rewrites these authorities
/// for the nodes it starts); Alice is root; projects ask for a quorum of at least
/// [`TESTNET_MIN_QUORUM`].
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		alice_bob_charlie(),
		Sr25519Keyring::Alice.to_account_id(),
		well_known_accounts(),
		TESTNET_MIN_QUORUM,
	)
}

/// The public testnet: three validators whose keys are derived from the well-known
/// development seeds (`//Alice`, `//Bob`, `//Charlie`), so that anyone can join as one of them
/// by inserting those keys. It is a testnet for collaborators, not a secure network: a
/// deployment with private keys replaces these authorities and the root key here and
/// regenerates `chain-specs/`.
pub fn public_testnet_config_genesis() -> Value {
	testnet_genesis(
		alice_bob_charlie(),
		Sr25519Keyring::Alice.to_account_id(),
		vec![
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::Charlie.to_account_id(),
			Sr25519Keyring::Dave.to_account_id(),
		],
		TESTNET_MIN_QUORUM,
	)
}

/// The development chain plus project [`BENCHMARK_PROJECT`], created by Alice, of which Ferdie
/// holds [`BENCHMARK_HOLDING`] tokens: the state `benchmark extrinsic` measures
/// `proposals.commit` on (its builders sign from accounts that sent nothing at genesis).
pub fn benchmark_config_genesis() -> Value {
	use pallet_projects::{CurveParams, Protocol};
	let project = pallet_projects::GenesisProject::<AccountId, Balance> {
		creator: Sr25519Keyring::Alice.to_account_id(),
		protocol: Protocol::example(59),
		token_name: b"benchmark".to_vec(),
		token_symbol: b"BNCH".to_vec(),
		curve: CurveParams {
			// A token worth at least `MinStakeValue` (1 POI): `MinStake` is a valid stake.
			base_price: UNIT,
			slope: crate::MICRO_UNIT,
			miner_pool_cap: 1_000,
			reward_per_approval: 10,
			initial_escrow: 100 * UNIT,
		},
	};
	let mut patch = development_config_genesis();
	let extra = serde_json::json!({
		"projects": { "projects": [project] },
		"bondingCurve": {
			"holdings": [[BENCHMARK_PROJECT, Sr25519Keyring::Ferdie.to_account_id(), BENCHMARK_HOLDING]]
		},
	});
	if let (Value::Object(patch), Value::Object(extra)) = (&mut patch, extra) {
		patch.extend(extra);
	}
	patch
}

/// The preset of this name, as JSON bytes; `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		PUBLIC_TESTNET_RUNTIME_PRESET => public_testnet_config_genesis(),
		BENCHMARK_RUNTIME_PRESET => benchmark_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serializing a serde_json::Value cannot fail; qed")
			.into_bytes(),
	)
}

/// The names of the presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(PUBLIC_TESTNET_RUNTIME_PRESET),
		PresetId::from(BENCHMARK_RUNTIME_PRESET),
	]
}
