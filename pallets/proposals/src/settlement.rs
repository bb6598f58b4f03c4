//! Settlement: the tally of a round's verdicts, the outcomes, challenges, rewards, and the
//! block hook that processes deadlines.

use super::*;
use frame_support::{
	defensive,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_bonding_curve::TokenRewards;
use pallet_projects::{BasisPoints, Lineage, MAX_BASIS_POINTS};
use pallet_verifiers::VerifierDuties;
use sp_runtime::traits::Saturating;

/// What a round's verdicts add up to, and who did what.
pub struct Tally<AccountId> {
	/// The result.
	pub result: TallyResult,
	/// Verifiers whose verdicts agree with a decisive result (`Invalid` or `Scored`).
	pub agreeing: alloc::vec::Vec<AccountId>,
	/// Verifiers whose verdicts disagree with a decisive result.
	pub deviant: alloc::vec::Vec<AccountId>,
	/// Verifiers that revealed in a round without a decisive result.
	pub done: alloc::vec::Vec<AccountId>,
	/// Verifiers that did not reveal.
	pub silent: alloc::vec::Vec<AccountId>,
}

/// `|value| * bps / 10 000`, rounded down, without overflow.
pub fn share_of(value: Score, bps: BasisPoints) -> Score {
	let magnitude = value.unsigned_abs();
	let scale = u128::from(MAX_BASIS_POINTS);
	let bps = u128::from(bps.min(MAX_BASIS_POINTS));
	// Both parts are at most `magnitude`, which is at most 2^127 (qed: no overflow).
	let part = (magnitude / scale).saturating_mul(bps) + (magnitude % scale) * bps / scale;
	Score::try_from(part).unwrap_or(Score::MAX)
}

/// Whether `score` is within `bps` of `reference` (either side).
pub fn within(score: Score, reference: Score, bps: BasisPoints) -> bool {
	score
		.checked_sub(reference)
		.is_some_and(|d| d.unsigned_abs() <= share_of(reference, bps).unsigned_abs())
}

/// Whether `score` falls short of `claim` by more than `bps` of the claim.
pub fn below_claim(score: Score, claim: Score, bps: BasisPoints) -> bool {
	match claim.checked_sub(score) {
		Some(shortfall) => shortfall > share_of(claim, bps),
		// `claim - score` overflows only when `score` is far below `claim`.
		None => score < claim,
	}
}

/// Whether `score` beats `best` by at least `bps` of it (and by at least 1).
pub fn beats(score: Score, best: Score, bps: BasisPoints) -> bool {
	match score.checked_sub(best) {
		Some(gain) => gain > 0 && gain >= share_of(best, bps),
		None => score > best,
	}
}

/// Adds up a round's verdicts (see the module docs of the crate for the rules).
pub fn tally<AccountId: Clone + PartialEq + Eq + core::fmt::Debug, MaxCidLen: Get<u32>>(
	assignments: &[Assignment<AccountId, MaxCidLen>],
	tolerance_bps: BasisPoints,
) -> Tally<AccountId> {
	let quorum = assignments.len();
	let majority = quorum / 2 + 1;
	let revealed: alloc::vec::Vec<_> =
		assignments.iter().filter_map(|a| a.verdict.as_ref().map(|v| (&a.verifier, v))).collect();
	let silent =
		assignments.iter().filter(|a| a.verdict.is_none()).map(|a| a.verifier.clone()).collect();
	let invalid = revealed.iter().filter(|(_, v)| matches!(v, Verdict::Invalid { .. })).count();
	let harness =
		revealed.iter().filter(|(_, v)| matches!(v, Verdict::HarnessError { .. })).count();
	let mut scores: alloc::vec::Vec<Score> = revealed
		.iter()
		.filter_map(|(_, v)| if let Verdict::Score { score, .. } = v { Some(*score) } else { None })
		.collect();
	scores.sort_unstable();
	let everyone = || revealed.iter().map(|(who, _)| (*who).clone()).collect();
	let undecided = |result, done| Tally {
		result,
		agreeing: alloc::vec::Vec::new(),
		deviant: alloc::vec::Vec::new(),
		done,
		silent: alloc::vec::Vec::new(),
	};
	// A decisive result: the revealed verdicts that `agrees` accepts agree, the others deviate.
	let decided = |result, agrees: &dyn Fn(&Verdict<MaxCidLen>) -> bool| {
		let (agreeing, deviant): (alloc::vec::Vec<_>, alloc::vec::Vec<_>) =
			revealed.iter().partition(|(_, v)| agrees(v));
		Tally {
			result,
			agreeing: agreeing.into_iter().map(|(w, _)| (*w).clone()).collect(),
			deviant: deviant.into_iter().map(|(w, _)| (*w).clone()).collect(),
			done: alloc::vec::Vec::new(),
			silent: alloc::vec::Vec::new(),
		}
	};
	let mut tally = if revealed.is_empty() {
		undecided(TallyResult::Silent, alloc::vec::Vec::new())
	} else if revealed.len() < majority {
		undecided(TallyResult::TooFew, everyone())
	} else if invalid * 2 > revealed.len() {
		decided(TallyResult::Invalid, &|v| matches!(v, Verdict::Invalid { .. }))
	} else if harness * 2 > revealed.len() {
		undecided(TallyResult::HarnessErrors, everyone())
	} else if scores.len() < majority {
		undecided(TallyResult::NoAgreement, everyone())
	} else {
		// The lower middle score (`scores` is not empty: it has at least `majority` >= 1).
		let median = scores.get((scores.len() - 1) / 2).copied().unwrap_or_default();
		decided(
			TallyResult::Scored(median),
			&|v| matches!(v, Verdict::Score { score, .. } if within(*score, median, tolerance_bps)),
		)
	};
	tally.silent = silent;
	tally
}

impl<T: Config> Pallet<T> {
	/// Processes the deadlines due in block `n`; returns the weight used.
	pub(crate) fn process_deadlines(n: BlockNumberFor<T>) -> Weight {
		let items = Deadlines::<T>::take(n);
		let mut weight = T::WeightInfo::on_initialize_base();
		for item in items.iter() {
			weight.saturating_accrue(T::WeightInfo::on_initialize_item(T::MaxQuorum::get()));
			let result = frame_support::storage::with_storage_layer(|| Self::process(n, *item));
			if let Err(e) = result {
				defensive!("a deadline failed: {:?}", e);
			}
		}
		weight
	}

	/// One deadline.
	fn process(n: BlockNumberFor<T>, item: Deadline) -> DispatchResult {
		match item {
			Deadline::Reveal(commitment) => {
				let Some(record) = Commitments::<T>::get(commitment) else { return Ok(()) };
				if T::Projects::is_active(record.project) {
					Self::forfeit(commitment, record, ForfeitReason::NotRevealed)
				} else {
					Commitments::<T>::remove(commitment);
					if !Self::give_back(record.project, &record.who, record.stake) {
						T::Tokens::burn(record.project, &Self::account_id(), record.stake)?;
					}
					Self::deposit_event(Event::CommitmentReturned { who: record.who, commitment });
					Ok(())
				}
			},
			Deadline::VerdictCommit(id) => {
				let Some(mut round) = Rounds::<T>::get(id) else { return Ok(()) };
				if round.phase != Phase::Commit
					|| round.commit_until.saturating_add(1u32.into()) != n
				{
					return Ok(());
				}
				if round.assignments.iter().any(|a| a.commitment.is_some()) {
					Self::start_reveal_phase(id, &mut round)?;
					Rounds::<T>::insert(id, round);
					Ok(())
				} else {
					Self::settle(id, round)
				}
			},
			Deadline::VerdictReveal(id) => {
				let Some(round) = Rounds::<T>::get(id) else { return Ok(()) };
				if round.phase != Phase::Reveal
					|| round.reveal_until.saturating_add(1u32.into()) != n
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
						reward: RewardState::Pending,
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

	/// Settles a round: it is over (removed from storage), its verifiers' duties noted.
	pub(crate) fn settle(id: ProposalId, round: RoundOf<T>) -> DispatchResult {
		Rounds::<T>::remove(id);
		for a in round.assignments.iter() {
			Assignments::<T>::remove(&a.verifier, id);
		}
		let mut p = Proposals::<T>::get(id).ok_or(Error::<T>::UnknownProposal)?;
		let terms = T::Projects::round_terms(p.project).ok_or(Error::<T>::ProjectNotActive)?;
		let tally = tally(&round.assignments, terms.tolerance_bps);
		for v in tally.agreeing.iter().chain(tally.done.iter()) {
			T::Verifiers::note_agreed(v);
		}
		for v in tally.deviant.iter() {
			T::Verifiers::note_deviant(v);
		}
		for v in tally.silent.iter() {
			T::Verifiers::note_missed(v);
		}
		match round.kind {
			RoundKind::Initial => Self::settle_initial(id, &mut p, &tally, terms)?,
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
		terms: pallet_projects::RoundTerms,
	) -> DispatchResult {
		let copied = Candidates::<T>::get(p.project, p.code.digest) != Some(id);
		let mut verified = None;
		let status = match tally.result {
			_ if copied && tally.result != TallyResult::Silent => {
				ProposalStatus::Rejected(RejectReason::Copied)
			},
			TallyResult::Silent => ProposalStatus::Expired,
			TallyResult::TooFew => ProposalStatus::Released(ReleaseReason::TooFewVerdicts),
			TallyResult::HarnessErrors => ProposalStatus::Released(ReleaseReason::HarnessErrors),
			TallyResult::NoAgreement => ProposalStatus::Released(ReleaseReason::NoAgreement),
			TallyResult::Invalid => ProposalStatus::Rejected(RejectReason::Invalid),
			TallyResult::Scored(score) => {
				verified = Some(score);
				Self::judge(id, p, score, &tally.agreeing, terms)?
			},
		};
		p.verified_score = verified;
		match status {
			ProposalStatus::Rejected(_) => Self::slash_stake(id, p, &tally.agreeing)?,
			ProposalStatus::Approved { .. } => {},
			_ => Self::return_stake(id, p)?,
		}
		if !matches!(status, ProposalStatus::Approved { .. }) && !copied {
			Candidates::<T>::remove(p.project, p.code.digest);
		}
		p.status = status;
		Self::deposit_event(Event::Settled {
			proposal: id,
			status: p.status.clone(),
			verified_score: verified,
		});
		Ok(())
	}

	/// The outcome of a round that settled on `score`.
	fn judge(
		id: ProposalId,
		p: &ProposalOf<T>,
		score: Score,
		agreeing: &[T::AccountId],
		terms: pallet_projects::RoundTerms,
	) -> Result<StatusOf<T>, DispatchError> {
		if !T::Projects::is_active(p.project) {
			return Ok(ProposalStatus::Released(ReleaseReason::ProjectFrozen));
		}
		if below_claim(score, p.claimed_score, terms.tolerance_bps) {
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
		let approvers = BoundedVec::truncate_from(agreeing.to_vec());
		let due = Self::after(T::ChallengeWindow::get())?;
		// When every block the window's end could move to is full, the window ends now and
		// the reward is paid at once (a defensive path: it needs 16 full blocks).
		let (challenge_until, pay_now) = match Self::schedule(due, Deadline::ChallengeWindow(id)) {
			Ok(block) => (block.saturating_sub(1u32.into()), false),
			Err(_) => (frame_system::Pallet::<T>::block_number(), true),
		};
		let mut status = ProposalStatus::Approved {
			node,
			previous_best: best,
			previous_score: best_score,
			challenge_until,
			challenged: false,
			approvers,
			reward: RewardState::Pending,
		};
		if pay_now {
			let mut paid = p.clone();
			paid.status = status;
			Self::pay_reward(id, &mut paid)?;
			status = paid.status;
		}
		Ok(status)
	}

	/// Returns an approval's stake and mints its reward.
	pub(crate) fn pay_reward(id: ProposalId, p: &mut ProposalOf<T>) -> DispatchResult {
		Self::return_stake(id, p)?;
		let minted = T::Tokens::mint_reward(p.project, &p.proposer).unwrap_or_default();
		if let ProposalStatus::Approved { ref mut reward, .. } = p.status {
			*reward = RewardState::Paid(minted);
		}
		Self::deposit_event(Event::RewardPaid { proposal: id, miner: p.proposer.clone(), minted });
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
			..
		} = p.status
		else {
			defensive!("a challenge round of a proposal that is not approved");
			return Ok(());
		};
		let (challenger, bond) = challenger.ok_or(Error::<T>::NoRound)?;
		let reason: T::RuntimeHoldReason = HoldReason::ChallengeBond.into();
		let overturn = match tally.result {
			TallyResult::Invalid => Some(None),
			TallyResult::Scored(score) => {
				if below_claim(score, p.claimed_score, terms.tolerance_bps)
					|| !beats(score, previous_score, terms.min_improvement_bps)
				{
					Some(Some(score))
				} else {
					None
				}
			},
			_ => {
				T::Currency::release(&reason, &challenger, bond, Precision::Exact)?;
				Self::deposit_event(Event::ChallengeReleased { proposal: id });
				return Self::after_challenge(id, p, challenge_until);
			},
		};
		let Some(score) = overturn else {
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
		Self::slash_stake(id, p, &tally.agreeing)?;
		for v in approvers.iter() {
			T::Verifiers::note_deviant(v);
		}
		T::Currency::release(&reason, &challenger, bond, Precision::Exact)?;
		if Candidates::<T>::get(p.project, p.code.digest) == Some(id) {
			Candidates::<T>::remove(p.project, p.code.digest);
		}
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

/// The most overturned approvals a revert walks past.
pub(crate) const MAX_REVERT_WALK: u32 = 64;

#[cfg(any(feature = "try-runtime", feature = "std"))]
impl<T: Config> Pallet<T> {
	/// Checks the invariants: the stake account holds every stake it owes, each project's
	/// token separately; challengers' holds equal their running bonds; rounds, assignments and
	/// candidates point at each other and at proposals in the right state; each project's
	/// best node is its last approval that was not overturned (the baseline if none stands).
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::traits::{fungible::InspectHold, fungibles::Inspect};
		use sp_runtime::traits::{CheckedAdd, Convert};
		let mut owed = alloc::vec::Vec::<(ProjectId, BalanceOf<T>)>::new();
		let mut owe = |project: ProjectId, amount: BalanceOf<T>| -> Result<(), &'static str> {
			match owed.iter_mut().find(|(p, _)| *p == project) {
				Some((_, sum)) => *sum = sum.checked_add(&amount).ok_or("stakes overflow")?,
				None => owed.push((project, amount)),
			}
			Ok(())
		};
		for (_, record) in Commitments::<T>::iter() {
			owe(record.project, record.stake)?;
		}
		let mut approvals = alloc::vec::Vec::<(ProjectId, NodeId)>::new();
		for (id, p) in Proposals::<T>::iter() {
			ensure!(ProjectProposals::<T>::contains_key(p.project, id), "proposal not listed");
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
					match approvals.iter_mut().find(|(project, _)| *project == p.project) {
						Some((_, last)) => *last = (*last).max(*node),
						None => approvals.push((p.project, *node)),
					}
					*reward == RewardState::Pending
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
		let account = Self::account_id();
		for (project, sum) in owed {
			let has = T::Assets::balance(T::ProjectAssetId::convert(project), &account);
			ensure!(has >= sum, "the stake account holds less than the stakes");
		}

		let mut assigned = 0usize;
		let mut bonds = alloc::vec::Vec::<(T::AccountId, BalanceOf<T>)>::new();
		for (id, round) in Rounds::<T>::iter() {
			ensure!(Proposals::<T>::contains_key(id), "a round of no proposal");
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
				match bonds.iter_mut().find(|(w, _)| *w == who) {
					Some((_, sum)) => *sum = sum.checked_add(&bond).ok_or("bonds overflow")?,
					None => bonds.push((who, bond)),
				}
			}
		}
		ensure!(Assignments::<T>::iter().count() == assigned, "stale assignments");
		for (who, sum) in bonds {
			let held = T::Currency::balance_on_hold(&HoldReason::ChallengeBond.into(), &who);
			ensure!(held == sum, "a challenger's hold differs from its bonds");
		}

		for (project, digest, id) in Candidates::<T>::iter() {
			let p = Proposals::<T>::get(id).ok_or("a candidate of no proposal")?;
			ensure!(p.project == project && p.code.digest == digest, "candidate mismatch");
			ensure!(
				matches!(p.status, ProposalStatus::Verifying | ProposalStatus::Approved { .. }),
				"a candidate held by a settled proposal that was not approved"
			);
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
}
