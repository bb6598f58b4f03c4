//! The runner's signing key: an sr25519 key kept in a key file, created on first use.
//!
//! The file holds the key's 32-byte seed as `0x`-prefixed hex and nothing else; on Unix it is
//! created readable by its owner only. `poi-runner key` prints the public key, which the
//! verifier registers with `verifiers.register` (or `set_runner_key`).

use anyhow::{anyhow, Context, Result};
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use std::path::Path;

/// The secret URI of the well-known development runner key (`--dev`): the dev chain's genesis
/// registers Alice as a verifier with its public key. Never use it on a public chain.
pub const DEV_RUNNER_SURI: &str = "//Alice//runner";

/// The development runner key (Alice's).
pub fn dev_key() -> sr25519::Pair {
	sr25519::Pair::from_string(DEV_RUNNER_SURI, None).expect("a valid derivation path; qed")
}

/// The well-known development accounts whose runners have well-known keys
/// (`--dev-account <name>`): the local testnet's genesis registers the first four, its
/// validators, as verifiers with them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum DevAccount {
	/// `//Alice//runner`, the key of `--dev`.
	Alice,
	/// `//Bob//runner`.
	Bob,
	/// `//Charlie//runner`.
	Charlie,
	/// `//Dave//runner`.
	Dave,
	/// `//Eve//runner` (no preset registers it).
	Eve,
	/// `//Ferdie//runner` (no preset registers it).
	Ferdie,
}

impl DevAccount {
	/// The secret URI of this account's development runner key: `//<Name>//runner`.
	pub fn suri(self) -> &'static str {
		match self {
			DevAccount::Alice => DEV_RUNNER_SURI,
			DevAccount::Bob => "//Bob//runner",
			DevAccount::Charlie => "//Charlie//runner",
			DevAccount::Dave => "//Dave//runner",
			DevAccount::Eve => "//Eve//runner",
			DevAccount::Ferdie => "//Ferdie//runner",
		}
	}

	/// This account's development runner key.
	pub fn key(self) -> sr25519::Pair {
		sr25519::Pair::from_string(self.suri(), None).expect("a valid derivation path; qed")
	}
}

/// Loads the key in `path`, or creates a new random one there when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<sr25519::Pair> {
	if let Some(text) = crate::private::read_secret(path)? {
		return parse(&text).with_context(|| format!("key file {}", path.display()));
	}
	let (pair, seed) = sr25519::Pair::generate();
	crate::private::write_secret(path, &format!("0x{}", hex::encode(seed)))?;
	log::info!("created runner key {} in {}", pair.public().to_ss58check(), path.display());
	Ok(pair)
}

fn parse(text: &str) -> Result<sr25519::Pair> {
	let text = text.trim();
	let hex_seed = text.strip_prefix("0x").unwrap_or(text);
	let mut seed = [0u8; 32];
	hex::decode_to_slice(hex_seed, &mut seed)
		.map_err(|_| anyhow!("expected a 32-byte seed as hex (64 hex digits)"))?;
	Ok(sr25519::Pair::from_seed(&seed))
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::fs;

	#[test]
	fn created_once_then_loaded() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("sub/runner.key");
		let first = load_or_create(&path).unwrap();
		let again = load_or_create(&path).unwrap();
		assert_eq!(first.public(), again.public());
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = fs::metadata(&path).unwrap().permissions().mode();
			assert_eq!(mode & 0o777, 0o600);
		}
		let other = load_or_create(&dir.path().join("other.key")).unwrap();
		assert_ne!(first.public(), other.public());
	}

	#[test]
	fn a_damaged_key_file_is_an_error_not_a_new_key() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("runner.key");
		fs::write(&path, "0x1234").unwrap();
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
		}
		let Err(error) = load_or_create(&path) else { panic!("a damaged key file loaded") };
		assert!(format!("{error:#}").contains("32-byte seed"), "{error:#}");
		assert_eq!(fs::read_to_string(&path).unwrap(), "0x1234", "the file is left alone");
	}

	#[cfg(unix)]
	#[test]
	fn a_key_file_others_can_read_is_refused_not_used() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("runner.key");
		let key = load_or_create(&path).unwrap();
		assert_eq!(fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777, 0o700);
		fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
		let Err(error) = load_or_create(&path) else { panic!("an open key file loaded") };
		assert!(format!("{error:#}").contains("mode 644"), "{error:#}");
		fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
		assert_eq!(load_or_create(&path).unwrap().public(), key.public());
	}

	#[test]
	fn each_dev_account_has_its_own_documented_key() {
		use clap::ValueEnum;
		let names = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];
		let accounts = DevAccount::value_variants();
		assert_eq!(accounts.len(), names.len());
		for (account, name) in accounts.iter().zip(names) {
			let expected = sr25519::Pair::from_string(&format!("//{name}//runner"), None).unwrap();
			assert_eq!(account.key().public(), expected.public(), "{name}");
		}
		assert_eq!(DevAccount::Alice.key().public(), dev_key().public());
		assert_ne!(DevAccount::Bob.key().public(), DevAccount::Charlie.key().public());
	}

	#[test]
	fn dev_key_is_the_documented_derivation() {
		let expected = sr25519::Pair::from_string("//Alice//runner", None).unwrap();
		assert_eq!(dev_key().public(), expected.public());
		assert_ne!(
			dev_key().public(),
			sr25519::Pair::from_string("//Alice", None).unwrap().public()
		);
	}
}
