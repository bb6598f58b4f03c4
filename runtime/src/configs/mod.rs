//! The configuration of every pallet in the runtime, one file a pallet.

mod assets;
mod aura;
mod balances;
mod grandpa;
mod sudo;
mod system;
mod timestamp;
mod transaction_payment;

pub use system::{RuntimeBlockLength, RuntimeBlockWeights};
