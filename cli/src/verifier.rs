//! `poi verifier register|status|claim|unbond|withdraw|rejoin`.

use crate::{chain, output, runner, units, Global};
use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use poi_client::api::{self, runtime_types};
use poi_client::AccountId;
use poi_primitives::{EvaluatorKind, Evaluators, ProjectId};
use serde_json::json;
use std::str::FromStr;

#[derive(Subcommand)]
pub enum Command {
	/// Registers the signing account as a verifier with BOND POI held, and the key and
	/// evaluators its runner reports.
	Register {
		/// The bond, in POI.
		#[arg(long)]
		bond: String,
		#[command(flatten)]
		runner: runner::RunnerOptions,
	},
	/// A verifier's bond, unbonding, counts, standing, pending rewards and running rounds.
	Status {
		/// The verifier's account [default: the signing account].
		account: Option<String>,
	},
	/// Claims the rewards credited to the signing verifier: in POI (`native`, the default) or
	/// in a project token (its asset id).
	Claim {
		/// `native` or a token's asset id.
		#[arg(default_value = "native")]
		asset: String,
	},
	/// Starts unbonding AMOUNT POI of the bond (all of it: the verifier leaves).
	Unbond {
		/// The amount, in POI.
		amount: String,
	},
	/// Withdraws what finished unbonding.
	Withdraw,
	/// Asks to be drawn again after being chilled.
	Rejoin,
}

pub async fn run(global: &Global, command: Command) -> Result<()> {
	if let Command::Status { account } = &command {
		return status(global, account.as_deref()).await;
	}
	let signer = global.signer()?;
	let who = poi_client::account_of(&signer);
	let client = global.connect().await?;
	let at = chain::now(&client).await?;
	let registered = verifier(&at, &who).await?;
	let (what, included) = match command {
		Command::Status { .. } => unreachable!("handled above"),
		Command::Register { bond, runner } => {
			if registered.is_some() {
				bail!("{who} is a verifier already (poi verifier status)");
			}
			let bond = units::parse_poi(&bond).map_err(|e| anyhow!("--bond: {e}"))?;
			let least = chain::constant(&at, api::constants().verifiers().min_bond())?;
			if bond < least {
				bail!("the bond must be at least {}", units::poi(least));
			}
			let free = chain::free(&at, &who).await?;
			if free <= bond {
				bail!(
					"{who} has {} free, not enough for a {} bond and fees",
					units::poi(free),
					units::poi(bond)
				);
			}
			let info = runner.info().await?;
			let mut evaluators = Evaluators::NONE;
			for name in &info.evaluators {
				for kind in [EvaluatorKind::Wasm, EvaluatorKind::CandleGpt, EvaluatorKind::Command]
				{
					if kind.name() == name {
						evaluators = evaluators.with(kind);
					}
				}
			}
			if evaluators.is_empty() {
				bail!(
					"the runner at {} reports no evaluator poi knows ({:?})",
					runner.runner,
					info.evaluators
				);
			}
			let call = api::tx().verifiers().register(
				bond,
				info.public_key.0,
				poi_client::evaluators(evaluators),
			);
			let included =
				poi_client::submit(&client, &call, &signer, output::progress("register"))
					.await
					.map_err(|e| anyhow!("register: {e}"))?;
			(
				format!(
					"registered {who} with a {} bond, runner key {:?} ({})",
					units::poi(bond),
					info.public_key,
					info.evaluators.join(", ")
				),
				included,
			)
		},
		Command::Claim { asset } => {
			use runtime_types::pallet_verifiers::types::RewardAsset;
			let (reward, unit) = match asset.as_str() {
				"native" => (RewardAsset::Native, None),
				id => {
					let id = u32::from_str(id).map_err(|_| {
						anyhow!("the asset is `native` or a token's asset id, not {id}")
					})?;
					(RewardAsset::Token(id), Some(id))
				},
			};
			let amount = |n: u128| match unit {
				None => units::poi(n),
				Some(id) => format!("{n} tokens of asset {id}"),
			};
			// Checked first: a claim of nothing would only cost its fee.
			let pending = pending_rewards(&at, &who, reward.clone()).await?;
			if pending == 0 {
				let what = unit.map_or("POI".to_string(), |id| format!("asset {id}"));
				bail!("{who} has no rewards in {what} to claim (poi verifier status)");
			}
			let call = api::tx().verifiers().claim_rewards(reward);
			let included =
				poi_client::submit(&client, &call, &signer, output::progress("claim_rewards"))
					.await
					.map_err(|e| anyhow!("claim: {e}"))?;
			let claimed = included
				.events
				.find_first::<api::verifiers::events::RewardsClaimed>()
				.and_then(|e| e.ok())
				.map(|e| e.amount)
				.unwrap_or(0);
			(format!("claimed {}", amount(claimed)), included)
		},
		Command::Unbond { amount } => {
			let Some(info) = registered else { bail!("{who} is not a verifier") };
			let amount = units::parse_poi(&amount).map_err(|e| anyhow!("unbond: {e}"))?;
			if amount == 0 || amount > info.bond {
				bail!(
					"the bond is {}: unbond between a planck and all of it",
					units::poi(info.bond)
				);
			}
			let call = api::tx().verifiers().unbond(amount);
			let included = poi_client::submit(&client, &call, &signer, output::progress("unbond"))
				.await
				.map_err(|e| anyhow!("unbond: {e}"))?;
			(format!("unbonding {}", units::poi(amount)), included)
		},
		Command::Withdraw => {
			let Some(info) = registered else { bail!("{who} is not a verifier") };
			match &info.unbonding {
				None => bail!("nothing is unbonding (poi verifier unbond AMOUNT first)"),
				Some(u) if u64::from(u.unlocks_at) > at.block_number() => {
					bail!(
						"{} unlocks at block {} (now {})",
						units::poi(u.amount),
						u.unlocks_at,
						at.block_number()
					)
				},
				Some(_) => {},
			}
			let call = api::tx().verifiers().withdraw_unbonded();
			let included =
				poi_client::submit(&client, &call, &signer, output::progress("withdraw"))
					.await
					.map_err(|e| anyhow!("withdraw: {e}"))?;
			("withdrawn".to_string(), included)
		},
		Command::Rejoin => {
			let Some(info) = registered else { bail!("{who} is not a verifier") };
			if matches!(info.status, runtime_types::pallet_verifiers::types::VerifierStatus::Active)
			{
				bail!("{who} is not chilled: it is drawn already");
			}
			let call = api::tx().verifiers().rejoin();
			let included = poi_client::submit(&client, &call, &signer, output::progress("rejoin"))
				.await
				.map_err(|e| anyhow!("rejoin: {e}"))?;
			("rejoined".to_string(), included)
		},
	};
	output::print(
		global.json,
		json!({"done": what, "extrinsic": format!("{:?}", included.extrinsic)}),
		|| what.clone(),
	);
	Ok(())
}

