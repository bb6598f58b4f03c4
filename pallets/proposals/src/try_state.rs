//! The pallet's invariants, one function per family, run by `try_state` and by the tests
//! after every block.

use super::*;
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, fungibles::Inspect, Get},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_projects::Lineage;
use sp_runtime::traits::{CheckedAdd, Convert, One, Saturating, Zero};

type Check = Result<(), sp_runtime::TryRuntimeError>;

/// Adds `amount` to `key`'s sum in `sums` (a new entry when it has none); `what` names the sum
/// in the error when it overflows.
fn add_to<K: PartialEq, B: CheckedAdd>(
	sums: &mut alloc::vec::Vec<(K, B)>,
	key: K,
	amount: B,
	what: &'static str,
) -> Result<(), &'static str> {
	match sums.iter_mut().find(|(k, _)| *k == key) {
		Some((_, sum)) => *sum = sum.checked_add(&amount).ok_or(what)?,
		None => sums.push((key, amount)),
	}
	Ok(())
}

impl<T: Config> Pallet<T> {
	/// Checks every invariant of the pallet.
	pub fn do_try_state() -> Check {
		Self::check_stakes()?;
		Self::check_fees_and_claims()?;
		Self::check_rounds_and_assignments()?;
		Self::check_settlements()?;
		Self::check_candidates()?;
		Self::check_best_is_last_standing()?;
		Self::check_deadlines()
	}

	/// The stake account holds every stake it owes (commitments, verifying proposals,
	/// approvals whose reward is pending) and every escrowed reward, each project's token
	/// separately.
	fn check_stakes() -> Check {
		let mut owed = alloc::vec::Vec::<(ProjectId, BalanceOf<T>)>::new();
		let mut owe = |project: ProjectId, amount: BalanceOf<T>| {
			add_to(&mut owed, project, amount, "stakes overflow")
		};
		for (_, record) in Commitments::<T>::iter() {
			owe(record.project, record.stake)?;
		}
		// Every proposal is listed once, under its project, below the project's count.
		let mut listed = 0u32;
		let mut seen = alloc::collections::BTreeSet::new();
		for (project, index, id) in ProjectProposals::<T>::iter() {
			ensure!(index < ProjectProposalCount::<T>::get(project), "listed past the count");
			let p = Proposals::<T>::get(id).ok_or("a listed proposal that does not exist")?;
			ensure!(p.project == project && seen.insert(id), "a proposal listed wrongly");
		}
		for (id, p) in Proposals::<T>::iter() {
			listed = listed.checked_add(1).ok_or("proposals overflow")?;
			let held = match &p.status {
				ProposalStatus::Verifying => {
					ensure!(
						Rounds::<T>::get(id).is_some_and(|r| r.kind == RoundKind::Initial),
						"a verifying proposal without its round"
					);
					true
				},
				ProposalStatus::Approved { node, challenged, reward, .. } => {
					ensure!(
						ApprovedNodes::<T>::get(p.project, node) == Some(id),
						"an approved node is not recorded"
					);
					ensure!(
						*challenged
							== Rounds::<T>::get(id).is_some_and(|r| r.kind == RoundKind::Challenge),
						"challenged flag differs from a running challenge round"
					);
					if let RewardState::Escrowed { amount, .. } = reward {
						owe(p.project, *amount)?;
						true
					} else {
						false
					}
				},
				_ => {
					ensure!(!Rounds::<T>::contains_key(id), "a settled proposal has a round");
					false
				},
			};
			if held {
				owe(p.project, p.stake)?;
			}
		}
		ensure!(listed as usize == seen.len(), "a proposal that is not listed");
		let account = Self::account_id();
		for (project, sum) in owed {
			let has = T::Assets::balance(T::ProjectAssetId::convert(project), &account);
			ensure!(has >= sum, "the stake account holds less than the stakes");
		}
		Ok(())
	}

