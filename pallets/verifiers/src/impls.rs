//! What the calls do.

use super::*;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{self, MutateHold},
		fungibles,
		tokens::{Fortitude, Precision, Preservation},
	},
};
use sp_runtime::{
	traits::{
		AccountIdConversion, BlakeTwo256, CheckedAdd, CheckedSub, Hash, SaturatedConversion,
		Saturating, Zero,
	},
	ArithmeticError,
};

impl<T: Config> Pallet<T> {
	/// `register`.
	pub(crate) fn do_register(
		who: T::AccountId,
		bond: BalanceOf<T>,
		runner_key: RunnerKey,
		evaluators: Evaluators,
	) -> DispatchResult {
		ensure!(!Verifiers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(!evaluators.is_empty(), Error::<T>::NoEvaluators);
		if AdmissionMode::<T>::get() == Admission::Allowlist {
			ensure!(Allowlist::<T>::contains_key(&who), Error::<T>::NotAllowed);
		}
		ensure!(bond >= T::MinBond::get(), Error::<T>::BondTooSmall);
		ensure!(!RunnerKeys::<T>::contains_key(runner_key), Error::<T>::RunnerKeyInUse);
		ensure!(Verifiers::<T>::count() < T::MaxVerifiers::get(), Error::<T>::TooManyVerifiers);
		T::Currency::hold(&HoldReason::VerifierBond.into(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		RunnerKeys::<T>::insert(runner_key, &who);
		Verifiers::<T>::insert(
			&who,
			VerifierInfo {
				bond,
				runner_key,
				evaluators,
				status: VerifierStatus::Active,
				unbonding: None,
				stats: Stats::default(),
				missed_in_row: 0,
			},
		);
		Self::deposit_event(Event::Registered { who, bond, runner_key, evaluators });
		Ok(())
	}

	/// `set_evaluators`.
	pub(crate) fn do_set_evaluators(who: T::AccountId, evaluators: Evaluators) -> DispatchResult {
		ensure!(!evaluators.is_empty(), Error::<T>::NoEvaluators);
		Verifiers::<T>::try_mutate(&who, |info| -> DispatchResult {
			info.as_mut().ok_or(Error::<T>::NotRegistered)?.evaluators = evaluators;
			Ok(())
		})?;
		Self::deposit_event(Event::EvaluatorsChanged { who, evaluators });
		Ok(())
	}

	/// `set_runner_key`.
	pub(crate) fn do_set_runner_key(who: T::AccountId, runner_key: RunnerKey) -> DispatchResult {
		Verifiers::<T>::try_mutate(&who, |info| -> DispatchResult {
			let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(!RunnerKeys::<T>::contains_key(runner_key), Error::<T>::RunnerKeyInUse);
			RunnerKeys::<T>::remove(info.runner_key);
			RunnerKeys::<T>::insert(runner_key, &who);
			info.runner_key = runner_key;
			Ok(())
		})?;
		Self::deposit_event(Event::RunnerKeyChanged { who, runner_key });
		Ok(())
	}

	/// `unbond`.
	pub(crate) fn do_unbond(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let unlocks_at = frame_system::Pallet::<T>::block_number()
			.checked_add(&T::UnbondingDelay::get())
			.ok_or(ArithmeticError::Overflow)?;
		Verifiers::<T>::try_mutate(&who, |info| -> DispatchResult {
			let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
			let stays = info.bond.checked_sub(&amount).ok_or(Error::<T>::AmountAboveBond)?;
			ensure!(stays.is_zero() || stays >= T::MinBond::get(), Error::<T>::BondTooSmall);
			let unbonding = info
				.unbonding
				.map_or(Zero::zero(), |u| u.amount)
				.checked_add(&amount)
				.ok_or(ArithmeticError::Overflow)?;
			info.bond = stays;
			info.unbonding = Some(Unbonding { amount: unbonding, unlocks_at });
			Ok(())
		})?;
		Self::deposit_event(Event::Unbonded { who, amount, unlocks_at });
		Ok(())
	}

	/// `withdraw_unbonded`.
	pub(crate) fn do_withdraw_unbonded(who: T::AccountId) -> DispatchResult {
		let mut info = Verifiers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		let unbonding = info.unbonding.ok_or(Error::<T>::NothingUnbonding)?;
		ensure!(
			frame_system::Pallet::<T>::block_number() >= unbonding.unlocks_at,
			Error::<T>::StillUnbonding
		);
		T::Currency::release(
			&HoldReason::VerifierBond.into(),
			&who,
			unbonding.amount,
			Precision::Exact,
		)?;
		info.unbonding = None;
		Self::deposit_event(Event::Withdrawn { who: who.clone(), amount: unbonding.amount });
		if info.bond.is_zero() {
			RunnerKeys::<T>::remove(info.runner_key);
			Verifiers::<T>::remove(&who);
			Self::deposit_event(Event::Deregistered { who });
		} else {
			Verifiers::<T>::insert(&who, info);
		}
		Ok(())
	}

	/// `reap`: `who`'s slot, once it has no active bond and its unbonding delay has passed.
	pub(crate) fn do_reap(who: T::AccountId) -> DispatchResult {
		let info = Verifiers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(info.bond.is_zero(), Error::<T>::StillBonded);
		Self::do_withdraw_unbonded(who)
	}

	/// `rejoin`.
	pub(crate) fn do_rejoin(who: T::AccountId) -> DispatchResult {
		Verifiers::<T>::try_mutate(&who, |info| -> DispatchResult {
			let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(info.status == VerifierStatus::Chilled, Error::<T>::NotChilled);
			info.status = VerifierStatus::Active;
			info.missed_in_row = 0;
			Ok(())
		})?;
		Self::deposit_event(Event::Rejoined { who });
		Ok(())
	}

	/// `claim_rewards`.
	pub(crate) fn do_claim_rewards(who: T::AccountId, asset: RewardAssetOf<T>) -> DispatchResult {
		let amount = PendingRewards::<T>::take(&who, &asset).ok_or(Error::<T>::NoRewards)?;
		let pot = Self::pot_account();
		// The pot holds at least every credit (checked by `try_state`); it has a provider of
		// its own, so it may be emptied.
		match asset.clone() {
			RewardAsset::Native => {
				<T::Currency as fungible::Mutate<_>>::transfer(
					&pot,
					&who,
					amount,
					Preservation::Expendable,
				)?;
			},
			RewardAsset::Token(id) => {
				<T::Assets as fungibles::Mutate<_>>::transfer(
					id,
					&pot,
					&who,
					amount,
					Preservation::Expendable,
				)?;
			},
		}
		Self::deposit_event(Event::RewardsClaimed { who, asset, amount });
		Ok(())
	}

	/// The account credited rewards are kept in until claimed.
	pub fn pot_account() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Burns `SlashShare` of `who`'s held bond, or `at_least` if that is more (all of it at
	/// most), active bond first, then unbonding, and returns how much. An active bond left
	/// below the minimum starts unbonding in full.
	fn slash(who: &T::AccountId, reason: SlashReason, at_least: BalanceOf<T>) -> BalanceOf<T> {
		let Some(mut info) = Verifiers::<T>::get(who) else { return Zero::zero() };
		// bond + unbonding is what is held (a `try_state` invariant), so it fits (qed).
		let held = info.held();
		let due = T::SlashShare::get().mul_floor(held).max(at_least).min(held);
		let burned = T::Currency::burn_held(
			&HoldReason::VerifierBond.into(),
			who,
			due,
			Precision::BestEffort,
			Fortitude::Force,
		)
		.unwrap_or_default();
		let from_bond = burned.min(info.bond);
		// `from_bond <= bond` and `burned - from_bond <= unbonding` because `burned <= held`
		// (qed).
		info.bond = info.bond.saturating_sub(from_bond);
		if let Some(u) = info.unbonding.as_mut() {
			u.amount = u.amount.saturating_sub(burned.saturating_sub(from_bond));
		}
		if info.unbonding.is_some_and(|u| u.amount.is_zero()) {
			info.unbonding = None;
		}
		if !info.bond.is_zero() && info.bond < T::MinBond::get() {
			let amount = info.bond;
			let unlocks_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingDelay::get());
			let total = info.unbonding.map_or(Zero::zero(), |u| u.amount).saturating_add(amount);
			info.unbonding = Some(Unbonding { amount: total, unlocks_at });
			info.bond = Zero::zero();
			Self::deposit_event(Event::Unbonded { who: who.clone(), amount, unlocks_at });
		}
		if info.bond.is_zero() && info.unbonding.is_none() {
			RunnerKeys::<T>::remove(info.runner_key);
			Verifiers::<T>::remove(who);
			Self::deposit_event(Event::Deregistered { who: who.clone() });
		} else {
			Verifiers::<T>::insert(who, info);
		}
		if !burned.is_zero() {
			Self::deposit_event(Event::Slashed { who: who.clone(), amount: burned, reason });
		}
		burned
	}

	/// Counts a deviant verdict of `who` (its run of missed duties ends) and slashes it for
	/// `reason`, at least `at_least`.
	fn deviant(who: &T::AccountId, reason: SlashReason, at_least: BalanceOf<T>) -> BalanceOf<T> {
		Self::update(who, |info| {
			info.stats.deviant = info.stats.deviant.saturating_add(1);
			info.missed_in_row = 0;
		});
		Self::slash(who, reason, at_least)
	}

	/// Applies `f` to `who`'s record if it is a verifier.
	pub(crate) fn update(who: &T::AccountId, f: impl FnOnce(&mut VerifierInfoOf<T>)) {
		if let Some(mut info) = Verifiers::<T>::get(who) {
			f(&mut info);
			Verifiers::<T>::insert(who, info);
		}
	}

	/// Draws `quorum` verifiers for a round from `seed`: without replacement, each draw
	/// weighted by active bond, among the active verifiers with a bond whose runners have the
	/// evaluator `needs` and that are not in `exclude` (the proposer, a challenger). The same
	/// seed and registry give the same verifiers in the same order. Walks every verifier once
	/// per draw: at most `MaxVerifiers * quorum` steps.
	pub fn select_verifiers(
		seed: &[u8; 32],
		quorum: u32,
		exclude: &[T::AccountId],
		needs: EvaluatorKind,
	) -> Result<alloc::vec::Vec<T::AccountId>, Error<T>> {
		Self::select_at_least(seed, quorum, quorum, exclude, needs)
	}

	/// Draws like [`Pallet::select_verifiers`], but when fewer than `quorum` verifiers are
	/// eligible, draws all of them as long as they are at least `minimum` (a challenge falls
	/// back to the largest committee available instead of being refused).
	pub fn select_at_least(
		seed: &[u8; 32],
		quorum: u32,
		minimum: u32,
		exclude: &[T::AccountId],
		needs: EvaluatorKind,
	) -> Result<alloc::vec::Vec<T::AccountId>, Error<T>> {
		let mut eligible: alloc::vec::Vec<(T::AccountId, u128)> = Verifiers::<T>::iter()
			.filter(|(who, info)| {
				!exclude.contains(who)
					&& info.status == VerifierStatus::Active
					&& !info.bond.is_zero()
					&& info.evaluators.has(needs)
			})
			.map(|(who, info)| (who, info.bond.saturated_into::<u128>()))
			.collect();
		ensure!(eligible.len() >= minimum.min(quorum) as usize, Error::<T>::NotEnoughVerifiers);
		let quorum = quorum.min(eligible.len().saturated_into::<u32>());
		// Storage iteration order depends on the hashed keys only; sort so that the draw does
		// not depend on it either.
		eligible.sort_by_key(|(who, _)| who.encode());

		let mut picked = alloc::vec::Vec::with_capacity(quorum as usize);
		for draw in 0..quorum {
			// Bonds are far below 2^128 / MaxVerifiers in any real chain; saturating keeps a
			// pathological sum a valid (if skewed) draw instead of a panic.
			let total = eligible.iter().fold(0u128, |sum, (_, bond)| sum.saturating_add(*bond));
			let random = BlakeTwo256::hash(&(seed, draw).encode());
			let mut target =
				u128::decode(&mut random.as_bytes()).unwrap_or_default() % total.max(1);
			let index = eligible
				.iter()
				.position(|(_, bond)| {
					if target < *bond {
						true
					} else {
						target = target.saturating_sub(*bond);
						false
					}
				})
				.unwrap_or(eligible.len().saturating_sub(1));
			// `eligible` holds at least `quorum - draw >= 1` verifiers, so `index` is in range
			// (qed).
			picked.push(eligible.remove(index).0);
		}
		Ok(picked)
	}

	/// Checks the invariants: every verifier's hold equals its bond plus its unbonding
	/// amount, its active bond is zero or at least the minimum, and runner keys and verifiers
	/// point at each other.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::traits::fungible::InspectHold;
		for (who, info) in Verifiers::<T>::iter() {
			let unbonding = info.unbonding.map_or(Zero::zero(), |u| u.amount);
			let expected = info.bond.checked_add(&unbonding).ok_or("bond sum overflows")?;
			let held = T::Currency::balance_on_hold(&HoldReason::VerifierBond.into(), &who);
			ensure!(held == expected, "held bond differs from bond + unbonding");
			ensure!(
				info.bond.is_zero() || info.bond >= T::MinBond::get(),
				"active bond below the minimum"
			);
			ensure!(
				RunnerKeys::<T>::get(info.runner_key).as_ref() == Some(&who),
				"runner key not mapped to its verifier"
			);
		}
		for (key, who) in RunnerKeys::<T>::iter() {
			let info = Verifiers::<T>::get(&who).ok_or("runner key of no verifier")?;
			ensure!(info.runner_key == key, "runner key maps to a verifier with another key");
		}
		ensure!(
			Verifiers::<T>::iter().count() == Verifiers::<T>::count() as usize,
			"verifier counter differs from the map"
		);
		let mut owed = alloc::vec::Vec::<(RewardAssetOf<T>, BalanceOf<T>)>::new();
		for (_, asset, amount) in PendingRewards::<T>::iter() {
			ensure!(!amount.is_zero(), "a zero reward is stored");
			match owed.iter_mut().find(|(a, _)| *a == asset) {
				Some((_, sum)) => {
					*sum = sum.checked_add(&amount).ok_or("credited rewards overflow")?
				},
				None => owed.push((asset, amount)),
			}
		}
		let pot = Self::pot_account();
		for (asset, sum) in owed {
			let has = match asset {
				RewardAsset::Native => <T::Currency as fungible::Inspect<_>>::balance(&pot),
				RewardAsset::Token(id) => <T::Assets as fungibles::Inspect<_>>::balance(id, &pot),
			};
			ensure!(has >= sum, "the pot holds less than the rewards credited from it");
		}
		Ok(())
	}
}

impl<T: Config> VerifierRegistry<T::AccountId> for Pallet<T> {
	fn select(
		seed: &[u8; 32],
		quorum: u32,
		minimum: u32,
		exclude: &[T::AccountId],
		needs: EvaluatorKind,
	) -> Result<alloc::vec::Vec<T::AccountId>, DispatchError> {
		Self::select_at_least(seed, quorum, minimum, exclude, needs).map_err(Into::into)
	}

