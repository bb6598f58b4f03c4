//! What the calls do, and the helpers they share with settlement.

use super::*;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		fungibles::Mutate as _,
		tokens::{Preservation, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_bonding_curve::TokenRewards;
use pallet_projects::Lineage;
use pallet_verifiers::{VerifierDuties, VerifierRegistry, VerifierRewards};
use sp_runtime::{
	traits::{AccountIdConversion, Convert, One, SaturatedConversion, Saturating, Verify, Zero},
	ArithmeticError,
};

impl<T: Config> Pallet<T> {
	/// What a runner signs for `verifier`'s `verdict` in the round of `proposal` of `kind`
	/// with `seed`: [`poi_primitives::runner_payload`] on this chain.
	pub fn runner_payload(
		proposal: ProposalId,
		kind: RoundKind,
		seed: &H256,
		verifier: &T::AccountId,
		verdict: &Verdict,
	) -> alloc::vec::Vec<u8> {
		poi_primitives::runner_payload(
			&Self::genesis_hash(),
			proposal,
			kind,
			seed,
			&poi_primitives::account_bytes(verifier),
			verdict,
		)
	}

	/// Adds proposal `id` to the end of `project`'s list.
	pub(crate) fn list_proposal(project: ProjectId, id: ProposalId) -> DispatchResult {
		let index = ProjectProposalCount::<T>::get(project);
		let next = index.checked_add(1).ok_or(ArithmeticError::Overflow)?;
		ProjectProposals::<T>::insert(project, index, id);
		ProjectProposalCount::<T>::insert(project, next);
		Ok(())
	}

	/// A page of `project`'s proposals, oldest first: those with indices `start` to
	/// `start + limit - 1` in the project's list, at most [`MAX_PAGE`] (for the runtime API).
	/// A page shorter than `min(limit, MAX_PAGE)` is the last one.
	pub fn proposals_of(
		project: ProjectId,
		start: u32,
		limit: u32,
	) -> alloc::vec::Vec<(ProposalId, ProposalOf<T>)> {
		let end =
			start.saturating_add(limit.min(MAX_PAGE)).min(ProjectProposalCount::<T>::get(project));
		(start..end)
			.filter_map(|index| {
				let id = ProjectProposals::<T>::get(project, index)?;
				Proposals::<T>::get(id).map(|p| (id, p))
			})
			.collect()
	}

	/// The running rounds `who` is assigned to, oldest first (for the runtime API).
	pub fn assignments_of(who: &T::AccountId) -> alloc::vec::Vec<AssignedRoundOf<T>> {
		let now = frame_system::Pallet::<T>::block_number();
		let mut ids: alloc::vec::Vec<ProposalId> = Assignments::<T>::iter_key_prefix(who).collect();
		ids.sort_unstable();
		ids.into_iter()
			.filter_map(|id| {
				let round = Rounds::<T>::get(id).filter(|r| r.phase != Phase::Draw)?;
				let p = Proposals::<T>::get(id)?;
				// By the clock, not as the hook last left it: a verifier reveals when the
				// commit phase is over even if the hook is behind.
				let phase = round.phase_at(&now);
				let mine = round.assignments.iter().find(|a| a.verifier == *who)?;
				Some(AssignedRound {
					proposal: id,
					project: p.project,
					kind: round.kind,
					code: p.code,
					parent: p.parent,
					seed: round.seed,
					phase,
					commit_until: round.commit_until,
					reveal_until: round.reveal_until,
					committed: mine.commitment.is_some(),
					revealed: mine.verdict.is_some(),
				})
			})
			.collect()
	}

	/// The account that keeps stakes.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// The stake account, given a provider of its own the first time (project tokens are not
	/// sufficient assets).
	fn stake_account() -> T::AccountId {
		let account = Self::account_id();
		if !frame_system::Pallet::<T>::account_exists(&account) {
			frame_system::Pallet::<T>::inc_providers(&account);
		}
		account
	}

	/// Queues `item` for the hook of block `at` (or of the block the hook's cursor is at, if
	/// that is later) and returns the block it was queued for. Never refuses for lack of room:
	/// a lane's hook carries over what it cannot process in one block.
	pub(crate) fn schedule(
		at: BlockNumberFor<T>,
		item: Deadline,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		Self::enqueue(at, Scheduled { item, due: at })
	}

	/// Queues `scheduled` in its lane for block `at` or the lane's cursor, whichever is later.
	pub(crate) fn enqueue(
		at: BlockNumberFor<T>,
		scheduled: Scheduled<BlockNumberFor<T>>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let lane = scheduled.item.lane();
		let block = DeadlineCursor::<T>::get(lane).map_or(at, |(cursor, _)| at.max(cursor));
		let index = DeadlineCount::<T>::get(lane, block);
		let next = index.checked_add(1).ok_or(Error::<T>::TooManyDeadlines)?;
		DeadlineCount::<T>::insert(lane, block, next);
		Deadlines::<T>::insert((lane, block, index), scheduled);
		Ok(block)
	}

	/// `now + delay + 1`: the block whose hook ends a period of `delay` blocks from now.
	pub(crate) fn after(delay: BlockNumberFor<T>) -> Result<BlockNumberFor<T>, DispatchError> {
		frame_system::Pallet::<T>::block_number()
			.checked_add(&delay)
			.and_then(|b| b.checked_add(&One::one()))
			.ok_or_else(|| ArithmeticError::Overflow.into())
	}

	/// `commit`.
	pub(crate) fn do_commit(
		who: T::AccountId,
		project: ProjectId,
		commitment: H256,
		stake: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(T::Projects::is_active(project), Error::<T>::ProjectNotActive);
		ensure!(stake >= T::MinStake::get(), Error::<T>::StakeTooSmall);
		ensure!(
			T::Tokens::value(project, stake).is_some_and(|v| v >= T::MinStakeValue::get()),
			Error::<T>::StakeWorthTooLittle
		);
		ensure!(!Commitments::<T>::contains_key(commitment), Error::<T>::CommitmentExists);
		let now = frame_system::Pallet::<T>::block_number();
		Self::schedule(Self::after(T::RevealWindow::get())?, Deadline::Reveal(commitment))?;
		T::Assets::transfer(
			T::ProjectAssetId::convert(project),
			&who,
			&Self::stake_account(),
			stake,
			Preservation::Expendable,
		)
		.map_err(|_| Error::<T>::InsufficientTokens)?;
		Commitments::<T>::insert(
			commitment,
			CommitRecord { who: who.clone(), project, stake, block: now },
		);
		Self::deposit_event(Event::Committed { who, project, commitment, stake });
		Ok(())
	}

	/// Burns a commitment's stake.
	pub(crate) fn forfeit(
		commitment: H256,
		record: CommitRecordOf<T>,
		reason: ForfeitReason,
	) -> DispatchResult {
		Commitments::<T>::remove(commitment);
		if !record.stake.is_zero() {
			T::Tokens::burn(record.project, &Self::account_id(), record.stake)?;
		}
		Self::deposit_event(Event::StakeForfeited {
			who: record.who,
			commitment,
			amount: record.stake,
			reason,
		});
		Ok(())
	}

	/// `reveal`.
	pub(crate) fn do_reveal(
		who: T::AccountId,
		commitment: H256,
		parent: NodeId,
		code: ArtifactRef,
		claim: H256,
	) -> DispatchResult {
		let record = Commitments::<T>::get(commitment).ok_or(Error::<T>::UnknownCommitment)?;
		ensure!(record.who == who, Error::<T>::NotCommitter);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now >= record.block.saturating_add(T::RevealDelay::get()),
			Error::<T>::RevealTooEarly
		);
		if now > record.block.saturating_add(T::RevealWindow::get()) {
			// Its deadline moved past the window's end because blocks were full.
			return Self::forfeit(commitment, record, ForfeitReason::NotRevealed);
		}
		let project = record.project;
		if poi_primitives::proposal_commitment(project, parent, &code, &claim, &who) != commitment {
			return Self::forfeit(commitment, record, ForfeitReason::RevealMismatch);
		}
		// A project frozen since the commit still takes the reveal: a freeze stops new
		// commitments, not the ones made before it.
		ensure!(T::Projects::has_node(project, parent), Error::<T>::UnknownParent);
		let terms = T::Projects::round_terms(project).ok_or(Error::<T>::ProjectNotActive)?;
		ensure!(terms.quorum <= T::MaxQuorum::get(), Error::<T>::QuorumTooLarge);
		let fee = T::VerifierFee::get()
			.checked_mul(&terms.quorum.into())
			.ok_or(ArithmeticError::Overflow)?;

		let id = NextProposalId::<T>::get();
		NextProposalId::<T>::put(id.checked_add(1).ok_or(ArithmeticError::Overflow)?);
		Self::claim_candidate(project, code.digest, record.block, id, &who)?;
		T::Currency::hold(&HoldReason::VerificationFee.into(), &who, fee)
			.map_err(|_| Error::<T>::CannotPayFee)?;
		let deposit = T::ProposalDeposit::get();
		T::Currency::hold(&HoldReason::ProposalDeposit.into(), &who, deposit)
			.map_err(|_| Error::<T>::CannotPayDeposit)?;
		Commitments::<T>::remove(commitment);
		Proposals::<T>::insert(
			id,
			Proposal {
				proposer: who.clone(),
				project,
				parent,
				code,
				claim: Claim::Hidden(claim),
				stake: record.stake,
				fee,
				deposit,
				committed_at: record.block,
				revealed_at: now,
				verified_score: None,
				status: ProposalStatus::Verifying,
			},
		);
		Self::list_proposal(project, id)?;
		Self::deposit_event(Event::Revealed {
			proposal: id,
			proposer: who,
			project,
			parent,
			claim,
			fee,
		});
		Self::schedule_round(id, RoundKind::Initial, None)
	}

	/// `reveal_claim`.
	pub(crate) fn do_reveal_claim(
		who: T::AccountId,
		proposal: ProposalId,
		claimed_score: Score,
		salt: H256,
	) -> DispatchResult {
		let mut p = Proposals::<T>::get(proposal).ok_or(Error::<T>::UnknownProposal)?;
		ensure!(p.proposer == who, Error::<T>::NotProposer);
		let round = Rounds::<T>::get(proposal).ok_or(Error::<T>::NoRound)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			round.kind == RoundKind::Initial
				&& round.phase_at(&now) == Phase::Reveal
				&& now <= round.reveal_until,
			Error::<T>::NotClaimPhase
		);
		let Claim::Hidden(hash) = p.claim else { return Err(Error::<T>::ClaimRevealed.into()) };
		ensure!(
			poi_primitives::claim_hash(claimed_score, &salt) == hash,
			Error::<T>::ClaimMismatch
		);
		p.claim = Claim::Revealed(claimed_score);
		Proposals::<T>::insert(proposal, p);
		Self::deposit_event(Event::ClaimRevealed { proposal, claimed_score });
		if Self::all_revealed(&round) {
			Self::settle(proposal, round)?;
		}
		Ok(())
	}

	/// Whether every verdict committed in `round` is revealed.
	fn all_revealed(round: &RoundOf<T>) -> bool {
		round.assignments.iter().all(|a| a.commitment.is_none() || a.verdict.is_some())
	}

	/// Records that proposal `id` of `who`, committed in block `committed_at`, holds candidate
	/// `digest` in `project`. The earliest commitment of a candidate holds its place: a later
	/// one (a copy) is refused, or, if it revealed first and is still verifying, rejected at
	/// its settlement ([`RejectReason::Copied`]). A released candidate stays reserved for its
	/// miner ([`Reservations`]): anyone else who committed to it later is refused.
	fn claim_candidate(
		project: ProjectId,
		digest: H256,
		committed_at: BlockNumberFor<T>,
		id: ProposalId,
		who: &T::AccountId,
	) -> DispatchResult {
		let mut priority = committed_at;
		if let Some(r) = Reservations::<T>::get(project, digest) {
			let now = frame_system::Pallet::<T>::block_number();
			if now <= r.until {
				if Proposals::<T>::get(r.proposal).is_some_and(|p| p.proposer == *who) {
					// Its miner proposes it again, with the priority of its first claim.
					priority = priority.min(r.priority);
				} else {
					ensure!(committed_at < r.priority, Error::<T>::CandidateReserved);
				}
			}
			Reservations::<T>::remove(project, digest);
		}
		if let Some(other) = Candidates::<T>::get(project, digest) {
			let earlier = Proposals::<T>::get(other.proposal).is_some_and(|p| {
				other.priority <= priority || p.status != ProposalStatus::Verifying
			});
			ensure!(!earlier, Error::<T>::DuplicateCandidate);
		}
		Candidates::<T>::insert(project, digest, CandidateHold { proposal: id, priority });
		Ok(())
	}

	/// Stores a round of `proposal` waiting for its draw, which the hook of the block
	/// `DrawDelay` blocks from now does ([`Pallet::draw_round`]): the seed and the verifiers
	/// come from randomness that does not exist yet.
	pub(crate) fn schedule_round(
		proposal: ProposalId,
		kind: RoundKind,
		challenger: Option<(T::AccountId, BalanceOf<T>)>,
	) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let at = now.checked_add(&T::DrawDelay::get()).ok_or(ArithmeticError::Overflow)?;
		let draw_at = Self::schedule(at, Deadline::Draw(proposal))?;
		Rounds::<T>::insert(
			proposal,
			Round {
				kind,
				challenger,
				seed: H256::zero(),
				phase: Phase::Draw,
				commit_until: draw_at,
				reveal_until: draw_at,
				assignments: BoundedVec::new(),
			},
		);
		Self::deposit_event(Event::RoundScheduled { proposal, kind, draw_at });
		Ok(())
	}

	/// Starts a drawn round: `verifiers` are assigned and the commit phase runs for
	/// `VerdictCommitPeriod` blocks from now.
	pub(crate) fn start_round(
		proposal: ProposalId,
		round: &mut RoundOf<T>,
		seed: H256,
		verifiers: alloc::vec::Vec<T::AccountId>,
	) -> DispatchResult {
		let verifiers: BoundedVec<T::AccountId, T::MaxQuorum> =
			verifiers.try_into().map_err(|_| Error::<T>::QuorumTooLarge)?;
		let due = Self::after(T::VerdictCommitPeriod::get())?;
		Self::schedule(due, Deadline::VerdictCommit(proposal))?;
		// `due` is after now, so at least 1 (qed).
		let commit_until = due.saturating_sub(One::one());
		round.seed = seed;
		round.phase = Phase::Commit;
		round.commit_until = commit_until;
		round.reveal_until = commit_until.saturating_add(T::VerdictRevealPeriod::get());
		round.assignments = BoundedVec::new();
		for verifier in &verifiers {
			T::Verifiers::note_assigned(verifier);
			Assignments::<T>::insert(verifier, proposal, ());
			// As long as `verifiers` (qed).
			let _ = round.assignments.try_push(Assignment {
				verifier: verifier.clone(),
				commitment: None,
				verdict: None,
			});
		}
		Self::deposit_event(Event::RoundStarted {
			proposal,
			kind: round.kind,
			seed,
			verifiers,
			commit_until,
		});
		Ok(())
	}

	/// The running round of `proposal` and the index of `who`'s assignment in it, checked to
	/// be in `phase`.
	fn assignment_in(
		proposal: ProposalId,
		who: &T::AccountId,
		phase: Phase,
	) -> Result<(RoundOf<T>, usize), DispatchError> {
		ensure!(Proposals::<T>::contains_key(proposal), Error::<T>::UnknownProposal);
		let round = Rounds::<T>::get(proposal).ok_or(Error::<T>::NoRound)?;
		let index = round
			.assignments
			.iter()
			.position(|a| a.verifier == *who)
			.ok_or(Error::<T>::NotAssigned)?;
		let now = frame_system::Pallet::<T>::block_number();
		// Phases end at fixed blocks, whenever the hook processes their deadlines.
		let now_in = round.phase_at(&now);
		match phase {
			Phase::Commit => ensure!(now_in == Phase::Commit, Error::<T>::NotCommitPhase),
			Phase::Reveal => ensure!(
				now_in == Phase::Reveal && now <= round.reveal_until,
				Error::<T>::NotRevealPhase
			),
			Phase::Draw => return Err(Error::<T>::NoRound.into()),
		}
		Ok((round, index))
	}

	/// `commit_verdict`.
	pub(crate) fn do_commit_verdict(
		who: T::AccountId,
		proposal: ProposalId,
		commitment: H256,
	) -> DispatchResult {
		let (mut round, index) = Self::assignment_in(proposal, &who, Phase::Commit)?;
		let slot = round.assignments.get_mut(index).ok_or(Error::<T>::NotAssigned)?;
		ensure!(slot.commitment.is_none(), Error::<T>::AlreadyCommitted);
		slot.commitment = Some(commitment);
		Self::deposit_event(Event::VerdictCommitted { proposal, verifier: who });
		if round.assignments.iter().all(|a| a.commitment.is_some()) {
			let reveal_until = frame_system::Pallet::<T>::block_number()
				.checked_add(&T::VerdictRevealPeriod::get())
				.ok_or(ArithmeticError::Overflow)?;
			Self::start_reveal_phase(proposal, &mut round, reveal_until)?;
		}
		Rounds::<T>::insert(proposal, round);
		Ok(())
	}

	/// Moves `round` to its reveal phase, which ends after `reveal_until`, and schedules its
	/// end.
	pub(crate) fn start_reveal_phase(
		proposal: ProposalId,
		round: &mut RoundOf<T>,
		reveal_until: BlockNumberFor<T>,
	) -> DispatchResult {
		let due = reveal_until.checked_add(&One::one()).ok_or(ArithmeticError::Overflow)?;
		Self::schedule(due, Deadline::VerdictReveal(proposal))?;
		round.phase = Phase::Reveal;
		round.reveal_until = reveal_until;
		Self::deposit_event(Event::RevealPhaseStarted { proposal, reveal_until });
		Ok(())
	}

	/// `reveal_verdict`.
	pub(crate) fn do_reveal_verdict(
		who: T::AccountId,
		proposal: ProposalId,
		verdict: Verdict,
		salt: H256,
		signature: sp_core::sr25519::Signature,
	) -> DispatchResult {
		let (mut round, index) = Self::assignment_in(proposal, &who, Phase::Reveal)?;
		let slot = round.assignments.get_mut(index).ok_or(Error::<T>::NotAssigned)?;
		let committed = slot.commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(slot.verdict.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(
			poi_primitives::verdict_commitment(proposal, &verdict, &salt, &who) == committed,
			Error::<T>::VerdictMismatch
		);
		let key = T::Verifiers::runner_key(&who).ok_or(Error::<T>::NoRunnerKey)?;
		ensure!(
			signature.verify(
				&Self::runner_payload(proposal, round.kind, &round.seed, &who, &verdict)[..],
				&key
			),
			Error::<T>::BadRunnerSignature
		);
		slot.verdict = Some(verdict.clone());
		Self::deposit_event(Event::VerdictRevealed { proposal, verifier: who, verdict });
		// An initial round also waits for its claim (read only when nothing else is missing).
		let complete = Self::all_revealed(&round)
			&& (round.kind == RoundKind::Challenge
				|| Proposals::<T>::get(proposal).is_some_and(|p| p.claim.score().is_some()));
		if complete {
			Self::settle(proposal, round)
		} else {
			Rounds::<T>::insert(proposal, round);
			Ok(())
		}
	}

	/// `challenge`.
	pub(crate) fn do_challenge(
		who: T::AccountId,
		proposal: ProposalId,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		let mut p = Proposals::<T>::get(proposal).ok_or(Error::<T>::UnknownProposal)?;
		let ProposalStatus::Approved {
			challenge_until,
			ref mut challenged,
			reward: RewardState::Escrowed { .. },
			..
		} = p.status
		else {
			return Err(Error::<T>::NotChallengeable.into());
		};
		ensure!(
			frame_system::Pallet::<T>::block_number() <= challenge_until,
			Error::<T>::ChallengeWindowClosed
		);
		ensure!(!*challenged, Error::<T>::AlreadyChallenged);
		ensure!(bond >= T::MinChallengeBond::get(), Error::<T>::BondTooSmall);
		T::Currency::hold(&HoldReason::ChallengeBond.into(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		*challenged = true;
		Proposals::<T>::insert(proposal, p);
		Self::schedule_round(proposal, RoundKind::Challenge, Some((who.clone(), bond)))?;
		Self::deposit_event(Event::Challenged { proposal, challenger: who, bond });
		Ok(())
	}

	/// Returns a proposal's stake to its miner. A miner account that can no longer take the
	/// tokens (reaped) loses them: they are burned.
	pub(crate) fn return_stake(id: ProposalId, p: &ProposalOf<T>) -> DispatchResult {
		if p.stake.is_zero() {
			return Ok(());
		}
		if Self::give_back(p.project, &p.proposer, p.stake) {
			Self::deposit_event(Event::StakeReturned { proposal: id, amount: p.stake });
		} else {
			T::Tokens::burn(p.project, &Self::account_id(), p.stake)?;
			Self::deposit_event(Event::StakeSlashed {
				proposal: id,
				burned: p.stake,
				to_verifiers: Zero::zero(),
				to_challenger: Zero::zero(),
			});
		}
		Ok(())
	}

	/// Moves `amount` of `project`'s tokens from the stake account to `to`; whether it could.
	pub(crate) fn give_back(project: ProjectId, to: &T::AccountId, amount: BalanceOf<T>) -> bool {
		amount.is_zero()
			|| T::Assets::transfer(
				T::ProjectAssetId::convert(project),
				&Self::account_id(),
				to,
				amount,
				Preservation::Expendable,
			)
			.is_ok()
	}

	/// Settles an initial round's verification fee: `share` to each of `paid` (credited in
	/// pallet-verifiers' pot), the rest of the held fee back to the miner. The shares of
	/// silent and deviant verifiers go back too: nobody gains from another verifier's
	/// failure, and the miner pays for the verdicts it got.
	pub(crate) fn pay_fee(
		id: ProposalId,
		p: &ProposalOf<T>,
		share: BalanceOf<T>,
		paid: &[T::AccountId],
	) -> DispatchResult {
		let reason: T::RuntimeHoldReason = HoldReason::VerificationFee.into();
		let count: BalanceOf<T> = paid.len().saturated_into::<u32>().into();
		// `paid` are verifiers of the round and `share` is `fee / quorum`: at most the fee.
		let to_verifiers = share.saturating_mul(count);
		if !to_verifiers.is_zero() {
			T::Currency::transfer_on_hold(
				&reason,
				&p.proposer,
				&T::Verifiers::pot(),
				to_verifiers,
				frame_support::traits::tokens::Precision::Exact,
				Restriction::Free,
				frame_support::traits::tokens::Fortitude::Force,
			)?;
			for v in paid {
				T::Verifiers::credit(v, pallet_verifiers::RewardAsset::Native, share)?;
			}
		}
		let returned = p.fee.saturating_sub(to_verifiers);
		if !returned.is_zero() {
			T::Currency::release(
				&reason,
				&p.proposer,
				returned,
				frame_support::traits::tokens::Precision::Exact,
			)?;
		}
		Self::deposit_event(Event::FeePaid {
			proposal: id,
			per_verifier: if paid.is_empty() { Zero::zero() } else { share },
			verifiers: paid.len().saturated_into(),
			returned,
		});
		Ok(())
	}

	/// Splits `amount` for a slash: `(per verifier, to verifiers, burned)`; half (rounded
	/// down) goes to `verifiers` in equal shares, the rest is burned.
	pub(crate) fn split(
		amount: BalanceOf<T>,
		verifiers: usize,
	) -> (BalanceOf<T>, BalanceOf<T>, BalanceOf<T>) {
		let count: BalanceOf<T> = verifiers.saturated_into::<u32>().into();
		if count.is_zero() {
			return (Zero::zero(), Zero::zero(), amount);
		}
		let half = amount / 2u32.into();
		let share = half / count;
		// `share * count <= half <= amount` (qed).
		let paid = share.saturating_mul(count);
		(share, paid, amount.saturating_sub(paid))
	}

	/// Slashes a proposal's stake: half to `agreeing` verifiers (credited in the verifiers'
	/// pot); of the rest, half to the `challenger` whose challenge overturned the approval;
	/// the rest burned.
	pub(crate) fn slash_stake(
		id: ProposalId,
		p: &ProposalOf<T>,
		agreeing: &[T::AccountId],
		challenger: Option<&T::AccountId>,
	) -> DispatchResult {
		let (share, paid, rest) = Self::split(p.stake, agreeing.len());
		let mut bounty: BalanceOf<T> = Zero::zero();
		if let Some(challenger) = challenger {
			let half = rest / 2u32.into();
			if Self::give_back(p.project, challenger, half) {
				bounty = half;
			}
		}
		let burned = rest.saturating_sub(bounty);
		if !paid.is_zero() {
			let pot = T::Verifiers::pot();
			let asset = T::ProjectAssetId::convert(p.project);
			T::Assets::transfer(
				asset.clone(),
				&Self::account_id(),
				&pot,
				paid,
				Preservation::Expendable,
			)?;
			for v in agreeing {
				T::Verifiers::credit(
					v,
					pallet_verifiers::RewardAsset::Token(asset.clone()),
					share,
				)?;
			}
		}
		if !burned.is_zero() {
			T::Tokens::burn(p.project, &Self::account_id(), burned)?;
		}
		Self::deposit_event(Event::StakeSlashed {
			proposal: id,
			burned,
			to_verifiers: paid,
			to_challenger: bounty,
		});
		Ok(())
	}

	/// Slashes a failed challenger's bond: half to `agreeing` verifiers in the native
	/// currency, the rest burned. When the pot cannot take the verifiers' half (below the
	/// existential deposit), all of it is burned.
	pub(crate) fn slash_bond(
		id: ProposalId,
		challenger: &T::AccountId,
		bond: BalanceOf<T>,
		agreeing: &[T::AccountId],
	) -> DispatchResult {
		let reason: T::RuntimeHoldReason = HoldReason::ChallengeBond.into();
		let (share, mut paid, _) = Self::split(bond, agreeing.len());
		if !paid.is_zero() {
			let pot = T::Verifiers::pot();
			let moved = T::Currency::transfer_on_hold(
				&reason,
				challenger,
				&pot,
				paid,
				frame_support::traits::tokens::Precision::Exact,
				Restriction::Free,
				frame_support::traits::tokens::Fortitude::Force,
			);
			if moved.is_ok() {
				for v in agreeing {
					T::Verifiers::credit(v, pallet_verifiers::RewardAsset::Native, share)?;
				}
			} else {
				paid = Zero::zero();
			}
		}
		let burned = bond.saturating_sub(paid);
		T::Currency::burn_held(
			&reason,
			challenger,
			burned,
			frame_support::traits::tokens::Precision::Exact,
			frame_support::traits::tokens::Fortitude::Force,
		)?;
		Self::deposit_event(Event::ChallengeFailed { proposal: id, burned, to_verifiers: paid });
		Ok(())
	}
}
