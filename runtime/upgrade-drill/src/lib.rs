//! # poi-upgrade-drill
//!
//! The poi runtime one `spec_version` later (its feature `upgrade-drill`), built as two
//! WebAssembly blobs for the runtime-upgrade drill (`zombienet/upgrade.js`):
//!
//! - [`WASM_BINARY_PATH`]: the upgrade as a network enacts it (`sudo(system.setCode)`), built
//!   like the node's own runtime.
//! - [`try_runtime::WASM_BINARY_PATH`]: the same runtime with the feature `try-runtime`, whose
//!   `TryRuntime` API `poi-node try-runtime` calls against a snapshot of the network's state
//!   before the upgrade is enacted.
//!
//! Both lie under the target directory, in `release/wbuild/poi-upgrade-drill/`:
//! `poi_upgrade_drill.compact.compressed.wasm` and
//! `poi_upgrade_drill_try_runtime.compact.compressed.wasm`. Natively the crate holds only these
//! paths and bytes; in the WebAssembly build it is the runtime.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

/// The blob built with `try-runtime`.
#[cfg(feature = "std")]
pub mod try_runtime {
	include!(concat!(env!("OUT_DIR"), "/poi_upgrade_drill_try_runtime"));
}

// The WebAssembly build exports the runtime's entry points from here.
#[cfg(not(feature = "std"))]
pub use poi_runtime;
