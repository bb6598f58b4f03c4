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

/// The validators of the testnets: Alice, Bob, Charlie and Dave. GRANDPA finalizes with more
/// than two thirds of them, so one of the four may be down and blocks are still finalized.
const TESTNET_VALIDATORS: [(Sr25519Keyring, Ed25519Keyring); 4] = [
	(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
	(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
	(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
	(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
];

fn testnet_authorities() -> Vec<Authority> {
	TESTNET_VALIDATORS.iter().map(|(sr, ed)| dev_authority(*sr, *ed)).collect()
}

fn well_known_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// The bond of each genesis verifier (Alice on the dev chain; Alice, Bob, Charlie and Dave on
/// the local testnet).
pub const DEV_VERIFIER_BOND: Balance = 1_000 * UNIT;

/// `patch` with these accounts registered as verifiers at genesis, each bonded
/// [`DEV_VERIFIER_BOND`] and served by the development runner whose public key is given
/// (`poi-runner --dev-account <name>`).
fn with_genesis_verifiers(mut patch: Value, verifiers: &[(Sr25519Keyring, [u8; 32])]) -> Value {
	let verifiers: Vec<_> = verifiers
		.iter()
		.map(|(account, key)| {
			(account.to_account_id(), DEV_VERIFIER_BOND, sp_core::sr25519::Public::from_raw(*key))
		})
		.collect();
	let extra = serde_json::json!({ "verifiers": { "verifiers": verifiers } });
	if let (Value::Object(patch), Value::Object(extra)) = (&mut patch, extra) {
		patch.extend(extra);
	}
	patch
}

/// Development: one validator, Alice, who is also root and a verifier served by the
/// development runner (`poi-runner --dev`); the well-known accounts endowed; projects may ask
/// for a quorum of one (the one dev verifier).
pub fn development_config_genesis() -> Value {
	let patch = testnet_genesis(
		vec![dev_authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Sr25519Keyring::Alice.to_account_id(),
		well_known_accounts(),
		1,
	);
	with_genesis_verifiers(patch, &[(Sr25519Keyring::Alice, crate::configs::DEV_RUNNER_KEY)])
}

/// Local testnet: Alice, Bob, Charlie and Dave validate (zombienet rewrites these authorities
/// for the nodes it starts) and are verifiers, each served by its development runner
/// (`poi-runner --dev-account alice`, `bob`, ...); Alice is root; the well-known accounts
/// endowed; projects ask for a quorum of at least [`TESTNET_MIN_QUORUM`].
pub fn local_config_genesis() -> Value {
	let patch = testnet_genesis(
		testnet_authorities(),
		Sr25519Keyring::Alice.to_account_id(),
		well_known_accounts(),
		TESTNET_MIN_QUORUM,
	);
	let verifiers: Vec<_> = TESTNET_VALIDATORS
		.iter()
		.zip(crate::configs::DEV_RUNNER_KEYS)
		.map(|((account, _), key)| (*account, key))
		.collect();
	with_genesis_verifiers(patch, &verifiers)
}

/// The public testnet: four validators whose keys are derived from the well-known development
/// seeds (`//Alice` to `//Dave`), so that anyone can join as one of them by inserting those
/// keys; with four, one may be down and blocks are still finalized. It has no verifiers at
/// genesis: each registers with its own runner's key. It is a testnet for collaborators, not a
/// secure network: a deployment with private keys replaces these authorities and the root key
/// here and regenerates `chain-specs/`.
pub fn public_testnet_config_genesis() -> Value {
	testnet_genesis(
		testnet_authorities(),
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
