//! `poi dashboard`: serves the live dashboard, a static page that reads the chain from the
//! user's own node through @polkadot/api in the browser (see `dashboard/` in the repository).
//! This server holds no chain data: it hands out the built files, read once at start, and sends
//! a bare `/` on to `/?rpc=<the node>` so the page knows which node to read.

use crate::{output, Global};
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::Args as ClapArgs;
use http_body_util::Full;
use hyper::{
	body::Incoming,
	header::{self, HeaderValue},
	Method, Request, Response, StatusCode,
};
use serde_json::json;
use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, sync::Arc};

/// The most the dashboard's files may weigh in all (they are held in memory).
const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// What the page may load and connect to: its own files, and any node's WebSocket (the page
/// reads the node named by `?rpc=`). `wasm-unsafe-eval`: @polkadot/util-crypto compiles its
/// WebAssembly from bytes.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
	style-src 'self'; img-src 'self' data:; connect-src ws: wss:; base-uri 'none'; form-action 'none'; \
	frame-ancestors 'none'";

#[derive(ClapArgs)]
pub struct Args {
	/// Where to listen for browsers (port 0: any free port).
	#[arg(long, default_value = "127.0.0.1:8000")]
	pub listen: SocketAddr,
	/// The node the page reads, as the browser reaches it [default: --url]. A node that is not
	/// on this machine must allow the page's origin (its --rpc-cors).
	#[arg(long)]
	pub rpc: Option<String>,
	/// The built dashboard (index.html, app.js, style.css) [default: `dashboard` beside the
	/// `poi` binary, where scripts/build.sh puts it].
	#[arg(long, env = "POI_DASHBOARD_DIR")]
	pub dir: Option<PathBuf>,
}

/// The served files by name, with their content types.
struct Site {
	files: BTreeMap<String, (Bytes, &'static str)>,
	rpc: String,
}

pub async fn run(global: &Global, args: Args) -> Result<()> {
	let rpc = args.rpc.unwrap_or_else(|| global.url.clone());
	if !(rpc.starts_with("ws://") || rpc.starts_with("wss://")) || rpc.contains(char::is_whitespace)
	{
		bail!("--rpc {rpc:?} is not a WebSocket URL (ws://host:port or wss://…)");
	}
	let dir = match args.dir {
		Some(dir) => dir,
		None => std::env::current_exe()
			.context("cannot tell where the poi binary is: pass --dir")?
			.parent()
			.map(|p| p.join("dashboard"))
			.context("cannot tell where the poi binary is: pass --dir")?,
	};
	let site = Arc::new(Site { files: load(&dir)?, rpc });
	let listener = tokio::net::TcpListener::bind(args.listen)
		.await
		.with_context(|| format!("cannot listen on {}", args.listen))?;
	let address = listener.local_addr().context("cannot read the listening address")?;
	let url = format!("http://{address}/");
	output::print(global.json, json!({ "url": url, "rpc": site.rpc, "dir": dir }), || {
		format!("the dashboard of {} is at {url} (Ctrl-C stops it)", site.rpc)
	});
	loop {
		let (stream, _) = match listener.accept().await {
			Ok(accepted) => accepted,
			// A connection that failed before it was accepted (the peer gave up, too many open
			// files for a moment): the next one may do, after a pause that keeps a lasting
			// error from spinning.
			Err(_) => {
				tokio::time::sleep(std::time::Duration::from_millis(100)).await;
				continue;
			},
		};
		let site = site.clone();
		tokio::spawn(async move {
			let service = hyper::service::service_fn(move |request| {
				let site = site.clone();
				async move { Ok::<_, std::convert::Infallible>(respond(&site, &request)) }
			});
			// A browser that goes away mid-request ends its connection; nothing else to do.
			let _ = hyper::server::conn::http1::Builder::new()
				.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
				.await;
		});
	}
}

/// Reads the dashboard's plain files (not its folders) into memory.
fn load(dir: &std::path::Path) -> Result<BTreeMap<String, (Bytes, &'static str)>> {
	let missing = || {
		format!(
			"there is no built dashboard in {}: build it with scripts/build.sh (or pass --dir)",
			dir.display()
		)
	};
	let entries = std::fs::read_dir(dir).with_context(missing)?;
	let mut files = BTreeMap::new();
	let mut total = 0u64;
	for entry in entries {
		let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
		let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
		if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) || !served_name(&name) {
			continue;
		}
		let bytes = std::fs::read(entry.path())
			.with_context(|| format!("cannot read {}", entry.path().display()))?;
		total = total.saturating_add(bytes.len() as u64);
		if total > MAX_TOTAL_BYTES {
			bail!("the dashboard in {} is over {} MiB", dir.display(), MAX_TOTAL_BYTES >> 20);
		}
		files.insert(name.clone(), (Bytes::from(bytes), content_type(&name)));
	}
	if !files.contains_key("index.html") {
		bail!("{}", missing());
	}
	Ok(files)
}

