//! Tests of the runtime's composition: presets, token parameters, extrinsic format.

use super::*;
use frame_support::traits::{fungible::Inspect, Get};
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

fn build_preset(name: &str) -> sp_io::TestExternalities {
	let json = genesis_config_presets::get_preset(&name.into()).expect("preset exists");
	let patch: serde_json::Value = serde_json::from_slice(&json).expect("preset is JSON");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	json_merge(&mut config, patch);
	let config: RuntimeGenesisConfig =
		serde_json::from_value(config).expect("patched preset is a valid genesis config");
	config.build_storage().expect("genesis builds").into()
}

/// Merges a JSON patch into a base value, as the genesis builder does.
fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				json_merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

#[test]
fn presets_are_listed_and_unknown_names_are_refused() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(names, vec!["development", "local_testnet", "poi_testnet"]);
	assert!(genesis_config_presets::get_preset(&"mainnet".into()).is_none());
	assert!(genesis_config_presets::get_preset(&"".into()).is_none());
}

#[test]
fn development_preset_has_alice_as_validator_and_root() {
	build_preset("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice;
		assert_eq!(
			pallet_aura::Authorities::<Runtime>::get().into_inner(),
			vec![alice.public().into()]
		);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice.to_account_id()));
		for account in Sr25519Keyring::well_known() {
			assert_eq!(
				Balances::balance(&account.to_account_id()),
				genesis_config_presets::ENDOWMENT
			);
		}
	});
}

#[test]
fn local_and_public_testnets_have_three_validators() {
	for preset in ["local_testnet", "poi_testnet"] {
		build_preset(preset).execute_with(|| {
			assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3, "{preset}");
			assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 3);
		});
	}
}

#[test]
fn local_testnet_endows_every_well_known_account() {
	build_preset("local_testnet").execute_with(|| {
		let accounts = Sr25519Keyring::well_known().count() as u128;
		assert_eq!(Balances::total_issuance(), accounts * genesis_config_presets::ENDOWMENT);
	});
}

#[test]
fn public_testnet_endows_only_its_four_accounts() {
	build_preset("poi_testnet").execute_with(|| {
		assert_eq!(Balances::total_issuance(), 4 * genesis_config_presets::ENDOWMENT);
		assert_eq!(Balances::balance(&Sr25519Keyring::Eve.to_account_id()), 0);
	});
}

#[test]
fn token_and_block_parameters() {
	assert_eq!(TOKEN_SYMBOL, "POI");
	assert_eq!(TOKEN_DECIMALS, 12);
	assert_eq!(UNIT, 10u128.pow(TOKEN_DECIMALS as u32));
	assert_eq!(SS58_PREFIX, 42);
	assert_eq!(<Runtime as frame_system::Config>::SS58Prefix::get(), 42);
	assert_eq!(MILLISECS_PER_BLOCK, 6000);
	let minimum_period: u64 = <Runtime as pallet_timestamp::Config>::MinimumPeriod::get();
	assert_eq!(minimum_period * 2, SLOT_DURATION);
	assert_eq!(VERSION.spec_name, "poi");
}

#[test]
fn metadata_v14_and_v15_are_available() {
	let versions = Runtime::metadata_versions();
	assert!(versions.contains(&14), "{versions:?}");
	assert!(versions.contains(&15), "{versions:?}");
}
