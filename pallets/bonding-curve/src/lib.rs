//! `pallet-bonding-curve`: per-project token on a linear bonding curve, reserve and reward escrow.
//!
//! **Not built yet.** This crate reserves its place in the workspace (see `shared/DESIGN.md`,
//! "Parts and where they live"); it has no storage, calls or events, and the runtime does not
//! include it. A later issue fills it in.

#![cfg_attr(not(feature = "std"), no_std)]
