//! What the calls and the [`Lineage`] trait do.

use super::*;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, MutateHold},
		tokens::{Fortitude, Preservation},
	},
};
use frame_system::pallet_prelude::*;
use sp_runtime::{
	traits::{Saturating, Zero},
	ArithmeticError,
};

impl<T: Config> Pallet<T> {
	/// Checks the protocol against the project rules (see `create_project`'s errors).
	pub(crate) fn ensure_valid_protocol(protocol: &Protocol) -> DispatchResult {
		ensure!(protocol.quorum > 0, Error::<T>::ZeroQuorum);
		ensure!(protocol.quorum <= T::MaxQuorum::get(), Error::<T>::QuorumTooLarge);
		ensure!(protocol.quorum >= MinQuorum::<T>::get().max(1), Error::<T>::QuorumTooSmall);
		ensure!(
			protocol.min_improvement_bps > 0 && protocol.min_improvement_bps <= MAX_BASIS_POINTS,
			Error::<T>::ThresholdOutOfRange
		);
		ensure!(protocol.tolerance_bps <= MAX_BASIS_POINTS, Error::<T>::ToleranceOutOfRange);
		ensure!(protocol.metric.scale_exponent <= MAX_SCALE_EXPONENT, Error::<T>::ScaleTooLarge);
		ensure!(!protocol.metric.name.is_empty(), Error::<T>::EmptyMetricName);
		let baseline_sign_fits = match protocol.metric.direction {
			Direction::Minimize => protocol.baseline_score <= 0,
			Direction::Maximize => protocol.baseline_score >= 0,
		};
		ensure!(baseline_sign_fits, Error::<T>::BaselineSignMismatch);
		let (budget, max_budget) = match protocol.evaluator {
			Evaluator::Wasm { fuel } => (fuel, T::MaxWasmFuel::get()),
			Evaluator::CandleGpt { steps } => {
				(u64::from(steps), u64::from(T::MaxCandleGptSteps::get()))
			},
			Evaluator::Command { seconds } => {
				(u64::from(seconds), u64::from(T::MaxCommandSeconds::get()))
			},
		};
		ensure!(budget > 0, Error::<T>::ZeroBudget);
		ensure!(budget <= max_budget, Error::<T>::BudgetTooLarge);
		if !protocol.evaluator.is_deterministic() {
			ensure!(
				protocol.tolerance_bps >= T::MinNondeterministicToleranceBps::get(),
				Error::<T>::ToleranceTooSmall
			);
		}
		Ok(())
	}

	/// Checks and bounds the token's name, symbol and curve.
	pub(crate) fn token_spec(
		name: alloc::vec::Vec<u8>,
		symbol: alloc::vec::Vec<u8>,
		curve: CurveParams<BalanceOf<T>>,
	) -> Result<TokenSpec<BalanceOf<T>, T::MaxNameLen, T::MaxSymbolLen>, DispatchError> {
		ensure!(!name.is_empty(), Error::<T>::EmptyName);
		ensure!(!symbol.is_empty(), Error::<T>::EmptySymbol);
		let name: BoundedVec<u8, T::MaxNameLen> =
			name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
		let symbol: BoundedVec<u8, T::MaxSymbolLen> =
			symbol.try_into().map_err(|_| Error::<T>::SymbolTooLong)?;
		ensure!(!(curve.base_price.is_zero() && curve.slope.is_zero()), Error::<T>::FlatCurve);
		ensure!(
			!curve.reward_per_approval.is_zero()
				&& curve.reward_per_approval <= curve.miner_pool_cap,
			Error::<T>::RewardOutOfRange
		);
		Ok(TokenSpec { name, symbol, curve })
	}

