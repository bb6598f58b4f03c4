//! `poi-offchain`: the logic that the verifiers pallet's off-chain worker runs.
//!
//! What exists today is the verifier key type, so that a validator can already put its
//! verifier key into the node's keystore (`poi-node key insert --key-type poiv ...`). Job
//! dispatch to the runner, polling and attestation building are not built yet: a later issue
//! fills them in (see `shared/DESIGN.md`, "Off-chain worker and runner").

#![cfg_attr(not(feature = "std"), no_std)]

use sp_core::crypto::KeyTypeId;

/// The keystore key type of a verifier's signing key: `poiv`.
///
/// The off-chain worker looks for keys of this type in the node's keystore to find the
/// verification rounds assigned to this node.
pub const VERIFIER_KEY_TYPE: KeyTypeId = KeyTypeId(*b"poiv");

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn verifier_key_type_is_poiv() {
		assert_eq!(&VERIFIER_KEY_TYPE.0, b"poiv");
		assert_eq!(String::from_utf8_lossy(&VERIFIER_KEY_TYPE.0), "poiv");
	}
}
