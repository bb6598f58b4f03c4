//! The weight functions of pallet-proposals.
//!
//! **Not generated yet**: this pallet has no benchmarks and is not in the runtime. The `()`
//! implementation weighs nothing and is for its unit tests only.

use frame_support::weights::Weight;

/// The weight of each call and of the hook.
pub trait WeightInfo {
	/// `commit`.
	fn commit() -> Weight;
	/// `reveal`, drawing the project's quorum from `v` registered verifiers.
	fn reveal(v: u32) -> Weight;
	/// `commit_verdict` in a round of `q`.
	fn commit_verdict(q: u32) -> Weight;
	/// `reveal_verdict` in a round of `q`, settling it.
	fn reveal_verdict(q: u32) -> Weight;
	/// `challenge`, drawing a challenge quorum from `v` registered verifiers.
	fn challenge(v: u32) -> Weight;
	/// The hook with nothing due.
	fn on_initialize_base() -> Weight;
	/// One due deadline at its worst (settling a round of `q`).
	fn on_initialize_item(q: u32) -> Weight;
}

/// For unit tests only (see the module docs).
impl WeightInfo for () {
	fn commit() -> Weight {
		Weight::zero()
	}
	fn reveal(_v: u32) -> Weight {
		Weight::zero()
	}
	fn commit_verdict(_q: u32) -> Weight {
		Weight::zero()
	}
	fn reveal_verdict(_q: u32) -> Weight {
		Weight::zero()
	}
	fn challenge(_v: u32) -> Weight {
		Weight::zero()
	}
	fn on_initialize_base() -> Weight {
		Weight::zero()
	}
	fn on_initialize_item(_q: u32) -> Weight {
		Weight::zero()
	}
}
