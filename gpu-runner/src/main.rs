//! The `poi-runner` command: `serve`, `key`, `eval`, `put`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use poi_offchain::wire::{JobRequest, JobState};
use poi_primitives::{ArtifactRef, Direction, Evaluator, RoundKind};
use poi_runner::{
	auth, evaluate, gc,
	ipfs::IpfsStore,
	keys, private, rpc,
	service::{default_workers, seal, Service},
	store::{BlobStore, Store},
};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

#[derive(Parser)]
#[command(
	name = "poi-runner",
	version,
	about = "The companion runner of a poi verifier: re-runs benchmarks and signs verdicts."
)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(clap::Args, Clone)]
struct Common {
	/// Where the runner keeps its key, blobs and results [default: $XDG_DATA_HOME/poi-runner,
	/// or ~/.local/share/poi-runner].
	#[arg(long, global = true)]
	base_path: Option<PathBuf>,
	/// The key file [default: <base-path>/runner.key], created on first use.
	#[arg(long, global = true)]
	key_file: Option<PathBuf>,
	/// Use the well-known development key (`//Alice//runner`), which the dev chain registers
	/// for Alice. Never on a public chain.
	#[arg(long, global = true, conflicts_with = "dev_account")]
	dev: bool,
	/// Use the well-known development key of this account (`//<Name>//runner`); the local
	/// testnet registers alice, bob, charlie and dave as verifiers with theirs. Never on a
	/// public chain.
	#[arg(long, global = true, value_enum, value_name = "NAME")]
	dev_account: Option<keys::DevAccount>,
	/// The candle-gpt trainer program [default: $POI_GPT_BIN, else `poi-gpt` beside
	/// poi-runner]; without one, candle-gpt jobs are refused.
	#[arg(long, global = true)]
	gpt_bin: Option<PathBuf>,
	/// Keep artifacts in an IPFS daemon through its RPC API (kubo's, or js-ipfs's), e.g.
	/// http://127.0.0.1:5001, instead of the embedded store.
	#[arg(long, global = true, value_name = "URL")]
	ipfs_api: Option<String>,
	/// How long an IPFS fetch or add may take, in seconds.
	#[arg(long, global = true, default_value_t = 60)]
	ipfs_timeout: u64,
}

/// The flags of `serve`.
#[derive(clap::Args, Clone)]
struct ServeArgs {
	/// The address to listen on.
	#[arg(long, default_value = "127.0.0.1:9955")]
	listen: SocketAddr,
	/// The most jobs waiting or running; more are refused until some finish.
	#[arg(long, default_value_t = 16)]
	queue: u32,
	/// Jobs evaluated at once [default: what this machine holds: a job per core, and one per
	/// 4 GiB of memory, 1 to 16].
	#[arg(long)]
	workers: Option<u32>,
	/// How long a job may take from the moment it is accepted (queueing included), in
	/// seconds; a job that cannot finish by then is answered with a signed harness error.
	/// Keep it inside the chain's verdict commit period (10 minutes on poi's testnets).
	#[arg(long, default_value_t = 480)]
	job_seconds: u64,
	/// Also answer requests whose `Host` is this (`name:port`, or `name:*` for any port):
	/// the host a node on another machine names in its `--runner-url`. Loopback names and
	/// the listen address are always answered; requests from web pages never are.
	#[arg(long, value_name = "HOST:PORT")]
	allow_host: Vec<String>,
	/// The API token file [default: <base-path>/rpc.token], created on first use (mode
	/// 0600): its node reads it (`poi-node --runner-token-file`), and requests without
	/// the token are refused.
	#[arg(long)]
	token_file: Option<PathBuf>,
	/// Whether `put_artifact` adds files to the store over RPC [default: only when
	/// listening on a loopback address].
	#[arg(long, value_name = "true|false")]
	uploads: Option<bool>,
	/// The largest artifact `put_artifact` takes, in MiB (at most 32).
	#[arg(long, default_value_t = 32)]
	max_upload_mib: u64,
	/// The most MiB `put_artifact` takes in any hour.
	#[arg(long, default_value_t = 1024)]
	upload_mib_per_hour: u64,
	/// How long a finished job's result is kept, in hours.
	#[arg(long, default_value_t = 48)]
	keep_results_hours: u64,
	/// How long an embedded-store blob is kept after it was last stored or read, in days.
	#[arg(long, default_value_t = 30)]
	keep_blobs_days: u64,
}

