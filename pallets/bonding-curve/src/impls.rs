//! What the calls, the runtime API and the traits of this pallet do.

use super::*;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{Inspect as FungibleInspect, Mutate as FungibleMutate},
		fungibles::{
			metadata::{MetadataDeposit, Mutate as MetadataMutate},
			Create, Inspect as FungiblesInspect, Mutate as FungiblesMutate,
		},
		tokens::{Fortitude, Precision, Preservation},
	},
};
use pallet_projects::{CurveParams, Lineage, ProjectTokens};
use sp_runtime::{
	traits::{AccountIdConversion, CheckedAdd, CheckedSub, Convert, One, Saturating, Zero},
	ArithmeticError,
};

/// Tag of the reserve accounts.
const RESERVE_TAG: [u8; 4] = *b"resv";
/// Tag of the escrow accounts.
const ESCROW_TAG: [u8; 4] = *b"escr";

impl<T: Config> Pallet<T> {
	/// The account that holds `project`'s reserve and owns its asset.
	pub fn reserve_account(project: ProjectId) -> T::AccountId {
		T::PalletId::get().into_sub_account_truncating((RESERVE_TAG, project))
	}

	/// The account that holds `project`'s reward escrow.
	pub fn escrow_account(project: ProjectId) -> T::AccountId {
		T::PalletId::get().into_sub_account_truncating((ESCROW_TAG, project))
	}

	/// What an account of this pallet holds beyond the existential deposit it keeps (and,
	/// for the reserve account, beyond the asset's reserved metadata deposit).
	fn spendable(account: &T::AccountId) -> BalanceOf<T> {
		T::Currency::reducible_balance(account, Preservation::Preserve, Fortitude::Polite)
	}

	/// The reserve available to sell-backs.
	pub fn reserve_of(project: ProjectId) -> BalanceOf<T> {
		Self::spendable(&Self::reserve_account(project))
	}

	/// The escrow available to rewards.
	pub fn escrow_of(project: ProjectId) -> BalanceOf<T> {
		Self::spendable(&Self::escrow_account(project))
	}

	/// The supply of `token`.
	fn supply(token: &TokenInfoOf<T>) -> BalanceOf<T> {
		T::Assets::total_issuance(token.asset)
	}

	/// The token of a project that may trade now.
	fn tradable(project: ProjectId) -> Result<TokenInfoOf<T>, DispatchError> {
		let token = Tokens::<T>::get(project).ok_or(Error::<T>::UnknownProject)?;
		ensure!(T::Projects::is_active(project), Error::<T>::ProjectFrozen);
		Ok(token)
	}

	/// What buying `amount` at `supply` costs, provided the supply after it can still be
	/// sold back in full without overflowing (so every later refund computes).
	fn buy_cost(
		token: &TokenInfoOf<T>,
		supply: BalanceOf<T>,
		amount: BalanceOf<T>,
	) -> Option<BalanceOf<T>> {
		let curve = token.curve();
		let after = supply.checked_add(&amount)?;
		curve.reserve_for(after)?;
		curve.cost(supply, amount)
	}

	/// `buy`.
	pub(crate) fn do_buy(
		who: T::AccountId,
		project: ProjectId,
		amount: BalanceOf<T>,
		max_cost: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let token = Self::tradable(project)?;
		let supply = Self::supply(&token);
		let cost = Self::buy_cost(&token, supply, amount).ok_or(Error::<T>::CurveOverflow)?;
		ensure!(cost <= max_cost, Error::<T>::CostAboveMax);

		if !cost.is_zero() {
			T::Currency::transfer(
				&who,
				&Self::reserve_account(project),
				cost,
				Preservation::Preserve,
			)?;
		}
		T::Assets::mint_into(token.asset, &who, amount)?;
		Self::deposit_event(Event::Bought { project, who, amount, cost });
		Ok(())
	}

	/// `sell`.
	pub(crate) fn do_sell(
		who: T::AccountId,
		project: ProjectId,
		amount: BalanceOf<T>,
		min_refund: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let token = Self::tradable(project)?;
		let held = T::Assets::reducible_balance(
			token.asset,
			&who,
			Preservation::Expendable,
			Fortitude::Polite,
		);
		ensure!(held >= amount, Error::<T>::InsufficientTokens);
		let supply = Self::supply(&token);
		let refund = token.curve().refund(supply, amount).ok_or(Error::<T>::CurveOverflow)?;
		ensure!(refund >= min_refund, Error::<T>::RefundBelowMin);

		T::Assets::burn_from(
			token.asset,
			&who,
			amount,
			Preservation::Expendable,
			Precision::Exact,
			Fortitude::Polite,
		)?;
		if !refund.is_zero() {
			T::Currency::transfer(
				&Self::reserve_account(project),
				&who,
				refund,
				Preservation::Preserve,
			)
			.map_err(|_| Error::<T>::ReserveShortfall)?;
		}
		Self::deposit_event(Event::Sold { project, who, amount, refund });
		Ok(())
	}

