//! Benchmarks of pallet-verifiers (v2), each call at its worst case.

use super::*;
use crate::Pallet as Registry;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect as _, InspectHold as _, Mutate as _},
	fungibles::{Inspect as _, Mutate as _},
	EnsureOrigin, Get,
};
use frame_system::RawOrigin;
use sp_runtime::traits::{Saturating, Zero};

fn key(n: u32) -> RunnerKey {
	let mut raw = [0u8; 32];
	raw[..4].copy_from_slice(&n.to_le_bytes());
	raw[31] = 0xbe;
	RunnerKey::from_raw(raw)
}

fn bond<T: Config>() -> BalanceOf<T> {
	T::MinBond::get().saturating_mul(10u32.into())
}

fn funded<T: Config>(name: &'static str, n: u32) -> T::AccountId {
	let who: T::AccountId = account(name, n, 0);
	T::Currency::set_balance(&who, bond::<T>().saturating_mul(100u32.into()));
	who
}

/// `count` verifiers, none of them `caller`.
fn registry<T: Config>(count: u32) {
	AdmissionMode::<T>::put(Admission::Permissionless);
	for n in 0..count {
		let who = funded::<T>("verifier", n);
		assert!(Registry::<T>::do_register(who, bond::<T>(), key(n), Evaluators::ALL).is_ok());
	}
}

fn registered_caller<T: Config>() -> T::AccountId {
	let caller: T::AccountId = whitelisted_caller();
	T::Currency::set_balance(&caller, bond::<T>().saturating_mul(100u32.into()));
	assert!(Registry::<T>::do_register(
		caller.clone(),
		bond::<T>(),
		key(u32::MAX),
		Evaluators::ALL
	)
	.is_ok());
	caller
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Allowlist admission (one more read) with all but one verifier slot taken (counting
	/// the chain's genesis verifiers).
	#[benchmark]
	fn register() {
		registry::<T>(
			T::MaxVerifiers::get().saturating_sub(1).saturating_sub(Verifiers::<T>::count()),
		);
		AdmissionMode::<T>::put(Admission::Allowlist);
		let caller: T::AccountId = whitelisted_caller();
		T::Currency::set_balance(&caller, bond::<T>().saturating_mul(100u32.into()));
		Allowlist::<T>::insert(&caller, ());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), bond::<T>(), key(u32::MAX), Evaluators::ALL);

		assert_eq!(Verifiers::<T>::count(), T::MaxVerifiers::get());
		assert_eq!(
			T::Currency::balance_on_hold(&HoldReason::VerifierBond.into(), &caller),
			bond::<T>()
		);
	}

	#[benchmark]
	fn set_runner_key() {
		let caller = registered_caller::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), key(7));

		assert_eq!(RunnerKeys::<T>::get(key(7)), Some(caller));
	}

	/// Adds to an amount already unbonding.
	#[benchmark]
	fn unbond() {
		let caller = registered_caller::<T>();
		let part = T::MinBond::get();
		assert!(Registry::<T>::do_unbond(caller.clone(), part).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), part);

		let info = Verifiers::<T>::get(&caller).expect("registered");
		assert_eq!(info.unbonding.map(|u| u.amount), Some(part.saturating_mul(2u32.into())));
	}

	/// The last funds: the verifier is removed.
	#[benchmark]
	fn withdraw_unbonded() {
		let caller = registered_caller::<T>();
		assert!(Registry::<T>::do_unbond(caller.clone(), bond::<T>()).is_ok());
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingDelay::get()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert!(!Verifiers::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn rejoin() {
		let caller = registered_caller::<T>();
		for _ in 0..T::MaxMissedInRow::get() {
			Registry::<T>::update(&caller, |info| {
				info.missed_in_row = info.missed_in_row.saturating_add(1)
			});
		}
		Registry::<T>::update(&caller, |info| info.status = VerifierStatus::Chilled);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert_eq!(Verifiers::<T>::get(&caller).map(|i| i.status), Some(VerifierStatus::Active));
	}

	#[benchmark]
	fn set_admission() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Admission::Allowlist);

		assert_eq!(AdmissionMode::<T>::get(), Admission::Allowlist);
		Ok(())
	}

	#[benchmark]
	fn set_allowed() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let who: T::AccountId = account("allowed", 0, 0);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone(), true);

		assert!(Allowlist::<T>::contains_key(&who));
		Ok(())
	}

	/// A project-token reward to an account that holds none of the token yet (its asset
	/// account is created), which costs more than a native one.
	#[benchmark]
	fn claim_rewards() -> Result<(), BenchmarkError> {
		let asset = T::BenchmarkHelper::reward_asset();
		let pot = <Registry<T> as VerifierRewards<_, _, _>>::pot();
		let amount: BalanceOf<T> = 1_000u32.into();
		T::Assets::mint_into(asset.clone(), &pot, amount)?;
		let caller: T::AccountId = whitelisted_caller();
		T::Currency::set_balance(
			&caller,
			T::Currency::minimum_balance().saturating_mul(10u32.into()),
		);
		<Registry<T> as VerifierRewards<_, _, _>>::credit(
			&caller,
			RewardAsset::Token(asset.clone()),
			amount,
		)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), RewardAsset::Token(asset.clone()));

		assert_eq!(T::Assets::balance(asset.clone(), &caller), amount);
		assert!(T::Assets::balance(asset, &pot).is_zero());
		Ok(())
	}

	impl_benchmark_test_suite!(Registry, crate::mock::open_ext(), crate::mock::Test);
}
