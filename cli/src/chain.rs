//! Reading the chain: projects, lineage nodes, proposals, balances, quotes, with errors that
//! say what to do.

use anyhow::{anyhow, bail, Result};
use poi_client::api::{
	self,
	runtime_types::{
		pallet_projects::types::{LineageNode, ProjectInfo, ProjectStatus},
		pallet_proposals::types::Proposal,
	},
};
use poi_client::{AccountId, AtBlock, Client};
use poi_primitives::{NodeId, ProjectId, ProposalId, Score};

/// A project as stored.
pub type Project = ProjectInfo<AccountId, u128, u32>;
/// A lineage node as stored.
pub type Node = LineageNode<AccountId, u32>;
/// A proposal as stored.
pub type ProposalInfo = Proposal<AccountId, u128, u32>;

/// The latest finalized block.
pub async fn now(client: &Client) -> Result<AtBlock> {
	client
		.at_current_block()
		.await
		.map_err(|e| anyhow!("cannot read the chain's latest block: {e}"))
}

/// The node's best block (not final yet): what a run that was interrupted may have sent is
/// in it.
pub async fn best(client: &Client) -> Result<AtBlock> {
	poi_client::best_block(client).await.map_err(anyhow::Error::msg)
}

/// Project `id`, or an error naming `poi project list`.
pub async fn project(at: &AtBlock, id: ProjectId) -> Result<Project> {
	let value = at
		.storage()
		.try_fetch(api::storage().projects().projects(), (id,))
		.await
		.map_err(|e| anyhow!("cannot read project {id}: {e}"))?;
	match value {
		Some(value) => value.decode().map_err(|e| anyhow!("cannot decode project {id}: {e}")),
		None => bail!("there is no project {id} on this chain (poi project list shows them)"),
	}
}

/// Whether the project takes proposals and trades.
pub fn is_active(project: &Project) -> bool {
	matches!(project.status, ProjectStatus::Active)
}

/// Node `node` of project `id`.
pub async fn node(at: &AtBlock, id: ProjectId, node: NodeId) -> Result<Node> {
	let value = at
		.storage()
		.try_fetch(api::storage().projects().nodes(), (id, node))
		.await
		.map_err(|e| anyhow!("cannot read node {node} of project {id}: {e}"))?
		.ok_or_else(|| anyhow!("project {id} has no node {node}"))?;
	value.decode().map_err(|e| anyhow!("cannot decode node {node} of project {id}: {e}"))
}

/// The project's best score.
pub async fn best_score(at: &AtBlock, id: ProjectId, project: &Project) -> Result<Score> {
	Ok(node(at, id, project.best).await?.score)
}

/// All projects, by id.
pub async fn projects(at: &AtBlock) -> Result<Vec<(ProjectId, Project)>> {
	let mut all = Vec::new();
	for id in 0..project_count(at).await? {
		all.push((id, project(at, id).await?));
	}
	Ok(all)
}

/// How many projects there are (their ids are 0 to this, less one).
pub async fn project_count(at: &AtBlock) -> Result<ProjectId> {
	at.storage()
		.fetch(api::storage().projects().next_project_id(), ())
		.await
		.map_err(|e| anyhow!("cannot read the number of projects: {e}"))?
		.decode()
		.map_err(|e| anyhow!("cannot decode the number of projects: {e}"))
}

/// How many proposals project `id` has (their indices in it are 0 to this, less one, in
/// reveal order).
pub async fn proposal_count(at: &AtBlock, id: ProjectId) -> Result<u32> {
	at.storage()
		.fetch(api::storage().proposals().project_proposal_count(), (id,))
		.await
		.map_err(|e| anyhow!("cannot count project {id}'s proposals: {e}"))?
		.decode()
		.map_err(|e| anyhow!("cannot decode project {id}'s proposal count: {e}"))
}

/// Up to `limit` proposals of project `id` from `start` (the runtime API's order: oldest
/// first).
pub async fn proposals(
	at: &AtBlock,
	id: ProjectId,
	start: u32,
	limit: u32,
) -> Result<Vec<(ProposalId, ProposalInfo)>> {
	at.runtime_apis()
		.call(api::runtime_apis().proposals_api().project_proposals(id, start, limit))
		.await
		.map_err(|e| anyhow!("cannot read the proposals of project {id}: {e}"))
}

/// Proposal `id`.
pub async fn proposal(at: &AtBlock, id: ProposalId) -> Result<Option<ProposalInfo>> {
	at.runtime_apis()
		.call(api::runtime_apis().proposals_api().proposal(id))
		.await
		.map_err(|e| anyhow!("cannot read proposal {id}: {e}"))
}