	/// `create_project`: validates everything, then holds the deposit and writes.
	pub(crate) fn do_create_project(
		creator: T::AccountId,
		protocol: Protocol,
		token_name: alloc::vec::Vec<u8>,
		token_symbol: alloc::vec::Vec<u8>,
		curve: CurveParams<BalanceOf<T>>,
		forked_from: Option<ProjectId>,
	) -> Result<ProjectId, DispatchError> {
		Self::ensure_valid_protocol(&protocol)?;
		let token = Self::token_spec(token_name, token_symbol, curve)?;
		if let Some(origin) = forked_from {
			ensure!(Projects::<T>::contains_key(origin), Error::<T>::UnknownOriginProject);
		}

		// The creator must be able to pay the deposit and, later in the same call, the
		// token's launch cost (the initial reward escrow and the token accounts' minimums),
		// and stay alive.
		let deposit = T::ProjectDeposit::get();
		let launch_cost = T::Tokens::launch_cost(&token.name, &token.symbol, &token.curve)?;
		let needed = deposit.checked_add(&launch_cost).ok_or(ArithmeticError::Overflow)?;
		let spendable =
			T::Currency::reducible_balance(&creator, Preservation::Preserve, Fortitude::Polite);
		ensure!(spendable >= needed, Error::<T>::CannotPayDeposit);

		let project = NextProjectId::<T>::get();
		let next = project.checked_add(1).ok_or(ArithmeticError::Overflow)?;

		T::Currency::hold(&HoldReason::ProjectDeposit.into(), &creator, deposit)
			.map_err(|_| Error::<T>::CannotPayDeposit)?;
		T::Tokens::launch(project, &creator, &token.name, &token.symbol, &token.curve)?;

		let now = frame_system::Pallet::<T>::block_number();
		let baseline_score = protocol.baseline_score;
		let root = LineageNode {
			parent: None,
			depth: 0,
			code: protocol.repository.clone(),
			score: baseline_score,
			miner: None,
			proposal: None,
			block: now,
		};
		Nodes::<T>::insert(project, 0, root);
		Projects::<T>::insert(
			project,
			ProjectInfo {
				creator: creator.clone(),
				deposit,
				protocol,
				token,
				origin: forked_from,
				status: ProjectStatus::Active,
				best: 0,
				next_node: 1,
				created: now,
				status_changed: None,
			},
		);
		NextProjectId::<T>::put(next);

		Self::deposit_event(Event::ProjectCreated {
			project,
			creator,
			forked_from,
			baseline_score,
		});
		Ok(project)
	}

	/// `freeze_project` and `unfreeze_project`.
	pub(crate) fn do_set_status(
		origin: OriginFor<T>,
		project: ProjectId,
		status: ProjectStatus,
	) -> DispatchResult {
		let caller = match T::AdminOrigin::ensure_origin(origin.clone()) {
			Ok(_) => None,
			Err(_) => Some(ensure_signed(origin)?),
		};
		Projects::<T>::try_mutate(project, |info| -> DispatchResult {
			let info = info.as_mut().ok_or(Error::<T>::UnknownProject)?;
			let now = frame_system::Pallet::<T>::block_number();
			if let Some(caller) = caller {
				ensure!(caller == info.creator, Error::<T>::NotCreatorOrAdmin);
				// A creator cannot toggle its project around other people's deadlines.
				if let Some(changed) = info.status_changed {
					ensure!(
						now >= changed.saturating_add(T::StatusChangeDelay::get()),
						Error::<T>::StatusChangeTooSoon
					);
				}
			}
			info.status_changed = Some(now);
			match (info.status, status) {
				(ProjectStatus::Frozen, ProjectStatus::Frozen) => {
					Err(Error::<T>::AlreadyFrozen.into())
				},
				(ProjectStatus::Active, ProjectStatus::Active) => Err(Error::<T>::NotFrozen.into()),
				_ => {
					info.status = status;
					Ok(())
				},
			}
		})?;
		Self::deposit_event(match status {
			ProjectStatus::Frozen => Event::ProjectFrozen { project },
			ProjectStatus::Active => Event::ProjectUnfrozen { project },
		});
		Ok(())
	}

	/// The path from the project's best node back to the root, best first, at most
	/// `MaxPathLen` nodes (the path is cut there, never the root silently dropped: the last
	/// node's `parent` says whether more follow).
	pub fn lineage_path(
		project: ProjectId,
	) -> Option<BoundedVec<(NodeId, LineageNodeOf<T>), T::MaxPathLen>> {
		let info = Projects::<T>::get(project)?;
		let mut path = BoundedVec::new();
		let mut next = Some(info.best);
		while let Some(id) = next {
			let Some(node) = Nodes::<T>::get(project, id) else { break };
			next = node.parent;
			if path.try_push((id, node)).is_err() {
				break;
			}
		}
		Some(path)
	}