	fn runner_key(who: &T::AccountId) -> Option<RunnerKey> {
		Verifiers::<T>::get(who).map(|info| info.runner_key)
	}

	fn max_verifiers() -> u32 {
		T::MaxVerifiers::get()
	}

	fn registered() -> u32 {
		Verifiers::<T>::count()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &T::AccountId, runner_key: RunnerKey) -> DispatchResult {
		let bond = T::MinBond::get().saturating_mul(10u32.into());
		let funds = bond.saturating_mul(10u32.into());
		<T::Currency as fungible::Mutate<_>>::set_balance(who, funds);
		Allowlist::<T>::insert(who, ());
		Self::do_register(who.clone(), bond, runner_key, Evaluators::ALL)
	}
}

impl<T: Config> VerifierRewards<T::AccountId, AssetIdOf<T>, BalanceOf<T>> for Pallet<T> {
	fn pot() -> T::AccountId {
		let pot = Self::pot_account();
		// A provider of its own lets the pot take project tokens (which are not sufficient)
		// and be emptied by claims.
		if !frame_system::Pallet::<T>::account_exists(&pot) {
			frame_system::Pallet::<T>::inc_providers(&pot);
		}
		pot
	}

	fn credit(who: &T::AccountId, asset: RewardAssetOf<T>, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		PendingRewards::<T>::try_mutate(who, &asset, |owed| -> DispatchResult {
			let sum =
				owed.unwrap_or_default().checked_add(&amount).ok_or(ArithmeticError::Overflow)?;
			*owed = Some(sum);
			Ok(())
		})?;
		Self::deposit_event(Event::RewardCredited { who: who.clone(), asset, amount });
		Ok(())
	}
}

impl<T: Config> VerifierDuties<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn note_assigned(who: &T::AccountId) {
		Self::update(who, |info| info.stats.rounds = info.stats.rounds.saturating_add(1));
	}

