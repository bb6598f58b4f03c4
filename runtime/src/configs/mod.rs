//! The configuration of every pallet in the runtime, one file a pallet.

mod assets;
mod aura;
mod balances;
mod bonding_curve;
mod grandpa;
mod projects;
mod proposals;
mod sudo;
mod system;
mod timestamp;
mod transaction_payment;
mod verifiers;

pub use assets::{SignedBelowProjectTokens, PROJECT_TOKEN_ASSET_IDS};
pub use bonding_curve::ProjectAssetId;
pub use proposals::{MinStake, MinStakeValue, VerifierFee};
pub use system::{BlockHashCount, RuntimeBlockLength, RuntimeBlockWeights};
pub use verifiers::{DEV_RUNNER_KEY, DEV_RUNNER_KEYS};
