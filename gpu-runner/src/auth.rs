//! Who may use a runner. Its node's off-chain worker proves itself with a shared secret, the
//! API token: 32 random bytes the runner writes as hex into a file beside its key (mode 0600),
//! which the node reads (`poi-node --runner-token-file`) and sends with every call as
//! `Authorization: Bearer <hex>`. [`Guard`] stands before every method:
//! - a request with an `Origin` header is refused (403): browsers add one to a web page's
//!   `fetch` and WebSocket requests, and the worker never sends one;
//! - a request without the token, or with another one, is refused (401).
//!
//! With the `Host` filter of [`crate::rpc::serve`], no web page and no process without the token
//! can submit jobs, read verdicts or store blobs.

use anyhow::{anyhow, Context, Result};
use jsonrpsee::{
	core::BoxError,
	server::{HttpRequest, HttpResponse},
};
use std::{
	future::Future,
	path::Path,
	pin::Pin,
	sync::Arc,
	task::{Context as TaskContext, Poll},
};
use subtle::ConstantTimeEq;
use tower::{Layer, Service};

/// The token file's name in the runner's base path.
pub const TOKEN_FILE: &str = "rpc.token";

/// An API token: 32 random bytes, written and sent as 64 lowercase hex digits.
#[derive(Clone)]
pub struct Token(Arc<str>);

impl Token {
	/// A new random token.
	pub fn generate() -> Result<Token> {
		let mut bytes = [0u8; 32];
		getrandom::getrandom(&mut bytes).map_err(|e| anyhow!("no randomness for a token: {e}"))?;
		Ok(Token(hex::encode(bytes).into()))
	}

	/// The token in `text` ([`poi_offchain::worker::parse_runner_token`]).
	pub fn parse(text: &str) -> Result<Token> {
		let token = poi_offchain::worker::parse_runner_token(text)
			.ok_or_else(|| anyhow!("expected a token of 64 hex digits"))?;
		Ok(Token(token.into()))
	}

	/// The token as its hex text.
	pub fn as_str(&self) -> &str {
		&self.0
	}

	/// Whether an `Authorization` header's value carries this token (in constant time).
	pub fn admits(&self, authorization: &[u8]) -> bool {
		let Some(sent) = authorization.strip_prefix(b"Bearer ") else { return false };
		sent.len() == self.0.len() && bool::from(sent.ct_eq(self.0.as_bytes()))
	}
}

/// Loads the token in `path`, or creates a new one there (mode 0600) when there is none. A file
/// that other users can read, or that holds no token, is an error.
pub fn load_or_create(path: &Path) -> Result<Token> {
	if let Some(text) = crate::private::read_secret(path)? {
		return Token::parse(&text).with_context(|| format!("token file {}", path.display()));
	}
	let token = Token::generate()?;
	crate::private::write_secret(path, token.as_str())?;
	log::info!("created the runner's API token in {}", path.display());
	Ok(token)
}

/// The layer that admits only requests without `Origin` and with the token.
#[derive(Clone)]
pub struct Guard(pub Token);

impl<S> Layer<S> for Guard {
	type Service = Guarded<S>;

	fn layer(&self, inner: S) -> Self::Service {
		Guarded { inner, token: self.0.clone() }
	}
}

/// A service behind [`Guard`].
#[derive(Clone)]
pub struct Guarded<S> {
	inner: S,
	token: Token,
}

fn refuse(status: u16, why: &'static str) -> HttpResponse {
	HttpResponse::builder()
		.status(status)
		.header("content-type", "text/plain")
		.body(why.into())
		.expect("a valid status and header; qed")
}

impl<S, B> Service<HttpRequest<B>> for Guarded<S>
where
	S: Service<HttpRequest<B>, Response = HttpResponse>,
	S::Error: Into<BoxError> + 'static,
	S::Future: Send + 'static,
{
	type Response = HttpResponse;
	type Error = BoxError;
	type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

	fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
		self.inner.poll_ready(cx).map_err(Into::into)
	}

	fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
		let headers = request.headers();
		if headers.contains_key("origin") {
			log::warn!("refused a request with an Origin header (a web page's)");
			return Box::pin(async { Ok(refuse(403, "requests from web pages are refused\n")) });
		}
		let admitted =
			headers.get("authorization").is_some_and(|value| self.token.admits(value.as_bytes()));
		if !admitted {
			log::warn!("refused a request without the runner's API token");
			return Box::pin(async {
				Ok(refuse(401, "send the runner's API token: Authorization: Bearer <token>\n"))
			});
		}
		let answer = self.inner.call(request);
		Box::pin(async move { answer.await.map_err(Into::into) })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::fs;

	#[test]
	fn a_token_is_created_once_then_loaded() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("base").join(TOKEN_FILE);
		let token = load_or_create(&path).unwrap();
		assert_eq!(token.as_str().len(), 64);
		assert_eq!(load_or_create(&path).unwrap().as_str(), token.as_str());
		assert_ne!(load_or_create(&dir.path().join("other")).unwrap().as_str(), token.as_str());
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
			fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
			let error = load_or_create(&path).err().expect("an open token file loaded");
			assert!(format!("{error:#}").contains("chmod 600"), "{error:#}");
		}
	}

	#[test]
	fn a_damaged_token_file_is_an_error() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join(TOKEN_FILE);
		for bad in ["", "abc", &"g".repeat(64), &"a".repeat(65)] {
			fs::write(&path, bad).unwrap();
			#[cfg(unix)]
			{
				use std::os::unix::fs::PermissionsExt;
				fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
			}
			let error = load_or_create(&path).err().expect("a damaged token loaded");
			assert!(format!("{error:#}").contains("64 hex digits"), "{error:#}");
		}
	}

	#[test]
	fn only_the_bearer_of_the_token_is_admitted() {
		let token = Token::parse(&"Ab".repeat(32)).unwrap();
		assert!(token.admits(format!("Bearer {}", "ab".repeat(32)).as_bytes()));
		for other in [
			String::new(),
			"ab".repeat(32),
			format!("Bearer {}", "ab".repeat(31)),
			format!("Bearer {}ac", "ab".repeat(31)),
			format!("Bearer {} ", "ab".repeat(32)),
			format!("Basic {}", "ab".repeat(32)),
		] {
			assert!(!token.admits(other.as_bytes()), "{other}");
		}
	}
}
