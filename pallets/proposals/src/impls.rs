//! What the calls do, and the helpers they share with settlement.

use super::*;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		fungibles::Mutate as _,
		tokens::{Preservation, Restriction},
		Randomness,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_bonding_curve::TokenRewards;
use pallet_projects::Lineage;
use pallet_verifiers::{VerifierDuties, VerifierRegistry, VerifierRewards};
use sp_runtime::{
	traits::{
		AccountIdConversion, BlakeTwo256, Convert, Hash, One, SaturatedConversion, Saturating,
		Verify, Zero,
	},
	ArithmeticError,
};

/// How many blocks past its due block a deadline may move when blocks are full.
pub(crate) const MAX_DEADLINE_SHIFT: u32 = 16;

impl<T: Config> Pallet<T> {
	/// The commitment of a proposal: what [`Pallet::commit`] takes.
	pub fn commitment_of(
		project: ProjectId,
		parent: NodeId,
		code: &ArtifactOf<T>,
		claimed_score: Score,
		salt: &H256,
		proposer: &T::AccountId,
	) -> H256 {
		BlakeTwo256::hash_of(&(project, parent, code, claimed_score, salt, proposer))
	}

	/// The commitment of a verdict: what [`Pallet::commit_verdict`] takes.
	pub fn verdict_commitment(
		proposal: ProposalId,
		verdict: &VerdictOf<T>,
		salt: &H256,
		verifier: &T::AccountId,
	) -> H256 {
		BlakeTwo256::hash_of(&(proposal, verdict, salt, verifier))
	}

	/// What a runner signs for a verdict: `(genesis hash, proposal, BlakeTwo256(verdict))`,
	/// SCALE-encoded.
	pub fn runner_payload(proposal: ProposalId, verdict: &VerdictOf<T>) -> alloc::vec::Vec<u8> {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		(genesis, proposal, BlakeTwo256::hash_of(verdict)).encode()
	}

	/// The proposals of `project`, oldest first (for the runtime API).
	pub fn proposals_of(project: ProjectId) -> alloc::vec::Vec<(ProposalId, ProposalOf<T>)> {
		let mut ids: alloc::vec::Vec<ProposalId> =
			ProjectProposals::<T>::iter_key_prefix(project).collect();
		ids.sort_unstable();
		ids.into_iter().filter_map(|id| Proposals::<T>::get(id).map(|p| (id, p))).collect()
	}

