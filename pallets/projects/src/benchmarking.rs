//! Benchmarks of pallet-projects (v2). Each call at its worst case: the longest name, symbol
//! and CIDs the configuration allows, and `create_project` naming an origin project.

use super::*;
use crate::Pallet as Registry;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

/// A valid protocol whose CIDs and metric name are as long as the configuration allows, with
/// the largest quorum.
pub fn benchmark_protocol<T: Config>() -> Protocol {
	let mut protocol = Protocol::example(poi_primitives::MAX_CID_LEN as usize);
	protocol.metric.name = BoundedVec::truncate_from(vec![b'm'; 32]);
	protocol.quorum = T::MaxQuorum::get();
	protocol
}

/// A curve with small prices and a reward pool.
pub fn benchmark_curve<T: Config>() -> CurveParams<BalanceOf<T>> {
	let min = T::Currency::minimum_balance();
	CurveParams {
		base_price: min.saturating_mul(10u32.into()),
		slope: min,
		miner_pool_cap: 1_000u32.into(),
		reward_per_approval: 10u32.into(),
		initial_escrow: min.saturating_mul(1_000u32.into()),
	}
}

fn longest_name<T: Config>() -> alloc::vec::Vec<u8> {
	vec![b'n'; T::MaxNameLen::get() as usize]
}

fn longest_symbol<T: Config>() -> alloc::vec::Vec<u8> {
	vec![b'S'; T::MaxSymbolLen::get() as usize]
}

/// Gives `who` enough to create `projects` projects with [`benchmark_curve`].
pub fn fund_creator<T: Config>(who: &T::AccountId, projects: u32) {
	let curve = benchmark_curve::<T>();
	let launch = T::Tokens::launch_cost(&longest_name::<T>(), &longest_symbol::<T>(), &curve)
		.unwrap_or_default();
	let each = T::ProjectDeposit::get().saturating_add(launch);
	let total = each
		.saturating_mul(projects.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(100u32.into()));
	T::Currency::set_balance(who, total);
}

fn create<T: Config>(creator: &T::AccountId) -> Result<ProjectId, BenchmarkError> {
	Ok(Registry::<T>::do_create_project(
		creator.clone(),
		benchmark_protocol::<T>(),
		longest_name::<T>(),
		longest_symbol::<T>(),
		benchmark_curve::<T>(),
		None,
	)?)
}

impl<T: Config> BenchmarkProjects<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn create_benchmark_project(
		creator: T::AccountId,
		curve: CurveParams<BalanceOf<T>>,
	) -> Result<ProjectId, sp_runtime::DispatchError> {
		Self::do_create_project(
			creator,
			benchmark_protocol::<T>(),
			b"benchmark".to_vec(),
			b"BNCH".to_vec(),
			curve,
			None,
		)
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_project() -> Result<(), BenchmarkError> {
		let creator: T::AccountId = whitelisted_caller();
		fund_creator::<T>(&creator, 2);
		let origin = create::<T>(&creator)?;

		#[extrinsic_call]
		_(
			RawOrigin::Signed(creator.clone()),
			benchmark_protocol::<T>(),
			longest_name::<T>(),
			longest_symbol::<T>(),
			benchmark_curve::<T>(),
			Some(origin),
		);

		let created = Projects::<T>::get(origin + 1).ok_or(BenchmarkError::Stop("not created"))?;
		assert_eq!(created.origin, Some(origin));
		assert_eq!(created.creator, creator);
		Ok(())
	}

	#[benchmark]
	fn freeze_project() -> Result<(), BenchmarkError> {
		let creator: T::AccountId = whitelisted_caller();
		fund_creator::<T>(&creator, 1);
		let project = create::<T>(&creator)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(creator), project);

		assert!(!<Registry<T> as Lineage<T::AccountId>>::is_active(project));
		Ok(())
	}

	#[benchmark]
	fn unfreeze_project() -> Result<(), BenchmarkError> {
		let creator: T::AccountId = whitelisted_caller();
		fund_creator::<T>(&creator, 1);
		let project = create::<T>(&creator)?;
		Registry::<T>::do_set_status(
			RawOrigin::Signed(creator.clone()).into(),
			project,
			ProjectStatus::Frozen,
		)?;
		// The creator's next change waits out the delay.
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(T::StatusChangeDelay::get()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(creator), project);

		assert!(<Registry<T> as Lineage<T::AccountId>>::is_active(project));
		Ok(())
	}

	impl_benchmark_test_suite!(Registry, crate::mock::new_test_ext(), crate::mock::Test);
}
