//! Artifact stores: where the runner fetches candidates and benchmarks and keeps verdict logs.
//!
//! Every artifact is named on chain by the BLAKE2-256 digest of its bytes and a CID; whatever
//! a store returns is checked against the digest before it is used ([`Store::fetch`]).
//!
//! - [`BlobStore`], the embedded default: a directory of blobs named by the hex of their
//!   digest (that name is the blob's CID).
//! - IPFS through the kubo RPC API is the store for more than one machine (not built yet).

use anyhow::{Context, Result};
use poi_primitives::{digest_of, ArtifactRef};
use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
};

/// Why an artifact could not be had.
#[derive(Debug)]
pub enum FetchError {
	/// The store has nothing under the CID.
	NotFound,
	/// The bytes under the CID are not the artifact's (their digest differs).
	Mismatch,
	/// The CID is not one this store can look up.
	BadCid,
	/// The store failed (disk, network): nothing is known about the artifact.
	Unavailable(String),
}

impl std::fmt::Display for FetchError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			FetchError::NotFound => write!(f, "not found in the store"),
			FetchError::Mismatch => write!(f, "its bytes do not match its digest"),
			FetchError::BadCid => write!(f, "its CID is not one this store can look up"),
			FetchError::Unavailable(why) => write!(f, "the store failed: {why}"),
		}
	}
}

/// An artifact store.
pub trait Store: Send + Sync {
	/// The store's kind, as `info` reports it (`embedded`, `ipfs`).
	fn kind(&self) -> &'static str;

	/// The bytes under `cid`, unchecked.
	fn get_raw(&self, cid: &[u8]) -> Result<Vec<u8>, FetchError>;

	/// Adds `bytes` and returns the artifact naming them.
	fn put(&self, bytes: &[u8]) -> Result<ArtifactRef>;

	/// Removes what was not stored or read for `max_age`; how many blobs went. Stores whose
	/// daemon collects its own garbage (IPFS) remove nothing.
	fn collect_garbage(&self, max_age: std::time::Duration) -> Result<usize> {
		let _ = max_age;
		Ok(0)
	}

	/// The bytes of `artifact`, checked against its digest.
	fn fetch(&self, artifact: &ArtifactRef) -> Result<Vec<u8>, FetchError> {
		let bytes = self.get_raw(&artifact.cid)?;
		if artifact.matches(&bytes) {
			Ok(bytes)
		} else {
			Err(FetchError::Mismatch)
		}
	}
}

/// The embedded store: one file per blob under a directory, named by the hex of its digest.
pub struct BlobStore {
	dir: PathBuf,
}

impl BlobStore {
	/// A store in `dir` (created if missing).
	pub fn open(dir: &Path) -> Result<Self> {
		crate::private::create_dir(dir).context("the blob store")?;
		Ok(BlobStore { dir: dir.to_path_buf() })
	}

	fn path_of(&self, cid: &[u8]) -> Option<PathBuf> {
		// A CID here is 64 lowercase hex digits: nothing else reaches the file system.
		let valid = cid.len() == 64 && cid.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
		if !valid {
			return None;
		}
		Some(self.dir.join(std::str::from_utf8(cid).ok()?))
	}
}

impl Store for BlobStore {
	fn kind(&self) -> &'static str {
		"embedded"
	}

	fn get_raw(&self, cid: &[u8]) -> Result<Vec<u8>, FetchError> {
		let path = self.path_of(cid).ok_or(FetchError::BadCid)?;
		match fs::read(&path) {
			Ok(bytes) => {
				// A blob in use is renewed: garbage collection keeps it.
				if let Err(e) = crate::gc::renew(&path) {
					log::warn!("renewing blob {}: {e}", path.display());
				}
				Ok(bytes)
			},
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FetchError::NotFound),
			Err(e) => Err(FetchError::Unavailable(e.to_string())),
		}
	}

	fn put(&self, bytes: &[u8]) -> Result<ArtifactRef> {
		let digest = digest_of(bytes);
		let cid = hex::encode(digest.as_bytes());
		let path = self.dir.join(&cid);
		if path.exists() {
			crate::gc::renew(&path).with_context(|| format!("renewing {}", path.display()))?;
		} else {
			// Write aside, then rename: a reader never sees half a blob.
			let mut tmp = tempfile_in(&self.dir)?;
			tmp.1.write_all(bytes)?;
			tmp.1.sync_all()?;
			fs::rename(&tmp.0, &path)
				.with_context(|| format!("storing blob {}", path.display()))?;
		}
		Ok(ArtifactRef::new(digest, cid.into_bytes())?)
	}

	fn collect_garbage(&self, max_age: std::time::Duration) -> Result<usize> {
		crate::gc::sweep(&self.dir, max_age, std::time::SystemTime::now())
	}
}

fn tempfile_in(dir: &Path) -> Result<(PathBuf, fs::File)> {
	use std::sync::atomic::{AtomicU64, Ordering};
	static NEXT: AtomicU64 = AtomicU64::new(0);
	let name = format!(".tmp-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
	let path = dir.join(name);
	let file = fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
	Ok((path, file))
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::H256;

	#[test]
	fn put_then_fetch_checks_the_digest() {
		let dir = tempfile::tempdir().unwrap();
		let store = BlobStore::open(dir.path()).unwrap();
		let a = store.put(b"hello").unwrap();
		assert_eq!(a.digest, digest_of(b"hello"));
		assert_eq!(a.cid, hex::encode(a.digest.as_bytes()).into_bytes());
		assert_eq!(store.fetch(&a).unwrap(), b"hello");
		assert_eq!(store.put(b"hello").unwrap(), a, "adding twice is one blob");

		// Bytes changed on disk: the digest no longer matches.
		fs::write(dir.path().join(std::str::from_utf8(&a.cid).unwrap()), b"hellO").unwrap();
		assert!(matches!(store.fetch(&a), Err(FetchError::Mismatch)));

		// An artifact naming other bytes under an existing CID.
		let b = store.put(b"other").unwrap();
		let lying = ArtifactRef { digest: H256::repeat_byte(1), cid: b.cid.clone() };
		assert!(matches!(store.fetch(&lying), Err(FetchError::Mismatch)));
	}

	#[test]
	fn missing_and_malformed_cids() {
		let dir = tempfile::tempdir().unwrap();
		let store = BlobStore::open(dir.path()).unwrap();
		let absent =
			ArtifactRef::new(digest_of(b"x"), hex::encode(digest_of(b"x")).into_bytes()).unwrap();
		assert!(matches!(store.fetch(&absent), Err(FetchError::NotFound)));
		for cid in [&b"../../etc/passwd"[..], b"", b"QmSomeIpfsCid", &[b'A'; 64][..]] {
			let a = ArtifactRef::new(H256::zero(), cid.to_vec()).unwrap();
			assert!(matches!(store.fetch(&a), Err(FetchError::BadCid)), "{cid:?}");
		}
	}
}
