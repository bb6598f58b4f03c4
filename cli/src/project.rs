//! `poi project create|list|show`.

use crate::{chain, output, protocol::ProtocolFile, runner, units, Global};
use anyhow::{anyhow, bail, Context, Result};
use clap::Subcommand;
use poi_client::api::{self, runtime_types};
use poi_primitives::{ProjectId, Score};
use serde_json::json;
use std::path::PathBuf;

/// How many times `create` runs the baseline.
const BASELINE_RUNS: usize = 3;

#[derive(Subcommand)]
pub enum Command {
	/// Creates a project from a folder holding its protocol file (protocol.json): puts every
	/// artifact into the store, measures the baseline three times with the evaluator verifiers
	/// use, and registers the project with the measured score.
	Create {
		/// The project folder (or its protocol file).
		dir: PathBuf,
		#[command(flatten)]
		runner: runner::RunnerOptions,
		/// Measure and print, but create nothing.
		#[arg(long)]
		dry_run: bool,
	},
	/// Lists the projects: id, name, token, best score.
	List,
	/// Shows a project: its protocol, best score, the lineage from the best back to the
	/// baseline, recent proposals and its token's quotes.
	Show {
		/// The project's id.
		id: ProjectId,
	},
}

pub async fn run(global: &Global, command: Command) -> Result<()> {
	match command {
		Command::Create { dir, runner, dry_run } => create(global, dir, runner, dry_run).await,
		Command::List => list(global).await,
		Command::Show { id } => show(global, id).await,
	}
}

