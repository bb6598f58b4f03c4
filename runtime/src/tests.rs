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
	assert_eq!(names, vec!["development", "local_testnet", "poi_testnet", "benchmark"]);
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
				Balances::total_balance(&account.to_account_id()),
				genesis_config_presets::ENDOWMENT
			);
		}
		// Alice is the verifier the dev runner serves: bonded from her endowment.
		let info = pallet_verifiers::Verifiers::<Runtime>::get(alice.to_account_id()).unwrap();
		assert_eq!(info.bond, genesis_config_presets::DEV_VERIFIER_BOND);
		assert_eq!(info.runner_key.0, configs::DEV_RUNNER_KEY);
		assert_eq!(
			Balances::balance(&alice.to_account_id()),
			genesis_config_presets::ENDOWMENT - genesis_config_presets::DEV_VERIFIER_BOND
		);
		assert_eq!(pallet_verifiers::Verifiers::<Runtime>::count(), 1);
		frame_support::assert_ok!(Verifiers::do_try_state());
	});
}

#[test]
fn the_dev_runner_keys_are_the_documented_derivations() {
	use sp_core::Pair;
	for (name, key) in ["Alice", "Bob", "Charlie", "Dave"].into_iter().zip(configs::DEV_RUNNER_KEYS)
	{
		let pair = sp_core::sr25519::Pair::from_string(&format!("//{name}//runner"), None).unwrap();
		assert_eq!(pair.public().0, key, "{name}");
	}
	assert_eq!(configs::DEV_RUNNER_KEY, configs::DEV_RUNNER_KEYS[0]);
}

#[test]
fn the_local_testnet_has_four_verifiers_and_the_others_their_own() {
	for (preset, expected) in [("local_testnet", 4), ("poi_testnet", 0), ("benchmark", 1)] {
		build_preset(preset).execute_with(|| {
			assert_eq!(pallet_verifiers::Verifiers::<Runtime>::count(), expected, "{preset}");
		});
	}
	// Alice, Bob, Charlie and Dave, each bonded from its endowment and served by its
	// development runner (`poi-runner --dev-account <name>`).
	build_preset("local_testnet").execute_with(|| {
		let validators = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		];
		for (account, key) in validators.into_iter().zip(configs::DEV_RUNNER_KEYS) {
			let who = account.to_account_id();
			let info = pallet_verifiers::Verifiers::<Runtime>::get(&who).unwrap();
			assert_eq!(info.bond, genesis_config_presets::DEV_VERIFIER_BOND);
			assert_eq!(info.runner_key.0, key);
			assert_eq!(
				Balances::balance(&who),
				genesis_config_presets::ENDOWMENT - genesis_config_presets::DEV_VERIFIER_BOND
			);
		}
		assert_eq!(
			Balances::balance(&Sr25519Keyring::Eve.to_account_id()),
			genesis_config_presets::ENDOWMENT
		);
		frame_support::assert_ok!(Verifiers::do_try_state());
	});
}

#[test]
fn local_and_public_testnets_have_four_validators() {
	let expected: Vec<sp_consensus_aura::sr25519::AuthorityId> =
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave]
			.iter()
			.map(|k| k.public().into())
			.collect();
	for preset in ["local_testnet", "poi_testnet"] {
		build_preset(preset).execute_with(|| {
			assert_eq!(
				pallet_aura::Authorities::<Runtime>::get().into_inner(),
				expected,
				"{preset}"
			);
			assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 4);
		});
	}
}

