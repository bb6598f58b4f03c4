//! `poi mine`: the autoresearch loop against the chain. Each trial:
//!
//! 1. reads the chain's best and the project's recent proposals (approved, rejected,
//!    superseded: the negative results too) into `network_state.json` and
//!    `network_history.json`;
//! 2. copies the local best candidate into the trial's work folder and runs the agent command
//!    there, with its context in environment variables;
//! 3. evaluates what the agent left with the evaluator verifiers use;
//! 4. keeps it as the local best when it beats it, and proposes it when it beats the chain's
//!    best by the project's threshold (the best re-read just before committing);
//! 5. appends a row to `trials.jsonl` (OpenResearch's trial record, schema version 1: only its
//!    fields) and, for a proposal, one to `poi_submissions.jsonl` (poi's own data).
//!
//! Files live under the work folder (`.autoresearch/mine/` by default), as OpenResearch's
//! `autoresearch-mine` lays them out. The agent contract is in `docs/cli.md` ("The mining loop").

use crate::{chain, output, propose, protocol::ProtocolFile, runner, units, Global};
use anyhow::{Context, Result};
use clap::Args as ClapArgs;
use poi_primitives::{beats, Direction, ProjectId, Score};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

#[derive(ClapArgs)]
pub struct Args {
	/// The project.
	pub id: ProjectId,
	/// The agent: a shell command run in each trial's work folder, which leaves its candidate
	/// at $POI_CANDIDATE and prints its hypothesis as the first line of its output.
	#[arg(long)]
	pub agent: String,
	/// The project's folder (its protocol file and benchmark).
	#[arg(long, default_value = ".")]
	pub dir: PathBuf,
	/// Where the loop keeps its files.
	#[arg(long, default_value = ".autoresearch/mine")]
	pub work: PathBuf,
	/// The first local best [default: the protocol file's baseline].
	#[arg(long)]
	pub start: Option<PathBuf>,
	/// Stop after this many trials.
	#[arg(long, env = "POI_MAX_TRIALS", default_value_t = 50)]
	pub max_trials: u32,
	/// Stop after this many seconds (a running trial is finished first).
	#[arg(long, env = "POI_MAX_SECONDS")]
	pub max_seconds: Option<u64>,
	/// Stop after this many trials in a row without a new local best.
	#[arg(long, env = "POI_MAX_STALE")]
	pub max_stale: Option<u32>,
	/// Stop after the first proposal.
	#[arg(long)]
	pub stop_after_submit: bool,
	/// The most seconds one run of the agent may take (it is killed then).
	#[arg(long, default_value_t = 600)]
	pub agent_seconds: u64,
	/// Tokens to stake on each proposal [default: the least the chain takes].
	#[arg(long)]
	pub stake: Option<u128>,
	/// Where proposal states are kept [default: ~/.local/share/poi/proposals].
	#[arg(long, env = "POI_STATE_DIR")]
	pub state_dir: Option<PathBuf>,
	/// The most blocks to follow a proposal's round.
	#[arg(long, default_value_t = 600)]
	pub max_blocks: u32,
	#[command(flatten)]
	pub runner: runner::RunnerOptions,
}

/// What the loop knows of the chain at the start of a trial.
struct Network {
	best: Score,
	threshold: u32,
	direction: Direction,
	scale: u8,
	metric: String,
}

