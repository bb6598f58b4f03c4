//! The weight functions of pallet-verifiers.
//!
//! **Not generated yet**: this pallet has no benchmarks and is not in the runtime. The `()`
//! implementation weighs nothing and is for its unit tests only.

use frame_support::weights::Weight;

/// The weight of each call.
pub trait WeightInfo {
	/// `register`.
	fn register() -> Weight;
	/// `set_runner_key`.
	fn set_runner_key() -> Weight;
	/// `unbond`.
	fn unbond() -> Weight;
	/// `withdraw_unbonded`.
	fn withdraw_unbonded() -> Weight;
	/// `set_admission`.
	fn set_admission() -> Weight;
	/// `set_allowed`.
	fn set_allowed() -> Weight;
	/// `rejoin`.
	fn rejoin() -> Weight;
	/// `claim_rewards`.
	fn claim_rewards() -> Weight;
}

/// For unit tests only (see the module docs).
impl WeightInfo for () {
	fn register() -> Weight {
		Weight::zero()
	}
	fn set_runner_key() -> Weight {
		Weight::zero()
	}
	fn unbond() -> Weight {
		Weight::zero()
	}
	fn withdraw_unbonded() -> Weight {
		Weight::zero()
	}
	fn set_admission() -> Weight {
		Weight::zero()
	}
	fn set_allowed() -> Weight {
		Weight::zero()
	}
	fn rejoin() -> Weight {
		Weight::zero()
	}
	fn claim_rewards() -> Weight {
		Weight::zero()
	}
}