#[test]
fn testnet_projects_need_a_quorum_of_three_and_dev_ones_one() {
	for (preset, min) in [("development", 1), ("local_testnet", 3), ("poi_testnet", 3)] {
		build_preset(preset).execute_with(|| {
			assert_eq!(pallet_projects::MinQuorum::<Runtime>::get().max(1), min, "{preset}");
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

#[test]
fn signed_accounts_create_assets_only_below_the_project_token_ids() {
	use frame_support::traits::EnsureOriginWithArg;
	let alice: AccountId = Sr25519Keyring::Alice.to_account_id();
	let signed = || RuntimeOrigin::signed(alice.clone());
	let check = |origin, id: u32| {
		<configs::SignedBelowProjectTokens as EnsureOriginWithArg<RuntimeOrigin, u32>>::try_origin(
			origin, &id,
		)
	};
	assert_eq!(check(signed(), 0).ok(), Some(alice.clone()));
	assert_eq!(check(signed(), configs::PROJECT_TOKEN_ASSET_IDS - 1).ok(), Some(alice.clone()));
	assert!(check(signed(), configs::PROJECT_TOKEN_ASSET_IDS).is_err());
	assert!(check(signed(), u32::MAX).is_err());
	assert!(check(RuntimeOrigin::root(), 5).is_err());
	assert!(check(RuntimeOrigin::none(), 5).is_err());
}

#[test]
fn project_tokens_take_ids_from_two_to_the_31() {
	use sp_runtime::traits::Convert;
	assert_eq!(configs::ProjectAssetId::convert(0), 1 << 31);
	assert_eq!(configs::ProjectAssetId::convert(7), (1 << 31) + 7);
	assert_eq!(configs::ProjectAssetId::convert(u32::MAX), u32::MAX);
}

#[test]
fn the_pallet_configurations_pass_their_integrity_tests() {
	use frame_support::traits::IntegrityTest;
	sp_io::TestExternalities::default().execute_with(AllPalletsWithSystem::integrity_test);
}

/// Alice creates project 0: base price 1 POI, slope 0.1 POI, an escrow of 100 POI.
fn alice_creates_project_0() {
	let curve = pallet_projects::CurveParams {
		base_price: UNIT,
		slope: UNIT / 10,
		miner_pool_cap: 100,
		reward_per_approval: 10,
		initial_escrow: 100 * UNIT,
	};
	frame_support::assert_ok!(Projects::create_project(
		RuntimeOrigin::signed(Sr25519Keyring::Alice.to_account_id()),
		pallet_projects::Protocol::example(59),
		b"Runtime test".to_vec(),
		b"RT".to_vec(),
		curve,
		None,
	));
}

#[test]
fn a_project_created_in_the_runtime_launches_its_token() {
	let mut ext = build_preset("development");
	ext.execute_with(|| {
		let bob: AccountId = Sr25519Keyring::Bob.to_account_id();
		alice_creates_project_0();
		frame_support::assert_ok!(BondingCurve::buy(
			RuntimeOrigin::signed(bob.clone()),
			0,
			3,
			4 * UNIT
		));
		assert_eq!(Assets::balance(configs::PROJECT_TOKEN_ASSET_IDS, &bob), 3);
		assert_eq!(BondingCurve::reserve_of(0), 3 * UNIT + 3 * UNIT / 10);
		frame_support::assert_ok!(BondingCurve::do_try_state());
		frame_support::assert_ok!(Projects::do_try_state());
	});
}

#[test]
fn a_proposal_settles_through_a_round_of_three_verifiers_in_the_runtime() {
	use pallet_proposals::ProposalStatus;
	use poi_primitives::{claim_hash, proposal_commitment, verdict_commitment, Verdict};
	use sp_core::{Pair, H256};
	let mut ext = build_preset("development");
	ext.execute_with(|| {
		System::set_block_number(1);
		// The dev verifier (Alice) steps aside: the round below is Charlie's, Dave's and Eve's.
		frame_support::assert_ok!(Verifiers::unbond(
			RuntimeOrigin::signed(Sr25519Keyring::Alice.to_account_id()),
			genesis_config_presets::DEV_VERIFIER_BOND
		));
		let bob: AccountId = Sr25519Keyring::Bob.to_account_id();
		alice_creates_project_0();
		frame_support::assert_ok!(BondingCurve::buy(
			RuntimeOrigin::signed(bob.clone()),
			0,
			10,
			100 * UNIT
		));
		let judges = [Sr25519Keyring::Charlie, Sr25519Keyring::Dave, Sr25519Keyring::Eve];
		let runner =
			|k: &Sr25519Keyring| sp_core::sr25519::Pair::from_seed(&[k.to_raw_public()[0]; 32]);
		for k in &judges {
			frame_support::assert_ok!(Verifiers::register(
				RuntimeOrigin::signed(k.to_account_id()),
				100 * UNIT,
				runner(k).public(),
				poi_primitives::Evaluators::ALL
			));
		}
		let code = poi_primitives::ArtifactRef {
			digest: H256::repeat_byte(7),
			cid: frame_support::BoundedVec::truncate_from(b"bafy-candidate".to_vec()),
		};
		let salt = H256::repeat_byte(1);
		let claim = claim_hash(-990_000, &salt);
		let commitment = proposal_commitment(0, 0, &code, &claim, &bob);
		frame_support::assert_ok!(Proposals::commit(
			RuntimeOrigin::signed(bob.clone()),
			0,
			commitment,
			5
		));
		System::set_block_number(2);
		frame_support::assert_ok!(Proposals::reveal(
			RuntimeOrigin::signed(bob.clone()),
			commitment,
			0,
			code,
			claim
		));
		let verdict = Verdict::Score {
			score: -990_000,
			log: poi_primitives::ArtifactRef {
				digest: H256::repeat_byte(8),
				cid: frame_support::BoundedVec::truncate_from(b"bafy-log".to_vec()),
			},
		};
		// The round is drawn two blocks later, in the hook, from that block's randomness.
		assert!(Proposals::assignments_of(&judges[0].to_account_id()).is_empty(), "not drawn yet");
		System::set_block_number(4);
		<Proposals as frame_support::traits::Hooks<BlockNumber>>::on_initialize(4);
		let assigned = Proposals::assignments_of(&judges[0].to_account_id());
		assert_eq!(assigned.len(), 1, "a quorum of three from three verifiers takes everyone");
		for k in &judges {
			let who = k.to_account_id();
			let c = verdict_commitment(0, &verdict, &salt, &who);
			frame_support::assert_ok!(Proposals::commit_verdict(RuntimeOrigin::signed(who), 0, c));
		}
		// Every verdict is committed: Bob reveals his claim.
		frame_support::assert_ok!(Proposals::reveal_claim(
			RuntimeOrigin::signed(bob.clone()),
			0,
			-990_000,
			salt
		));
		let round = pallet_proposals::Rounds::<Runtime>::get(0).expect("running");
		for k in &judges {
			let payload =
				Proposals::runner_payload(0, round.kind, &round.seed, &k.to_account_id(), &verdict);
			let signature = runner(k).sign(&payload);
			frame_support::assert_ok!(Proposals::reveal_verdict(
				RuntimeOrigin::signed(k.to_account_id()),
				0,
				verdict.clone(),
				salt,
				signature
			));
		}
		let proposal = pallet_proposals::Proposals::<Runtime>::get(0).expect("stored");
		assert!(matches!(proposal.status, ProposalStatus::Approved { node: 1, .. }));
		assert_eq!(proposal.verified_score, Some(-990_000));
		use pallet_projects::Lineage;
		assert_eq!(Projects::best(0), Some((1, -990_000)));
		// Each of the three verifiers earned its share of Bob's fee.
		let fee = configs::VerifierFee::get();
		assert_eq!(proposal.fee, 3 * fee);
		for k in &judges {
			assert_eq!(
				pallet_verifiers::PendingRewards::<Runtime>::get(
					k.to_account_id(),
					pallet_verifiers::RewardAsset::Native
				),
				Some(fee)
			);
		}
		frame_support::assert_ok!(Proposals::do_try_state());
		frame_support::assert_ok!(Verifiers::do_try_state());
		frame_support::assert_ok!(BondingCurve::do_try_state());
		frame_support::assert_ok!(Projects::do_try_state());
	});
}

#[test]
fn the_benchmark_preset_has_a_project_whose_token_ferdie_holds() {
	build_preset("benchmark").execute_with(|| {
		use pallet_projects::Lineage;
		use sp_runtime::traits::Convert;
		let project = genesis_config_presets::BENCHMARK_PROJECT;
		assert!(Projects::is_active(project));
		let ferdie: AccountId = Sr25519Keyring::Ferdie.to_account_id();
		let asset = configs::ProjectAssetId::convert(project);
		assert_eq!(Assets::balance(asset, &ferdie), genesis_config_presets::BENCHMARK_HOLDING);
		assert_eq!(System::account_nonce(&ferdie), 0, "the commit builder's nonces start at 0");
		// What the commit builder sends dispatches: the minimum stake is worth enough.
		System::set_block_number(1);
		frame_support::assert_ok!(Proposals::commit(
			RuntimeOrigin::signed(ferdie.clone()),
			project,
			sp_core::H256::repeat_byte(1),
			configs::MinStake::get()
		));
		frame_support::assert_ok!(BondingCurve::do_try_state());
		frame_support::assert_ok!(Projects::do_try_state());
	});
}
