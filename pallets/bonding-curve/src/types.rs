//! The stored and reported types of the bonding curve.

use crate::curve::Linear;
use codec::{Decode, Encode, MaxEncodedLen};
use poi_primitives::{NodeId, Score};
use scale_info::TypeInfo;

/// A project's token: its asset, its curve and its reward pool.
#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct TokenInfo<AssetId, Balance> {
	/// The asset of pallet-assets that is the token (0 decimals, owned by the reserve account).
	pub asset: AssetId,
	/// Price of the first whole token.
	pub base_price: Balance,
	/// Price increase per token of supply.
	pub slope: Balance,
	/// The most tokens miner rewards may mint, in all.
	pub miner_pool_cap: Balance,
	/// Tokens minted for each approved improvement (less when the pool or escrow runs out).
	pub reward_per_approval: Balance,
	/// Tokens minted as rewards so far; never above `miner_pool_cap`.
	pub pool_minted: Balance,
}

impl<AssetId, Balance: Copy> TokenInfo<AssetId, Balance> {
	/// The token's curve.
	pub fn curve(&self) -> Linear<Balance> {
		Linear { base: self.base_price, slope: self.slope }
	}
}

/// Everything a wallet or explorer shows about a project's token and progress, in one call of
/// the `BondingCurveApi_overview` runtime API.
#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
pub struct ProjectOverview<AssetId, Balance> {
	/// The token's asset id in pallet-assets.
	pub asset: AssetId,
	/// Whether the project takes proposals and trades (not frozen).
	pub active: bool,
	/// The best node of the project's lineage DAG.
	pub best_node: NodeId,
	/// Its score.
	pub best_score: Score,
	/// Tokens in existence.
	pub supply: Balance,
	/// The price of the next whole token; `None` when it does not fit the balance type.
	pub price: Option<Balance>,
	/// What the reserve holds for sell-backs (at least `cost(0, supply)`).
	pub reserve: Balance,
	/// What the reward escrow holds for minting rewards.
	pub escrow: Balance,
	/// Tokens minted as miner rewards so far.
	pub pool_minted: Balance,
	/// The most tokens miner rewards may mint.
	pub pool_cap: Balance,
	/// Tokens minted per approved improvement.
	pub reward_per_approval: Balance,
}