pub async fn run(global: &Global, args: Args) -> Result<()> {
	let signer = global.signer()?;
	let client = global.connect().await?;
	let id = args.id;
	let at = chain::now(&client).await?;
	let project = chain::project(&at, id).await?;
	let file = ProtocolFile::load(&args.dir)?;
	propose::check_digest(&file.path, &project.protocol.document, "protocol document", id)?;
	propose::check_digest(&file.benchmark, &project.protocol.benchmark, "benchmark", id)?;
	let evaluator = poi_client::evaluator_from(&project.protocol.evaluator);
	let bundle = format!("{:?}", project.protocol.document.digest);
	let state_dir = propose::state_dir(&args.state_dir);

	let work = absolute(&args.work)?;
	for folder in ["best", "runs", "evaluated"] {
		std::fs::create_dir_all(work.join(folder))
			.with_context(|| format!("cannot create {}", work.join(folder).display()))?;
	}
	let start = args.start.clone().unwrap_or_else(|| file.baseline.clone());
	let name = match start.extension() {
		Some(ext) => format!("candidate.{}", ext.to_string_lossy()),
		None => "candidate".into(),
	};
	let best_path = work.join("best").join(&name);
	if !best_path.is_file() {
		std::fs::copy(&start, &best_path).with_context(|| {
			format!("cannot copy {} to {}", start.display(), best_path.display())
		})?;
	}
	let evaluate = |candidate: &Path| {
		args.runner.evaluate(&runner::Local {
			evaluator,
			direction: file.metric.direction,
			scale_exponent: file.metric.scale_exponent,
			benchmark: &file.benchmark,
			candidate,
			document: &file.path,
			seed: [0; 32],
		})
	};
	output::status("evaluating the local best");
	let mut local_best = evaluate(&best_path)?.score().context("the local best")?;
	let trials_path = work.join("trials.jsonl");
	let done = std::fs::read_to_string(&trials_path).map(|t| t.lines().count()).unwrap_or(0);

	let started = Instant::now();
	let (mut trials, mut stale, mut submitted) = (0u32, 0u32, 0u32);
	let mut proposed = std::collections::BTreeSet::new();
	// Proposals of this project left unfinished (by an earlier run, or a follow that gave up)
	// go on between trials; one that fails is recorded once and left to `poi propose --resume`.
	let submissions = work.join("poi_submissions.jsonl");
	let mut given_up = std::collections::BTreeSet::new();
	let mut stop_reason = "max trials";
	while trials < args.max_trials {
		let mut unfinished =
			propose::Unfinished::load(&client, &signer, &state_dir, Some(id), &given_up)?;
		for (commitment, outcome) in
			unfinished.advance(&client, &signer, &state_dir, &mut Vec::new()).await
		{
			let mut row = match outcome {
				Ok(settled) => settled.json,
				Err(e) => {
					given_up.insert(commitment);
					json!({"commitment": format!("{commitment:?}"), "error": format!("{e:#}")})
				},
			};
			row["trial_id"] = Value::Null;
			row["resumed"] = json!(true);
			row["utc_timestamp"] = json!(utc_now());
			append(&submissions, &format!("{row}\n"))?;
		}
		if args.max_seconds.is_some_and(|s| started.elapsed() >= Duration::from_secs(s)) {
			stop_reason = "max seconds";
			break;
		}
		if args.max_stale.is_some_and(|s| stale >= s) {
			stop_reason = "max stale";
			break;
		}
		trials += 1;
		let trial_id = format!("trial-{:04}", done + trials as usize);
		let network = network_state(&client, id, &global.url, &bundle, &work).await?;
		let metric = |s: Score| units::metric(s, network.direction, network.scale);
		let local = local_best;
		let line = |phase: &str| {
			format!(
				"trial {trials}/{}: local best {}, chain best {} {}: {phase}",
				args.max_trials,
				metric(local),
				metric(network.best),
				network.metric
			)
		};
		let run_dir = work.join("runs").join(&trial_id);
		let work_dir = run_dir.join("work");
		std::fs::create_dir_all(&work_dir)
			.with_context(|| format!("cannot create {}", work_dir.display()))?;
		let candidate = work_dir.join(&name);
		std::fs::copy(&best_path, &candidate).context("copying the local best")?;
		let snapshot = work.join("evaluated").join(&name);
		let _ = std::fs::remove_file(&snapshot);
		let log_path = run_dir.join("stdout.log");

		output::status(line("running the agent"));
		let agent = run_agent(
			&args, &trial_id, &work, &run_dir, &work_dir, &candidate, &best_path, &file.path,
			&log_path,
		)
		.await?;
		let hypothesis = agent.hypothesis.clone();
		let (score, exit_code, error) = if agent.code != Some(0) {
			let why = match agent.code {
				Some(code) => format!("the agent exited with {code}"),
				None => format!("the agent was stopped after {} s", args.agent_seconds),
			};
			(None, agent.code.unwrap_or(-1), why)
		} else if !std::fs::symlink_metadata(&candidate).is_ok_and(|m| m.is_file()) {
			(None, 1, "the agent left no plain file at $POI_CANDIDATE".to_string())
		} else {
			// What is evaluated, kept and proposed is this copy, out of the agent's folders.
			std::fs::copy(&candidate, &snapshot).context("copying the candidate")?;
			output::status(line("evaluating"));
			match evaluate(&snapshot) {
				Ok(evaluation) => {
					append(&log_path, &format!("\n# evaluation\n{}", evaluation.log))?;
					match evaluation.score() {
						Ok(score) => (Some(score), 0, String::new()),
						Err(e) => (None, 1, format!("{e:#}")),
					}
				},
				Err(e) => (None, 1, format!("{e:#}")),
			}
		};
		let beats_local = score.is_some_and(|s| s > local_best);
		let beats_network = score.is_some_and(|s| beats(s, network.best, network.threshold));
		if beats_local {
			std::fs::copy(&snapshot, &best_path).context("keeping the new local best")?;
			local_best = score.expect("it beats the local best");
			stale = 0;
		} else {
			stale += 1;
		}
		let row = json!({
			"schemaVersion": "1",
			"trial_id": trial_id,
			"utc_timestamp": utc_now(),
			"protocol_bundle_id": bundle,
			"run_ok": score.is_some(),
			"primary_metric_name": network.metric,
			"primary_metric_value": score.map(|s| metric(s).parse::<f64>().unwrap_or(f64::NAN)).filter(|v| v.is_finite()),
			"direction": match network.direction { Direction::Minimize => "minimize", Direction::Maximize => "maximize" },
			"beats_local_best": beats_local,
			"beats_network_best": beats_network,
			"stdout_log_path": relative(&log_path),
			"git_head_before": Value::Null,
			"git_head_after": Value::Null,
			"harness_exit_code": exit_code,
			"error": error,
			"hypothesis": hypothesis,
		});
		append(&trials_path, &format!("{row}\n"))?;

		let digest = std::fs::read(&snapshot).map(|b| poi_primitives::digest_of(&b)).ok();
		if beats_network && digest.is_some_and(|d| proposed.insert(d)) {
			output::status(line("proposing"));
			let outcome = propose::submit(
				&client,
				&signer,
				&propose::Submit {
					id,
					candidate: &snapshot,
					score: score.unwrap_or(local_best),
					claim: None,
					stake: args.stake,
					force: false,
					state_dir: &state_dir,
					max_blocks: args.max_blocks,
					runner: &args.runner,
					quiet: true,
				},
			)
			.await;
			let mut submission = match outcome {
				Ok(settled) => settled.json,
				// The chain's best moved past it, or a check failed: recorded, the loop goes on.
				Err(e) => json!({"error": format!("{e:#}")}),
			};
			submission["trial_id"] = json!(trial_id);
			submission["utc_timestamp"] = json!(utc_now());
			submission["localScore"] = json!(score.unwrap_or(local_best).to_string());
			append(&submissions, &format!("{submission}\n"))?;
			submitted += 1;
			if args.stop_after_submit {
				stop_reason = "stop after submit";
				break;
			}
		}
	}
	let metric = |s: Score| units::metric(s, file.metric.direction, file.metric.scale_exponent);
	let unfinished =
		propose::Unfinished::load(&client, &signer, &state_dir, Some(id), &Default::default())?
			.len();
	output::print(
		global.json,
		json!({"trials": trials, "submitted": submitted, "unfinished": unfinished, "localBest": local_best.to_string(), "stopped": stop_reason, "work": work}),
		|| {
			let left = match unfinished {
				0 => String::new(),
				n => format!(" ({n} proposal(s) still under way: poi propose --resume)"),
			};
			format!(
				"{trials} trials, {submitted} proposed{left}; local best {} {}; stopped: {stop_reason}; files in {}",
				metric(local_best),
				file.metric.name,
				work.display()
			)
		},
	);
	Ok(())
}