type Info = runtime_types::pallet_verifiers::types::VerifierInfo<u128, u32>;

async fn verifier(at: &poi_client::AtBlock, who: &AccountId) -> Result<Option<Info>> {
	at.storage()
		.try_fetch(api::storage().verifiers().verifiers(), (*who,))
		.await
		.map_err(|e| anyhow!("cannot read the verifier: {e}"))?
		.map(|v| v.decode())
		.transpose()
		.map_err(|e| anyhow!("cannot decode the verifier: {e}"))
}

/// What `who` may claim in `asset`.
async fn pending_rewards(
	at: &poi_client::AtBlock,
	who: &AccountId,
	asset: runtime_types::pallet_verifiers::types::RewardAsset<u32>,
) -> Result<u128> {
	Ok(at
		.storage()
		.try_fetch(api::storage().verifiers().pending_rewards(), (*who, asset))
		.await
		.map_err(|e| anyhow!("cannot read pending rewards: {e}"))?
		.map(|v| v.decode())
		.transpose()
		.map_err(|e| anyhow!("cannot decode pending rewards: {e}"))?
		.unwrap_or(0))
}

/// What `who` may claim: in POI, and in each project's token it has some of (shares of
/// slashed stakes), as `(project, asset, amount)` by project. Read as two walks over storage
/// (`who`'s rewards, then the projects' tokens when it has some), not a read per project.
async fn all_pending_rewards(
	at: &poi_client::AtBlock,
	who: &AccountId,
) -> Result<(u128, Vec<(ProjectId, u32, u128)>)> {
	use runtime_types::pallet_verifiers::types::RewardAsset;
	let (mut native, mut by_asset) = (0, std::collections::BTreeMap::new());
	let mut entries = at
		.storage()
		.iter(api::storage().verifiers().pending_rewards(), (*who,))
		.await
		.map_err(|e| anyhow!("cannot read pending rewards: {e}"))?;
	while let Some(entry) = entries.next().await {
		let entry = entry.map_err(|e| anyhow!("cannot read pending rewards: {e}"))?;
		let (_, asset) = entry
			.key()
			.and_then(|key| key.decode())
			.map_err(|e| anyhow!("cannot decode a pending reward's asset: {e}"))?;
		let amount =
			entry.value().decode().map_err(|e| anyhow!("cannot decode pending rewards: {e}"))?;
		match asset {
			RewardAsset::Native => native = amount,
			RewardAsset::Token(asset) if amount > 0 => {
				by_asset.insert(asset, amount);
			},
			RewardAsset::Token(_) => {},
		}
	}
	let mut tokens = Vec::new();
	if !by_asset.is_empty() {
		for (project, asset) in chain::assets(at).await? {
			if let Some(amount) = by_asset.remove(&asset) {
				tokens.push((project, asset, amount));
			}
		}
	}
	Ok((native, tokens))
}

