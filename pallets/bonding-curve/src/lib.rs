//! # pallet-bonding-curve
//!
//! Each poi project's token, sold and bought back on a linear bonding curve, with a reserve
//! that backs every token and an escrow that pays for miners' rewards (the rules: `docs/protocol.md`).
//!
//! ## Design
//! - **The token** of a project is an asset of pallet-assets with 0 decimals and a minimum
//!   balance of one token, created when the project is ([`pallet_projects::ProjectTokens`],
//!   which this pallet implements). Its owner, issuer, admin and freezer is the project's
//!   reserve account, an account nobody holds a key for, so only this pallet mints and burns
//!   it. Holders transfer it freely with pallet-assets.
//! - **The curve**: the next whole token costs `base + slope * supply`; buying `n` costs the
//!   exact integer sum of their prices ([`curve::Linear`]), selling `n` refunds the same sum
//!   down the curve. `buy` and `sell` take a slippage bound (`max_cost`, `min_refund`).
//! - **The reserve** of each project is an account derived from [`Config::PalletId`]; it
//!   collects every cost and pays every refund, and it always covers a full sell-back:
//!   `reserve >= cost(0, supply)` (checked by `try_state`). Burned tokens (a slashed stake)
//!   leave their backing in the reserve.
//! - **The reward escrow**, another derived account, is funded by the creator at launch and
//!   by anyone with [`Pallet::fund_rewards`]. [`TokenRewards::mint_reward`] (for the proposals
//!   pallet) mints a miner's reward and pays its curve cost from the escrow into the reserve,
//!   so rewards never dilute the backing; it mints less, or nothing, when the miner-pool cap
//!   or the escrow runs out, and says how much it minted.
//! - Both accounts keep the existential deposit, paid by the creator at launch, so they are
//!   never reaped; the reserve account also holds the asset's metadata deposit (reserved).
//!   Reported reserve and escrow amounts exclude both.
//! - A frozen project ([`pallet_projects::Lineage::is_active`]) trades nothing. Funding its
//!   escrow and minting earned rewards still work.
//!
//! ## Terms
//! - *supply*: the asset's total issuance.
//! - *cost(s, n)*: what `n` tokens cost at supply `s`; *refund*: `cost(s - n, n)`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod curve;
mod impls;
pub mod runtime_api;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::traits::fungible;
use poi_primitives::ProjectId;

/// The balance type of the native currency (and of the project tokens).
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A token's stored information, with this runtime's types.
pub type TokenInfoOf<T> = TokenInfo<<T as Config>::AssetId, BalanceOf<T>>;

/// A project overview, with this runtime's types.
pub type ProjectOverviewOf<T> = ProjectOverview<<T as Config>::AssetId, BalanceOf<T>>;

/// What the proposals pallet does with project tokens: mint miners' rewards and burn slashed
/// stakes.
pub trait TokenRewards<AccountId, Balance> {
	/// Mints `project`'s reward per approval to `to`, paying its curve cost from the escrow
	/// into the reserve. Mints less when the miner-pool cap or the escrow would be exceeded,
	/// or when the reward would cost more than `max_cost`, possibly nothing; returns how many
	/// tokens it minted.
	fn mint_reward(
		project: ProjectId,
		to: &AccountId,
		max_cost: Balance,
	) -> Result<Balance, sp_runtime::DispatchError>;
	/// Burns `amount` of `project`'s tokens from `who`; their backing stays in the reserve.
	fn burn(project: ProjectId, who: &AccountId, amount: Balance) -> sp_runtime::DispatchResult;
	/// What selling `amount` of `project`'s tokens back to its curve would pay now, in the
	/// native currency; `None` for an unknown project, a zero amount, or more than the supply.
	fn value(project: ProjectId, amount: Balance) -> Option<Balance>;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::Mutate as FungibleMutate,
			fungibles::{self, metadata::MetadataDeposit},
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::Convert;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The native currency: what tokens cost and what reserves and escrows hold.
		type Currency: FungibleMutate<Self::AccountId>;

		/// The asset id type of the assets pallet.
		type AssetId: Parameter + Member + MaxEncodedLen + Copy;

		/// The assets pallet that holds the project tokens.
		type Assets: fungibles::Inspect<Self::AccountId, AssetId = Self::AssetId, Balance = BalanceOf<Self>>
			+ fungibles::Mutate<Self::AccountId>
			+ fungibles::Create<Self::AccountId>
			+ fungibles::metadata::Mutate<Self::AccountId>
			+ MetadataDeposit<BalanceOf<Self>>;

		/// The asset id of each project's token. It must never collide with ids that users
		/// may create (poi's runtime keeps user-created ids below `2^31`).
		type ProjectAssetId: Convert<ProjectId, Self::AssetId>;

		/// The project registry: whether a project trades and its best node.
		type Projects: pallet_projects::Lineage<Self::AccountId>;

		/// The id the reserve and escrow accounts are derived from.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Weights of this pallet's calls and trait functions.
		type WeightInfo: WeightInfo;