/// A name the server hands out: letters, digits, `.`, `-`, `_`, not starting with a dot.
fn served_name(name: &str) -> bool {
	!name.is_empty()
		&& !name.starts_with('.')
		&& name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn content_type(name: &str) -> &'static str {
	match name.rsplit_once('.').map(|(_, ext)| ext) {
		Some("html") => "text/html; charset=utf-8",
		Some("js") => "text/javascript; charset=utf-8",
		Some("css") => "text/css; charset=utf-8",
		Some("map" | "json") => "application/json",
		Some("png") => "image/png",
		Some("svg") => "image/svg+xml",
		_ => "application/octet-stream",
	}
}

/// Percent-encodes a query value (all but RFC 3986's unreserved characters).
fn encode_query(value: &str) -> String {
	value
		.bytes()
		.map(|b| {
			if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
				(b as char).to_string()
			} else {
				format!("%{b:02X}")
			}
		})
		.collect()
}

fn respond(site: &Site, request: &Request<Incoming>) -> Response<Full<Bytes>> {
	let plain = |status: StatusCode, text: &str| {
		let mut response = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
		*response.status_mut() = status;
		response
			.headers_mut()
			.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
		response
	};
	if request.method() != Method::GET && request.method() != Method::HEAD {
		let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
		response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
		return response;
	}
	// Only origin-form targets (`/name?query`): `GET x` (authority form) has no path to serve.
	let Some(path) = request.uri().path().strip_prefix('/') else {
		return plain(StatusCode::BAD_REQUEST, "a path starting with / only");
	};
	let query = request.uri().query().unwrap_or("");
	let name = match path {
		"" | "index.html" => {
			// No node named (or an empty name): the one this server was told.
			if !query.split('&').any(|pair| pair.len() > "rpc=".len() && pair.starts_with("rpc=")) {
				let target = format!("/?rpc={}", encode_query(&site.rpc));
				let mut response = plain(StatusCode::FOUND, &format!("see {target}"));
				match HeaderValue::from_str(&target) {
					Ok(value) => response.headers_mut().insert(header::LOCATION, value),
					Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "bad --rpc"),
				};
				return response;
			}
			"index.html"
		},
		name => name,
	};
	let Some((bytes, content_type)) = site.files.get(name) else {
		return plain(StatusCode::NOT_FOUND, "not found");
	};
	let body = if request.method() == Method::HEAD { Bytes::new() } else { bytes.clone() };
	let mut response = Response::new(Full::new(body));
	let headers = response.headers_mut();
	headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
	headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
	headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
	headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
	headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
	headers
		.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
	response
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_plain_names_are_served() {
		for good in ["index.html", "app.js", "app.js.map", "style-2_x.css"] {
			assert!(served_name(good), "{good}");
		}
		for bad in ["", ".env", "..", "a/b", "a%2fb", "a\\b", "é.js", "x y"] {
			assert!(!served_name(bad), "{bad}");
		}
	}

	#[test]
	fn the_node_url_is_percent_encoded_in_the_redirect() {
		assert_eq!(encode_query("ws://127.0.0.1:9944"), "ws%3A%2F%2F127.0.0.1%3A9944");
		assert_eq!(encode_query("wss://a.b/x?y=1&z"), "wss%3A%2F%2Fa.b%2Fx%3Fy%3D1%26z");
	}
}
