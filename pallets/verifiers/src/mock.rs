//! A minimal runtime for the pallet's unit tests.

use crate as pallet_verifiers;
use codec::Encode;
use frame_support::{derive_impl, parameter_types};
use poi_offchain::{wire::Signature, worker::LocalJob};
use poi_primitives::Verdict;
use sp_core::H256;
use sp_runtime::{
	testing::{TestSignature, UintAuthorityId},
	BuildStorage,
};

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
	pub type Assets = pallet_assets;
	#[runtime::pallet_index(3)]
	pub type Registry = pallet_verifiers;
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

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Currency = Balances;
	type CreateOrigin =
		frame_support::traits::AsEnsureOriginWithArg<frame_system::EnsureSigned<u64>>;
	type ForceOrigin = frame_system::EnsureRoot<u64>;
	type Freezer = ();
	type Holder = ();
}

parameter_types! {
	pub const MinBond: u64 = 100;
	pub const UnbondingDelay: u64 = 10;
	pub const VerifiersPalletId: frame_support::PalletId = frame_support::PalletId(*b"poi/vrfy");
	pub const SlashShare: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(10);
}

impl pallet_verifiers::Config for Test {
	type Currency = Balances;
	type Assets = Assets;
	type PalletId = VerifiersPalletId;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = frame_system::EnsureRoot<u64>;
	type MinBond = MinBond;
	type UnbondingDelay = UnbondingDelay;
	type MaxVerifiers = frame_support::traits::ConstU32<5>;
	type MaxMissedInRow = frame_support::traits::ConstU32<3>;
	type SlashShare = SlashShare;
	type WeightInfo = ();
	type Jobs = MockJobs;
	type AuthorityId = TestAuthId;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkAsset;
}

/// Signed transactions of the off-chain worker, as the test pool holds them.
pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<
	u64,
	RuntimeCall,
	TestSignature,
	frame_system::CheckNonce<Test>,
>;

impl frame_system::offchain::SigningTypes for Test {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<UintAuthorityId, TestSignature>,
	>(
		call: RuntimeCall,
		public: UintAuthorityId,
		account: u64,
		nonce: u32,
	) -> Option<Extrinsic> {
		let extension = frame_system::CheckNonce::<Test>::from(nonce);
		let signature = (&call, &extension).using_encoded(|payload| A::sign(payload, public))?;
		Some(Extrinsic::new_signed(call, account, signature, extension))
	}
}

/// Test keys (`UintAuthorityId::set_all_keys`) stand for the keystore's `poiv` keys.
pub struct TestAuthId;
impl frame_system::offchain::AppCrypto<UintAuthorityId, TestSignature> for TestAuthId {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

thread_local! {
	/// The jobs [`MockJobs`] hands out, per verifier.
	pub static JOBS: core::cell::RefCell<Vec<(u64, LocalJob)>> = Default::default();
}

/// Jobs from [`JOBS`]; verdict calls are remarks that carry what a real call would.
pub struct MockJobs;
impl crate::VerifierJobs<u64> for MockJobs {
	type Call = frame_system::Call<Test>;

	fn jobs(who: &u64) -> Vec<LocalJob> {
		JOBS.with(|jobs| {
			jobs.borrow().iter().filter(|(w, _)| w == who).map(|(_, j)| j.clone()).collect()
		})
	}

	fn commit_call(proposal: u64, commitment: H256) -> Self::Call {
		frame_system::Call::remark { remark: (b"commit", proposal, commitment).encode() }
	}

	fn reveal_call(
		proposal: u64,
		verdict: &Verdict,
		salt: H256,
		signature: &Signature,
	) -> Self::Call {
		frame_system::Call::remark {
			remark: (b"reveal", proposal, verdict, salt, signature).encode(),
		}
	}
}

/// Creates asset 77 for the `claim_rewards` benchmark.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkAsset;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u32> for BenchmarkAsset {
	fn reward_asset() -> u32 {
		let _ = Assets::force_create(RuntimeOrigin::root(), 77, 1, false, 1);
		77
	}
}

/// Accounts 1, 2, 3, 5, 6, 7 hold 10 000; 4 holds 150.
pub fn new_test_ext(admission: crate::Admission, allowlist: Vec<u64>) -> sp_io::TestExternalities {
	genesis_ext(admission, allowlist, vec![])
}

/// [`new_test_ext`] with `verifiers` registered at genesis.
pub fn genesis_ext(
	admission: crate::Admission,
	allowlist: Vec<u64>,
	verifiers: Vec<(u64, u64, crate::RunnerKey)>,
) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(1, 10_000),
			(2, 10_000),
			(3, 10_000),
			(4, 150),
			(5, 10_000),
			(6, 10_000),
			(7, 10_000),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_verifiers::GenesisConfig::<Test> { admission, allowlist, verifiers }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Permissionless admission, empty allowlist.
pub fn open_ext() -> sp_io::TestExternalities {
	new_test_ext(crate::Admission::Permissionless, vec![])
}

/// Advances to block `n`.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}
