//! `poi token buy|sell`: trades on a project's curve with a slippage bound from a fresh quote.

use crate::{chain, output, units, Global};
use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use poi_client::api;
use poi_primitives::ProjectId;
use serde_json::json;

#[derive(Subcommand)]
pub enum Command {
	/// Buys AMOUNT tokens of project ID at the curve's cost, at most a fresh quote plus
	/// --slippage-bps (or --max-cost).
	Buy {
		/// The project.
		id: ProjectId,
		/// Tokens to buy (whole units of the project's token).
		amount: u128,
		/// The most to pay, in POI [default: the quote plus --slippage-bps].
		#[arg(long)]
		max_cost: Option<String>,
		/// How far the price may move against you between the quote and the block.
		#[arg(long, default_value_t = 100)]
		slippage_bps: u32,
	},
	/// Sells AMOUNT tokens of project ID back to the curve for at least a fresh quote less
	/// --slippage-bps (or --min-refund).
	Sell {
		/// The project.
		id: ProjectId,
		/// Tokens to sell.
		amount: u128,
		/// The least refund to take, in POI [default: the quote less --slippage-bps].
		#[arg(long)]
		min_refund: Option<String>,
		/// How far the price may move against you between the quote and the block.
		#[arg(long, default_value_t = 100)]
		slippage_bps: u32,
	},
}

pub async fn run(global: &Global, command: Command) -> Result<()> {
	let signer = global.signer()?;
	let who = poi_client::account_of(&signer);
	let client = global.connect().await?;
	let at = chain::now(&client).await?;
	match command {
		Command::Buy { id, amount, max_cost, slippage_bps } => {
			let project = chain::project(&at, id).await?;
			if !chain::is_active(&project) {
				bail!("project {id} is frozen: its token cannot be traded now");
			}
			if amount == 0 {
				bail!("buy at least one token");
			}
			let quote = chain::quote_buy(&at, id, amount)
				.await?
				.ok_or_else(|| anyhow!("the curve cannot sell {amount} tokens (too many)"))?;
			let bound = match max_cost {
				Some(text) => units::parse_poi(&text).map_err(|e| anyhow!("--max-cost: {e}"))?,
				None => with_bps(quote, slippage_bps, true),
			};
			if bound < quote {
				bail!(
					"the quote is {}, above --max-cost {}: raise it or buy fewer",
					units::poi(quote),
					units::poi(bound)
				);
			}
			let free = chain::free(&at, &who).await?;
			if free <= quote {
				bail!(
					"{who} has {} free, and {amount} tokens cost {}: fund the account or buy fewer",
					units::poi(free),
					units::poi(quote)
				);
			}
			let call = api::tx().bonding_curve().buy(id, amount, bound);
			let included = poi_client::submit(&client, &call, &signer, output::progress("buy"))
				.await
				.map_err(|e| anyhow!("buy: {e}"))?;
			let bought = included
				.events
				.find_first::<api::bonding_curve::events::Bought>()
				.and_then(|e| e.ok())
				.ok_or_else(|| anyhow!("buy succeeded without a Bought event"))?;
			output::print(
				global.json,
				json!({"project": id, "amount": amount.to_string(), "cost": bought.cost.to_string(), "extrinsic": format!("{:?}", included.extrinsic)}),
				|| {
					format!(
						"bought {amount} tokens of project {id} for {}",
						units::poi(bought.cost)
					)
				},
			);
		},
		Command::Sell { id, amount, min_refund, slippage_bps } => {
			let project = chain::project(&at, id).await?;
			if !chain::is_active(&project) {
				bail!("project {id} is frozen: its token cannot be traded now");
			}
			let held = chain::tokens(&at, id, &who).await?;
			if amount == 0 || amount > held {
				bail!("{who} holds {held} tokens of project {id}: sell between 1 and {held}");
			}
			let quote = chain::quote_sell(&at, id, amount)
				.await?
				.ok_or_else(|| anyhow!("the curve cannot buy back {amount} tokens"))?;
			let bound = match min_refund {
				Some(text) => units::parse_poi(&text).map_err(|e| anyhow!("--min-refund: {e}"))?,
				None => with_bps(quote, slippage_bps, false),
			};
			if bound > quote {
				bail!(
					"the quote is {}, below --min-refund {}: lower it or sell later",
					units::poi(quote),
					units::poi(bound)
				);
			}
			let call = api::tx().bonding_curve().sell(id, amount, bound);
			let included = poi_client::submit(&client, &call, &signer, output::progress("sell"))
				.await
				.map_err(|e| anyhow!("sell: {e}"))?;
			let sold = included
				.events
				.find_first::<api::bonding_curve::events::Sold>()
				.and_then(|e| e.ok())
				.ok_or_else(|| anyhow!("sell succeeded without a Sold event"))?;
			output::print(
				global.json,
				json!({"project": id, "amount": amount.to_string(), "refund": sold.refund.to_string(), "extrinsic": format!("{:?}", included.extrinsic)}),
				|| format!("sold {amount} tokens of project {id} for {}", units::poi(sold.refund)),
			);
		},
	}
	Ok(())
}

/// `value` plus (`up`) or less `bps` of it.
fn with_bps(value: u128, bps: u32, up: bool) -> u128 {
	let share = value / 10_000 * u128::from(bps) + value % 10_000 * u128::from(bps) / 10_000;
	if up {
		value.saturating_add(share)
	} else {
		value.saturating_sub(share)
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn slippage_bounds() {
		assert_eq!(super::with_bps(10_000, 100, true), 10_100);
		assert_eq!(super::with_bps(10_000, 100, false), 9_900);
		assert_eq!(super::with_bps(u128::MAX, 100, true), u128::MAX);
		assert_eq!(super::with_bps(5, 20_000, false), 0);
	}
}
