//! `poi`: the command-line client of a poi chain, for researchers (`project create`), miners
//! (`token buy`, `propose`, `proposals`), verifiers (`verifier register`, `status`, `claim`)
//! and everyone (`project list|show`, `watch`, `dashboard`), and the mining loop (`mine`). `poi --help` lists the commands; the README's
//! quick start shows them in order.

mod chain;
mod dashboard;
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
	/// Serves the live dashboard: a page that reads the chain from the node (--rpc, default
	/// --url) in the browser: projects, best-score curves, rounds, verifiers.
	Dashboard(dashboard::Args),
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
			Command::Dashboard(args) => dashboard::run(&global, args).await,
		}
	});
	if let Err(e) = outcome {
		output::clear_status();
		// One line: each context and its cause, joined.
		eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
		std::process::exit(1);
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::CommandFactory;

	fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
		Cli::try_parse_from(std::iter::once("poi").chain(args.iter().copied()))
	}

	#[test]
	fn the_command_line_is_consistent() {
		Cli::command().debug_assert();
	}

	#[test]
	fn arguments_parse_and_bad_ones_are_refused() {
		let cli =
			parse(&["propose", "3", "cand.wasm", "--stake", "5", "--url", "ws://x:1"]).unwrap();
		assert_eq!(cli.global.url, "ws://x:1");
		let Command::Propose(args) = cli.command else { panic!("propose") };
		assert_eq!((args.id, args.stake, args.resume), (Some(3), Some(5), false));
		assert!(matches!(
			parse(&["propose", "--resume"]).unwrap().command,
			Command::Propose(propose::Args { resume: true, id: None, .. })
		));
		// A project and candidate, or --resume; not both, not neither.
		let kind = |args: &[&str]| parse(args).err().map(|e| e.kind());
		assert_eq!(kind(&["propose"]), Some(clap::error::ErrorKind::MissingRequiredArgument));
		assert_eq!(
			kind(&["propose", "3", "c.wasm", "--resume"]),
			Some(clap::error::ErrorKind::ArgumentConflict)
		);
		assert_eq!(
			kind(&["propose", "three", "c.wasm"]),
			Some(clap::error::ErrorKind::ValueValidation)
		);
		assert_eq!(
			kind(&["propose", "3", "c.wasm", "--stake", "-1"]),
			Some(clap::error::ErrorKind::UnknownArgument)
		);
		assert_eq!(kind(&["mine", "0"]), Some(clap::error::ErrorKind::MissingRequiredArgument));
		assert_eq!(kind(&["verifier", "fly"]), Some(clap::error::ErrorKind::InvalidSubcommand));
		assert_eq!(
			kind(&["token", "buy", "0"]),
			Some(clap::error::ErrorKind::MissingRequiredArgument)
		);
	}

	#[test]
	fn the_signer_is_required_and_its_secret_never_shown() {
		let global = |suri: Option<&str>, file: Option<PathBuf>| Global {
			url: "ws://127.0.0.1:9944".into(),
			suri: suri.map(String::from),
			suri_file: file,
			json: false,
		};
		let none = global(None, None).signer().err().unwrap().to_string();
		assert!(none.contains("this command signs"), "{none}");
		let secret = "bottom drive obey lake curtain smoke basket hold race lonely fit walk//x///y";
		let bad = global(Some(secret), None).signer().err().map(|e| e.to_string());
		if let Some(bad) = bad {
			assert!(!bad.contains("bottom drive"), "{bad}");
		}
		let malformed = global(Some("not a key at all"), None).signer().err().unwrap().to_string();
		assert!(!malformed.contains("not a key at all"), "{malformed}");
		assert!(global(Some("//Alice"), None).signer().is_ok());
		let missing = global(None, Some("/nonexistent/suri".into())).signer().err().unwrap();
		assert!(
			format!("{missing:#}").contains("cannot read the secret URI file /nonexistent/suri")
		);
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("suri");
		std::fs::write(&file, "//Bob\n").unwrap();
		assert!(global(None, Some(file)).signer().is_ok(), "a trailing newline is fine");
	}
}