	fn note_agreed(who: &T::AccountId) {
		Self::update(who, |info| {
			info.stats.agreed = info.stats.agreed.saturating_add(1);
			info.missed_in_row = 0;
		});
	}

	fn note_deviant(who: &T::AccountId) -> BalanceOf<T> {
		Self::deviant(who, SlashReason::Deviant, Zero::zero())
	}

	fn note_missed(who: &T::AccountId) -> BalanceOf<T> {
		let mut chilled = false;
		Self::update(who, |info| {
			info.stats.missed = info.stats.missed.saturating_add(1);
			info.missed_in_row = info.missed_in_row.saturating_add(1);
			if info.status == VerifierStatus::Active
				&& info.missed_in_row >= T::MaxMissedInRow::get()
			{
				info.status = VerifierStatus::Chilled;
				chilled = true;
			}
		});
		if chilled {
			Self::deposit_event(Event::Chilled { who: who.clone() });
		}
		Self::slash(who, SlashReason::Missed, Zero::zero())
	}

	fn bond_at_risk(who: &T::AccountId) -> BalanceOf<T> {
		Verifiers::<T>::get(who).map_or(Zero::zero(), |info| info.held())
	}

	fn note_wrong_approval(who: &T::AccountId, at_least: BalanceOf<T>) -> BalanceOf<T> {
		Self::deviant(who, SlashReason::WrongApproval, at_least)
	}
}