#[derive(Subcommand)]
enum Command {
	/// Runs one wasm job from the files in DIR and prints its run as JSON: the child process
	/// the runner starts for each wasm job, under its limits.
	#[command(hide = true)]
	WasmChild {
		/// The job's folder: job.json, harness.wasm, candidate.wasm.
		dir: PathBuf,
	},
	/// Serves jobs over JSON-RPC (HTTP and WebSocket).
	Serve {
		#[command(flatten)]
		common: Common,
		#[command(flatten)]
		args: ServeArgs,
	},
	/// Prints the runner's public key (creating the key file on first use), for
	/// `verifiers.register`.
	Key {
		#[command(flatten)]
		common: Common,
	},
	/// Adds files to the embedded store and prints their artifacts (digest and CID).
	Put {
		#[command(flatten)]
		common: Common,
		/// The files.
		#[arg(required = true)]
		files: Vec<PathBuf>,
	},
	/// Runs one job locally from files and prints the signed verdict (the miner's check).
	Eval {
		#[command(flatten)]
		common: Common,
		/// The evaluator.
		#[arg(long, value_enum, default_value = "wasm")]
		evaluator: EvaluatorArg,
		/// The budget: fuel for `wasm`, training steps per trial for `candle-gpt`, wall-clock
		/// seconds per trial for `command`.
		#[arg(long)]
		budget: u64,
		/// The benchmark (a wasm harness, or a candle-gpt corpus).
		#[arg(long)]
		benchmark: PathBuf,
		/// The candidate (a wasm module, or a candle-gpt recipe).
		#[arg(long)]
		candidate: PathBuf,
		/// The protocol document [default: an empty one, default limits].
		#[arg(long)]
		document: Option<PathBuf>,
		/// The evaluation seed, 32 bytes of hex [default: zeros].
		#[arg(long)]
		seed: Option<H256>,
		/// Whether smaller metric values are better.
		#[arg(long, value_enum, default_value = "minimize")]
		direction: DirectionArg,
		/// Scores are the metric times 10^scale.
		#[arg(long, default_value_t = 0)]
		scale: u8,
		/// Also print the run's log.
		#[arg(long)]
		log: bool,
	},
}

#[derive(Clone, Copy, ValueEnum)]
enum EvaluatorArg {
	Wasm,
	CandleGpt,
	Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum DirectionArg {
	Minimize,
	Maximize,
}

impl Common {
	fn base_path(&self) -> PathBuf {
		self.base_path.clone().unwrap_or_else(|| {
			let data = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).or_else(|| {
				std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
			});
			data.unwrap_or_else(|| PathBuf::from(".")).join("poi-runner")
		})
	}

	fn key(&self) -> Result<sr25519::Pair> {
		if self.dev {
			return Ok(keys::dev_key());
		}
		if let Some(account) = self.dev_account {
			return Ok(account.key());
		}
		let path = self.key_file.clone().unwrap_or_else(|| self.base_path().join("runner.key"));
		keys::load_or_create(&path)
	}

	fn trainer(&self) -> Option<PathBuf> {
		self.gpt_bin.clone().or_else(evaluate::gpt::program)
	}

	/// The runner's tools: itself for wasm jobs' child processes, the trainer, the sandbox.
	fn tools(&self) -> evaluate::Tools {
		let mut tools = evaluate::Tools::detect(self.trainer());
		tools.wasm_child = std::env::current_exe().ok();
		tools
	}

	fn store(&self) -> Result<Arc<dyn Store>> {
		Ok(match &self.ipfs_api {
			Some(api) => Arc::new(IpfsStore::connect(api, Duration::from_secs(self.ipfs_timeout))?),
			None => Arc::new(BlobStore::open(&self.base_path().join("blobs"))?),
		})
	}

	fn describe_store(&self) -> String {
		match &self.ipfs_api {
			Some(api) => format!("IPFS at {api}"),
			None => format!("embedded, {}", self.base_path().join("blobs").display()),
		}
	}
}