	/// `fund_rewards`.
	pub(crate) fn do_fund_rewards(
		who: T::AccountId,
		project: ProjectId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		ensure!(Tokens::<T>::contains_key(project), Error::<T>::UnknownProject);
		T::Currency::transfer(
			&who,
			&Self::escrow_account(project),
			amount,
			Preservation::Preserve,
		)?;
		Self::deposit_event(Event::RewardsFunded { project, who, amount });
		Ok(())
	}

	/// The most tokens, up to `want`, whose cost at `supply` the escrow `budget` pays and
	/// whose supply the curve can still price; with its cost. A binary search: the cost grows
	/// with the amount.
	fn affordable(
		token: &TokenInfoOf<T>,
		supply: BalanceOf<T>,
		want: BalanceOf<T>,
		budget: BalanceOf<T>,
	) -> (BalanceOf<T>, BalanceOf<T>) {
		let fits = |n: BalanceOf<T>| Self::buy_cost(token, supply, n).filter(|c| *c <= budget);
		if let Some(cost) = fits(want) {
			return (want, cost);
		}
		// Invariant: `fits(low)` holds (zero always costs nothing), `fits(high)` does not, and
		// `low < high`; so `high - low` cannot underflow and `low + gap / 2 < high` cannot
		// overflow (qed for the saturating operations).
		let (mut low, mut high) = (BalanceOf::<T>::zero(), want);
		let two: BalanceOf<T> = 2u32.into();
		while high.saturating_sub(low) > One::one() {
			let mid = low.saturating_add(high.saturating_sub(low) / two);
			if fits(mid).is_some() {
				low = mid;
			} else {
				high = mid;
			}
		}
		(low, fits(low).unwrap_or_default())
	}

	/// `mint_reward` of [`TokenRewards`], inside its storage layer.
	fn mint_reward_inner(
		project: ProjectId,
		to: &T::AccountId,
		max_cost: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let mut token = Tokens::<T>::get(project).ok_or(Error::<T>::UnknownProject)?;
		let left_in_pool = token.miner_pool_cap.checked_sub(&token.pool_minted).unwrap_or_default();
		let want = token.reward_per_approval.min(left_in_pool);
		let escrow = Self::escrow_account(project);
		let budget = Self::spendable(&escrow).min(max_cost);
		let (amount, cost) = Self::affordable(&token, Self::supply(&token), want, budget);
		if amount.is_zero() {
			return Ok(amount);
		}
		if !cost.is_zero() {
			T::Currency::transfer(
				&escrow,
				&Self::reserve_account(project),
				cost,
				Preservation::Preserve,
			)?;
		}
		T::Assets::mint_into(token.asset, to, amount)?;
		token.pool_minted =
			token.pool_minted.checked_add(&amount).ok_or(ArithmeticError::Overflow)?;
		Tokens::<T>::insert(project, token);
		Self::deposit_event(Event::RewardMinted { project, to: to.clone(), amount, cost });
		Ok(amount)
	}

	/// `BondingCurveApi::quote_buy`.
	pub fn quote_buy(project: ProjectId, amount: BalanceOf<T>) -> Option<BalanceOf<T>> {
		if amount.is_zero() {
			return None;
		}
		let token = Tokens::<T>::get(project)?;
		Self::buy_cost(&token, Self::supply(&token), amount)
	}

	/// `BondingCurveApi::quote_sell`.
	pub fn quote_sell(project: ProjectId, amount: BalanceOf<T>) -> Option<BalanceOf<T>> {
		if amount.is_zero() {
			return None;
		}
		let token = Tokens::<T>::get(project)?;
		token.curve().refund(Self::supply(&token), amount)
	}

	/// `BondingCurveApi::price`.
	pub fn price(project: ProjectId) -> Option<BalanceOf<T>> {
		let token = Tokens::<T>::get(project)?;
		token.curve().price(Self::supply(&token))
	}

	/// `BondingCurveApi::overview`.
	pub fn overview(project: ProjectId) -> Option<ProjectOverviewOf<T>> {
		let token = Tokens::<T>::get(project)?;
		let (best_node, best_score) = T::Projects::best(project)?;
		let supply = Self::supply(&token);
		Some(ProjectOverview {
			asset: token.asset,
			active: T::Projects::is_active(project),
			best_node,
			best_score,
			supply,
			price: token.curve().price(supply),
			reserve: Self::reserve_of(project),
			escrow: Self::escrow_of(project),
			pool_minted: token.pool_minted,
			pool_cap: token.miner_pool_cap,
			reward_per_approval: token.reward_per_approval,
		})
	}

