//! Benchmarks of pallet-bonding-curve (v2), each at its worst case.

use super::*;
use crate::Pallet as Curve;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect as _, Mutate as _},
	fungibles::Inspect as _,
};
use frame_system::RawOrigin;
use pallet_projects::{BenchmarkProjects, CurveParams};
use sp_runtime::traits::{Bounded, Saturating, Zero};

fn ed<T: Config>() -> BalanceOf<T> {
	T::Currency::minimum_balance()
}

/// Much more than any benchmark spends.
fn rich<T: Config>(who: &T::AccountId) {
	T::Currency::set_balance(who, ed::<T>().saturating_mul(1_000_000_000u32.into()));
}

fn curve<T: Config>(initial_escrow: BalanceOf<T>) -> CurveParams<BalanceOf<T>> {
	CurveParams {
		base_price: ed::<T>().saturating_mul(10u32.into()),
		slope: ed::<T>(),
		miner_pool_cap: BalanceOf::<T>::max_value(),
		reward_per_approval: BalanceOf::<T>::max_value(),
		initial_escrow,
	}
}

/// A project whose creator is funded; returns its id.
fn project<T: Config>(initial_escrow: BalanceOf<T>) -> Result<ProjectId, BenchmarkError> {
	let creator: T::AccountId = account("creator", 0, 0);
	rich::<T>(&creator);
	Ok(T::BenchmarkHelper::create_benchmark_project(creator, curve::<T>(initial_escrow))?)
}

fn supply<T: Config>(project: ProjectId) -> BalanceOf<T> {
	Tokens::<T>::get(project).map(|t| T::Assets::total_issuance(t.asset)).unwrap_or_default()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The buyer holds none of the token yet: its asset account is created.
	#[benchmark]
	fn buy() -> Result<(), BenchmarkError> {
		let project = project::<T>(ed::<T>())?;
		let buyer: T::AccountId = whitelisted_caller();
		rich::<T>(&buyer);
		let amount: BalanceOf<T> = 1_000u32.into();

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer), project, amount, BalanceOf::<T>::max_value());

		assert_eq!(supply::<T>(project), amount);
		Ok(())
	}

	/// The seller sells all it holds: its asset account is removed.
	#[benchmark]
	fn sell() -> Result<(), BenchmarkError> {
		let project = project::<T>(ed::<T>())?;
		let seller: T::AccountId = whitelisted_caller();
		rich::<T>(&seller);
		let amount: BalanceOf<T> = 1_000u32.into();
		Curve::<T>::do_buy(seller.clone(), project, amount, BalanceOf::<T>::max_value())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(seller), project, amount, Zero::zero());

		assert!(supply::<T>(project).is_zero());
		Ok(())
	}

	#[benchmark]
	fn fund_rewards() -> Result<(), BenchmarkError> {
		let project = project::<T>(ed::<T>())?;
		let funder: T::AccountId = whitelisted_caller();
		rich::<T>(&funder);
		let before = Curve::<T>::escrow_of(project);
		let amount = ed::<T>().saturating_mul(1_000u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(funder), project, amount);

		assert_eq!(Curve::<T>::escrow_of(project), before.saturating_add(amount));
		Ok(())
	}

	/// The reward per approval is unbounded and the escrow pays for only part of it: the
	/// affordable amount is searched over the whole balance range, and the miner's asset
	/// account is created.
	#[benchmark]
	fn mint_reward() -> Result<(), BenchmarkError> {
		let project = project::<T>(ed::<T>().saturating_mul(1_000_000u32.into()))?;
		let miner: T::AccountId = account("miner", 0, 0);
		rich::<T>(&miner);
		let minted;

		#[block]
		{
			minted = <Curve<T> as TokenRewards<_, _>>::mint_reward(
				project,
				&miner,
				BalanceOf::<T>::max_value(),
			)?;
		}

		assert!(!minted.is_zero());
		assert_eq!(supply::<T>(project), minted);
		Ok(())
	}

	/// Burns all the holder has: its asset account is removed.
	#[benchmark]
	fn burn() -> Result<(), BenchmarkError> {
		let project = project::<T>(ed::<T>())?;
		let holder: T::AccountId = account("holder", 0, 0);
		rich::<T>(&holder);
		let amount: BalanceOf<T> = 1_000u32.into();
		Curve::<T>::do_buy(holder.clone(), project, amount, BalanceOf::<T>::max_value())?;

		#[block]
		{
			<Curve<T> as TokenRewards<_, _>>::burn(project, &holder, amount)?;
		}

		assert!(supply::<T>(project).is_zero());
		Ok(())
	}

	impl_benchmark_test_suite!(Curve, crate::mock::new_test_ext(), crate::mock::Test);
}