	/// The running rounds `who` is assigned to, oldest first (for the runtime API).
	pub fn jobs_of(who: &T::AccountId) -> alloc::vec::Vec<JobOf<T>> {
		let mut ids: alloc::vec::Vec<ProposalId> = Assignments::<T>::iter_key_prefix(who).collect();
		ids.sort_unstable();
		ids.into_iter()
			.filter_map(|id| {
				let round = Rounds::<T>::get(id)?;
				let p = Proposals::<T>::get(id)?;
				let mine = round.assignments.iter().find(|a| a.verifier == *who)?;
				Some(Job {
					proposal: id,
					project: p.project,
					kind: round.kind,
					code: p.code,
					parent: p.parent,
					claimed_score: p.claimed_score,
					seed: round.seed,
					phase: round.phase,
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

	/// Puts `item` in the first block from `at` on with room, and returns that block.
	pub(crate) fn schedule(
		at: BlockNumberFor<T>,
		item: Deadline,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let mut block = at;
		for _ in 0..MAX_DEADLINE_SHIFT {
			if Deadlines::<T>::try_mutate(block, |items| items.try_push(item)).is_ok() {
				return Ok(block);
			}
			block = block.checked_add(&One::one()).ok_or(ArithmeticError::Overflow)?;
		}
		Err(Error::<T>::TooManyDeadlines.into())
	}

	/// `now + delay + 1`: the block whose hook ends a period of `delay` blocks from now.
	pub(crate) fn after(delay: BlockNumberFor<T>) -> Result<BlockNumberFor<T>, DispatchError> {
		frame_system::Pallet::<T>::block_number()
			.checked_add(&delay)
			.and_then(|b| b.checked_add(&One::one()))
			.ok_or_else(|| ArithmeticError::Overflow.into())
	}

	/// A seed for `subject`, from the chain's randomness.
	fn seed(subject: &[u8], id: ProposalId) -> H256 {
		let (random, _) = T::Randomness::random(&(subject, id).encode());
		BlakeTwo256::hash_of(&random)
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
		code: ArtifactOf<T>,
		claimed_score: Score,
		salt: H256,
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
		if Self::commitment_of(project, parent, &code, claimed_score, &salt, &who) != commitment {
			return Self::forfeit(commitment, record, ForfeitReason::RevealMismatch);
		}
		ensure!(T::Projects::is_active(project), Error::<T>::ProjectNotActive);
		ensure!(T::Projects::has_node(project, parent), Error::<T>::UnknownParent);
		let terms = T::Projects::round_terms(project).ok_or(Error::<T>::ProjectNotActive)?;
		ensure!(terms.quorum <= T::MaxQuorum::get(), Error::<T>::QuorumTooLarge);

		let id = NextProposalId::<T>::get();
		NextProposalId::<T>::put(id.checked_add(1).ok_or(ArithmeticError::Overflow)?);
		// The earliest commitment of a candidate holds its place; a later one (a copy) is
		// refused, or, if it revealed first and is still verifying, rejected at settlement.
		if let Some(other) = Candidates::<T>::get(project, code.digest) {
			let earlier = Proposals::<T>::get(other).is_some_and(|p| {
				p.committed_at <= record.block || p.status != ProposalStatus::Verifying
			});
			ensure!(!earlier, Error::<T>::DuplicateCandidate);
		}
		Candidates::<T>::insert(project, code.digest, id);
		Commitments::<T>::remove(commitment);

		let mut proposal = Proposal {
			proposer: who.clone(),
			project,
			parent,
			code,
			claimed_score,
			stake: record.stake,
			committed_at: record.block,
			revealed_at: now,
			verified_score: None,
			status: ProposalStatus::Verifying,
		};
		ProjectProposals::<T>::insert(project, id, ());
		Self::deposit_event(Event::Revealed {
			proposal: id,
			proposer: who.clone(),
			project,
			parent,
			claimed_score,
		});
		let seed = Self::seed(b"poi/reveal", id);
		match T::Verifiers::select(seed.as_fixed_bytes(), terms.quorum, core::slice::from_ref(&who))
		{
			Ok(verifiers) => {
				Proposals::<T>::insert(id, proposal);
				Self::start_round(id, RoundKind::Initial, None, seed, verifiers)
			},
			Err(_) => {
				proposal.status = ProposalStatus::Released(ReleaseReason::NoQuorum);
				Candidates::<T>::remove(project, proposal.code.digest);
				Self::return_stake(id, &proposal)?;
				Self::deposit_event(Event::Settled {
					proposal: id,
					status: proposal.status.clone(),
					verified_score: None,
				});
				Proposals::<T>::insert(id, proposal);
				Ok(())
			},
		}
	}

	/// Stores a new round of `verifiers` for `proposal` and schedules its commit deadline.
	pub(crate) fn start_round(
		proposal: ProposalId,
		kind: RoundKind,
		challenger: Option<(T::AccountId, BalanceOf<T>)>,
		seed: H256,
		verifiers: alloc::vec::Vec<T::AccountId>,
	) -> DispatchResult {
		let verifiers: BoundedVec<T::AccountId, T::MaxQuorum> =
			verifiers.try_into().map_err(|_| Error::<T>::QuorumTooLarge)?;
		let due = Self::schedule(
			Self::after(T::VerdictCommitPeriod::get())?,
			Deadline::VerdictCommit(proposal),
		)?;
		// `due` is after now, so at least 1 (qed).
		let commit_until = due.saturating_sub(One::one());
		let reveal_until = commit_until.saturating_add(T::VerdictRevealPeriod::get());
		let mut assignments = BoundedVec::new();
		for verifier in &verifiers {
			T::Verifiers::note_assigned(verifier);
			Assignments::<T>::insert(verifier, proposal, ());
			// As long as `verifiers` (qed).
			let _ = assignments.try_push(Assignment {
				verifier: verifier.clone(),
				commitment: None,
				verdict: None,
			});
		}
		Rounds::<T>::insert(
			proposal,
			Round {
				kind,
				challenger,
				seed,
				phase: Phase::Commit,
				commit_until,
				reveal_until,
				assignments,
			},
		);
		Self::deposit_event(Event::RoundStarted { proposal, kind, seed, verifiers, commit_until });
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
		let wrong_phase = match phase {
			Phase::Commit => Error::<T>::NotCommitPhase,
			Phase::Reveal => Error::<T>::NotRevealPhase,
		};
		ensure!(round.phase == phase, wrong_phase);
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
			Self::start_reveal_phase(proposal, &mut round)?;
		}
		Rounds::<T>::insert(proposal, round);
		Ok(())
	}

	/// Moves `round` to its reveal phase and schedules its end.
	pub(crate) fn start_reveal_phase(
		proposal: ProposalId,
		round: &mut RoundOf<T>,
	) -> DispatchResult {
		let due = Self::schedule(
			Self::after(T::VerdictRevealPeriod::get())?,
			Deadline::VerdictReveal(proposal),
		)?;
		round.phase = Phase::Reveal;
		// `due` is after now (qed).
		round.reveal_until = due.saturating_sub(One::one());
		Self::deposit_event(Event::RevealPhaseStarted {
			proposal,
			reveal_until: round.reveal_until,
		});
		Ok(())
	}

	/// `reveal_verdict`.
	pub(crate) fn do_reveal_verdict(
		who: T::AccountId,
		proposal: ProposalId,
		verdict: VerdictOf<T>,
		salt: H256,
		signature: sp_core::sr25519::Signature,
	) -> DispatchResult {
		let (mut round, index) = Self::assignment_in(proposal, &who, Phase::Reveal)?;
		let slot = round.assignments.get_mut(index).ok_or(Error::<T>::NotAssigned)?;
		let committed = slot.commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(slot.verdict.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(
			Self::verdict_commitment(proposal, &verdict, &salt, &who) == committed,
			Error::<T>::VerdictMismatch
		);
		let key = T::Verifiers::runner_key(&who).ok_or(Error::<T>::NoRunnerKey)?;
		ensure!(
			signature.verify(&Self::runner_payload(proposal, &verdict)[..], &key),
			Error::<T>::BadRunnerSignature
		);
		slot.verdict = Some(verdict.clone());
		Self::deposit_event(Event::VerdictRevealed { proposal, verifier: who, verdict });
		let done = round.assignments.iter().all(|a| a.commitment.is_none() || a.verdict.is_some());
		if done {
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
			reward: RewardState::Pending,
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
		let terms = T::Projects::round_terms(p.project).ok_or(Error::<T>::ProjectNotActive)?;
		let quorum = terms
			.quorum
			.saturating_mul(2)
			.saturating_add(1)
			.min(T::MaxQuorum::get())
			.max(terms.quorum);
		T::Currency::hold(&HoldReason::ChallengeBond.into(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let seed = Self::seed(b"poi/challenge", proposal);
		let verifiers =
			T::Verifiers::select(seed.as_fixed_bytes(), quorum, &[p.proposer.clone(), who.clone()])
				.map_err(|_| Error::<T>::NotEnoughVerifiers)?;
		*challenged = true;
		Proposals::<T>::insert(proposal, p);
		Self::start_round(
			proposal,
			RoundKind::Challenge,
			Some((who.clone(), bond)),
			seed,
			verifiers,
		)?;
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
	/// pot), the rest burned.
	pub(crate) fn slash_stake(
		id: ProposalId,
		p: &ProposalOf<T>,
		agreeing: &[T::AccountId],
	) -> DispatchResult {
		let (share, paid, burned) = Self::split(p.stake, agreeing.len());
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
		Self::deposit_event(Event::StakeSlashed { proposal: id, burned, to_verifiers: paid });
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
