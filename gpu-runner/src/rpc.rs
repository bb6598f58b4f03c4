//! The runner's JSON-RPC server (HTTP and WebSocket on one port). Its methods are two typed
//! traits, which document them and give tests and clients a typed client
//! ([`RunnerApiClient`], [`UploadApiClient`]): [`RunnerApi`] (`submit_job`, `job_status`,
//! `info`: what a node's off-chain worker calls) and [`UploadApi`] (`put_artifact`, served
//! only when uploads are on, within [`UploadLimits`]). The wire types are
//! `poi_offchain::wire`'s.
//!
//! Two HTTP layers stand before the methods: [`auth::Guard`] (no `Origin` header, the API
//! token) and a `Host` filter (a loopback name, the listen address or an allowed host), so that
//! neither a web page a verifier opens (directly, or through DNS rebinding: a name of the
//! attacker's that resolves to 127.0.0.1) nor a process without the token reaches the methods.

use crate::{
	auth,
	service::{Service, SubmitError},
};
use anyhow::{Context, Result};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	server::{middleware::http::HostFilterLayer, Server, ServerHandle},
	types::ErrorObject,
	RpcModule,
};
use poi_offchain::wire::{JobRequest, JobStatus, RunnerInfo, BAD_JOB, QUEUE_FULL};
use poi_primitives::ArtifactRef;
use sp_core::H256;
use std::{
	collections::VecDeque,
	net::SocketAddr,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

/// The largest request body: an artifact of up to 32 MiB as hex, and then some.
pub const MAX_REQUEST_BYTES: u32 = 65 << 20;

/// The error code of an upload refused for its size or the quota.
pub const UPLOAD_REFUSED: i32 = -32003;

/// How much `put_artifact` takes: each artifact at most `max_bytes`, and at most
/// `bytes_per_hour` in any hour. The API token admits one client (the verifier's node and
/// tools), so the quota is that client's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadLimits {
	/// The largest artifact, in bytes (at most 32 MiB, what a request body carries).
	pub max_bytes: u64,
	/// The most bytes uploaded in any hour.
	pub bytes_per_hour: u64,
}

impl Default for UploadLimits {
	fn default() -> Self {
		UploadLimits { max_bytes: 32 << 20, bytes_per_hour: 1 << 30 }
	}
}

/// The uploads of the last hour, against [`UploadLimits`].
struct UploadQuota {
	limits: UploadLimits,
	recent: VecDeque<(Instant, u64)>,
}

impl UploadQuota {
	const WINDOW: Duration = Duration::from_secs(3600);

	/// Counts an upload of `len` bytes now, or says why it is refused.
	fn take(&mut self, len: u64, now: Instant) -> Result<(), String> {
		if len > self.limits.max_bytes {
			return Err(format!(
				"an artifact of {len} bytes is over the runner's upload limit of {} bytes",
				self.limits.max_bytes
			));
		}
		while self.recent.front().is_some_and(|(at, _)| now.duration_since(*at) >= Self::WINDOW) {
			self.recent.pop_front();
		}
		let used: u64 = self.recent.iter().map(|(_, n)| n).sum();
		if used.saturating_add(len) > self.limits.bytes_per_hour {
			return Err(format!(
				"upload quota: {used} of {} bytes in the last hour already",
				self.limits.bytes_per_hour
			));
		}
		self.recent.push_back((now, len));
		Ok(())
	}
}

/// What a node asks of its runner.
#[rpc(server, client)]
pub trait RunnerApi {
	/// Takes a job, or answers for it if it is already known (idempotent: the job's id is the
	/// BLAKE2-256 of its whole SCALE-encoded request). Errors: a full queue `-32001`, an
	/// evaluator the runner lacks `-32002`.
	#[method(name = "submit_job", blocking)]
	fn submit_job(&self, job: JobRequest) -> RpcResult<JobStatus>;

	/// Where job `id` is: `queued`, `running`, `done` with the signed verdict, or `unknown`.
	#[method(name = "job_status", blocking)]
	fn job_status(&self, id: H256) -> RpcResult<JobStatus>;

	/// The runner's public key, version, devices, evaluators, store and queue.
	#[method(name = "info")]
	fn info(&self) -> RpcResult<RunnerInfo>;
}