/// Writes `network_state.json` (OpenResearch's network state, a `poi` source) and
/// `network_history.json` (the project's recent proposals, newest first); what the trial
/// needs of them.
async fn network_state(
	client: &poi_client::Client,
	id: ProjectId,
	url: &str,
	bundle: &str,
	work: &Path,
) -> Result<Network> {
	let at = chain::now(client).await?;
	let project = chain::project(&at, id).await?;
	let protocol = &project.protocol;
	let direction = poi_client::direction_from(&protocol.metric.direction);
	let scale = protocol.metric.scale_exponent;
	let best = chain::best_score(&at, id, &project).await?;
	let metric = String::from_utf8_lossy(&protocol.metric.name.0).into_owned();
	let value = |s: Score| units::metric(s, direction, scale).parse::<f64>().ok();
	let state = json!({
		"schemaVersion": "1",
		"source": "poi",
		"project_id": id,
		"rpc_url": url,
		"genesis_hash": format!("{:?}", client.genesis_hash()),
		"best_node": project.best,
		"network_best_metric": value(best),
		"aggregate_score_int256": best.to_string(),
		"metric_scale": scale,
		"metric_name": metric,
		"direction": match direction { Direction::Minimize => "minimize", Direction::Maximize => "maximize" },
		"min_score_improvement_bips": protocol.min_improvement_bps,
		"protocolBundleId": bundle,
		"updated_at": utc_now(),
	});
	write(&work.join("network_state.json"), &serde_json::to_vec_pretty(&state)?)?;
	let recent = crate::project::recent_proposals(&at, id, 50).await?;
	let history: Vec<_> = recent
		.iter()
		.map(|(pid, p)| {
			json!({
				"proposal": pid, "status": chain::status_name(&p.status),
				"verifiedScore": p.verified_score.map(|s| s.to_string()),
				"verifiedMetric": p.verified_score.and_then(value),
				"code": poi_client::artifact_from(&p.code), "parent": p.parent,
				"proposer": p.proposer.to_string(), "revealedAt": p.revealed_at,
			})
		})
		.collect();
	write(&work.join("network_history.json"), &serde_json::to_vec_pretty(&history)?)?;
	Ok(Network { best, threshold: protocol.min_improvement_bps, direction, scale, metric })
}

