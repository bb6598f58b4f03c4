//! `pallet-bonding-curve`: each project's token on a linear bonding curve, its reserve and its
//! reward escrow (see `shared/DESIGN.md`, "Bonding curve").
//!
//! **Partly built.** What exists is the curve's arithmetic, [`curve`], exact and checked, with
//! property tests. The pallet itself (the token as an asset of pallet-assets, `buy`, `sell`,
//! `fund_rewards`, reward minting, runtime APIs, `try_state`) is not built yet, and the runtime
//! does not include this crate.

#![cfg_attr(not(feature = "std"), no_std)]

pub mod curve;
