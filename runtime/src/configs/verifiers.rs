//! `pallet_verifiers`: verifier bonds, runner keys, selection, penalties and rewards.

use frame_support::{
	parameter_types,
	traits::{ConstU32, Get},
	PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::Perbill;

use crate::{AccountId, Assets, Balance, Balances, Runtime, RuntimeHoldReason, HOURS, UNIT};

parameter_types! {
	/// The pot of credited rewards (`modlpoi/vrfy`).
	pub const VerifiersPalletId: PalletId = PalletId(*b"poi/vrfy");
	/// The smallest active bond.
	pub const MinVerifierBond: Balance = 100 * UNIT;
	/// A deviant verdict or a missed duty burns this share of the held bond.
	pub const VerifierSlashShare: Perbill = Perbill::from_percent(5);
}

/// Unbonded funds stay held for an hour (a testnet's figure; a production chain would wait
/// out every challenge window the verifier's verdicts could still be overturned in).
pub struct UnbondingDelay;
impl Get<crate::BlockNumber> for UnbondingDelay {
	fn get() -> crate::BlockNumber {
		HOURS
	}
}

impl pallet_verifiers::Config for Runtime {
	type Currency = Balances;
	type Assets = Assets;
	type PalletId = VerifiersPalletId;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MinBond = MinVerifierBond;
	type UnbondingDelay = UnbondingDelay;
	// Selection walks every verifier once per draw: 128 x 33 steps at most.
	type MaxVerifiers = ConstU32<128>;
	type MaxMissedInRow = ConstU32<3>;
	type SlashShare = VerifierSlashShare;
	type WeightInfo = crate::weights::pallet_verifiers::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkRewardAsset;
}

/// Creates a user asset for the `claim_rewards` benchmark.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkRewardAsset;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_verifiers::BenchmarkHelper<u32> for BenchmarkRewardAsset {
	fn reward_asset() -> u32 {
		let owner: AccountId = frame_benchmarking::account("asset-owner", 0, 0);
		let _ = Assets::force_create(
			crate::RuntimeOrigin::root(),
			7u32.into(),
			sp_runtime::MultiAddress::Id(owner),
			false,
			1,
		);
		7
	}
}
