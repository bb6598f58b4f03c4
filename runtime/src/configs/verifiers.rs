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
	type Jobs = crate::Proposals;
	type AuthorityId = pallet_verifiers::offchain::crypto::VerifierAuthId;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkRewardAsset;
}

/// The public keys of the development runners of Alice, Bob, Charlie and Dave, in that order
/// (`poi-runner --dev-account <name>`, secret URIs `//Alice//runner` to `//Dave//runner`): the
/// dev chain registers Alice as a verifier with hers, the local testnet all four.
pub const DEV_RUNNER_KEYS: [[u8; 32]; 4] = [
	[
		0x48, 0x6e, 0x63, 0x77, 0xd7, 0x1e, 0x0a, 0x8d, 0xb9, 0xb5, 0xa1, 0x7f, 0xf5, 0x23, 0x83,
		0x2c, 0x04, 0xec, 0x9c, 0xf6, 0x59, 0x06, 0x25, 0x2a, 0xf4, 0x4a, 0xc5, 0xe3, 0xdb, 0x4e,
		0x74, 0x6d,
	],
	[
		0x70, 0xce, 0x5c, 0xc9, 0x19, 0x22, 0x02, 0xac, 0x87, 0x4e, 0xca, 0x63, 0x3e, 0xb1, 0xb6,
		0xc5, 0x81, 0x1e, 0x30, 0x45, 0xb8, 0x68, 0x14, 0x63, 0xe8, 0xe0, 0x7a, 0xa1, 0x6f, 0x56,
		0x53, 0x6a,
	],
	[
		0xb4, 0xd8, 0xee, 0xc1, 0xa2, 0xb2, 0xac, 0x38, 0x66, 0xa5, 0x39, 0x06, 0xe8, 0xa5, 0x9e,
		0x64, 0x45, 0x3e, 0xcf, 0x7f, 0x7c, 0x52, 0x5d, 0xc6, 0x37, 0x03, 0x0b, 0xdc, 0x5e, 0x95,
		0x42, 0x77,
	],
	[
		0x1c, 0x7d, 0xb3, 0xe1, 0x5d, 0xe2, 0xba, 0x86, 0x4b, 0xe5, 0x10, 0xce, 0x07, 0x26, 0xbf,
		0xc4, 0x9f, 0x82, 0x07, 0x25, 0xb4, 0xae, 0x2a, 0xd2, 0x11, 0x5d, 0x37, 0x54, 0x9d, 0x8e,
		0x64, 0x0e,
	],
];

/// The public key of the development runner (`poi-runner --dev`, Alice's: `//Alice//runner`):
/// the dev chain registers Alice as a verifier with it.
pub const DEV_RUNNER_KEY: [u8; 32] = DEV_RUNNER_KEYS[0];

impl frame_system::offchain::SigningTypes for Runtime {
	type Public = <crate::Signature as sp_runtime::traits::Verify>::Signer;
	type Signature = crate::Signature;
}

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Runtime
where
	crate::RuntimeCall: From<LocalCall>,
{
	type Extrinsic = crate::UncheckedExtrinsic;
	type RuntimeCall = crate::RuntimeCall;
}

/// Verifiers' off-chain workers sign their verdict transactions with the runtime's standard
/// extensions (mortal for the longest period `BlockHashCount` allows, no tip).
impl<LocalCall> frame_system::offchain::CreateSignedTransaction<LocalCall> for Runtime
where
	crate::RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<
		C: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: crate::RuntimeCall,
		public: Self::Public,
		account: AccountId,
		nonce: crate::Nonce,
	) -> Option<crate::UncheckedExtrinsic> {
		use codec::Encode;
		use sp_runtime::{generic::Era, traits::StaticLookup, SaturatedConversion};
		let period = crate::configs::BlockHashCount::get()
			.checked_next_power_of_two()
			.map(|p| p / 2)
			.unwrap_or(2) as u64;
		let current = crate::System::block_number().saturated_into::<u64>().saturating_sub(1);
		let extension: crate::TxExtension = (
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(Era::mortal(period, current)),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		);
		let payload = crate::SignedPayload::new(call, extension).ok()?;
		let signature = payload.using_encoded(|bytes| C::sign(bytes, public))?;
		let address = <Runtime as frame_system::Config>::Lookup::unlookup(account);
		let (call, extension, _) = payload.deconstruct();
		Some(crate::UncheckedExtrinsic::new_signed(call, address, signature, extension))
	}
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
