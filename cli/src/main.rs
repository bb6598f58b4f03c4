//! `poi`: the command-line client of a poi chain, for researchers (`project create`), miners
//! (`token buy`, `propose`, `proposals`), verifiers (`verifier register`, `status`, `claim`)
//! and everyone (`project list|show`, `watch`), and the mining loop (`mine`). `poi --help` lists the commands; the README's
//! quick start shows them in order.

mod chain;
mod mine;
mod output;
mod project;
mod propose;
mod protocol;
mod runner;
mod token;
mod units;
mod verifier;
mod watch;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
	name = "poi",
	version,
	about = "The client of a poi chain: projects, tokens, proposals, verifiers."
)]
struct Cli {
	#[command(flatten)]
	global: Global,
	#[command(subcommand)]
	command: Command,
}

/// Options every command takes.
#[derive(Args, Clone, Debug)]
pub struct Global {
	/// The node's RPC URL.
	#[arg(long, global = true, env = "POI_URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,
	/// The signing account's secret URI (`//Alice`, a mnemonic, a 0x seed). Other users can
	/// read a command line: prefer --suri-file or $POI_SURI.
	#[arg(long, global = true, env = "POI_SURI", hide_env_values = true)]
	pub suri: Option<String>,
	/// A file holding the signing account's secret URI.
	#[arg(long, global = true, env = "POI_SURI_FILE")]
	pub suri_file: Option<PathBuf>,
	/// Print JSON for scripts instead of text for people.
	#[arg(long, global = true)]
	pub json: bool,
}

impl Global {
	/// The signer, from --suri, $POI_SURI or --suri-file; the error never shows the secret.
	pub fn signer(&self) -> Result<poi_client::Keypair> {
		let suri = match (&self.suri, &self.suri_file) {
			(Some(suri), _) => suri.clone(),
			(None, Some(path)) => std::fs::read_to_string(path)
				.with_context(|| format!("cannot read the secret URI file {}", path.display()))?,
			(None, None) => bail!(
				"this command signs: give the account's secret URI with --suri-file FILE, $POI_SURI or --suri"
			),
		};
		poi_client::keypair(&suri).map_err(anyhow::Error::msg)
	}

	/// A client connected to the node.
	pub async fn connect(&self) -> Result<poi_client::Client> {
		poi_client::connect(&self.url)
			.await
			.map_err(|e| anyhow::anyhow!("{e} (is the node running? pass --url or $POI_URL)"))
	}
}

#[derive(Subcommand)]
enum Command {
	/// Research projects: create one from a project folder, list them, show one.
	#[command(subcommand)]
	Project(project::Command),
	/// A project's token: buy and sell on its curve.
	#[command(subcommand)]
	Token(token::Command),
	/// Proposes a candidate improvement: evaluates it locally, commits, reveals, follows its
	/// round to the outcome (or finishes an interrupted one with --resume).
	Propose(propose::Args),
	/// A project's proposals, newest first, with their outcomes and verified scores.
	Proposals(propose::ListArgs),
	/// The mining loop: runs an agent command trial after trial, evaluates what it makes,
	/// keeps the best and proposes it when it beats the chain's best.
	Mine(mine::Args),
	/// Verifiers: register with a runner, status, rewards, unbonding.
	#[command(subcommand)]
	Verifier(verifier::Command),
	/// Follows the chain and prints poi's events as they happen (one project's, with ID).
	Watch(watch::Args),
}

fn main() {
	let cli = Cli::parse();
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(runtime) => runtime,
		Err(e) => {
			eprintln!("error: cannot start: {e}");
			std::process::exit(1);
		},
	};
	let global = cli.global;
	let outcome = runtime.block_on(async move {
		match cli.command {
			Command::Project(command) => project::run(&global, command).await,
			Command::Token(command) => token::run(&global, command).await,
			Command::Propose(args) => propose::run(&global, args).await,
			Command::Proposals(args) => propose::list(&global, args).await,
			Command::Mine(args) => mine::run(&global, args).await,
			Command::Verifier(command) => verifier::run(&global, command).await,
			Command::Watch(args) => watch::run(&global, args).await,
		}
	});
	if let Err(e) = outcome {
		output::clear_status();
		// One line: each context and its cause, joined.
		eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
		std::process::exit(1);
	}
}