async fn status(global: &Global, account: Option<&str>) -> Result<()> {
	let who = match account {
		Some(text) => {
			AccountId::from_str(text).map_err(|_| anyhow!("{text} is not an account (SS58)"))?
		},
		None => poi_client::account_of(&global.signer()?),
	};
	let client = global.connect().await?;
	let at = chain::now(&client).await?;
	let Some(info) = verifier(&at, &who).await? else {
		bail!("{who} is not a verifier (poi verifier register --bond X)")
	};
	let assignments = at
		.runtime_apis()
		.call(api::runtime_apis().proposals_api().assignments(who))
		.await
		.map_err(|e| anyhow!("cannot read the verifier's rounds: {e}"))?;
	let chilled =
		matches!(info.status, runtime_types::pallet_verifiers::types::VerifierStatus::Chilled);
	let (native, tokens) = all_pending_rewards(&at, &who).await?;
	let s = &info.stats;
	output::print(
		global.json,
		json!({
			"account": who.to_string(), "bond": info.bond.to_string(), "chilled": chilled,
			"unbonding": info.unbonding.as_ref().map(|u| json!({"amount": u.amount.to_string(), "unlocksAt": u.unlocks_at})),
			"stats": {"rounds": s.rounds, "agreed": s.agreed, "deviant": s.deviant, "missed": s.missed},
			"pendingNative": native.to_string(),
			"pendingTokens": tokens.iter().map(|(project, asset, n)| json!({"project": project, "asset": asset, "amount": n.to_string()})).collect::<Vec<_>>(),
			"assignments": assignments.iter().map(|a| json!({"proposal": a.proposal, "project": a.project})).collect::<Vec<_>>(),
			"evaluators": {"wasm": info.evaluators.wasm, "candleGpt": info.evaluators.candle_gpt, "command": info.evaluators.command},
		}),
		|| {
			format!(
				"verifier {who}: bond {}{}{}\nrounds {}, agreed {}, deviant {}, missed {}\npending rewards: {}{}\nrunning rounds: {}",
				units::poi(info.bond),
				if chilled { ", chilled (poi verifier rejoin)" } else { "" },
				info.unbonding.as_ref().map(|u| format!(", unbonding {} until block {}", units::poi(u.amount), u.unlocks_at)).unwrap_or_default(),
				s.rounds, s.agreed, s.deviant, s.missed,
				units::poi(native),
				tokens.iter().map(|(project, asset, n)| format!(", {n} tokens of project {project} (poi verifier claim {asset})")).collect::<String>(),
				if assignments.is_empty() { "none".into() } else {
					assignments.iter().map(|a| format!("proposal {} (project {})", a.proposal, a.project)).collect::<Vec<_>>().join(", ")
				}
			)
		},
	);
	Ok(())
}
