//! The IPFS store: artifacts added to and read from an IPFS daemon through its RPC API (kubo's
//! `/api/v0`, which js-ipfs serves too) with `ipfs-api-backend-hyper`. Added artifacts are CIDv1
//! with raw leaves, pinned; every fetch is checked against the artifact's digest like any
//! store's ([`Store::fetch`]).
//!
//! The [`Store`] trait is synchronous (jobs run on worker threads); each call runs on this
//! store's own small tokio runtime and is waited for on the calling thread, so it may be called
//! from anywhere, inside another runtime included.

use crate::store::{FetchError, Store};
use anyhow::{anyhow, Context, Result};
use futures::TryStreamExt;
use ipfs_api_backend_hyper::{request::Add, Error, IpfsApi, IpfsClient, TryFromUri};
use poi_primitives::{digest_of, ArtifactRef};
use std::{future::Future, io::Cursor, sync::mpsc, time::Duration};

/// The largest artifact fetched (an evaluator's input; the RPC server takes 32 MiB).
pub const MAX_ARTIFACT_BYTES: usize = 64 << 20;

/// The longest CID looked up (on chain CIDs are bounded far below this).
const MAX_CID_LEN: usize = 128;

/// An IPFS daemon as an artifact store.
pub struct IpfsStore {
	client: IpfsClient,
	timeout: Duration,
	runtime: tokio::runtime::Runtime,
}

impl IpfsStore {
	/// Connects to the daemon's RPC API at `api` (`http://127.0.0.1:5001`) and checks that it
	/// answers. Each fetch gives up after `timeout` (a CID nobody provides would otherwise wait
	/// for the network forever).
	pub fn connect(api: &str, timeout: Duration) -> Result<Self> {
		let client = IpfsClient::from_str(api)
			.with_context(|| format!("--ipfs-api {api}: not an http(s) URL"))?;
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(1)
			.thread_name("poi-ipfs")
			.enable_all()
			.build()
			.context("starting the IPFS client's runtime")?;
		let store = IpfsStore { client, timeout, runtime };
		let client = store.client.clone();
		let version = store
			.wait(async move { tokio::time::timeout(timeout, client.version()).await })
			.map_err(|_| anyhow!("the IPFS API at {api} did not answer in {timeout:?}"))?
			.map_err(|e| anyhow!("the IPFS API at {api} failed: {e}"))?;
		log::info!("IPFS daemon at {api}: version {}", version.version);
		Ok(store)
	}

	/// Runs `future` on the store's runtime and waits for it on this thread.
	fn wait<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> T {
		let (send, receive) = mpsc::sync_channel(1);
		self.runtime.spawn(async move {
			let _ = send.send(future.await);
		});
		receive.recv().expect("the runtime runs every spawned task to the end; qed")
	}
}

/// Whether `cid` can be a CID (multibase text: letters and digits only), so that nothing else
/// reaches the daemon's query string.
fn cid_text(cid: &[u8]) -> Option<&str> {
	let valid = !cid.is_empty()
		&& cid.len() <= MAX_CID_LEN
		&& cid.iter().all(|c| c.is_ascii_alphanumeric());
	valid.then(|| std::str::from_utf8(cid).ok()).flatten()
}

/// What a daemon's error means for the artifact.
fn fetch_error(e: Error) -> FetchError {
	let text = e.to_string();
	let lower = text.to_ascii_lowercase();
	if lower.contains("not found") || lower.contains("no link named") {
		FetchError::NotFound
	} else if lower.contains("invalid cid")
		|| lower.contains("invalid path")
		|| lower.contains("selected encoding not supported")
		|| lower.contains("failed to parse")
		|| lower.contains("unknown cid")
	{
		FetchError::BadCid
	} else {
		FetchError::Unavailable(text)
	}
}

impl Store for IpfsStore {
	fn kind(&self) -> &'static str {
		"ipfs"
	}

	fn get_raw(&self, cid: &[u8]) -> Result<Vec<u8>, FetchError> {
		let cid = cid_text(cid).ok_or(FetchError::BadCid)?.to_string();
		let client = self.client.clone();
		let timeout = self.timeout;
		self.wait(async move {
			let read = async {
				let mut bytes = Vec::new();
				let mut stream = client.cat(&cid);
				while let Some(chunk) = stream.try_next().await.map_err(fetch_error)? {
					if bytes.len() + chunk.len() > MAX_ARTIFACT_BYTES {
						return Err(FetchError::Unavailable(format!(
							"{cid} is larger than {MAX_ARTIFACT_BYTES} bytes"
						)));
					}
					bytes.extend_from_slice(&chunk);
				}
				Ok(bytes)
			};
			tokio::time::timeout(timeout, read).await.unwrap_or_else(|_| {
				Err(FetchError::Unavailable(format!("IPFS cat timed out after {timeout:?}")))
			})
		})
	}

	fn put(&self, bytes: &[u8]) -> Result<ArtifactRef> {
		let digest = digest_of(bytes);
		let client = self.client.clone();
		let data = bytes.to_vec();
		let timeout = self.timeout;
		let added = self.wait(async move {
			let options = Add {
				cid_version: Some(1),
				raw_leaves: Some(true),
				pin: Some(true),
				..Add::default()
			};
			tokio::time::timeout(timeout, client.add_with_options(Cursor::new(data), options)).await
		});
		let added = added
			.map_err(|_| anyhow!("IPFS add timed out after {timeout:?}"))?
			.map_err(|e| anyhow!("IPFS add: {e}"))?;
		if cid_text(added.hash.as_bytes()).is_none() {
			return Err(anyhow!("IPFS add answered a CID we cannot use: {:?}", added.hash));
		}
		Ok(ArtifactRef::new(digest, added.hash.into_bytes())?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn cids_are_checked_before_they_reach_the_daemon() {
		assert_eq!(
			cid_text(b"bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
			Some("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
		);
		assert!(cid_text(b"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG").is_some());
		for bad in
			[&b""[..], b"../../etc", b"Qm&arg=x", b"bafy?x", &[b'a'; 129][..], b"caf\xc3\xa9"]
		{
			assert_eq!(cid_text(bad), None, "{bad:?}");
		}
	}

	#[test]
	fn a_daemon_that_does_not_answer_is_a_clear_error() {
		// A port nothing listens on (bound, then released).
		let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
		let e = IpfsStore::connect(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5))
			.err()
			.unwrap();
		assert!(e.to_string().contains("failed"), "{e:#}");
		let e = IpfsStore::connect("not a url at all", Duration::from_secs(5)).err().unwrap();
		assert!(e.to_string().contains("not an http(s) URL"), "{e:#}");
	}
}
