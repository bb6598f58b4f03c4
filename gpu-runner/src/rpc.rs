//! The runner's JSON-RPC server (HTTP and WebSocket on one port): `submit_job`, `job_status`,
//! `info`, and `put_artifact` for adding files to the embedded store. The wire types are
//! `poi_offchain::wire`'s.

use crate::service::{Service, SubmitError};
use anyhow::{Context, Result};
use jsonrpsee::{
	server::{Server, ServerHandle},
	types::{ErrorObject, ErrorObjectOwned},
	RpcModule,
};
use poi_offchain::wire::{JobRequest, JobStatus, BAD_JOB, QUEUE_FULL};
use sp_core::H256;
use std::{net::SocketAddr, sync::Arc};

/// The largest request body: an artifact of up to 32 MiB as hex, and then some.
pub const MAX_REQUEST_BYTES: u32 = 65 << 20;

/// The RPC methods over `service`.
pub fn module(service: Arc<Service>) -> Result<RpcModule<Arc<Service>>> {
	let mut module = RpcModule::new(service);
	module.register_blocking_method("submit_job", |params, service, _| {
		let job: JobRequest = params.one()?;
		service.submit(job).map_err(|e| {
			let code = match e {
				SubmitError::QueueFull(_) => QUEUE_FULL,
				SubmitError::Unsupported(_) => BAD_JOB,
			};
			ErrorObject::owned(code, e.to_string(), None::<()>)
		})
	})?;
	module.register_blocking_method("job_status", |params, service, _| {
		let id: H256 = params.one()?;
		Ok::<JobStatus, ErrorObjectOwned>(service.status(id))
	})?;
	module.register_method("info", |_, service, _| Ok::<_, ErrorObjectOwned>(service.info()))?;
	module.register_blocking_method("put_artifact", |params, service, _| {
		let data: String = params.one()?;
		let bytes = hex::decode(data.strip_prefix("0x").unwrap_or(&data)).map_err(|_| {
			ErrorObject::owned(BAD_JOB, "put_artifact takes the bytes as hex", None::<()>)
		})?;
		service.store().put(&bytes).map_err(|e| {
			ErrorObject::owned(
				jsonrpsee::types::error::INTERNAL_ERROR_CODE,
				format!("{e:#}"),
				None::<()>,
			)
		})
	})?;
	Ok(module)
}

/// Serves `service` on `addr`; returns the bound address (for port 0) and the server's handle.
pub async fn serve(service: Arc<Service>, addr: SocketAddr) -> Result<(SocketAddr, ServerHandle)> {
	let server = Server::builder()
		.max_request_body_size(MAX_REQUEST_BYTES)
		.max_response_body_size(MAX_REQUEST_BYTES)
		.build(addr)
		.await
		.with_context(|| format!("listening on {addr}"))?;
	let bound = server.local_addr()?;
	let handle = server.start(module(service)?);
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

	/// One HTTP/1.1 POST of `body` to `addr`; the response body.
	fn post(addr: SocketAddr, body: &[u8]) -> Vec<u8> {
		let mut stream = std::net::TcpStream::connect(addr).unwrap();
		write!(
			stream,
			"POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
			body.len()
		)
		.unwrap();
		stream.write_all(body).unwrap();
		let mut response = Vec::new();
		stream.read_to_end(&mut response).unwrap();
		let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end");
		response.split_off(split + 4)
	}

	#[test]
	fn the_worker_protocol_over_http() {
		let dir = tempfile::tempdir().unwrap();
		let store = Arc::new(BlobStore::open(&dir.path().join("blobs")).unwrap());
		let service = Service::start(
			crate::keys::dev_key(),
			store.clone(),
			dir.path().join("r"),
			2,
			1,
			None,
			crate::evaluate::DEFAULT_JOB_LIMIT,
		)
		.unwrap();
		let runtime = tokio::runtime::Runtime::new().unwrap();
		let (addr, _handle) =
			runtime.block_on(serve(service, "127.0.0.1:0".parse().unwrap())).unwrap();

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
