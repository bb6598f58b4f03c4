//! Weights of pallet-projects.
//!
//! **Not generated yet**: the benchmarks of this pallet are still to be written (issue
//! "Projects and their tokens"). Until `poi-node benchmark pallet` generates this file, only
//! the `()` implementation exists, and it is for unit tests: the pallet is not in the runtime.

use frame_support::weights::Weight;

/// The weight of each call.
pub trait WeightInfo {
	/// `create_project`.
	fn create_project() -> Weight;
	/// `freeze_project`.
	fn freeze_project() -> Weight;
	/// `unfreeze_project`.
	fn unfreeze_project() -> Weight;
}

/// For unit tests only (see the module docs).
impl WeightInfo for () {
	fn create_project() -> Weight {
		Weight::zero()
	}
	fn freeze_project() -> Weight {
		Weight::zero()
	}
	fn unfreeze_project() -> Weight {
		Weight::zero()
	}
}
