//! A runtime with balances, assets, projects and this pallet, for unit tests.

use crate as pallet_bonding_curve;
use frame_support::{
	derive_impl, parameter_types,
	traits::{AsEnsureOriginWithArg, ConstU32},
	PalletId,
};
use frame_system::{EnsureRoot, EnsureSigned};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = AccountId32;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Assets = pallet_assets;
	#[runtime::pallet_index(3)]
	pub type Registry = pallet_projects;
	#[runtime::pallet_index(4)]
	pub type Curve = pallet_bonding_curve;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type Freezer = ();
	type Holder = ();
}

parameter_types! {
	pub const ProjectDeposit: u64 = 100;
	pub const CurvePalletId: PalletId = PalletId(*b"poi/curv");
}

impl pallet_projects::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type ProjectDeposit = ProjectDeposit;
	type StatusChangeDelay = frame_support::traits::ConstU64<10>;
	type MaxNameLen = ConstU32<16>;
	type MaxSymbolLen = ConstU32<8>;
	type MaxQuorum = ConstU32<7>;
	type MaxWasmFuel = frame_support::traits::ConstU64<10_000_000_000>;
	type MaxCandleGptSteps = ConstU32<5_000>;
	type MaxCommandSeconds = ConstU32<120>;
	type MinNondeterministicToleranceBps = ConstU32<100>;
	type MaxPathLen = ConstU32<4>;
	type Tokens = Curve;
	type WeightInfo = ();
}

/// Project tokens take the asset ids from 1000 on; tests create user assets below.
pub struct ProjectAssetId;
impl sp_runtime::traits::Convert<u32, u32> for ProjectAssetId {
	fn convert(project: u32) -> u32 {
		1_000 + project
	}
}

impl pallet_bonding_curve::Config for Test {
	type Currency = Balances;
	type AssetId = u32;
	type Assets = Assets;
	type ProjectAssetId = ProjectAssetId;
	type Projects = Registry;
	type PalletId = CurvePalletId;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Registry;
}

/// The test accounts: `account(n)` is 32 bytes of `n`.
pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

/// Accounts 1..=5 hold 1 000 000 each; account 6 holds 1 000.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, u64)> = (1..=5).map(|n| (account(n), 1_000_000)).collect();
	balances.push((account(6), 1_000));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}