async fn create(
	global: &Global,
	dir: PathBuf,
	runner: runner::RunnerOptions,
	dry_run: bool,
) -> Result<()> {
	let file = ProtocolFile::load(&dir)?;
	// Everything that can be checked is checked before anything is sent.
	let signer = if dry_run { None } else { Some(global.signer()?) };
	let client = if dry_run { None } else { Some(global.connect().await?) };

	let mut scores: Vec<Score> = Vec::new();
	let mut logs = String::new();
	for run in 0..BASELINE_RUNS {
		output::status(format!("measuring the baseline: run {} of {BASELINE_RUNS}", run + 1));
		let evaluation = runner.evaluate(&runner::Local {
			evaluator: file.evaluator,
			direction: file.metric.direction,
			scale_exponent: file.metric.scale_exponent,
			benchmark: &file.benchmark,
			candidate: &file.baseline,
			document: &file.path,
			seed: [0; 32],
		})?;
		let score = evaluation.score().context("the baseline")?;
		logs.push_str(&format!("# baseline run {}: score {score}\n{}", run + 1, evaluation.log));
		scores.push(score);
	}
	let metric = |score| units::metric(score, file.metric.direction, file.metric.scale_exponent);
	let (median, spread_bps) = baseline_of(&mut scores, file.tolerance_bps, metric)?;
	if u128::from(file.tolerance_bps) < spread_bps {
		output::clear_status();
		eprintln!(
			"warning: the baseline's runs spread {spread_bps} bps, more than toleranceBps {}: honest verifiers may disagree",
			file.tolerance_bps
		);
	}
	if dry_run {
		output::print(
			global.json,
			json!({"baselineScore": median.to_string(), "runs": scores.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "spreadBps": spread_bps}),
			|| {
				format!("baseline {} {} (runs {}; spread {spread_bps} bps); nothing created (--dry-run)",
				metric(median), file.metric.name,
				scores.iter().map(|s| metric(*s)).collect::<Vec<_>>().join(", "))
			},
		);
		return Ok(());
	}
	let (signer, client) = (signer.expect("not a dry run"), client.expect("not a dry run"));

	// The creator pays the creation deposit and the initial escrow.
	let at = chain::now(&client).await?;
	let who = poi_client::account_of(&signer);
	let deposit = chain::constant(&at, api::constants().projects().project_deposit())?;
	let free = chain::free(&at, &who).await?;
	let needed = deposit.saturating_add(file.token.initial_escrow);
	if free <= needed {
		bail!(
			"{who} has {} free; creating this project holds a {} deposit and pays {} into its reward escrow, plus fees: fund the account first",
			units::poi(free), units::poi(deposit), units::poi(file.token.initial_escrow)
		);
	}

	let mut artifacts = Vec::new();
	let baseline_log = tempfile::NamedTempFile::new().context("a temporary file")?;
	std::fs::write(baseline_log.path(), &logs).context("writing the baseline's log")?;
	for (what, path) in [
		("protocol document", file.path.clone()),
		("repository", file.repository.clone()),
		("benchmark", file.benchmark.clone()),
		("baseline log", baseline_log.path().to_path_buf()),
	] {
		output::status(format!("storing the {what}"));
		let artifact = runner.put(&path).await.with_context(|| format!("storing the {what}"))?;
		artifacts.push(artifact);
	}
	let [document, repository, benchmark, baseline_metrics] =
		<[_; 4]>::try_from(artifacts).map_err(|_| anyhow!("four artifacts"))?;
	let protocol = runtime_types::pallet_projects::types::Protocol {
		document: poi_client::artifact(&document),
		repository: poi_client::artifact(&repository),
		benchmark: poi_client::artifact(&benchmark),
		baseline_metrics: poi_client::artifact(&baseline_metrics),
		metric: runtime_types::pallet_projects::types::Metric {
			name: runtime_types::bounded_collections::bounded_vec::BoundedVec(
				file.metric.name.clone().into_bytes(),
			),
			direction: poi_client::direction(file.metric.direction),
			scale_exponent: file.metric.scale_exponent,
		},
		baseline_score: median,
		min_improvement_bps: file.threshold_bps,
		tolerance_bps: file.tolerance_bps,
		quorum: file.quorum,
		evaluator: poi_client::evaluator(&file.evaluator),
	};
	let curve = runtime_types::pallet_projects::types::CurveParams {
		base_price: file.token.base_price,
		slope: file.token.slope,
		miner_pool_cap: file.token.miner_pool_cap,
		reward_per_approval: file.token.reward_per_approval,
		initial_escrow: file.token.initial_escrow,
	};
	let call = api::tx().projects().create_project(
		protocol,
		file.token.name.clone().into_bytes(),
		file.token.symbol.clone().into_bytes(),
		curve,
		None,
	);
	let included = poi_client::submit(&client, &call, &signer, output::progress("create_project"))
		.await
		.map_err(|e| anyhow!("create_project: {e}"))?;
	let created = included
		.events
		.find_first::<api::projects::events::ProjectCreated>()
		.ok_or_else(|| anyhow!("create_project succeeded without a ProjectCreated event"))?
		.map_err(|e| anyhow!("cannot decode ProjectCreated: {e}"))?;
	let launched = included
		.events
		.find_first::<api::bonding_curve::events::TokenLaunched>()
		.and_then(|e| e.ok());
	let asset = launched.as_ref().map(|l| l.asset);
	let digests = json!({
		"document": document, "repository": repository, "benchmark": benchmark, "baselineMetrics": baseline_metrics,
	});
	output::print(
		global.json,
		json!({
			"project": created.project, "asset": asset, "baselineScore": median.to_string(),
			"runs": scores.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "spreadBps": spread_bps,
			"artifacts": digests, "block": format!("{:?}", included.block),
			"extrinsic": format!("{:?}", included.extrinsic),
		}),
		|| {
			format!(
				"project {} created: {} (token {} {}, asset {})\nbaseline {} {} (runs {}; spread {spread_bps} bps)\ndocument   {:?}\nrepository {:?}\nbenchmark  {:?}\nbaseline log {:?}",
				created.project, file.name, file.token.symbol, file.token.name,
				asset.map(|a| a.to_string()).unwrap_or_else(|| "?".into()),
				metric(median), file.metric.name,
				scores.iter().map(|s| metric(*s)).collect::<Vec<_>>().join(", "),
				document.digest, repository.digest, benchmark.digest, baseline_metrics.digest,
			)
		},
	);
	Ok(())
}

