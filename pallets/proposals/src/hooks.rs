//! The block hook: the deadline queues and what each deadline does.
//!
//! Deadlines wait in two lanes ([`Lane`]): the ends of commitments' reveal windows, and
//! everything a round needs (its draw, the ends of its verdict phases, the end of an
//! approval's challenge window). Each lane is a queue ordered by due block, served by its own
//! cursor: every block's hook processes at most [`Config::MaxDeadlinesPerBlock`] deadlines of
//! each lane, oldest first, and leaves the rest for the next block. Scheduling never refuses
//! and never moves a deadline; a flood of commitments only lengthens its own lane. Nothing a
//! deadline decides depends on when the hook gets to it: the calls check the phases' end
//! blocks themselves, and a deadline carries the block it was due in. A deadline whose
//! processing fails is rolled back and queued again for the next block, never dropped.

use super::*;
use frame_support::{pallet_prelude::*, traits::Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_projects::Lineage;
use pallet_verifiers::VerifierRegistry;
use sp_runtime::traits::{BlakeTwo256, Hash, One, Saturating};

/// The most empty blocks one lane's cursor walks past in one hook (it walks one a block
/// when it keeps up; more only while it catches up after a backlog).
pub(crate) const MAX_EMPTY_STEPS: u32 = 64;

impl<T: Config> Pallet<T> {
	/// The hook of block `n`: serves every lane; returns the weight used.
	pub(crate) fn process_deadlines(n: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::on_initialize_base();
		for lane in Lane::ALL {
			weight.saturating_accrue(Self::serve(lane, n));
		}
		weight
	}

	/// Processes `lane`'s deadlines due up to block `n`, from its cursor on, at most
	/// `MaxDeadlinesPerBlock` of them.
	fn serve(lane: Lane, n: BlockNumberFor<T>) -> Weight {
		let item_weight = match lane {
			// The dearest of a round's worst deadlines: the settlement of the largest initial
			// round, the overturn of an approval by the largest challenge round (measured as
			// its last reveal, which settles it the same way), the draw of the largest
			// challenge round, and the payment of a reward.
			Lane::Rounds => T::WeightInfo::on_initialize_item(T::MaxQuorum::get())
				.max(T::WeightInfo::reveal_verdict_overturn(T::MaxQuorum::get()))
				.max(T::WeightInfo::reveal_verdict_approve(T::MaxQuorum::get()))
				.max(T::WeightInfo::on_initialize_draw(T::Verifiers::max_verifiers()))
				.max(T::WeightInfo::on_initialize_reward()),
			// A forfeit (or a return) of one commitment's stake.
			Lane::Commitments => T::WeightInfo::on_initialize_forfeit(),
		};
		let step_weight = T::DbWeight::get().reads_writes(1, 2);
		let mut weight = T::DbWeight::get().reads_writes(1, 1);
		let (mut block, mut index) = DeadlineCursor::<T>::get(lane).unwrap_or((n, 0));
		let (mut processed, mut steps) = (0u32, 0u32);
		while block <= n && processed < T::MaxDeadlinesPerBlock::get() && steps < MAX_EMPTY_STEPS {
			weight.saturating_accrue(T::DbWeight::get().reads(1));
			if index < DeadlineCount::<T>::get(lane, block) {
				let scheduled = Deadlines::<T>::take((lane, block, index));
				index = index.saturating_add(1);
				// Stored before processing, so that what the deadline schedules lands at or
				// after the cursor.
				DeadlineCursor::<T>::insert(lane, (block, index));
				if let Some(scheduled) = scheduled {
					weight.saturating_accrue(item_weight);
					processed.saturating_inc();
					Self::run(n, scheduled);
				}
			} else {
				DeadlineCount::<T>::remove(lane, block);
				block.saturating_inc();
				index = 0;
				steps.saturating_inc();
				weight.saturating_accrue(step_weight);
			}
		}
		DeadlineCursor::<T>::insert(lane, (block, index));
		weight
	}

	/// Processes one deadline in its own storage layer; a failure is rolled back and the
	/// deadline queued again for block `n + 1`.
	fn run(n: BlockNumberFor<T>, scheduled: Scheduled<BlockNumberFor<T>>) {
		let result = frame_support::storage::with_storage_layer(|| Self::process(scheduled));
		if let Err(error) = result {
			// Fails only when a block's queue holds `u32::MAX` deadlines.
			let _ = Self::enqueue(n.saturating_add(One::one()), scheduled);
			Self::deposit_event(Event::DeadlineFailed { deadline: scheduled.item, error });
		}
	}

	/// One deadline. A deadline whose object moved on (a round that settled early, a round
	/// of another kind for the same proposal) does nothing: `due` tells them apart.
	fn process(Scheduled { item, due }: Scheduled<BlockNumberFor<T>>) -> DispatchResult {
		match item {
			Deadline::Reveal(commitment) => {
				let Some(record) = Commitments::<T>::get(commitment) else { return Ok(()) };
				// A freeze does not stop a reveal, so it excuses none.
				Self::forfeit(commitment, record, ForfeitReason::NotRevealed)
			},
			Deadline::Unreserve(id) => {
				let Some(p) = Proposals::<T>::get(id) else { return Ok(()) };
				let Some(reservation) = Reservations::<T>::get(p.project, p.code.digest)
					.filter(|r| r.proposal == id && r.until.saturating_add(One::one()) == due)
				else {
					return Ok(());
				};
				if T::Projects::is_active(p.project) {
					Reservations::<T>::remove(p.project, p.code.digest);
					Ok(())
				} else {
					// Its miner cannot commit to a frozen project: the reservation waits.
					Self::reserve(id, &p, reservation.priority)
				}
			},
			Deadline::Draw(id) => {
				let Some(round) = Rounds::<T>::get(id) else { return Ok(()) };
				if round.phase != Phase::Draw {
					return Ok(());
				}
				Self::draw_round(id, round)
			},
			Deadline::VerdictCommit(id) => {
				let Some(mut round) = Rounds::<T>::get(id) else { return Ok(()) };
				if round.phase != Phase::Commit
					|| round.commit_until.saturating_add(One::one()) != due
				{
					return Ok(());
				}
				if round.assignments.iter().any(|a| a.commitment.is_some()) {
					let reveal_until = round.reveal_until;
					Self::start_reveal_phase(id, &mut round, reveal_until)?;
					Rounds::<T>::insert(id, round);
					Ok(())
				} else {
					Self::settle(id, round)
				}
			},
			Deadline::VerdictReveal(id) => {
				let Some(round) = Rounds::<T>::get(id) else { return Ok(()) };
				if round.phase != Phase::Reveal
					|| round.reveal_until.saturating_add(One::one()) != due
				{
					return Ok(());
				}
				Self::settle(id, round)
			},
			Deadline::ChallengeWindow(id) => {
				let Some(mut p) = Proposals::<T>::get(id) else { return Ok(()) };
				if matches!(
					p.status,
					ProposalStatus::Approved {
						challenged: false,
						reward: RewardState::Escrowed { .. },
						..
					}
				) {
					Self::pay_reward(id, &mut p)?;
					Proposals::<T>::insert(id, p);
				}
				Ok(())
			},
		}
	}

	/// Draws a scheduled round: its seed is BLAKE2-256 of this block's randomness (which did
	/// not exist when the reveal or the challenge was sent), the round's proposal and kind,
	/// and the candidate's digest; its verifiers are drawn from the seed by bond, among those
	/// whose runners have the project's evaluator. An initial round draws the project's
	/// quorum, never the proposer; when too few verifiers are eligible the proposal is
	/// released (`NoQuorum`). A challenge round draws `min(2 * quorum + 1, MaxQuorum)`, never
	/// the proposer, the challenger or the approvers, or as many as are eligible if that is at
	/// least the project's quorum; when fewer are, the challenge is released (the bond
	/// returned). A freeze since the reveal changes nothing.
	pub(crate) fn draw_round(id: ProposalId, mut round: RoundOf<T>) -> DispatchResult {
		let mut p = Proposals::<T>::get(id).ok_or(Error::<T>::UnknownProposal)?;
		let (random, _) = T::Randomness::random(&(b"poi/draw", id, round.kind).encode());
		let seed = BlakeTwo256::hash_of(&(random, p.code.digest));
		let terms = T::Projects::round_terms(p.project).ok_or(Error::<T>::ProjectNotActive)?;
		let drawn = match round.kind {
			RoundKind::Initial => T::Verifiers::select(
				seed.as_fixed_bytes(),
				terms.quorum,
				terms.quorum,
				core::slice::from_ref(&p.proposer),
				terms.evaluator,
			),
			RoundKind::Challenge => {
				let quorum = terms
					.quorum
					.saturating_mul(2)
					.saturating_add(1)
					.min(T::MaxQuorum::get())
					.max(terms.quorum);
				let mut exclude = alloc::vec![p.proposer.clone()];
				if let Some((challenger, _)) = &round.challenger {
					exclude.push(challenger.clone());
				}
				if let ProposalStatus::Approved { approvers, .. } = &p.status {
					exclude.extend(approvers.iter().cloned());
				}
				// Never fewer than the quorum that approved: a thin set must not let one
				// sybil verifier decide a challenge.
				T::Verifiers::select(
					seed.as_fixed_bytes(),
					quorum,
					terms.quorum,
					&exclude,
					terms.evaluator,
				)
			},
		};
		match drawn {
			Ok(verifiers) => {
				Self::start_round(id, &mut round, seed, verifiers)?;
				Rounds::<T>::insert(id, round);
				Ok(())
			},
			Err(_) => {
				Rounds::<T>::remove(id);
				match round.kind {
					RoundKind::Initial => Self::release(id, &mut p, ReleaseReason::NoQuorum),
					RoundKind::Challenge => Self::release_challenge(id, &mut p, round.challenger),
				}
			},
		}
	}
}
