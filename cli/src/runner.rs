//! What `poi` asks of the runner (`poi-runner`): local evaluations with the evaluators
//! verifiers use (`poi-runner eval`), artifacts put into a store (a runner's embedded store
//! over its RPC, or IPFS through `poi-runner put`), and a runner's `info`.

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use poi_offchain::wire::{JobState, JobStatus, RunnerInfo};
use poi_primitives::{ArtifactRef, Direction, Evaluator, Score, Verdict};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the runner is and where artifacts go.
#[derive(Args, Clone, Debug)]
pub struct RunnerOptions {
	/// The runner's RPC URL (artifacts go into its store unless --ipfs-api is given).
	#[arg(long, env = "POI_RUNNER_URL", default_value = "http://127.0.0.1:9955")]
	pub runner: String,
	/// The runner's API token file [default: the runner's default, ~/.local/share/poi-runner/rpc.token].
	#[arg(long, env = "POI_RUNNER_TOKEN_FILE")]
	pub runner_token_file: Option<PathBuf>,
	/// Put artifacts into the IPFS daemon with this RPC API URL instead.
	#[arg(long, env = "POI_IPFS_API")]
	pub ipfs_api: Option<String>,
	/// The `poi-runner` program that evaluates locally [default: $POI_RUNNER_BIN, the one beside
	/// `poi`, or the one on PATH].
	#[arg(long, env = "POI_RUNNER_BIN")]
	pub runner_bin: Option<PathBuf>,
}

impl RunnerOptions {
	/// The `poi-runner` program.
	pub fn program(&self) -> PathBuf {
		if let Some(bin) = &self.runner_bin {
			return bin.clone();
		}
		if let Some(beside) = std::env::current_exe()
			.ok()
			.and_then(|exe| exe.parent().map(|dir| dir.join("poi-runner")))
			.filter(|path| path.is_file())
		{
			return beside;
		}
		PathBuf::from("poi-runner")
	}

	fn token(&self) -> Result<String> {
		let path = match &self.runner_token_file {
			Some(path) => path.clone(),
			None => runner_base().join("rpc.token"),
		};
		let token = std::fs::read_to_string(&path).with_context(|| {
			format!(
				"cannot read the runner's API token at {} (pass --runner-token-file)",
				path.display()
			)
		})?;
		Ok(token.trim().to_string())
	}

