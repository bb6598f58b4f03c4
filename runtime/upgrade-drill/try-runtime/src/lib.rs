//! # poi-upgrade-drill-try-runtime
//!
//! The upgrade drill's runtime (crate `poi-upgrade-drill`: the poi runtime one `spec_version`
//! later) built with the feature `try-runtime`, for `poi-node try-runtime`, which runs its
//! migrations, decoding and `try_state` checks against a network's state before the drill
//! enacts the build without the feature. A network never runs this blob.
//!
//! The blob lies under the target directory's profile folder (`release/` for the scripts'
//! builds): `wbuild/poi-upgrade-drill-try-runtime/poi_upgrade_drill_try_runtime.compact.compressed.wasm`.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

// The WebAssembly build exports the runtime's entry points from here.
#[cfg(not(feature = "std"))]
pub use poi_runtime;
