//! `pallet_grandpa`: finality. No equivocation reporting yet: a solochain without staking has
//! nothing to slash, so key ownership proofs are the empty type.

use frame_support::traits::{ConstU32, ConstU64};

use crate::{Runtime, RuntimeEvent};

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}