async fn list(global: &Global) -> Result<()> {
	let client = global.connect().await?;
	let at = chain::now(&client).await?;
	let mut rows = Vec::new();
	let mut text = Vec::new();
	for (id, project) in chain::projects(&at).await? {
		let best = chain::best_score(&at, id, &project).await?;
		let direction = poi_client::direction_from(&project.protocol.metric.direction);
		let scale = project.protocol.metric.scale_exponent;
		let name = String::from_utf8_lossy(&project.token.name.0).into_owned();
		let symbol = String::from_utf8_lossy(&project.token.symbol.0).into_owned();
		let metric = String::from_utf8_lossy(&project.protocol.metric.name.0).into_owned();
		let best_text = units::metric(best, direction, scale);
		text.push(format!(
			"{id:>4}  {symbol:<8} {name:<24} best {best_text} {metric}{}",
			if chain::is_active(&project) { "" } else { " (frozen)" }
		));
		rows.push(json!({
			"id": id, "name": name, "symbol": symbol, "metric": metric, "best": best_text,
			"bestScore": best.to_string(), "bestNode": project.best, "active": chain::is_active(&project),
		}));
	}
	output::print(global.json, json!(rows), || {
		if text.is_empty() {
			"no projects yet (poi project create DIR makes one)".into()
		} else {
			text.join("\n")
		}
	});
	Ok(())
}

async fn show(global: &Global, id: ProjectId) -> Result<()> {
	let client = global.connect().await?;
	let at = chain::now(&client).await?;
	let project = chain::project(&at, id).await?;
	let protocol = &project.protocol;
	let direction = poi_client::direction_from(&protocol.metric.direction);
	let scale = protocol.metric.scale_exponent;
	let metric_name = String::from_utf8_lossy(&protocol.metric.name.0).into_owned();
	let metric = |score: Score| units::metric(score, direction, scale);
	let evaluator = poi_client::evaluator_from(&protocol.evaluator);

	// The lineage from the best back to the baseline.
	let mut lineage = Vec::new();
	let mut node_id = project.best;
	for _ in 0..=project.next_node {
		let node = chain::node(&at, id, node_id).await?;
		lineage.push((node_id, node.clone()));
		match node.parent {
			Some(parent) => node_id = parent,
			None => break,
		}
	}
	let recent = recent_proposals(&at, id, 10).await?;
	let quotes = (chain::quote_buy(&at, id, 1).await?, chain::quote_sell(&at, id, 1).await?);

	let budget = match evaluator {
		poi_primitives::Evaluator::Wasm { fuel } => format!("{fuel} fuel"),
		poi_primitives::Evaluator::CandleGpt { steps } => format!("{steps} steps a trial"),
		poi_primitives::Evaluator::Command { seconds } => format!("{seconds} s a trial"),
	};
	let value = json!({
		"id": id,
		"name": String::from_utf8_lossy(&project.token.name.0),
		"symbol": String::from_utf8_lossy(&project.token.symbol.0),
		"creator": project.creator.to_string(),
		"active": chain::is_active(&project),
		"metric": {"name": metric_name, "direction": format!("{direction:?}").to_lowercase(), "scaleExponent": scale},
		"evaluator": evaluator,
		"thresholdBps": protocol.min_improvement_bps,
		"toleranceBps": protocol.tolerance_bps,
		"quorum": protocol.quorum,
		"best": {"node": project.best, "score": lineage[0].1.score.to_string(), "value": metric(lineage[0].1.score)},
		"lineage": lineage.iter().map(|(n, node)| json!({
			"node": n, "score": node.score.to_string(), "value": metric(node.score),
			"block": node.block, "miner": node.miner.as_ref().map(|m| m.to_string()), "proposal": node.proposal,
		})).collect::<Vec<_>>(),
		"proposals": recent.iter().map(|(pid, p)| json!({
			"id": pid, "status": chain::status_name(&p.status),
			"verifiedScore": p.verified_score.map(|s| s.to_string()),
			"proposer": p.proposer.to_string(),
		})).collect::<Vec<_>>(),
		"quote": {"buyOne": quotes.0.map(|q| q.to_string()), "sellOne": quotes.1.map(|q| q.to_string())},
		"artifacts": {
			"document": poi_client::artifact_from(&protocol.document),
			"repository": poi_client::artifact_from(&protocol.repository),
			"benchmark": poi_client::artifact_from(&protocol.benchmark),
			"baselineMetrics": poi_client::artifact_from(&protocol.baseline_metrics),
		},
	});
	output::print(global.json, value, || {
		let mut lines = vec![
			format!(
				"project {id}: {} ({}){}",
				String::from_utf8_lossy(&project.token.name.0),
				String::from_utf8_lossy(&project.token.symbol.0),
				if chain::is_active(&project) { "" } else { ", frozen" }
			),
			format!(
				"metric {metric_name}, {}; evaluator {} ({budget}); threshold {} bps, tolerance {} bps, quorum {}",
				if direction == poi_primitives::Direction::Minimize { "lower is better" } else { "higher is better" },
				evaluator.name(), protocol.min_improvement_bps, protocol.tolerance_bps, protocol.quorum
			),
			format!("best: node {} at {} {metric_name}", project.best, metric(lineage[0].1.score)),
			"lineage (best first):".into(),
		];
		for (n, node) in &lineage {
			lines.push(format!(
				"  node {n:>3}  {:>16}  block {:>6}  {}",
				metric(node.score),
				node.block,
				match (&node.miner, node.proposal) {
					(Some(miner), Some(p)) => format!("proposal {p} by {miner}"),
					_ => "baseline".into(),
				}
			));
		}
		lines.push(if recent.is_empty() {
			"no proposals yet".into()
		} else {
			"recent proposals:".into()
		});
		for (pid, p) in &recent {
			lines.push(format!(
				"  {pid:>4}  {:<28} {}",
				chain::status_text(&p.status),
				p.verified_score.map(&metric).map(|v| format!("verified {v}")).unwrap_or_default()
			));
		}
		lines.push(format!(
			"token: one costs {} to buy, refunds {} to sell",
			quotes.0.map(units::poi).unwrap_or_else(|| "-".into()),
			quotes.1.map(units::poi).unwrap_or_else(|| "-".into())
		));
		lines.join("\n")
	});
	Ok(())
}