	/// Each miner's verification-fee hold is the sum of the fees of its verifying proposals,
	/// and its deposit hold the sum of its proposals' deposits; a deposit is held exactly
	/// while its proposal verifies or has a lineage node that is not overturned; no claim is
	/// visible before its round's commit phase is over, and every proposal that settled on
	/// its merit has its claim revealed.
	fn check_fees_and_claims() -> Check {
		let now = frame_system::Pallet::<T>::block_number();
		let mut fees = alloc::vec::Vec::<(T::AccountId, BalanceOf<T>)>::new();
		let mut deposits = alloc::vec::Vec::<(T::AccountId, BalanceOf<T>)>::new();
		for (id, p) in Proposals::<T>::iter() {
			let keeps_deposit = matches!(
				p.status,
				ProposalStatus::Verifying
					| ProposalStatus::Approved { .. }
					| ProposalStatus::Superseded { .. }
			);
			ensure!(
				keeps_deposit != p.deposit.is_zero() || T::ProposalDeposit::get().is_zero(),
				"a deposit held by a proposal that should not hold one, or the reverse"
			);
			add_to(&mut deposits, p.proposer.clone(), p.deposit, "deposits overflow")?;
			match &p.status {
				ProposalStatus::Verifying => {
					add_to(&mut fees, p.proposer.clone(), p.fee, "fees overflow")?;
					let round = Rounds::<T>::get(id).ok_or("a verifying proposal without round")?;
					ensure!(
						round.phase_at(&now) == Phase::Reveal || p.claim.score().is_none(),
						"a claim revealed before its round's reveal phase"
					);
				},
				ProposalStatus::Approved { .. }
				| ProposalStatus::Superseded { .. }
				| ProposalStatus::Overturned { .. }
				| ProposalStatus::Rejected(RejectReason::Misclaimed) => {
					ensure!(p.claim.score().is_some(), "settled on a claim that is hidden");
				},
				_ => {},
			}
		}
		for (who, sum) in fees.iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::VerificationFee.into(), who);
			ensure!(held == *sum, "a miner's fee hold differs from its verifying fees");
		}
		for (who, sum) in deposits.iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::ProposalDeposit.into(), who);
			ensure!(held == *sum, "a miner's deposit hold differs from its proposals' deposits");
		}
		Ok(())
	}

	/// Rounds and the assignment index point at each other; a round waiting for its draw has
	/// no verifiers; challengers' holds equal their running bonds.
	fn check_rounds_and_assignments() -> Check {
		let mut assigned = 0usize;
		let mut bonds = alloc::vec::Vec::<(T::AccountId, BalanceOf<T>)>::new();
		for (id, round) in Rounds::<T>::iter() {
			ensure!(Proposals::<T>::contains_key(id), "a round of no proposal");
			ensure!(
				(round.phase == Phase::Draw) == round.assignments.is_empty(),
				"a drawn round without verifiers, or an undrawn one with them"
			);
			for a in round.assignments.iter() {
				ensure!(Assignments::<T>::contains_key(&a.verifier, id), "assignment not indexed");
				ensure!(a.verdict.is_none() || a.commitment.is_some(), "revealed, not committed");
				assigned += 1;
			}
			ensure!(
				(round.kind == RoundKind::Challenge) == round.challenger.is_some(),
				"challenger of a round that is not a challenge"
			);
			if let Some((who, bond)) = round.challenger {
				add_to(&mut bonds, who, bond, "bonds overflow")?;
			}
		}
		ensure!(Assignments::<T>::iter().count() == assigned, "stale assignments");
		for (who, sum) in bonds {
			let held = T::Currency::balance_on_hold(&HoldReason::ChallengeBond.into(), &who);
			ensure!(held == sum, "a challenger's hold differs from its bonds");
		}
		Ok(())
	}

	/// Each settlement is of a proposal that settled, after its reveal and not after this
	/// block, with each verifier once, and without verdicts exactly when no round could be
	/// drawn (`NoQuorum`).
	fn check_settlements() -> Check {
		let now = frame_system::Pallet::<T>::block_number();
		for (id, settlement) in Settlements::<T>::iter() {
			let p = Proposals::<T>::get(id).ok_or("a settlement of no proposal")?;
			ensure!(p.status != ProposalStatus::Verifying, "a settlement of a verifying proposal");
			ensure!(
				p.revealed_at <= settlement.block && settlement.block <= now,
				"a settlement before its reveal or after this block"
			);
			ensure!(
				settlement.verdicts.is_empty()
					== (p.status == ProposalStatus::Released(ReleaseReason::NoQuorum)),
				"a settlement without verdicts that had a round, or the reverse"
			);
			let mut seen = alloc::collections::BTreeSet::new();
			for (who, _) in settlement.verdicts.iter() {
				ensure!(seen.insert(who), "a verifier twice in a settlement");
			}
		}
		Ok(())
	}

	/// Each candidate is held by a verifying or approved proposal of its project, and each
	/// reservation by a released (or expired) proposal of its project whose candidate nobody
	/// holds.
	fn check_candidates() -> Check {
		for (project, digest, r) in Reservations::<T>::iter() {
			let p = Proposals::<T>::get(r.proposal).ok_or("a reservation of no proposal")?;
			ensure!(r.priority <= p.committed_at, "a reservation later than its commitment");
			ensure!(p.project == project && p.code.digest == digest, "reservation mismatch");
			ensure!(
				matches!(p.status, ProposalStatus::Released(_) | ProposalStatus::Expired),
				"a reservation of a proposal that was not released"
			);
			ensure!(
				!Candidates::<T>::contains_key(project, digest),
				"a reserved candidate that a proposal holds"
			);
		}
		for (project, digest, hold) in Candidates::<T>::iter() {
			let p = Proposals::<T>::get(hold.proposal).ok_or("a candidate of no proposal")?;
			ensure!(hold.priority <= p.committed_at, "a candidate's priority after its commit");
			ensure!(p.project == project && p.code.digest == digest, "candidate mismatch");
			ensure!(
				matches!(p.status, ProposalStatus::Verifying | ProposalStatus::Approved { .. }),
				"a candidate held by a settled proposal that was not approved"
			);
		}
		Ok(())
	}

	/// Each project's best node is its last approval that stands (the baseline if none).
	fn check_best_is_last_standing() -> Check {
		let mut approvals = alloc::vec::Vec::<(ProjectId, NodeId)>::new();
		for (_, p) in Proposals::<T>::iter() {
			if let ProposalStatus::Approved { node, .. } = p.status {
				match approvals.iter_mut().find(|(project, _)| *project == p.project) {
					Some((_, last)) => *last = (*last).max(node),
					None => approvals.push((p.project, node)),
				}
			}
		}
		let mut projects = alloc::vec::Vec::<ProjectId>::new();
		for (project, _, _) in ApprovedNodes::<T>::iter() {
			if !projects.contains(&project) {
				projects.push(project);
			}
		}
		for project in projects {
			let expected =
				approvals.iter().find(|(p, _)| *p == project).map(|(_, node)| *node).unwrap_or(0);
			let (best, _) = T::Projects::best(project).ok_or("a project with approvals is gone")?;
			ensure!(best == expected, "the best is not the last approval that stands");
		}
		Ok(())
	}

	/// Every queued deadline is at or after its lane's cursor and within its block's count;
	/// and everything that waits for a deadline has a live one queued: each commitment its
	/// reveal window's end, each round its draw or the end of its phase, each approval whose
	/// reward is pending and that is not being challenged the end of its window.
	fn check_deadlines() -> Check {
		let mut queued = alloc::vec::Vec::<Scheduled<BlockNumberFor<T>>>::new();
		for ((lane, block, index), scheduled) in Deadlines::<T>::iter() {
			ensure!(scheduled.item.lane() == lane, "a deadline in the wrong lane");
			ensure!(index < DeadlineCount::<T>::get(lane, block), "a deadline past its count");
			if let Some(cursor) = DeadlineCursor::<T>::get(lane) {
				ensure!((block, index) >= cursor, "a deadline behind its lane's cursor");
			}
			queued.push(scheduled);
		}
		let live = |item: Deadline, due: Option<BlockNumberFor<T>>| {
			queued.iter().any(|s| s.item == item && due.is_none_or(|due| s.due == due))
		};
		for (commitment, _) in Commitments::<T>::iter() {
			ensure!(live(Deadline::Reveal(commitment), None), "a commitment without its deadline");
		}
		for (id, round) in Rounds::<T>::iter() {
			let one = BlockNumberFor::<T>::one();
			let waits = match round.phase {
				Phase::Draw => live(Deadline::Draw(id), None),
				Phase::Commit => {
					live(Deadline::VerdictCommit(id), Some(round.commit_until.saturating_add(one)))
				},
				Phase::Reveal => {
					live(Deadline::VerdictReveal(id), Some(round.reveal_until.saturating_add(one)))
				},
			};
			ensure!(waits, "a running round without its deadline");
		}
		for (id, p) in Proposals::<T>::iter() {
			if let ProposalStatus::Approved {
				challenge_until,
				challenged: false,
				reward: RewardState::Escrowed { .. },
				..
			} = p.status
			{
				ensure!(
					live(
						Deadline::ChallengeWindow(id),
						Some(challenge_until.saturating_add(BlockNumberFor::<T>::one()))
					),
					"a pending approval without its challenge window's end"
				);
			}
		}
		for (_, _, r) in Reservations::<T>::iter() {
			let end = r.until.saturating_add(BlockNumberFor::<T>::one());
			ensure!(
				live(Deadline::Unreserve(r.proposal), Some(end)),
				"a reservation without its end"
			);
		}
		Ok(())
	}
}