	/// Checks the invariants for every token: its project exists, its asset exists, the
	/// reserve covers a full sell-back of the supply, the reward pool is within its cap, and
	/// the reserve and escrow accounts keep their existential deposit.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let ed = T::Currency::minimum_balance();
		for (project, token) in Tokens::<T>::iter() {
			ensure!(T::Projects::best(project).is_some(), "token of an unknown project");
			ensure!(T::Assets::asset_exists(token.asset), "token's asset missing");
			let supply = Self::supply(&token);
			let needed = token.curve().reserve_for(supply).ok_or("supply beyond the curve")?;
			ensure!(Self::reserve_of(project) >= needed, "reserve below cost(0, supply)");
			ensure!(token.pool_minted <= token.miner_pool_cap, "reward pool above its cap");
			ensure!(
				T::Currency::balance(&Self::reserve_account(project)) >= ed,
				"reserve account below the existential deposit"
			);
			ensure!(
				T::Currency::balance(&Self::escrow_account(project)) >= ed,
				"escrow account below the existential deposit"
			);
		}
		Ok(())
	}
}

/// Launch costs two existential deposits (reserve and escrow accounts), the asset's metadata
/// deposit and the initial escrow. Launching creates the asset owned by the reserve account,
/// sets its metadata, and funds the reserve and escrow accounts from the creator.
impl<T: Config> ProjectTokens<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn launch_cost(
		name: &[u8],
		symbol: &[u8],
		curve: &CurveParams<BalanceOf<T>>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let ed = T::Currency::minimum_balance();
		let metadata = T::Assets::calc_metadata_deposit(name, symbol);
		ed.checked_add(&ed)
			.and_then(|x| x.checked_add(&metadata))
			.and_then(|x| x.checked_add(&curve.initial_escrow))
			.ok_or_else(|| ArithmeticError::Overflow.into())
	}

	fn launch(
		project: ProjectId,
		creator: &T::AccountId,
		name: &[u8],
		symbol: &[u8],
		curve: &CurveParams<BalanceOf<T>>,
	) -> DispatchResult {
		ensure!(!Tokens::<T>::contains_key(project), Error::<T>::TokenExists);
		let asset = T::ProjectAssetId::convert(project);
		ensure!(!T::Assets::asset_exists(asset), Error::<T>::AssetIdInUse);
		let reserve = Self::reserve_account(project);
		let escrow = Self::escrow_account(project);
		let ed = T::Currency::minimum_balance();
		let metadata_deposit = T::Assets::calc_metadata_deposit(name, symbol);

		let reserve_seed = ed.checked_add(&metadata_deposit).ok_or(ArithmeticError::Overflow)?;
		let escrow_seed = ed.checked_add(&curve.initial_escrow).ok_or(ArithmeticError::Overflow)?;
		T::Currency::transfer(creator, &reserve, reserve_seed, Preservation::Preserve)?;
		T::Currency::transfer(creator, &escrow, escrow_seed, Preservation::Preserve)?;

		T::Assets::create(asset, reserve.clone(), false, One::one())?;
		T::Assets::set(asset, &reserve, name.to_vec(), symbol.to_vec(), 0)?;

		Tokens::<T>::insert(
			project,
			TokenInfo {
				asset,
				base_price: curve.base_price,
				slope: curve.slope,
				miner_pool_cap: curve.miner_pool_cap,
				reward_per_approval: curve.reward_per_approval,
				pool_minted: Zero::zero(),
			},
		);
		Self::deposit_event(Event::TokenLaunched {
			project,
			asset,
			reserve,
			escrow,
			initial_escrow: curve.initial_escrow,
		});
		Ok(())
	}
}

impl<T: Config> TokenRewards<T::AccountId, BalanceOf<T>> for Pallet<T> {
	/// All or nothing, also when called from a hook.
	fn mint_reward(
		project: ProjectId,
		to: &T::AccountId,
		max_cost: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		frame_support::storage::with_storage_layer(|| {
			Self::mint_reward_inner(project, to, max_cost)
		})
	}

	fn burn(project: ProjectId, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let token = Tokens::<T>::get(project).ok_or(Error::<T>::UnknownProject)?;
		T::Assets::burn_from(
			token.asset,
			who,
			amount,
			Preservation::Expendable,
			Precision::Exact,
			Fortitude::Polite,
		)
		.map_err(|_| Error::<T>::InsufficientTokens)?;
		Self::deposit_event(Event::Burned { project, who: who.clone(), amount });
		Ok(())
	}

	fn value(project: ProjectId, amount: BalanceOf<T>) -> Option<BalanceOf<T>> {
		Self::quote_sell(project, amount)
	}
}
