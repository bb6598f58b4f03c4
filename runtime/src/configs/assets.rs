//! `pallet_assets`: fungible assets, project tokens among them.
//!
//! Asset ids are split in two ranges. Below [`PROJECT_TOKEN_ASSET_IDS`] (`2^31`) any signed
//! account may create an asset against a deposit, as on other Substrate chains. From `2^31` on
//! the ids belong to project tokens: project `p`'s token is asset `2^31 + p`, created by
//! pallet-bonding-curve when the project is; a signed `create` of such an id is refused with
//! `BadOrigin`, so nobody can squat a future project's token id.

use frame_support::{
	parameter_types,
	traits::{ConstU32, EnsureOrigin, EnsureOriginWithArg},
};
use frame_system::{EnsureRoot, EnsureSigned};

use crate::{AccountId, Balance, Balances, Runtime, RuntimeEvent, RuntimeOrigin, MILLI_UNIT, UNIT};

/// The first asset id of project tokens; user-created assets take ids below it.
pub const PROJECT_TOKEN_ASSET_IDS: u32 = 1 << 31;

parameter_types! {
	pub const AssetDeposit: Balance = 10 * UNIT;
	pub const AssetAccountDeposit: Balance = MILLI_UNIT;
	pub const MetadataDepositBase: Balance = 100 * MILLI_UNIT;
	pub const MetadataDepositPerByte: Balance = MILLI_UNIT;
	pub const ApprovalDeposit: Balance = MILLI_UNIT;
}

/// Who may `create` an asset: any signed account, for ids below [`PROJECT_TOKEN_ASSET_IDS`].
pub struct SignedBelowProjectTokens;

impl EnsureOriginWithArg<RuntimeOrigin, u32> for SignedBelowProjectTokens {
	type Success = AccountId;

	fn try_origin(o: RuntimeOrigin, id: &u32) -> Result<AccountId, RuntimeOrigin> {
		if *id >= PROJECT_TOKEN_ASSET_IDS {
			return Err(o);
		}
		<EnsureSigned<AccountId> as EnsureOrigin<RuntimeOrigin>>::try_origin(o)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin(id: &u32) -> Result<RuntimeOrigin, ()> {
		if *id >= PROJECT_TOKEN_ASSET_IDS {
			return Err(());
		}
		<EnsureSigned<AccountId> as EnsureOrigin<RuntimeOrigin>>::try_successful_origin()
	}
}

impl pallet_assets::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type RemoveItemsLimit = ConstU32<1000>;
	type AssetId = u32;
	type AssetIdParameter = codec::Compact<u32>;
	type ReserveData = ();
	type Currency = Balances;
	type CreateOrigin = SignedBelowProjectTokens;
	type ForceOrigin = EnsureRoot<AccountId>;
	type AssetDeposit = AssetDeposit;
	type AssetAccountDeposit = AssetAccountDeposit;
	type MetadataDepositBase = MetadataDepositBase;
	type MetadataDepositPerByte = MetadataDepositPerByte;
	type ApprovalDeposit = ApprovalDeposit;
	type StringLimit = ConstU32<50>;
	type Freezer = ();
	type Holder = ();
	type Extra = ();
	type CallbackHandle = ();
	type AssetIdAllocator = ();
	type WeightInfo = pallet_assets::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}
