//! # poi runtime
//!
//! The FRAME runtime of poi, a Proof-of-Improvement solochain (the rules it enforces: `docs/protocol.md`).
//!
//! This file is the table of contents: the primitive types, the runtime version, the pallet
//! list and the extrinsic format. Each pallet's configuration lives in [`configs`], the
//! runtime APIs in [`apis`], and the genesis presets (development, local testnet, public
//! testnet) in [`genesis_config_presets`].
//!
//! The native token is **POI** with [`TOKEN_DECIMALS`] decimals; addresses use the SS58
//! prefix [`SS58_PREFIX`]. Blocks are authored by Aura every [`MILLISECS_PER_BLOCK`] and
//! finalized by GRANDPA.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-style macros need a big recursion budget.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

// `benchmarks` defines the `list_benchmarks!`/`add_benchmarks!` macros that `apis` uses: it
// must come first.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types: what the node needs to know of blocks and extrinsics without decoding them,
/// so that it keeps syncing across runtime upgrades that change the extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
}

impl_opaque_keys! {
	/// The session keys of a validator: its Aura (authoring) and GRANDPA (finality) keys.
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// The runtime's version. `spec_version` goes up with every change of runtime logic, and
/// `transaction_version` with every change of the extrinsic format or of call indices.
///
/// A change of `spec_version` changes both constants below: the second is this runtime one
/// `spec_version` later, which the runtime-upgrade drill builds (feature `upgrade-drill`, crate
/// `poi-upgrade-drill`) and enacts on a running network. The macro reads the version from the
/// literal, so the two are written out.
#[cfg(not(feature = "upgrade-drill"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("poi"),
	impl_name: alloc::borrow::Cow::Borrowed("poi"),
	authoring_version: 1,
	spec_version: 111,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// The runtime's version one `spec_version` later (feature `upgrade-drill`): the runtime the
/// upgrade drill enacts. Everything else equals [`VERSION`] without the feature.
#[cfg(feature = "upgrade-drill")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("poi"),
	impl_name: alloc::borrow::Cow::Borrowed("poi"),
	authoring_version: 1,
	spec_version: 112,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Target block time. Aura's slot is this long; GRANDPA finalizes behind it.
pub const MILLISECS_PER_BLOCK: u64 = 6000;

/// Aura's slot duration. It cannot change once the chain has started.
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

/// Blocks per minute, hour and day at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// Symbol of the native token.
pub const TOKEN_SYMBOL: &str = "POI";
/// Decimals of the native token.
pub const TOKEN_DECIMALS: u8 = 12;
/// SS58 address prefix (42: the generic Substrate prefix).
pub const SS58_PREFIX: u16 = 42;

/// One POI in its smallest unit (planck).
pub const UNIT: Balance = 1_000_000_000_000;
/// A thousandth of a POI.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// A millionth of a POI.
pub const MICRO_UNIT: Balance = 1_000_000;

/// The least balance an account must hold to exist.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// An index to a block.
pub type BlockNumber = u32;

/// A transaction signature: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;

/// An account on the chain: the public key of its signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// A balance of POI, in planck.
pub type Balance = u128;

/// The number of transactions an account has sent.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions: all of them standard, so that Polkadot.js apps and other
/// generic clients sign for this chain without custom types.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations to run on the next runtime upgrade, aside from the pallets' own.
#[allow(unused_parens)]
type Migrations = ();

/// Executive: dispatches blocks and extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// The pallets of the runtime. Indices are part of the extrinsic format: never reuse one.
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
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Assets = pallet_assets;

	#[runtime::pallet_index(8)]
	pub type Projects = pallet_projects;

	#[runtime::pallet_index(9)]
	pub type BondingCurve = pallet_bonding_curve;

	#[runtime::pallet_index(10)]
	pub type Verifiers = pallet_verifiers;

	#[runtime::pallet_index(11)]
	pub type Proposals = pallet_proposals;
}

#[cfg(test)]
mod tests;
