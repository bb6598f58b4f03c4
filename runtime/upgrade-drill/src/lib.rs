//! # poi-upgrade-drill
//!
//! The poi runtime one `spec_version` later (its feature `upgrade-drill`), as a network enacts
//! it (`sudo(system.setCode)` in zombienet's drill 5, `zombienet/upgrade.js`); built like the
//! node's own runtime. Crate `poi-upgrade-drill-try-runtime` builds the same runtime with the
//! feature `try-runtime`, which `poi-node try-runtime` runs against the network's state first.
//!
//! The blob lies under the target directory's profile folder (`release/` for the scripts'
//! builds): `wbuild/poi-upgrade-drill/poi_upgrade_drill.compact.compressed.wasm`. Natively the
//! crate holds only its path and bytes; in the WebAssembly build it is the runtime.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

// The WebAssembly build exports the runtime's entry points from here.
#[cfg(not(feature = "std"))]
pub use poi_runtime;
