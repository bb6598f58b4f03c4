//! `pallet-verifiers`: verifier bonds, runner keys, selection, rewards and penalties; the off-chain worker hook.
//!
//! **Not built yet.** This crate reserves its place in the workspace (see `shared/DESIGN.md`,
//! "Parts and where they live"); it has no storage, calls or events, and the runtime does not
//! include it. A later issue fills it in.

#![cfg_attr(not(feature = "std"), no_std)]