struct AgentRun {
	code: Option<i32>,
	hypothesis: String,
}

/// Runs the agent command in `work_dir`, its output into `log`.
async fn run_agent(
	args: &Args,
	trial_id: &str,
	work: &Path,
	run_dir: &Path,
	work_dir: &Path,
	candidate: &Path,
	best: &Path,
	protocol: &Path,
	log: &Path,
) -> Result<AgentRun> {
	let mut command = tokio::process::Command::new("sh");
	// The agent sees its context and what a program needs to run, nothing else: no secret URI,
	// no runner token, no proposal states (it may run a model service's code, or obey text
	// that strangers wrote into the chain's history).
	command.env_clear();
	for (key, value) in std::env::vars_os() {
		let key_text = key.to_string_lossy();
		let kept = ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TERM", "TMPDIR", "PYTHONPATH"]
			.contains(&key_text.as_ref())
			|| key_text.starts_with("POI_AGENT_");
		if kept {
			command.env(key, value);
		}
	}
	command
		.arg("-c")
		.arg(&args.agent)
		.current_dir(work_dir)
		// A process group of its own, killed whole when the agent ends: nothing it started
		// lives on to change the candidate after its evaluation.
		.process_group(0)
		.env("POI_TRIAL_ID", trial_id)
		.env("POI_PROJECT", args.id.to_string())
		.env("POI_NETWORK_STATE", work.join("network_state.json"))
		.env("POI_NETWORK_HISTORY", work.join("network_history.json"))
		.env("POI_TRIALS", work.join("trials.jsonl"))
		.env("POI_BEST", best)
		.env("POI_CANDIDATE", candidate)
		.env("POI_RUN_DIR", run_dir)
		.env("POI_PROTOCOL", protocol)
		.stdin(std::process::Stdio::null())
		.stdout(std::process::Stdio::piped())
		.stderr(std::process::Stdio::piped())
		.kill_on_drop(true);
	let child =
		command.spawn().with_context(|| format!("cannot start the agent `{}`", args.agent))?;
	let group = child.id();
	let output =
		tokio::time::timeout(Duration::from_secs(args.agent_seconds), child.wait_with_output())
			.await;
	if let Some(group) = group {
		// `kill` takes a negative id for a whole group.
		let _ = std::process::Command::new("kill")
			.args(["-KILL", "--", &format!("-{group}")])
			.stderr(std::process::Stdio::null())
			.status();
	}
	let (code, stdout, stderr) = match output {
		Ok(output) => {
			let output = output.context("the agent")?;
			(output.status.code(), output.stdout, output.stderr)
		},
		Err(_) => (None, Vec::new(), b"killed: out of time\n".to_vec()),
	};
	let stdout = String::from_utf8_lossy(&stdout).into_owned();
	let hypothesis =
		stdout.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().to_string();
	write(log, format!("{stdout}{}", String::from_utf8_lossy(&stderr)).as_bytes())?;
	Ok(AgentRun { code, hypothesis })
}