/// The asset id of project `id`'s token.
pub async fn asset(at: &AtBlock, id: ProjectId) -> Result<u32> {
	let value = at
		.storage()
		.try_fetch(api::storage().bonding_curve().tokens(), (id,))
		.await
		.map_err(|e| anyhow!("cannot read project {id}'s token: {e}"))?
		.ok_or_else(|| anyhow!("project {id} has no token"))?;
	Ok(value.decode().map_err(|e| anyhow!("cannot decode project {id}'s token: {e}"))?.asset)
}

/// The asset id of each project's token, by project (one walk over storage).
pub async fn assets(at: &AtBlock) -> Result<std::collections::BTreeMap<ProjectId, u32>> {
	let mut entries = at
		.storage()
		.iter(api::storage().bonding_curve().tokens(), ())
		.await
		.map_err(|e| anyhow!("cannot read the projects' tokens: {e}"))?;
	let mut assets = std::collections::BTreeMap::new();
	while let Some(entry) = entries.next().await {
		let entry = entry.map_err(|e| anyhow!("cannot read the projects' tokens: {e}"))?;
		let (project,) = entry
			.key()
			.and_then(|key| key.decode())
			.map_err(|e| anyhow!("cannot decode a token's project: {e}"))?;
		let token =
			entry.value().decode().map_err(|e| anyhow!("cannot decode a project's token: {e}"))?;
		assets.insert(project, token.asset);
	}
	Ok(assets)
}

/// How many of project `id`'s tokens `who` holds.
pub async fn tokens(at: &AtBlock, id: ProjectId, who: &AccountId) -> Result<u128> {
	let asset = asset(at, id).await?;
	let value = at
		.storage()
		.try_fetch(api::storage().assets().account(), (asset, *who))
		.await
		.map_err(|e| anyhow!("cannot read the token balance: {e}"))?;
	Ok(match value {
		Some(value) => {
			value.decode().map_err(|e| anyhow!("cannot decode the token balance: {e}"))?.balance
		},
		None => 0,
	})
}

/// `who`'s free POI balance, in planck.
pub async fn free(at: &AtBlock, who: &AccountId) -> Result<u128> {
	let account = at
		.storage()
		.fetch(api::storage().system().account(), (*who,))
		.await
		.map_err(|e| anyhow!("cannot read the account's balance: {e}"))?
		.decode()
		.map_err(|e| anyhow!("cannot decode the account's balance: {e}"))?;
	Ok(account.data.free)
}

/// What buying `amount` tokens of project `id` costs now (`None`: the curve cannot).
pub async fn quote_buy(at: &AtBlock, id: ProjectId, amount: u128) -> Result<Option<u128>> {
	at.runtime_apis()
		.call(api::runtime_apis().bonding_curve_api().quote_buy(id, amount))
		.await
		.map_err(|e| anyhow!("cannot quote a buy of project {id}'s token: {e}"))
}

/// What selling `amount` tokens of project `id` refunds now.
pub async fn quote_sell(at: &AtBlock, id: ProjectId, amount: u128) -> Result<Option<u128>> {
	at.runtime_apis()
		.call(api::runtime_apis().bonding_curve_api().quote_sell(id, amount))
		.await
		.map_err(|e| anyhow!("cannot quote a sale of project {id}'s token: {e}"))
}

/// A constant of the runtime, by its generated address.
pub fn constant<A: subxt_constant::Address>(at: &AtBlock, address: A) -> Result<A::Target> {
	at.constants().entry(address).map_err(|e| anyhow!("cannot read a constant of the runtime: {e}"))
}

mod subxt_constant {
	pub use poi_client::subxt::constants::Address;
}

/// The text of a proposal's status, in words.
pub fn status_text(
	status: &api::runtime_types::pallet_proposals::types::ProposalStatus<AccountId, u128, u32>,
) -> String {
	use api::runtime_types::pallet_proposals::types::ProposalStatus as S;
	match status {
		S::Verifying => "verifying".into(),
		S::Approved { node, .. } => format!("approved (node {node})"),
		S::Rejected(reason) => format!("rejected ({})", format!("{reason:?}").to_lowercase()),
		S::Released(reason) => format!("released ({})", format!("{reason:?}").to_lowercase()),
		S::Superseded { node } => format!("superseded (by node {node})"),
		S::Expired => "expired".into(),
		S::Overturned { .. } => "overturned".into(),
	}
}

/// A short name of a proposal's status, for JSON.
pub fn status_name(
	status: &api::runtime_types::pallet_proposals::types::ProposalStatus<AccountId, u128, u32>,
) -> &'static str {
	use api::runtime_types::pallet_proposals::types::ProposalStatus as S;
	match status {
		S::Verifying => "verifying",
		S::Approved { .. } => "approved",
		S::Rejected(_) => "rejected",
		S::Released(_) => "released",
		S::Superseded { .. } => "superseded",
		S::Expired => "expired",
		S::Overturned { .. } => "overturned",
	}
}
