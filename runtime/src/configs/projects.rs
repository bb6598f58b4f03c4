//! `pallet_projects`: the project registry and lineage DAGs. Creating a project launches its
//! token through `BondingCurve`.

use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;

use crate::{AccountId, Balance, Balances, BondingCurve, Runtime, RuntimeHoldReason, HOURS, UNIT};

parameter_types! {
	/// Held from a project's creator while the project exists.
	pub const ProjectDeposit: Balance = 10 * UNIT;
	/// Ten billion fuel units for one wasm run, about as many WebAssembly instructions: tens
	/// of seconds of wasmtime on one core, far inside the 10-minute verdict commit period. A
	/// slower runner stops the run at its own wall clock (60 s by default) with a harness
	/// error, which releases the proposal instead of slashing anyone.
	pub const MaxWasmFuel: u64 = 10_000_000_000;
	/// Five thousand candle-gpt training steps per trial: the same work on every runner. With
	/// the example project's model (`examples/candle-gpt`, 300 steps in 6 s on the 2-core
	/// reference machine) that is 100 s a trial, inside the 10-minute verdict commit period;
	/// a protocol whose surface allows larger models may take longer, and a runner that cannot
	/// finish a job by its own deadline (`poi-runner --job-seconds`, 8 minutes by default)
	/// answers a signed harness error, which releases the proposal and slashes nobody.
	pub const MaxCandleGptSteps: u32 = 5_000;
	/// Two minutes a trial for a command project: three trials and the sandbox's start fit a
	/// runner's default job deadline (8 minutes) inside the 10-minute verdict commit period.
	pub const MaxCommandSeconds: u32 = 120;
}

impl pallet_projects::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type ProjectDeposit = ProjectDeposit;
	// An hour between a creator's freezes and unfreezes: longer than a round's phases, so
	// that a creator cannot time its project's status around them.
	type StatusChangeDelay = ConstU32<{ HOURS }>;
	// Both stay within pallet-assets' `StringLimit` (50), which stores them as metadata.
	type MaxNameLen = ConstU32<32>;
	type MaxSymbolLen = ConstU32<12>;
	type MaxQuorum = ConstU32<16>;
	type MaxWasmFuel = MaxWasmFuel;
	type MaxCandleGptSteps = MaxCandleGptSteps;
	type MaxCommandSeconds = MaxCommandSeconds;
	// 1 %: the candle-gpt example's tolerance; training is floating point on whatever
	// hardware a verifier has, so exact agreement cannot be asked for.
	type MinNondeterministicToleranceBps = ConstU32<100>;
	type MaxPathLen = ConstU32<64>;
	type Tokens = BondingCurve;
	type WeightInfo = crate::weights::pallet_projects::WeightInfo<Runtime>;
}
