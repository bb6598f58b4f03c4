//! JSON-RPC 2.0 envelopes for talking to a runner over HTTP (no_std: the off-chain worker
//! builds and parses them in the runtime).

use alloc::{string::String, vec::Vec};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// A JSON-RPC request with positional parameters.
#[derive(Serialize)]
struct Request<'a, P: Serialize> {
	jsonrpc: &'static str,
	id: u32,
	method: &'a str,
	params: P,
}

/// The body of a JSON-RPC call of `method` with positional `params` (a tuple or array).
pub fn request_body<P: Serialize>(id: u32, method: &str, params: P) -> Vec<u8> {
	// Serialising these types cannot fail: no maps with non-string keys, no custom errors.
	serde_json::to_vec(&Request { jsonrpc: "2.0", id, method, params }).unwrap_or_default()
}

/// An error object of a JSON-RPC response.
#[derive(Clone, PartialEq, Eq, Debug, Deserialize)]
pub struct RpcError {
	/// Its code (see [`crate::wire::QUEUE_FULL`], [`crate::wire::BAD_JOB`]).
	pub code: i32,
	/// Its message.
	pub message: String,
}

#[derive(Deserialize)]
struct Response<T> {
	result: Option<T>,
	error: Option<RpcError>,
}

/// Why a runner's answer could not be used.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CallError {
	/// The answer is not a JSON-RPC response carrying the expected result.
	Garbage,
	/// The runner answered with an error.
	Rpc(RpcError),
}

/// The result of a JSON-RPC response body, or why there is none.
pub fn parse_response<T: DeserializeOwned>(body: &[u8]) -> Result<T, CallError> {
	let response: Response<T> = serde_json::from_slice(body).map_err(|_| CallError::Garbage)?;
	match (response.result, response.error) {
		(_, Some(error)) => Err(CallError::Rpc(error)),
		(Some(result), None) => Ok(result),
		(None, None) => Err(CallError::Garbage),
	}
}