/// Adding files to the runner's store over RPC (off unless the runner listens on loopback or
/// `--uploads true`).
#[rpc(server, client)]
pub trait UploadApi {
	/// Stores the bytes (hex) and returns their artifact (digest and CID). Errors: not hex
	/// `-32002`, over the size limit or the hour's quota `-32003`.
	#[method(name = "put_artifact", blocking)]
	fn put_artifact(&self, data: String) -> RpcResult<ArtifactRef>;
}

struct Runner(Arc<Service>);

impl RunnerApiServer for Runner {
	fn submit_job(&self, job: JobRequest) -> RpcResult<JobStatus> {
		self.0.submit(job).map_err(|e| {
			let code = match e {
				SubmitError::QueueFull(_) => QUEUE_FULL,
				SubmitError::Unsupported(_) => BAD_JOB,
			};
			ErrorObject::owned(code, e.to_string(), None::<()>)
		})
	}

	fn job_status(&self, id: H256) -> RpcResult<JobStatus> {
		Ok(self.0.status(id))
	}

	fn info(&self) -> RpcResult<RunnerInfo> {
		Ok(self.0.info())
	}
}

struct Uploads {
	service: Arc<Service>,
	quota: Mutex<UploadQuota>,
}

impl UploadApiServer for Uploads {
	fn put_artifact(&self, data: String) -> RpcResult<ArtifactRef> {
		let bytes = hex::decode(data.strip_prefix("0x").unwrap_or(&data)).map_err(|_| {
			ErrorObject::owned(BAD_JOB, "put_artifact takes the bytes as hex", None::<()>)
		})?;
		self.quota
			.lock()
			.unwrap_or_else(|e| e.into_inner())
			.take(bytes.len() as u64, Instant::now())
			.map_err(|why| ErrorObject::owned(UPLOAD_REFUSED, why, None::<()>))?;
		self.service.store().put(&bytes).map_err(|e| {
			ErrorObject::owned(
				jsonrpsee::types::error::INTERNAL_ERROR_CODE,
				format!("{e:#}"),
				None::<()>,
			)
		})
	}
}

/// The RPC methods over `service`: [`RunnerApi`], and [`UploadApi`] within `uploads` when
/// they are on.
pub fn module(service: Arc<Service>, uploads: Option<UploadLimits>) -> Result<RpcModule<()>> {
	let mut module = RpcModule::new(());
	module.merge(Runner(service.clone()).into_rpc())?;
	if let Some(limits) = uploads {
		let quota = Mutex::new(UploadQuota { limits, recent: VecDeque::new() });
		module.merge(Uploads { service, quota }.into_rpc())?;
	}
	Ok(module)
}

/// The `Host` headers a runner on `addr` answers: the loopback names on any port, `addr`
/// itself, and `extra` (`--allow-host`: the name or address, with `:port` or `:*`, that a node
/// on another machine uses in its `--runner-url`).
pub fn allowed_hosts(addr: SocketAddr, extra: &[String]) -> Vec<String> {
	let mut hosts: Vec<String> =
		["localhost:*", "127.0.0.1:*", "[::1]:*"].iter().map(|h| h.to_string()).collect();
	hosts.push(addr.to_string());
	hosts.extend(extra.iter().cloned());
	hosts
}

/// What a runner's RPC server answers, and whom.
pub struct Access {
	/// The API token its node sends.
	pub token: auth::Token,
	/// `Host`s answered besides those [`allowed_hosts`] always allows.
	pub extra_hosts: Vec<String>,
	/// Whether `put_artifact` is served; `None`: only on a loopback address (miners publish
	/// through IPFS, not into verifiers' runners).
	pub uploads: Option<bool>,
	/// What `put_artifact` takes when it is served.
	pub upload_limits: UploadLimits,
}