/// The baseline's score (the median of its runs, which this sorts) and the runs' spread in
/// basis points of it. Runs that differ are refused when the tolerance is 0: verifiers'
/// scores would have to agree exactly, and they would not.
fn baseline_of(
	runs: &mut [Score],
	tolerance_bps: u32,
	metric: impl Fn(Score) -> String,
) -> Result<(Score, u128)> {
	runs.sort();
	let (Some(&low), Some(&high)) = (runs.first(), runs.last()) else {
		bail!("no run of the baseline")
	};
	let median = runs[runs.len() / 2];
	let spread_bps = match median.unsigned_abs() {
		0 => 0,
		m => high.abs_diff(low).saturating_mul(10_000) / m,
	};
	if tolerance_bps == 0 && low != high {
		bail!(
			"the baseline is not deterministic ({} to {} over {} runs) but toleranceBps is 0: make the benchmark deterministic or allow a tolerance",
			metric(low),
			metric(high),
			runs.len()
		);
	}
	Ok((median, spread_bps))
}

/// The newest `limit` proposals of project `id`, newest first.
pub async fn recent_proposals(
	at: &poi_client::AtBlock,
	id: ProjectId,
	limit: u32,
) -> Result<Vec<(poi_primitives::ProposalId, chain::ProposalInfo)>> {
	let start = chain::proposal_count(at, id).await?.saturating_sub(limit);
	let mut page = chain::proposals(at, id, start, limit).await?;
	page.reverse();
	Ok(page)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_baseline_is_the_median_and_its_spread_is_in_basis_points() {
		let text = |s: Score| s.to_string();
		let mut runs = [-1_010, -1_000, -990];
		assert_eq!(baseline_of(&mut runs, 100, text).unwrap(), (-1_000, 200));
		let mut same = [-5, -5, -5];
		assert_eq!(baseline_of(&mut same, 0, text).unwrap(), (-5, 0));
		// A zero median has no spread to divide by.
		let mut zero = [-1, 0, 1];
		assert_eq!(baseline_of(&mut zero, 100, text).unwrap(), (0, 0));
		// The widest runs do not overflow.
		let mut wide = [Score::MIN, 1, Score::MAX];
		assert_eq!(baseline_of(&mut wide, 100, text).unwrap(), (1, u128::MAX));
	}

	#[test]
	fn runs_that_differ_are_refused_without_a_tolerance() {
		let mut runs = [7, 8, 7];
		let e = baseline_of(&mut runs, 0, |s| format!("{s} units")).unwrap_err().to_string();
		assert_eq!(
			e,
			"the baseline is not deterministic (7 units to 8 units over 3 runs) but toleranceBps is 0: make the benchmark deterministic or allow a tolerance"
		);
		assert!(baseline_of(&mut [], 10, |s| s.to_string()).is_err());
	}
}