fn main() -> Result<()> {
	env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
	match Cli::parse().command {
		Command::WasmChild { dir } => evaluate::wasm::child_main(&dir).map_err(anyhow::Error::msg),
		Command::Serve { common, args } => serve(common, args),
		Command::Key { common } => {
			let key = common.key()?;
			println!("{}", hex_public(&key.public()));
			println!("{}", key.public().to_ss58check());
			Ok(())
		},
		Command::Put { common, files } => {
			let store = common.store()?;
			for file in files {
				let bytes =
					std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
				let artifact = store.put(&bytes)?;
				println!("{}", serde_json::to_string(&artifact)?);
			}
			Ok(())
		},
		Command::Eval {
			common,
			evaluator,
			budget,
			benchmark,
			candidate,
			document,
			seed,
			direction,
			scale,
			log,
		} => {
			let store = common.store()?;
			let put = |path: &PathBuf| -> Result<ArtifactRef> {
				let bytes =
					std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
				store.put(&bytes)
			};
			let evaluator = match evaluator {
				EvaluatorArg::Wasm => Evaluator::Wasm { fuel: budget },
				EvaluatorArg::CandleGpt => Evaluator::CandleGpt {
					steps: u32::try_from(budget).context("--budget: steps fit a u32")?,
				},
				EvaluatorArg::Command => Evaluator::Command {
					seconds: u32::try_from(budget).context("--budget: seconds fit a u32")?,
				},
			};
			let job = JobRequest {
				genesis: H256::zero(),
				proposal: 0,
				project: 0,
				round: RoundKind::Initial,
				seed: seed.unwrap_or_default(),
				verifier: H256::zero(),
				evaluator,
				direction: match direction {
					DirectionArg::Minimize => Direction::Minimize,
					DirectionArg::Maximize => Direction::Maximize,
				},
				scale_exponent: scale,
				document: match &document {
					Some(path) => put(path)?,
					None => store.put(b"{}")?,
				},
				benchmark: put(&benchmark)?,
				code: put(&candidate)?,
			};
			let key = common.key()?;
			let tools = common.tools();
			let evaluation =
				evaluate::evaluate_with(&job, &*store, &tools, evaluate::DEFAULT_JOB_LIMIT);
			if log {
				eprint!("{}", evaluation.log);
			}
			let status = seal(&key, &*store, &job, evaluation);
			println!("{}", serde_json::to_string_pretty(&status)?);
			match status.state {
				JobState::Done { .. } => Ok(()),
				_ => bail!("the evaluation did not finish"),
			}
		},
	}
}

fn hex_public(public: &sr25519::Public) -> String {
	format!("0x{}", hex::encode(public.0))
}

fn serve(common: Common, args: ServeArgs) -> Result<()> {
	let base = common.base_path();
	private::create_dir(&base).context("the base path")?;
	let key = common.key()?;
	let token_file = args.token_file.clone().unwrap_or_else(|| base.join(auth::TOKEN_FILE));
	let access = rpc::Access {
		token: auth::load_or_create(&token_file)?,
		extra_hosts: args.allow_host.clone(),
		uploads: args.uploads,
		upload_limits: rpc::UploadLimits {
			max_bytes: args.max_upload_mib.min(32) << 20,
			bytes_per_hour: args.upload_mib_per_hour.saturating_mul(1 << 20),
		},
	};
	let retention = gc::Retention {
		results: Duration::from_secs(args.keep_results_hours.saturating_mul(3600)),
		blobs: Duration::from_secs(args.keep_blobs_days.saturating_mul(86400)),
	};
	let job_limit = Duration::from_secs(args.job_seconds.max(1));
	let store = common.store()?;
	let described = common.describe_store();
	let tools = common.tools();
	match &tools.trainer {
		Some(program) => log::info!("candle-gpt trainer: {}", program.display()),
		None => {
			log::warn!("no poi-gpt trainer (--gpt-bin or POI_GPT_BIN): candle-gpt jobs are refused")
		},
	}
	if tools.sandbox.is_some() {
		log::info!("command sandbox: bubblewrap");
	}
	let workers = args.workers.unwrap_or_else(default_workers);
	log::info!("{workers} jobs at once, {} in the queue at most", args.queue);
	let service =
		Service::start(key, store, base.join("results"), args.queue, workers, tools, job_limit)?;
	service.start_garbage_collection(retention)?;
	let runtime = tokio::runtime::Runtime::new()?;
	runtime.block_on(async move {
		let public = service.public();
		let (addr, handle) = rpc::serve(service, args.listen, access).await?;
		log::info!("poi-runner {} listening on http://{addr}", env!("CARGO_PKG_VERSION"));
		log::info!("runner key {} ({})", hex_public(&public), public.to_ss58check());
		log::info!("store: {described}");
		log::info!(
			"API token in {} (its node: poi-node --runner-token-file {0})",
			token_file.display()
		);
		tokio::select! {
			_ = handle.clone().stopped() => {},
			_ = tokio::signal::ctrl_c() => {
				log::info!("stopping");
				let _ = handle.stop();
			},
		}
		Ok(())
	})
}
