//! A minimal runtime for the pallet's unit tests.

use crate as pallet_projects;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

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
	pub type Registry = pallet_projects;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub const ProjectDeposit: u64 = 100;
}

impl pallet_projects::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = frame_system::EnsureRoot<u64>;
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
	type Tokens = ();
	type WeightInfo = ();
}

/// Alice (1) and Bob (2) hold 10 000; Charlie (3) holds 150; Dave (4) nothing.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(1, 10_000), (2, 10_000), (3, 150)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}
