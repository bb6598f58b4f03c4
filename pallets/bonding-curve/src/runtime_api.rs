//! The runtime API of the bonding curve: quotes, the price and a project overview, with types
//! that the metadata describes, so Polkadot.js calls them without custom type definitions
//! (`api.call.bondingCurveApi.quoteBuy(project, amount)`).

use crate::ProjectOverview;
use codec::Codec;
use poi_primitives::ProjectId;

sp_api::decl_runtime_apis! {
	/// Quotes and state of projects' tokens.
	pub trait BondingCurveApi<AssetId, Balance>
	where
		AssetId: Codec,
		Balance: Codec,
	{
		/// What buying `amount` tokens of `project` costs now; `None` for an unknown project, a
		/// zero amount, or a cost or supply that would not fit the balance type.
		fn quote_buy(project: ProjectId, amount: Balance) -> Option<Balance>;
		/// What selling `amount` tokens of `project` refunds now; `None` for an unknown project,
		/// a zero amount, or more than the supply.
		fn quote_sell(project: ProjectId, amount: Balance) -> Option<Balance>;
		/// The price of `project`'s next whole token; `None` for an unknown project.
		fn price(project: ProjectId) -> Option<Balance>;
		/// The project's token, reserve, escrow, reward pool and best score; `None` for an
		/// unknown project.
		fn overview(project: ProjectId) -> Option<ProjectOverview<AssetId, Balance>>;
	}
}