	/// Checks the invariants: every project has its root and its best node, every node's
	/// parent exists and sits one level up, ids are below the counters, and every creator's
	/// held deposit covers its projects' deposits.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::traits::fungible::InspectHold;
		let next_project = NextProjectId::<T>::get();
		let mut deposits: alloc::collections::btree_map::BTreeMap<T::AccountId, BalanceOf<T>> =
			Default::default();
		for (project, info) in Projects::<T>::iter() {
			ensure!(project < next_project, "project id at or above NextProjectId");
			let root = Nodes::<T>::get(project, 0).ok_or("project without root node")?;
			ensure!(root.parent.is_none() && root.depth == 0, "root node has a parent");
			ensure!(Nodes::<T>::contains_key(project, info.best), "best node missing");
			if let Some(origin) = info.origin {
				ensure!(origin < project, "a project forks a later project");
			}
			let total = deposits.entry(info.creator.clone()).or_default();
			*total = total.checked_add(&info.deposit).ok_or("deposit sum overflows")?;
		}
		for (project, id, node) in Nodes::<T>::iter() {
			let info = Projects::<T>::get(project).ok_or("node of an unknown project")?;
			ensure!(id < info.next_node, "node id at or above next_node");
			if let Some(parent) = node.parent {
				let parent = Nodes::<T>::get(project, parent).ok_or("node's parent missing")?;
				ensure!(parent.depth.checked_add(1) == Some(node.depth), "depth mismatch");
			}
		}
		for (who, total) in deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::ProjectDeposit.into(), &who);
			ensure!(held >= total, "held deposit below the creator's project deposits");
		}
		Ok(())
	}
}

impl<T: Config> Lineage<T::AccountId> for Pallet<T> {
	fn is_active(project: ProjectId) -> bool {
		Projects::<T>::get(project).is_some_and(|info| info.status == ProjectStatus::Active)
	}

	fn best(project: ProjectId) -> Option<(NodeId, Score)> {
		let info = Projects::<T>::get(project)?;
		let node = Nodes::<T>::get(project, info.best)?;
		Some((info.best, node.score))
	}

	fn round_terms(project: ProjectId) -> Option<RoundTerms> {
		let p = Projects::<T>::get(project)?.protocol;
		Some(RoundTerms {
			quorum: p.quorum,
			tolerance_bps: p.tolerance_bps,
			min_improvement_bps: p.min_improvement_bps,
			evaluator: p.evaluator.kind(),
		})
	}

	fn protocol(project: ProjectId) -> Option<Protocol> {
		Projects::<T>::get(project).map(|info| info.protocol)
	}

	fn has_node(project: ProjectId, node: NodeId) -> bool {
		Nodes::<T>::contains_key(project, node)
	}

	fn append_node(
		project: ProjectId,
		parent: NodeId,
		code: ArtifactRef,
		score: Score,
		miner: T::AccountId,
		proposal: ProposalId,
	) -> Result<NodeId, DispatchError> {
		Projects::<T>::try_mutate(project, |info| {
			let info = info.as_mut().ok_or(Error::<T>::UnknownProject)?;
			let parent_node = Nodes::<T>::get(project, parent).ok_or(Error::<T>::UnknownNode)?;
			let depth = parent_node.depth.checked_add(1).ok_or(Error::<T>::LineageTooDeep)?;
			let id = info.next_node;
			info.next_node = id.checked_add(1).ok_or(ArithmeticError::Overflow)?;
			Nodes::<T>::insert(
				project,
				id,
				LineageNode {
					parent: Some(parent),
					depth,
					code,
					score,
					miner: Some(miner),
					proposal: Some(proposal),
					block: frame_system::Pallet::<T>::block_number(),
				},
			);
			Self::deposit_event(Event::NodeAppended { project, node: id, parent, score });
			Ok(id)
		})
	}

	fn set_best(project: ProjectId, node: NodeId) -> DispatchResult {
		let from = Projects::<T>::try_mutate(project, |info| -> Result<NodeId, DispatchError> {
			let info = info.as_mut().ok_or(Error::<T>::UnknownProject)?;
			ensure!(Nodes::<T>::contains_key(project, node), Error::<T>::UnknownNode);
			Ok(core::mem::replace(&mut info.best, node))
		})?;
		Self::deposit_event(Event::BestChanged { project, from, to: node });
		Ok(())
	}
}
