//! Settlement: a round's outcome from its tally ([`crate::tally`]), releases, rewards and
//! challenges.

use super::*;
use frame_support::{
	defensive,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_bonding_curve::TokenRewards;
use pallet_projects::Lineage;
use pallet_verifiers::VerifierDuties;
use sp_runtime::traits::{One, SaturatedConversion, Saturating, Zero};

use crate::tally::{beats, below_claim, tally, Tally};

/// The most overturned approvals a revert walks past.
pub(crate) const MAX_REVERT_WALK: u32 = 64;

/// What becomes of a settled proposal's storage deposit that is not kept.
pub(crate) enum DepositFate {
	/// Back to the miner: settled without fault.
	Return,
	/// Burned: a fault (rejected, overturned).
	Burn,
}

/// What a challenge round found. The approval carries the burden of proof: anything but a
/// confirming score overturns it.
enum ChallengeVerdict {
	/// A score that matches the claim and beats the best the approval replaced.
	Confirmed,
	/// Anything else. `score` is the round's median when it settled on scores;
	/// `approvers_wrong` when the round contradicted the approvers (an invalid verdict or a
	/// score that does not confirm), not merely failed to confirm them.
	Overturned { score: Option<Score>, approvers_wrong: bool },
}

impl<T: Config> Pallet<T> {
	/// Settles a round: it is over (removed from storage), its verifiers' duties noted.
	pub(crate) fn settle(id: ProposalId, round: RoundOf<T>) -> DispatchResult {
		Rounds::<T>::remove(id);
		for a in round.assignments.iter() {
			Assignments::<T>::remove(&a.verifier, id);
		}
		let mut p = Proposals::<T>::get(id).ok_or(Error::<T>::UnknownProposal)?;
		let terms = T::Projects::round_terms(p.project).ok_or(Error::<T>::ProjectNotActive)?;
		let tally = tally(&round.assignments, terms.tolerance_bps);
		for v in tally.agreeing.iter().chain(tally.undecided.iter()) {
			T::Verifiers::note_agreed(v);
		}
		for v in tally.deviant.iter() {
			T::Verifiers::note_deviant(v);
		}
		for v in tally.silent.iter() {
			T::Verifiers::note_missed(v);
		}
		match round.kind {
			RoundKind::Initial => {
				Self::settle_initial(id, &mut p, &tally, &round.assignments, terms)?
			},
			RoundKind::Challenge => {
				Self::settle_challenge(id, &mut p, &tally, round.challenger, terms)?
			},
		}
		Proposals::<T>::insert(id, p);
		Ok(())
	}

	/// The outcome of an initial round.
	fn settle_initial(
		id: ProposalId,
		p: &mut ProposalOf<T>,
		tally: &Tally<T::AccountId>,
		assignments: &BoundedVec<Assignment<T::AccountId>, T::MaxQuorum>,
		terms: pallet_projects::RoundTerms,
	) -> DispatchResult {
		let quorum: u32 = assignments.len().saturated_into();
		let copied =
			Candidates::<T>::get(p.project, p.code.digest).is_none_or(|c| c.proposal != id);
		let mut verified = None;
		let status = match (tally.result, p.claim.score()) {
			(result, _) if copied && result != TallyResult::Silent => {
				ProposalStatus::Rejected(RejectReason::Copied)
			},
			(TallyResult::Silent, _) => ProposalStatus::Expired,
			(_, None) => ProposalStatus::Rejected(RejectReason::ClaimWithheld),
			(TallyResult::TooFew, _) => ProposalStatus::Released(ReleaseReason::TooFewVerdicts),
			(TallyResult::HarnessErrors, _) => {
				ProposalStatus::Released(ReleaseReason::HarnessErrors)
			},
			(TallyResult::NoAgreement, _) => ProposalStatus::Released(ReleaseReason::NoAgreement),
			(TallyResult::Invalid, _) => ProposalStatus::Rejected(RejectReason::Invalid),
			(TallyResult::Scored(score), Some(claimed)) => {
				verified = Some(score);
				Self::record_scored_outcome(id, p, score, claimed, &tally.agreeing, terms)?
			},
		};
		p.verified_score = verified;
		// Each of the quorum's verifiers earns `fee / quorum` when its verdict counted.
		let share = p.fee / BalanceOf::<T>::from(quorum.max(1));
		let paid: alloc::vec::Vec<_> =
			tally.agreeing.iter().chain(tally.undecided.iter()).cloned().collect();
		// The same bound as the round's assignments: nothing is cut.
		let verdicts = BoundedVec::truncate_from(
			assignments
				.iter()
				.map(|a| (a.verifier.clone(), a.verdict.as_ref().map(Verdict::summary)))
				.collect(),
		);
		Self::conclude(id, p, status, share, &paid, &tally.agreeing, verdicts)
	}

	/// Ends a proposal's initial round with `status`, and what follows from it, whether the
	/// round settled or could not be drawn: `share` of the fee to each of `paid` (the rest
	/// back to the miner); a rejection slashes the stake (half to `agreeing`) and burns the
	/// deposit; a lineage node keeps the deposit held (an approval also its stake, until its
	/// window closes); anything else returns both; every outcome but an approval gives up the
	/// candidate, which stays reserved for its miner after a release or an expiry. The
	/// round's `verdicts` are kept in [`Settlements`].
	fn conclude(
		id: ProposalId,
		p: &mut ProposalOf<T>,
		status: StatusOf<T>,
		share: BalanceOf<T>,
		paid: &[T::AccountId],
		agreeing: &[T::AccountId],
		verdicts: BoundedVec<(T::AccountId, Option<VerdictSummary>), T::MaxQuorum>,
	) -> DispatchResult {
		Self::pay_fee(id, p, share, paid)?;
		match status {
			ProposalStatus::Rejected(_) => {
				Self::slash_stake(id, p, agreeing, None)?;
				Self::settle_deposit(p, DepositFate::Burn)?;
			},
			ProposalStatus::Approved { .. } => {},
			ProposalStatus::Superseded { .. } => Self::return_stake(id, p)?,
			_ => {
				Self::return_stake(id, p)?;
				Self::settle_deposit(p, DepositFate::Return)?;
			},
		}
		if !matches!(status, ProposalStatus::Approved { .. }) {
			// A copy holds nothing; a candidate released without fault stays its miner's a
			// while.
			let reserve = matches!(status, ProposalStatus::Released(_) | ProposalStatus::Expired);
			Self::give_up_candidate(id, p, reserve)?;
		}
		p.status = status;
		Settlements::<T>::insert(
			id,
			Settlement { block: frame_system::Pallet::<T>::block_number(), verdicts },
		);
		Self::deposit_event(Event::Settled {
			proposal: id,
			status: p.status.clone(),
			verified_score: p.verified_score,
		});
		Ok(())
	}

	/// The outcome of an initial round that settled on `score` (the miner claimed `claimed`),
	/// and what it writes: a score below the claim rejects it; otherwise the score becomes a
	/// lineage node under the proposal's parent (released when the lineage has no room), and
	/// when it beats the best by the project's threshold, the node becomes the best, is
	/// recorded in [`ApprovedNodes`], the reward is minted into the pallet's account at
	/// today's price, at most what the approver with the least bond has at risk
	/// ([`RewardState::Escrowed`]), and the approval's challenge window is
	/// scheduled (the reward is paid when the window closes unchallenged); otherwise the node
	/// is `Superseded`. A project frozen during the round changes none of this.
	fn record_scored_outcome(
		id: ProposalId,
		p: &ProposalOf<T>,
		score: Score,
		claimed: Score,
		agreeing: &[T::AccountId],
		terms: pallet_projects::RoundTerms,
	) -> Result<StatusOf<T>, DispatchError> {
		if below_claim(score, claimed, terms.tolerance_bps) {
			return Ok(ProposalStatus::Rejected(RejectReason::Misclaimed));
		}
		let (best, best_score) =
			T::Projects::best(p.project).ok_or(Error::<T>::ProjectNotActive)?;
		let Ok(node) = T::Projects::append_node(
			p.project,
			p.parent,
			p.code.clone(),
			score,
			p.proposer.clone(),
			id,
		) else {
			return Ok(ProposalStatus::Released(ReleaseReason::LineageFull));
		};
		if !beats(score, best_score, terms.min_improvement_bps) {
			return Ok(ProposalStatus::Superseded { node });
		}
		T::Projects::set_best(p.project, node)?;
		ApprovedNodes::<T>::insert(p.project, node, id);
		// Priced and minted now, not when the window closes: nobody can move the price
		// between a public approval and a mint at a known block. It costs at most what each
		// approver has at risk, so that approving oneself under other names cannot pay.
		let at_risk =
			agreeing.iter().map(T::Verifiers::bond_at_risk).min().unwrap_or_else(Zero::zero);
		let amount =
			T::Tokens::mint_reward(p.project, &Self::account_id(), at_risk).unwrap_or_default();
		let value = if amount.is_zero() {
			Zero::zero()
		} else {
			T::Tokens::value(p.project, amount).unwrap_or_default()
		};
		let due = Self::after(T::ChallengeWindow::get())?;
		Self::schedule(due, Deadline::ChallengeWindow(id))?;
		Ok(ProposalStatus::Approved {
			node,
			previous_best: best,
			previous_score: best_score,
			// `due` is after now (qed).
			challenge_until: due.saturating_sub(1u32.into()),
			challenged: false,
			approvers: BoundedVec::truncate_from(agreeing.to_vec()),
			reward: RewardState::Escrowed { amount, value },
		})
	}

	/// Releases a proposal whose initial round could not be drawn: its stake, its fee and
	/// its deposit returned, its candidate reserved for it ([`Pallet::conclude`]).
	pub(crate) fn release(
		id: ProposalId,
		p: &mut ProposalOf<T>,
		reason: ReleaseReason,
	) -> DispatchResult {
		let none = BoundedVec::new();
		Self::conclude(id, p, ProposalStatus::Released(reason), Zero::zero(), &[], &[], none)?;
		Proposals::<T>::insert(id, p.clone());
		Ok(())
	}

	/// Ends a challenge for which no verifier could be drawn: the bond returned, the approval
	/// stands (and is paid if its window has closed).
	pub(crate) fn release_challenge(
		id: ProposalId,
		p: &mut ProposalOf<T>,
		challenger: Option<(T::AccountId, BalanceOf<T>)>,
	) -> DispatchResult {
		let (challenger, bond) = challenger.ok_or(Error::<T>::NoRound)?;
		let reason: T::RuntimeHoldReason = HoldReason::ChallengeBond.into();
		T::Currency::release(&reason, &challenger, bond, Precision::Exact)?;
		Self::deposit_event(Event::ChallengeReleased { proposal: id });
		if let ProposalStatus::Approved { challenge_until, .. } = p.status {
			Self::after_challenge(id, p, challenge_until)?;
		}
		Proposals::<T>::insert(id, p.clone());
		Ok(())
	}

	/// Returns an approval's stake and pays its escrowed reward (a miner account that can no
	/// longer take it loses it: it is burned).
	pub(crate) fn pay_reward(id: ProposalId, p: &mut ProposalOf<T>) -> DispatchResult {
		Self::return_stake(id, p)?;
		let ProposalStatus::Approved { ref mut reward, .. } = p.status else { return Ok(()) };
		let RewardState::Escrowed { amount, .. } = *reward else { return Ok(()) };
		let mut paid = amount;
		if !Self::give_back(p.project, &p.proposer, amount) {
			T::Tokens::burn(p.project, &Self::account_id(), amount)?;
			paid = Zero::zero();
		}
		*reward = RewardState::Paid(paid);
		Self::deposit_event(Event::RewardPaid {
			proposal: id,
			miner: p.proposer.clone(),
			amount: paid,
		});
		Ok(())
	}

	/// Gives up proposal `id`'s hold on its candidate (nothing when it holds none, as a
	/// copy); when `reserve`, the candidate stays reserved for its miner for
	/// `ReservationPeriod` blocks ([`Reservations`]) with the hold's priority.
	pub(crate) fn give_up_candidate(
		id: ProposalId,
		p: &ProposalOf<T>,
		reserve: bool,
	) -> DispatchResult {
		let Some(held) =
			Candidates::<T>::get(p.project, p.code.digest).filter(|c| c.proposal == id)
		else {
			return Ok(());
		};
		Candidates::<T>::remove(p.project, p.code.digest);
		if reserve {
			Self::reserve(id, p, held.priority)?;
		}
		Ok(())
	}

	/// Reserves proposal `id`'s candidate for its miner for `ReservationPeriod` blocks from
	/// now, keeping `priority` (the earliest commit block of the miner's claim to it).
	pub(crate) fn reserve(
		id: ProposalId,
		p: &ProposalOf<T>,
		priority: BlockNumberFor<T>,
	) -> DispatchResult {
		let due = Self::after(T::ReservationPeriod::get())?;
		Self::schedule(due, Deadline::Unreserve(id))?;
		// `due` is after now (qed).
		let until = due.saturating_sub(One::one());
		Reservations::<T>::insert(
			p.project,
			p.code.digest,
			Reservation { proposal: id, until, priority },
		);
		Self::deposit_event(Event::CandidateReserved { proposal: id, until });
		Ok(())
	}

	/// Returns or burns what is left of a proposal's storage deposit, or keeps it held.
	pub(crate) fn settle_deposit(p: &mut ProposalOf<T>, fate: DepositFate) -> DispatchResult {
		let reason: T::RuntimeHoldReason = HoldReason::ProposalDeposit.into();
		if p.deposit.is_zero() {
			return Ok(());
		}
		match fate {
			DepositFate::Return => {
				T::Currency::release(&reason, &p.proposer, p.deposit, Precision::Exact)?;
			},
			DepositFate::Burn => {
				T::Currency::burn_held(
					&reason,
					&p.proposer,
					p.deposit,
					Precision::Exact,
					frame_support::traits::tokens::Fortitude::Force,
				)?;
			},
		}
		p.deposit = Zero::zero();
		Ok(())
	}

	/// The outcome of a challenge round.
	fn settle_challenge(
		id: ProposalId,
		p: &mut ProposalOf<T>,
		tally: &Tally<T::AccountId>,
		challenger: Option<(T::AccountId, BalanceOf<T>)>,
		terms: pallet_projects::RoundTerms,
	) -> DispatchResult {
		let ProposalStatus::Approved {
			node,
			previous_best,
			previous_score,
			challenge_until,
			ref approvers,
			reward,
			..
		} = p.status
		else {
			defensive!("a challenge round of a proposal that is not approved");
			return Ok(());
		};
		let (challenger, bond) = challenger.ok_or(Error::<T>::NoRound)?;
		let reason: T::RuntimeHoldReason = HoldReason::ChallengeBond.into();
		// An approval's claim was revealed (its round settled on it); a hidden one cannot be
		// confirmed.
		let claimed = p.claim.score().unwrap_or(Score::MAX);
		let verdict = match tally.result {
			TallyResult::Scored(score)
				if !below_claim(score, claimed, terms.tolerance_bps)
					&& beats(score, previous_score, terms.min_improvement_bps) =>
			{
				ChallengeVerdict::Confirmed
			},
			TallyResult::Scored(score) => {
				ChallengeVerdict::Overturned { score: Some(score), approvers_wrong: true }
			},
			TallyResult::Invalid => {
				ChallengeVerdict::Overturned { score: None, approvers_wrong: true }
			},
			TallyResult::HarnessErrors
			| TallyResult::TooFew
			| TallyResult::NoAgreement
			| TallyResult::Silent => ChallengeVerdict::Overturned { score: None, approvers_wrong: false },
		};
		let ChallengeVerdict::Overturned { score, approvers_wrong } = verdict else {
			Self::slash_bond(id, &challenger, bond, &tally.agreeing)?;
			return Self::after_challenge(id, p, challenge_until);
		};
		let approvers = approvers.clone();
		let (best, _) = T::Projects::best(p.project).ok_or(Error::<T>::ProjectNotActive)?;
		let mut now_best = best;
		if best == node {
			now_best = Self::last_standing(p.project, previous_best);
			T::Projects::set_best(p.project, now_best)?;
		}
		p.status = ProposalStatus::Overturned { node, previous_best };
		p.verified_score = score.or(p.verified_score);
		Self::slash_stake(id, p, &tally.agreeing, Some(&challenger))?;
		Self::settle_deposit(p, DepositFate::Burn)?;
		if let RewardState::Escrowed { amount, .. } = reward {
			if !amount.is_zero() {
				T::Tokens::burn(p.project, &Self::account_id(), amount)?;
				Self::deposit_event(Event::RewardBurned { proposal: id, amount });
			}
		}
		if approvers_wrong {
			// Each approver risks at least the reward its approval would have released.
			for v in approvers.iter() {
				T::Verifiers::note_wrong_approval(v, reward.value());
			}
		}
		T::Currency::release(&reason, &challenger, bond, Precision::Exact)?;
		Self::give_up_candidate(id, p, false)?;
		Self::deposit_event(Event::Overturned { proposal: id, best: now_best });
		Ok(())
	}

	/// After a challenge that left the approval standing: pays the reward if the window has
	/// closed meanwhile.
	fn after_challenge(
		id: ProposalId,
		p: &mut ProposalOf<T>,
		challenge_until: BlockNumberFor<T>,
	) -> DispatchResult {
		if let ProposalStatus::Approved { ref mut challenged, .. } = p.status {
			*challenged = false;
		}
		if frame_system::Pallet::<T>::block_number() > challenge_until {
			Self::pay_reward(id, p)?;
		}
		Ok(())
	}

	/// Follows `node` back past overturned approvals to the last one that stands (or a node
	/// no proposal approved: the baseline).
	fn last_standing(project: ProjectId, mut node: NodeId) -> NodeId {
		// Each step goes to an earlier approval, and only approvals overturned within their
		// challenge window are skipped; the bound is a safety net.
		for _ in 0..MAX_REVERT_WALK {
			let Some(pid) = ApprovedNodes::<T>::get(project, node) else { return node };
			match Proposals::<T>::get(pid).map(|p| p.status) {
				Some(ProposalStatus::Overturned { previous_best, .. }) => node = previous_best,
				_ => return node,
			}
		}
		node
	}
}