fn absolute(path: &Path) -> Result<PathBuf> {
	if path.is_absolute() {
		return Ok(path.to_path_buf());
	}
	Ok(std::env::current_dir().context("the current folder")?.join(path))
}

/// `path` relative to the current folder when it is under it (the rows name logs so).
fn relative(path: &Path) -> String {
	let cwd = std::env::current_dir().unwrap_or_default();
	path.strip_prefix(&cwd).unwrap_or(path).display().to_string()
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
	std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn append(path: &Path, text: &str) -> Result<()> {
	let mut file = std::fs::OpenOptions::new()
		.create(true)
		.append(true)
		.open(path)
		.with_context(|| format!("cannot open {}", path.display()))?;
	file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}

/// Now, as ISO-8601 UTC to the second (`2026-12-04T09:40:28Z`).
fn utc_now() -> String {
	let seconds = SystemTime::now()
		.duration_since(SystemTime::UNIX_EPOCH)
		.map(|d| d.as_secs())
		.unwrap_or_default();
	utc(seconds)
}

/// `seconds` since 1970 as ISO-8601 UTC (the civil calendar from days since the epoch).
fn utc(seconds: u64) -> String {
	let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z - era * 146_097;
	let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let day = doy - (153 * mp + 2) / 5 + 1;
	let month = if mp < 10 { mp + 3 } else { mp - 9 };
	let year = yoe + era * 400 + i64::from(month <= 2);
	format!(
		"{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
		rest / 3600,
		rest % 3600 / 60,
		rest % 60
	)
}

#[cfg(test)]
mod tests {
	#[test]
	fn utc_timestamps() {
		assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
		assert_eq!(super::utc(951_782_400), "2000-02-29T00:00:00Z");
		assert_eq!(super::utc(1_796_377_228), "2026-12-04T09:40:28Z");
	}
}