	/// One JSON-RPC call to the runner.
	async fn call<R: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: Vec<serde_json::Value>,
	) -> Result<R> {
		use jsonrpsee::core::client::ClientT;
		use jsonrpsee::ws_client::{HeaderMap, HeaderValue, WsClientBuilder};
		let token = self.token()?;
		let mut headers = HeaderMap::new();
		headers.insert(
			"Authorization",
			HeaderValue::from_str(&format!("Bearer {token}"))
				.map_err(|_| anyhow!("the runner's API token file holds something else"))?,
		);
		let url = self.runner.replacen("http://", "ws://", 1).replacen("https://", "wss://", 1);
		let client = WsClientBuilder::default()
			.max_request_size(48 << 20)
			.set_headers(headers)
			.build(&url)
			.await
			.map_err(|e| anyhow!("cannot reach the runner at {}: {e}", self.runner))?;
		let mut array = jsonrpsee::core::params::ArrayParams::new();
		for param in params {
			array.insert(param).expect("a JSON value serializes");
		}
		client
			.request(method, array)
			.await
			.map_err(|e| anyhow!("the runner at {} answered {method} with: {e}", self.runner))
	}

	/// The runner's `info`: its key and evaluators.
	pub async fn info(&self) -> Result<RunnerInfo> {
		self.call("info", vec![]).await
	}

	/// Puts `path` into the store; its artifact (digest and CID).
	pub async fn put(&self, path: &Path) -> Result<ArtifactRef> {
		let bytes =
			std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
		let artifact: ArtifactRef = match &self.ipfs_api {
			Some(api) => {
				let out = run(Command::new(self.program())
					.args(["put", "--ipfs-api", api])
					.arg(path)
					.env("RUST_LOG", "error"))?;
				serde_json::from_str(out.trim())
					.with_context(|| format!("poi-runner put printed {out}"))?
			},
			None => {
				self.call("put_artifact", vec![format!("0x{}", hex::encode(&bytes)).into()]).await?
			},
		};
		if !artifact.matches(&bytes) {
			bail!("the store gave {} a digest that is not its bytes'", path.display());
		}
		Ok(artifact)
	}

	/// Evaluates `candidate` on `benchmark` under `document` locally, as a verifier's runner
	/// would with `seed`.
	pub fn evaluate(&self, job: &Local<'_>) -> Result<Evaluation> {
		let base = tempfile::tempdir().context("a temporary folder for the evaluation")?;
		let (name, budget) = match job.evaluator {
			Evaluator::Wasm { fuel } => ("wasm", fuel),
			Evaluator::CandleGpt { steps } => ("candle-gpt", u64::from(steps)),
			Evaluator::Command { seconds } => ("command", u64::from(seconds)),
		};
		let program = self.program();
		let output = Command::new(&program)
			.args(["eval", "--dev", "--log", "--evaluator", name])
			.arg("--base-path")
			.arg(base.path())
			.args(["--budget", &budget.to_string()])
			.arg("--benchmark")
			.arg(job.benchmark)
			.arg("--candidate")
			.arg(job.candidate)
			.arg("--document")
			.arg(job.document)
			.args(["--seed", &format!("0x{}", hex::encode(job.seed))])
			.args([
				"--direction",
				match job.direction {
					Direction::Minimize => "minimize",
					Direction::Maximize => "maximize",
				},
			])
			.args(["--scale", &job.scale_exponent.to_string()])
			.env("RUST_LOG", "error")
			.output()
			.map_err(|e| {
				anyhow!(
					"cannot start {} ({e}): build it (cargo build --release -p poi-runner) or pass --runner-bin",
					program.display()
				)
			})?;
		let log = String::from_utf8_lossy(&output.stderr).into_owned();
		let stdout = String::from_utf8_lossy(&output.stdout);
		let status: JobStatus = serde_json::from_str(&stdout)
			.map_err(|_| anyhow!("the evaluation did not finish: {}", last_line(&log)))?;
		match status.state {
			JobState::Done { verdict, .. } => Ok(Evaluation { verdict, log }),
			_ => bail!("the evaluation did not finish: {}", last_line(&log)),
		}
	}
}

/// A local evaluation's inputs.
pub struct Local<'a> {
	/// The evaluator and budget.
	pub evaluator: Evaluator,
	/// The metric's direction.
	pub direction: Direction,
	/// Scores are the metric times 10^scale.
	pub scale_exponent: u8,
	/// The benchmark file.
	pub benchmark: &'a Path,
	/// The candidate file.
	pub candidate: &'a Path,
	/// The protocol document.
	pub document: &'a Path,
	/// The evaluation seed.
	pub seed: [u8; 32],
}

/// A local evaluation's verdict and log.
pub struct Evaluation {
	/// The verdict.
	pub verdict: Verdict,
	/// What the evaluator wrote.
	pub log: String,
}

impl Evaluation {
	/// The score, or why there is none.
	pub fn score(&self) -> Result<Score> {
		match &self.verdict {
			Verdict::Score { score, .. } => Ok(*score),
			Verdict::Invalid { .. } => {
				bail!("the evaluator finds the candidate invalid: {}", last_line(&self.log))
			},
			Verdict::HarnessError { .. } => {
				bail!("the benchmark failed (not the candidate's fault): {}", last_line(&self.log))
			},
		}
	}
}

/// The runner's default base path (`$XDG_DATA_HOME/poi-runner` or `~/.local/share/poi-runner`).
pub fn runner_base() -> PathBuf {
	data_home().join("poi-runner")
}

/// `$XDG_DATA_HOME`, else `~/.local/share`.
pub fn data_home() -> PathBuf {
	std::env::var_os("XDG_DATA_HOME")
		.map(PathBuf::from)
		.or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
		.unwrap_or_else(|| PathBuf::from("."))
}

fn last_line(log: &str) -> &str {
	log.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("(no log)").trim()
}

fn run(command: &mut Command) -> Result<String> {
	let output = command.output().with_context(|| format!("cannot start {command:?}"))?;
	if !output.status.success() {
		bail!(
			"{:?} failed: {}",
			command.get_program(),
			last_line(&String::from_utf8_lossy(&output.stderr))
		);
	}
	Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
