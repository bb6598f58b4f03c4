//! Command-line interface of `poi-node`.

/// Subcommands of `poi-node`; with none, the node runs.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys (`key insert --key-type poiv` puts a
	/// verifier key into the keystore).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (deprecated upstream in favour of `export-chain-spec`;
	/// zombienet still calls it).
	#[allow(deprecated)]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a chain (`dev`, `local`, `testnet` or a file).
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime and node benchmarks (only with the `runtime-benchmarks` feature).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Check a runtime upgrade against a network's state before enacting it: the new
	/// runtime's migrations, their checks and every pallet's `try_state` invariants, run over
	/// the state of a block taken from a node (or a snapshot file). The runtime must be built
	/// with the feature `try-runtime`.
	TryRuntime(crate::try_runtime::TryRuntimeCmd),
}

/// `poi-node` arguments.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// Where this node's verifiers' runner (`poi-runner serve`) takes jobs: its JSON-RPC HTTP
	/// address. The off-chain worker sends the rounds assigned to the `poiv` keys in the
	/// keystore there.
	#[arg(long, value_name = "URL", default_value = poi_offchain::worker::DEFAULT_RUNNER_URL, value_parser = parse_runner_url)]
	pub runner_url: String,

	/// The runner's API token file (`rpc.token` in the runner's base path, which `poi-runner
	/// serve` creates): the off-chain worker sends the token with every call, and a runner
	/// refuses calls without it.
	#[arg(long, value_name = "PATH")]
	pub runner_token_file: Option<std::path::PathBuf>,
}

impl Cli {
	/// The runner the off-chain worker calls: its URL, and the token read from
	/// `--runner-token-file`.
	pub fn runner(&self) -> Result<poi_offchain::worker::Runner, String> {
		let token = match &self.runner_token_file {
			Some(path) => Some(read_runner_token(path)?),
			None => None,
		};
		Ok(poi_offchain::worker::Runner { url: self.runner_url.clone(), token })
	}
}

/// The token in the runner's token file: 64 hex digits (surrounding whitespace ignored).
pub fn read_runner_token(path: &std::path::Path) -> Result<String, String> {
	let text = std::fs::read_to_string(path)
		.map_err(|e| format!("--runner-token-file {}: {e}", path.display()))?;
	poi_offchain::worker::parse_runner_token(&text).ok_or_else(|| {
		format!(
			"--runner-token-file {}: expected the runner's token, 64 hex digits",
			path.display()
		)
	})
}

fn parse_runner_url(url: &str) -> Result<String, String> {
	let rest = url
		.strip_prefix("http://")
		.or_else(|| url.strip_prefix("https://"))
		.ok_or_else(|| format!("{url:?}: a runner URL starts with http:// or https://"))?;
	if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
		return Err(format!("{url:?}: expected http://HOST:PORT"));
	}
	Ok(url.to_string())
}

#[cfg(test)]
mod tests {
	use super::{parse_runner_url, read_runner_token};

	#[test]
	fn a_runner_token_file_holds_64_hex_digits() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("rpc.token");
		std::fs::write(&path, format!("{}\n", "5A".repeat(32))).unwrap();
		assert_eq!(read_runner_token(&path).unwrap(), "5a".repeat(32));
		for bad in ["", "5a", &"zz".repeat(32), &"5a".repeat(33)] {
			std::fs::write(&path, bad).unwrap();
			let error = read_runner_token(&path).unwrap_err();
			assert!(error.contains("64 hex digits"), "{error}");
		}
		let missing = read_runner_token(&dir.path().join("none")).unwrap_err();
		assert!(missing.contains("none"), "{missing}");
	}

	#[test]
	fn runner_urls_are_http_with_a_host() {
		assert!(parse_runner_url("http://127.0.0.1:9955").is_ok());
		assert!(parse_runner_url("https://runner.example:443/rpc").is_ok());
		for bad in ["127.0.0.1:9955", "ftp://x", "http://", "http:///x", "http://a b"] {
			assert!(parse_runner_url(bad).is_err(), "{bad}");
		}
	}
}
