//! `pallet_projects`: the project registry and lineage DAGs. Creating a project launches its
//! token through `BondingCurve`.

use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;

use crate::{AccountId, Balance, Balances, BondingCurve, Runtime, RuntimeHoldReason, UNIT};

parameter_types! {
	/// Held from a project's creator while the project exists.
	pub const ProjectDeposit: Balance = 10 * UNIT;
}

impl pallet_projects::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type ProjectDeposit = ProjectDeposit;
	// A CIDv1 in base32 is 59 characters; room for longer multihashes.
	type MaxCidLen = ConstU32<128>;
	// Both stay within pallet-assets' `StringLimit` (50), which stores them as metadata.
	type MaxNameLen = ConstU32<32>;
	type MaxSymbolLen = ConstU32<12>;
	type MaxQuorum = ConstU32<16>;
	type MaxPathLen = ConstU32<64>;
	type Tokens = BondingCurve;
	type WeightInfo = crate::weights::pallet_projects::WeightInfo<Runtime>;
}
