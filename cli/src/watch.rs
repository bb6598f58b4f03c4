//! `poi watch [ID]`: follows finalized blocks and prints poi's events (projects, tokens,
//! proposals, verifiers) as they happen: in words, or one JSON object a line with `--json`.

use crate::{output, Global};
use anyhow::{anyhow, Result};
use clap::Args as ClapArgs;
use poi_client::subxt::ext::scale_value::{Composite, Value};
use poi_primitives::ProjectId;
use serde_json::json;

/// The pallets whose events are poi's.
const PALLETS: [&str; 4] = ["Projects", "BondingCurve", "Proposals", "Verifiers"];

#[derive(ClapArgs)]
pub struct Args {
	/// Only the events of this project (those that name it, and its proposals').
	pub id: Option<ProjectId>,
	/// Stop after this many blocks [default: never].
	#[arg(long)]
	pub blocks: Option<u64>,
}

pub async fn run(global: &Global, args: Args) -> Result<()> {
	let client = global.connect().await?;
	// The stream may begin with blocks finalized before this call: only later ones are shown.
	let from = crate::chain::now(&client).await?.block_number();
	let mut blocks =
		client.stream_blocks().await.map_err(|e| anyhow!("cannot follow finalized blocks: {e}"))?;
	// The proposals of the watched project seen so far (their later events name only the
	// proposal).
	let mut proposals = std::collections::BTreeSet::new();
	let mut seen = 0u64;
	while let Some(block) = blocks.next().await {
		let block = block.map_err(|e| anyhow!("lost the chain's blocks: {e}"))?;
		let number = block.number();
		if number <= from {
			continue;
		}
		let at = block.at().await.map_err(|e| anyhow!("cannot read block {number}: {e}"))?;
		let events = at
			.events()
			.fetch()
			.await
			.map_err(|e| anyhow!("cannot read block {number}'s events: {e}"))?;
		for event in events.iter() {
			let event =
				event.map_err(|e| anyhow!("cannot decode an event of block {number}: {e}"))?;
			let pallet = event.pallet_name();
			if !PALLETS.contains(&pallet) {
				continue;
			}
			let fields = event
				.decode_fields_unchecked_as::<Composite<()>>()
				.map_err(|e| anyhow!("cannot decode {pallet}.{}: {e}", event.event_name()))?;
			let field = |name: &str| match &fields {
				Composite::Named(named) => {
					named.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_u128())
				},
				Composite::Unnamed(_) => None,
			};
			if let Some(id) = args.id {
				let project = field("project");
				let proposal = field("proposal");
				match (project, proposal) {
					(Some(p), Some(proposal)) if p == u128::from(id) => {
						proposals.insert(proposal);
					},
					(Some(p), _) if p == u128::from(id) => {},
					(None, Some(proposal)) if proposals.contains(&proposal) => {},
					_ => continue,
				}
			}
			let name = event.event_name();
			if global.json {
				println!(
					"{}",
					json!({"block": number, "pallet": pallet, "event": name, "fields": fields.to_string()})
				);
			} else {
				output::clear_status();
				println!("#{number}  {pallet}.{name}  {}", words(&fields));
			}
		}
		seen += 1;
		if args.blocks.is_some_and(|n| seen >= n) {
			break;
		}
		if !global.json {
			output::status(format!("following finalized blocks: #{number}"));
		}
	}
	output::clear_status();
	Ok(())
}

/// `a: 1, b: 2` for named fields (long byte strings as hex).
fn words(fields: &Composite<()>) -> String {
	match fields {
		Composite::Named(named) => named
			.iter()
			.map(|(name, value)| format!("{name}: {}", short(value)))
			.collect::<Vec<_>>()
			.join(", "),
		Composite::Unnamed(values) => values.iter().map(short).collect::<Vec<_>>().join(", "),
	}
}

fn short(value: &Value<()>) -> String {
	let text = value.to_string();
	if text.len() > 96 {
		format!("{}…", &text[..text.char_indices().nth(95).map(|(i, _)| i).unwrap_or(text.len())])
	} else {
		text
	}
}
