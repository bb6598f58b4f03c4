//! A runtime with balances, assets, projects, the bonding curve, verifiers and this pallet,
//! for unit tests.

use crate as pallet_proposals;
use frame_support::{
	derive_impl, parameter_types,
	traits::{AsEnsureOriginWithArg, ConstU32},
	PalletId,
};
use frame_system::{EnsureRoot, EnsureSigned};
use sp_core::H256;
use sp_runtime::{
	traits::{BlakeTwo256, Hash, IdentityLookup},
	AccountId32, BuildStorage, Perbill,
};

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
	#[runtime::pallet_index(5)]
	pub type Verifiers = pallet_verifiers;
	#[runtime::pallet_index(6)]
	pub type Props = pallet_proposals;
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
	pub const VerifiersPalletId: PalletId = PalletId(*b"poi/vrfy");
	pub const ProposalsPalletId: PalletId = PalletId(*b"poi/prop");
	pub const SlashShare: Perbill = Perbill::from_percent(10);
	/// A test may lower it below a project's quorum.
	pub static RoundMaxQuorum: u32 = 7;
}

impl pallet_projects::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type ProjectDeposit = ProjectDeposit;
	type StatusChangeDelay = frame_support::traits::ConstU64<10>;
	type MaxNameLen = ConstU32<16>;
	type MaxSymbolLen = ConstU32<8>;
	type MaxQuorum = ConstU32<5>;
	type MaxWasmFuel = frame_support::traits::ConstU64<10_000_000_000>;
	type MaxCandleGptSteps = ConstU32<5_000>;
	type MaxCommandSeconds = ConstU32<120>;
	type MinNondeterministicToleranceBps = ConstU32<100>;
	type MaxPathLen = ConstU32<8>;
	type Tokens = Curve;
	type WeightInfo = ();
}

/// Project tokens take the asset ids from 1000 on.
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

impl pallet_verifiers::Config for Test {
	type Currency = Balances;
	type Assets = Assets;
	type PalletId = VerifiersPalletId;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MinBond = frame_support::traits::ConstU64<100>;
	type UnbondingDelay = frame_support::traits::ConstU64<10>;
	type MaxVerifiers = ConstU32<16>;
	type MaxMissedInRow = ConstU32<3>;
	type SlashShare = SlashShare;
	type WeightInfo = ();
	type Jobs = Props;
	type AuthorityId = pallet_verifiers::offchain::crypto::VerifierAuthId;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkAsset;
}

/// Signed transactions of the verifiers' off-chain worker, as the test pool holds them.
pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<
	AccountId,
	RuntimeCall,
	sp_runtime::MultiSignature,
	frame_system::CheckNonce<Test>,
>;

impl frame_system::offchain::SigningTypes for Test {
	type Public = sp_runtime::MultiSigner;
	type Signature = sp_runtime::MultiSignature;
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
		A: frame_system::offchain::AppCrypto<sp_runtime::MultiSigner, sp_runtime::MultiSignature>,
	>(
		call: RuntimeCall,
		public: sp_runtime::MultiSigner,
		account: AccountId,
		nonce: u32,
	) -> Option<Extrinsic> {
		use codec::Encode;
		let extension = frame_system::CheckNonce::<Test>::from(nonce);
		let signature = (&call, &extension).using_encoded(|payload| A::sign(payload, public))?;
		Some(Extrinsic::new_signed(call, account, signature, extension))
	}
}

/// Creates asset 77 for the verifiers' `claim_rewards` benchmark.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkAsset;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_verifiers::BenchmarkHelper<u32> for BenchmarkAsset {
	fn reward_asset() -> u32 {
		let _ = Assets::force_create(RuntimeOrigin::root(), 77, account(1), false, 1);
		77
	}
}

std::thread_local! {
	/// What the chain's randomness mixes in besides the subject and the block number: a
	/// stand-in for the hash of a block nobody has seen yet, which a test sets to play out
	/// different futures.
	pub static ENTROPY: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
}

/// Seeds from the subject, the block number and [`ENTROPY`]: deterministic, different per
/// proposal.
pub struct TestRandomness;
impl frame_support::traits::Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let now = System::block_number();
		(BlakeTwo256::hash_of(&(subject, now, ENTROPY.with(|e| e.get()))), now)
	}
}

impl pallet_proposals::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Assets = Assets;
	type ProjectAssetId = ProjectAssetId;
	type Projects = Registry;
	type Tokens = Curve;
	type Verifiers = Verifiers;
	type Randomness = TestRandomness;
	type PalletId = ProposalsPalletId;
	type MinStake = frame_support::traits::ConstU64<10>;
	type MinStakeValue = frame_support::traits::ConstU64<100>;
	type VerifierFee = frame_support::traits::ConstU64<30>;
	type ProposalDeposit = frame_support::traits::ConstU64<50>;
	type ReservationPeriod = frame_support::traits::ConstU64<20>;
	type RevealDelay = frame_support::traits::ConstU64<1>;
	type DrawDelay = frame_support::traits::ConstU64<2>;
	type RevealWindow = frame_support::traits::ConstU64<5>;
	type VerdictCommitPeriod = frame_support::traits::ConstU64<3>;
	type VerdictRevealPeriod = frame_support::traits::ConstU64<3>;
	type ChallengeWindow = frame_support::traits::ConstU64<10>;
	type MinChallengeBond = frame_support::traits::ConstU64<1_000>;
	type MaxQuorum = RoundMaxQuorum;
	type MaxDeadlinesPerBlock = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Registry;
}

/// The test accounts: `account(n)` is 32 bytes of `n`.
pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

/// Accounts 1..=30 hold 1 000 000 each.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let balances: Vec<(AccountId, u64)> = (1..=30).map(|n| (account(n), 1_000_000)).collect();
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Advances to block `n`, running every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// [`new_test_ext`] with a keystore, in which the benchmarks make runner keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn bench_ext() -> sp_io::TestExternalities {
	let mut ext = new_test_ext();
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext
}