/// Serves `service` on `addr` as `access` says; returns the bound address (for port 0) and the
/// server's handle.
pub async fn serve(
	service: Arc<Service>,
	addr: SocketAddr,
	access: Access,
) -> Result<(SocketAddr, ServerHandle)> {
	let listener = tokio::net::TcpListener::bind(addr)
		.await
		.with_context(|| format!("listening on {addr}"))?;
	let bound = listener.local_addr()?;
	let hosts = HostFilterLayer::new(allowed_hosts(bound, &access.extra_hosts))
		.map_err(|e| anyhow::anyhow!("--allow-host: {e}"))?;
	let server = Server::builder()
		.max_request_body_size(MAX_REQUEST_BYTES)
		.max_response_body_size(MAX_REQUEST_BYTES)
		.set_http_middleware(
			tower::ServiceBuilder::new().layer(auth::Guard(access.token)).layer(hosts),
		)
		.build_from_tcp(listener.into_std()?)
		.with_context(|| format!("serving on {bound}"))?;
	let uploads = access.uploads.unwrap_or(bound.ip().is_loopback());
	if !uploads {
		log::info!("put_artifact is off (--uploads true turns it on)");
	}
	let handle = server.start(module(service, uploads.then_some(access.upload_limits))?);
	Ok((bound, handle))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		evaluate::tests::candidate,
		service::tests::job_with,
		store::{BlobStore, Store},
	};
	use poi_offchain::{
		rpc::{parse_response, request_body, CallError},
		wire::{JobState, RunnerInfo},
	};
	use std::io::{Read, Write};

	/// The API token of the tests' runners.
	fn token() -> auth::Token {
		auth::Token::parse(&"5a".repeat(32)).unwrap()
	}

	/// One HTTP/1.1 POST of `body` to `addr` with `headers` (`Host` is `addr` unless they name
	/// one); the response's status code and body.
	fn post_with(addr: SocketAddr, headers: &str, body: &[u8]) -> (u16, Vec<u8>) {
		let mut stream = std::net::TcpStream::connect(addr).unwrap();
		let host =
			if headers.contains("Host:") { String::new() } else { format!("Host: {addr}\r\n") };
		write!(
			stream,
			"POST / HTTP/1.1\r\n{host}{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
			body.len()
		)
		.unwrap();
		stream.write_all(body).unwrap();
		let mut response = Vec::new();
		stream.read_to_end(&mut response).unwrap();
		let status = std::str::from_utf8(&response[9..12]).unwrap().parse().unwrap();
		let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end");
		(status, response.split_off(split + 4))
	}

	/// One POST with the token; the response body.
	fn post(addr: SocketAddr, body: &[u8]) -> Vec<u8> {
		post_with(addr, &bearer(), body).1
	}

	fn bearer() -> String {
		format!("Authorization: Bearer {}\r\n", token().as_str())
	}

	fn start(
		dir: &std::path::Path,
		extra_hosts: &[String],
		uploads: Option<bool>,
	) -> (tokio::runtime::Runtime, SocketAddr, ServerHandle, Arc<BlobStore>) {
		start_with(dir, extra_hosts, uploads, UploadLimits::default())
	}

	fn start_with(
		dir: &std::path::Path,
		extra_hosts: &[String],
		uploads: Option<bool>,
		upload_limits: UploadLimits,
	) -> (tokio::runtime::Runtime, SocketAddr, ServerHandle, Arc<BlobStore>) {
		let store = Arc::new(BlobStore::open(&dir.join("blobs")).unwrap());
		let service = Service::start(
			crate::keys::dev_key(),
			store.clone(),
			dir.join("r"),
			2,
			1,
			crate::evaluate::Tools::default(),
			crate::evaluate::DEFAULT_JOB_LIMIT,
		)
		.unwrap();
		let runtime = tokio::runtime::Runtime::new().unwrap();
		let (addr, handle) = runtime
			.block_on(serve(
				service,
				"127.0.0.1:0".parse().unwrap(),
				Access {
					token: token(),
					extra_hosts: extra_hosts.to_vec(),
					uploads,
					upload_limits,
				},
			))
			.unwrap();
		(runtime, addr, handle, store)
	}

	#[test]
	fn only_the_node_with_the_token_reaches_the_methods() {
		let dir = tempfile::tempdir().unwrap();
		let (_runtime, addr, _handle, store) =
			start(dir.path(), &["runner.example:9955".into()], None);
		let info = request_body(1, "info", ());
		let with_token = bearer();
		assert_eq!(post_with(addr, &with_token, &info).0, 200);
		// Without the token, or with another, nothing is answered: no job, status or upload.
		let job = job_with(&*store, &candidate(1, 0, "", ""), 20);
		let wrong = format!("Authorization: Bearer {}\r\n", "5b".repeat(32));
		for headers in ["", wrong.as_str(), "Authorization: Basic YWxpY2U6c2VjcmV0\r\n"] {
			for body in [
				info.clone(),
				request_body(2, "submit_job", (&job,)),
				request_body(3, "job_status", (job.id(),)),
				request_body(4, "put_artifact", ("0x68656c6c6f",)),
			] {
				let (status, answer) = post_with(addr, headers, &body);
				assert_eq!(status, 401, "{headers}");
				assert!(!String::from_utf8_lossy(&answer).contains("result"));
			}
		}
		assert!(store.fetch(&job.code).is_ok(), "the test's own candidate is there");
		assert!(
			matches!(
				store.fetch(
					&poi_primitives::ArtifactRef::new(
						poi_primitives::digest_of(b"hello"),
						hex::encode(poi_primitives::digest_of(b"hello"))
					)
					.unwrap()
				),
				Err(crate::store::FetchError::NotFound)
			),
			"nothing was uploaded"
		);
		// A page's fetch or WebSocket carries its Origin: refused even with the token.
		for origin in
			["Origin: https://evil.example\r\n", "Origin: null\r\n", "Origin: http://127.0.0.1\r\n"]
		{
			let (status, body) = post_with(addr, &format!("{with_token}{origin}"), &info);
			assert_eq!(status, 403, "{origin}");
			assert!(!String::from_utf8_lossy(&body).contains("publicKey"));
		}
		// DNS rebinding: a name of the attacker's that resolves to 127.0.0.1.
		let evil = format!("{with_token}Host: evil.example:{}\r\n", addr.port());
		assert_eq!(post_with(addr, &evil, &info).0, 403);
		assert_eq!(post_with(addr, &format!("{with_token}Host: evil.example\r\n"), &info).0, 403);
		// Loopback names and the hosts the verifier allowed are answered.
		for host in [
			format!("localhost:{}", addr.port()),
			format!("127.0.0.1:{}", addr.port()),
			"runner.example:9955".into(),
		] {
			let (status, _) = post_with(addr, &format!("{with_token}Host: {host}\r\n"), &info);
			assert_eq!(status, 200, "{host}");
		}
		let other_port = format!("{with_token}Host: runner.example:9956\r\n");
		assert_eq!(post_with(addr, &other_port, &info).0, 403);
	}

	#[test]
	fn uploads_can_be_turned_off() {
		let dir = tempfile::tempdir().unwrap();
		let (_runtime, addr, _handle, store) = start(dir.path(), &[], Some(false));
		let put = request_body(1, "put_artifact", ("0x68656c6c6f",));
		match parse_response::<poi_primitives::ArtifactRef>(&post(addr, &put)) {
			Err(CallError::Rpc(e)) => assert_eq!(e.code, -32601, "method not found"),
			other => panic!("{other:?}"),
		}
		assert!(store.put(b"x").is_ok(), "the runner's own store still works");
	}

	#[test]
	fn the_typed_client_speaks_to_the_runner_with_its_token() {
		use jsonrpsee::ws_client::{HeaderMap, HeaderValue, WsClientBuilder};
		let dir = tempfile::tempdir().unwrap();
		let (runtime, addr, _handle, store) = start(dir.path(), &[], None);
		let url = format!("ws://{addr}");
		runtime.block_on(async {
			let mut headers = HeaderMap::new();
			let bearer = format!("Bearer {}", token().as_str());
			headers.insert("Authorization", HeaderValue::from_str(&bearer).unwrap());
			let client = WsClientBuilder::default().set_headers(headers).build(&url).await.unwrap();
			let info = RunnerApiClient::info(&client).await.unwrap();
			assert_eq!(info.evaluators, vec!["wasm".to_string()]);
			let job = job_with(&*store, &candidate(1, 0, "", ""), 20);
			assert_eq!(client.submit_job(job.clone()).await.unwrap().id, job.id());
			assert_eq!(client.job_status(job.id()).await.unwrap().id, job.id());
			let put = client.put_artifact("0x68656c6c6f".into()).await.unwrap();
			assert_eq!(store.fetch(&put).unwrap(), b"hello");
			// Without the token the WebSocket handshake itself is refused.
			assert!(WsClientBuilder::default().build(&url).await.is_err());
		});
	}

	#[test]
	fn uploads_are_bounded_in_size_and_by_the_hour() {
		let dir = tempfile::tempdir().unwrap();
		let limits = UploadLimits { max_bytes: 8, bytes_per_hour: 20 };
		let (_runtime, addr, _handle, store) = start_with(dir.path(), &[], None, limits);
		let put = |n: usize, fill: u8| {
			let hex = format!("0x{}", hex::encode(vec![fill; n]));
			parse_response::<poi_primitives::ArtifactRef>(&post(
				addr,
				&request_body(1, "put_artifact", (hex,)),
			))
		};
		let refused =
			|answer: Result<poi_primitives::ArtifactRef, CallError>, needle: &str| match answer {
				Err(CallError::Rpc(e)) => {
					assert_eq!(e.code, UPLOAD_REFUSED);
					assert!(e.message.contains(needle), "{}", e.message);
				},
				other => panic!("{other:?}"),
			};
		// Too large: refused before it is stored, and it uses none of the quota.
		refused(put(9, 1), "over the runner's upload limit of 8 bytes");
		let stored = [put(8, 2).unwrap(), put(8, 3).unwrap()];
		// 16 of 20 bytes this hour: 4 more fit, 5 do not.
		refused(put(5, 4), "16 of 20 bytes in the last hour");
		put(4, 5).unwrap();
		refused(put(1, 6), "20 of 20 bytes");
		for artifact in &stored {
			assert_eq!(store.fetch(artifact).unwrap().len(), 8);
		}
		// The hour passes.
		let limits = UploadLimits { max_bytes: 20, bytes_per_hour: 20 };
		let mut quota = UploadQuota { limits, recent: VecDeque::new() };
		let start = Instant::now();
		quota.take(20, start).unwrap();
		assert!(quota.take(1, start + Duration::from_secs(3599)).is_err());
		quota.take(20, start + UploadQuota::WINDOW).unwrap();
	}

	#[test]
	fn the_worker_protocol_over_http() {
		let dir = tempfile::tempdir().unwrap();
		let (_runtime, addr, _handle, store) = start(dir.path(), &[], None);

		let info: RunnerInfo = parse_response(&post(addr, &request_body(1, "info", ()))).unwrap();
		assert_eq!(info.evaluators, vec!["wasm".to_string()]);

		let job = job_with(&*store, &candidate(1, 0, "", ""), 20);
		let submitted: JobStatus =
			parse_response(&post(addr, &request_body(2, "submit_job", (&job,)))).unwrap();
		assert_eq!(submitted.id, job.id());
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
		let done = loop {
			let status: JobStatus =
				parse_response(&post(addr, &request_body(3, "job_status", (job.id(),)))).unwrap();
			if let JobState::Done { .. } = status.state {
				break status;
			}
			assert!(std::time::Instant::now() < deadline);
			std::thread::sleep(std::time::Duration::from_millis(20));
		};
		let JobState::Done { verdict: poi_primitives::Verdict::Score { .. }, .. } = done.state
		else {
			panic!("{done:?}")
		};

		// Artifacts go into the embedded store over RPC.
		let put: poi_primitives::ArtifactRef =
			parse_response(&post(addr, &request_body(4, "put_artifact", ("0x68656c6c6f",))))
				.unwrap();
		assert_eq!(store.fetch(&put).unwrap(), b"hello");

		// Bad requests get JSON-RPC errors, not a crash.
		let mut unsupported = job.clone();
		unsupported.evaluator = poi_primitives::Evaluator::CandleGpt { steps: 1 };
		unsupported.proposal = 99;
		match parse_response::<JobStatus>(&post(
			addr,
			&request_body(5, "submit_job", (&unsupported,)),
		)) {
			Err(CallError::Rpc(e)) => assert_eq!(e.code, BAD_JOB),
			other => panic!("{other:?}"),
		}
		for bad in [
			request_body(6, "submit_job", ("not a job",)),
			request_body(7, "put_artifact", ("0xzz",)),
			request_body(8, "no_such_method", ()),
		] {
			assert!(matches!(
				parse_response::<JobStatus>(&post(addr, &bad)),
				Err(CallError::Rpc(_))
			));
		}
		assert_eq!(
			parse_response::<JobStatus>(&post(addr, b"{not json")),
			Err(CallError::Rpc(poi_offchain::rpc::RpcError {
				code: -32700,
				message: "Parse error".into()
			}))
		);
	}
}