		/// Creates projects for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: pallet_projects::BenchmarkProjects<Self::AccountId, BalanceOf<Self>>;
	}

	/// The token of each project that has one (every project, in poi's runtime).
	#[pallet::storage]
	pub type Tokens<T: Config> = StorageMap<_, Blake2_128Concat, ProjectId, TokenInfoOf<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Tokens bought in the genesis block, at the curve's price, by the account that holds
		/// them: `(project, buyer, amount)`, after pallet-projects' genesis projects exist.
		pub holdings: alloc::vec::Vec<(ProjectId, T::AccountId, BalanceOf<T>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (project, who, amount) in &self.holdings {
				if let Err(e) = Pallet::<T>::do_buy(
					who.clone(),
					*project,
					*amount,
					sp_runtime::traits::Bounded::max_value(),
				) {
					panic!("genesis holding of project {project} cannot be bought: {e:?}");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A project's token was created and its reward escrow funded.
		TokenLaunched {
			/// The project.
			project: ProjectId,
			/// The token's asset id.
			asset: T::AssetId,
			/// The account that holds the reserve (and owns the asset).
			reserve: T::AccountId,
			/// The account that holds the reward escrow.
			escrow: T::AccountId,
			/// What the creator put in the escrow.
			initial_escrow: BalanceOf<T>,
		},
		/// Tokens were bought from the curve.
		Bought {
			/// The project.
			project: ProjectId,
			/// The buyer.
			who: T::AccountId,
			/// Tokens minted to the buyer.
			amount: BalanceOf<T>,
			/// What the buyer paid into the reserve.
			cost: BalanceOf<T>,
		},
		/// Tokens were sold back to the curve.
		Sold {
			/// The project.
			project: ProjectId,
			/// The seller.
			who: T::AccountId,
			/// Tokens burned from the seller.
			amount: BalanceOf<T>,
			/// What the reserve paid the seller.
			refund: BalanceOf<T>,
		},
		/// Someone added to a project's reward escrow.
		RewardsFunded {
			/// The project.
			project: ProjectId,
			/// Who paid.
			who: T::AccountId,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// A miner's reward was minted; its curve cost moved from the escrow to the reserve.
		RewardMinted {
			/// The project.
			project: ProjectId,
			/// The miner.
			to: T::AccountId,
			/// Tokens minted.
			amount: BalanceOf<T>,
			/// What the escrow paid into the reserve for them.
			cost: BalanceOf<T>,
		},
		/// Tokens were burned; their backing stays in the reserve.
		Burned {
			/// The project.
			project: ProjectId,
			/// Whose tokens.
			who: T::AccountId,
			/// How many.
			amount: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No project with this id has a token.
		UnknownProject,
		/// The project is frozen: it trades nothing.
		ProjectFrozen,
		/// The project has a token already.
		TokenExists,
		/// The asset id of the project's token is taken in the assets pallet.
		AssetIdInUse,
		/// The amount is zero.
		ZeroAmount,
		/// The cost, the refund or the supply would not fit the balance type.
		CurveOverflow,
		/// The cost is above the buyer's `max_cost` (the price moved).
		CostAboveMax,
		/// The refund is below the seller's `min_refund` (the price moved).
		RefundBelowMin,
		/// The seller holds fewer tokens than it sells.
		InsufficientTokens,
		/// The reserve cannot pay the refund (the reserve invariant is broken: a bug).
		ReserveShortfall,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			// Short account ids would truncate the derived accounts into one another.
			let (a, b) = (Self::reserve_account(0), Self::reserve_account(1));
			assert!(a != b, "reserve accounts of two projects collide");
			assert!(a != Self::escrow_account(0), "a project's reserve and escrow collide");
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Buys `amount` tokens of `project` at the curve's exact cost, at most `max_cost`.
		///
		/// Origin: signed, the buyer, who pays the cost into the project's reserve and stays
		/// alive. Errors: `ZeroAmount`, `UnknownProject`, `ProjectFrozen`, `CurveOverflow`,
		/// `CostAboveMax`; the currency's error when the buyer cannot pay.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::buy())]
		pub fn buy(
			origin: OriginFor<T>,
			project: ProjectId,
			amount: BalanceOf<T>,
			max_cost: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_buy(who, project, amount, max_cost)
		}

		/// Sells `amount` tokens of `project` back to the curve for its exact refund, at least
		/// `min_refund`.
		///
		/// Origin: signed, the seller; the tokens are burned and the reserve pays the refund.
		/// Errors: `ZeroAmount`, `UnknownProject`, `ProjectFrozen`, `InsufficientTokens`,
		/// `CurveOverflow`, `RefundBelowMin`, `ReserveShortfall`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::sell())]
		pub fn sell(
			origin: OriginFor<T>,
			project: ProjectId,
			amount: BalanceOf<T>,
			min_refund: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_sell(who, project, amount, min_refund)
		}

		/// Adds `amount` to `project`'s reward escrow.
		///
		/// Origin: signed, anyone; pays and stays alive. Errors: `ZeroAmount`,
		/// `UnknownProject`; the currency's error when the payer cannot pay.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::fund_rewards())]
		pub fn fund_rewards(
			origin: OriginFor<T>,
			project: ProjectId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_fund_rewards(who, project, amount)
		}
	}
}
