//! # pallet-proposals
//!
//! Proposals, their verification rounds, settlement and challenges: the settlement core of
//! poi. The rules as built, with the reasons and a worked example, are in the repository's
//! `docs/protocol.md`.
//!
//! ## Terms
//! - A **proposal** claims that a candidate (an artifact: code, a recipe) scores a claimed
//!   score on a project's benchmark, improving on a `parent` node of the project's lineage.
//!   The miner stakes project tokens on it and pays its verifiers a native fee. The claimed
//!   score stays hidden ([`Claim::Hidden`]) until the verifiers have committed their verdicts.
//! - A **round** is a set of verifiers drawn for a proposal, who re-run it and return
//!   [`Verdict`]s in two steps (commit a hash, then reveal).
//! - **Settlement** turns a round's verdicts into an outcome ([`ProposalStatus`]).
//! - A **deadline** is a step the block hook takes at a given block, queued in a [`Lane`].
//!
//! ## Lifecycle
//! 1. [`Pallet::commit`] records `BlakeTwo256(project, parent, code, claim, proposer)` (see
//!    [`poi_primitives::proposal_commitment`]; `claim` is [`poi_primitives::claim_hash`] of the claimed score and a
//!    secret salt) and moves the stake (at least [`Config::MinStake`] project tokens, worth at
//!    least [`Config::MinStakeValue`] on the project's curve) into the pallet's account.
//!    Nobody can copy a proposal from the transaction pool: the pool only shows a hash.
//! 2. [`Pallet::reveal`], at least [`Config::RevealDelay`] blocks later and at most
//!    [`Config::RevealWindow`] blocks after the commit (even if the project was frozen since),
//!    shows the proposal but only the hash of its claim, and holds the verification fee
//!    ([`Config::VerifierFee`] for each verifier of the project's quorum) and the storage
//!    deposit ([`Config::ProposalDeposit`], see [`Proposal::deposit`]) from the miner's
//!    native balance. A reveal that does not match its commitment loses the stake (burned);
//!    so does a commitment not revealed in time. A reveal repeating a candidate (same code
//!    digest) that an earlier commitment already revealed is refused with
//!    `DuplicateCandidate`; if the earlier commitment reveals *after* the copy, the copy is
//!    rejected at its settlement ([`RejectReason::Copied`]). A candidate released without
//!    fault stays reserved for its miner for [`Config::ReservationPeriod`] blocks
//!    ([`Reservations`], extended while the project is frozen): anyone else who committed to
//!    it later is refused (`CandidateReserved`), and the miner's next proposal of it keeps
//!    its first commitment's priority ([`CandidateHold`]).
//! 3. The round is **drawn** in the hook of the block [`Config::DrawDelay`] blocks after the
//!    reveal, from [`Config::Randomness`] of that block mixed with the candidate's digest:
//!    randomness that did not exist when the miner revealed, so it can neither pick its
//!    committee nor its seed by timing. The project's `quorum` verifiers are drawn by bond,
//!    never the proposer, among those whose runners have the project's evaluator; too few
//!    eligible verifiers release the proposal (`NoQuorum`).
//! 4. Assigned verifiers [`Pallet::commit_verdict`] within [`Config::VerdictCommitPeriod`]
//!    blocks of the draw; the reveal phase starts when all have committed or the period ends;
//!    [`Pallet::reveal_verdict`] within [`Config::VerdictRevealPeriod`] blocks, with the
//!    runner's sr25519 signature over [`Pallet::runner_payload`] (the genesis hash, the
//!    proposal, the round's kind and seed, the verifier, and `BlakeTwo256(verdict)`), checked
//!    against the runner key the verifier registered. Phases end at fixed blocks:
//!    the calls check them, whenever the hook processes the phase's end. In the reveal phase,
//!    and not before, the miner reveals its claimed score with [`Pallet::reveal_claim`].
//! 5. Settlement, when the claim and every committed verdict are revealed or the reveal phase
//!    ends, by [`tally::tally`] (`m = quorum / 2 + 1`):
//!    - no verdict revealed: `Expired`, the stake returned;
//!    - the claim still hidden: `Rejected(ClaimWithheld)`;
//!    - fewer than `m` revealed: `Released(TooFewVerdicts)`;
//!    - `m` or more `Invalid` (a majority of the quorum): `Rejected(Invalid)`;
//!    - a majority of the revealed verdicts `HarnessError`: `Released(HarnessErrors)`;
//!    - fewer than `m` scores: `Released(NoAgreement)`;
//!    - else the verified score is the median of the scores (for an even count the lower
//!      middle one: a score some verifier reported, never favouring the miner); scores
//!      outside the project's tolerance of it, and non-score verdicts, are deviant;
//!    - verified score below the claim by more than the tolerance: `Rejected(Misclaimed)`;
//!    - beating the best at settlement by the project's threshold: `Approved`, a new lineage
//!      node and the new best; the reward is minted now, at today's price, into the pallet's
//!      account, costing at most what the least-bonded approver has at risk
//!      ([`RewardState::Escrowed`]);
//!    - otherwise `Superseded`: a lineage node that is not the best, the stake returned.
//!
//!    A rejected stake is slashed: half (rounded down, split equally, the remainder burned)
//!    to the verifiers whose verdicts agreed, credited in pallet-verifiers' pot, the rest
//!    burned. The fee pays `fee / quorum` to each verifier whose verdict counted (agreeing
//!    with a decisive result, or any revealed verdict when there was none); the rest goes
//!    back to the miner. Verifiers that did not reveal are penalised as missed, deviant ones as deviant
//!    (pallet-verifiers burns a share of their bond). A project frozen during the round
//!    changes nothing: the round is decided on its merit. The deposit is returned when the
//!    proposal is released or expires, kept with its lineage node, burned on a rejection.
//! 6. An approval's stake stays held during [`Config::ChallengeWindow`] blocks; anyone may
//!    [`Pallet::challenge`] it with a native bond of at least [`Config::MinChallengeBond`].
//!    A challenge round is drawn like an initial one, of `min(2 * quorum + 1, MaxQuorum)`
//!    verifiers that are not the proposer, the challenger or the approvers (as many as are
//!    eligible when fewer are, but never fewer than the project's quorum: then the challenge
//!    is released, its bond returned). The approval carries the burden
//!    of proof: it **stands** only when the round settles on a score that matches the claim
//!    and beats the best it replaced (the challenger's bond is slashed: half to the agreeing
//!    verifiers, in the native currency). Anything else **overturns** it: the best reverts to
//!    the last approval that still stands, the miner's stake is slashed (half to the
//!    challenge round's agreeing verifiers, half of the rest to the challenger), the
//!    challenger gets its bond back, the escrowed reward and the deposit are burned, and the
//!    original approvers lose at least the reward's value from their bonds when the round
//!    contradicted them (an invalid verdict or a non-confirming score).
//! 7. When the window has closed and no challenge runs, the stake is returned and the miner
//!    is paid the reward minted at the approval.
//!
//! Every proposal stays in [`Proposals`] with its outcome and verified score, and once
//! settled, its initial round's block and verdicts (without their logs) in [`Settlements`].
//!
//! ## Deadlines
//! Deadlines wait in two queues ([`Lane`]): the ends of commitments' reveal windows, and
//! everything rounds need. Each block's hook processes at most
//! [`Config::MaxDeadlinesPerBlock`] deadlines of each lane, oldest first, and carries the rest
//! over; scheduling never refuses, a failed deadline is retried in the next block, and a
//! flood of commitments cannot delay a round (see the `hooks` module).
//!
//! The runtime API [`runtime_api::ProposalsApi`] lists a project's proposals a page at a time
//! and a verifier's running assignments ([`AssignedRound`]s).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod hooks;
mod impls;
pub mod offchain;
pub mod runtime_api;
mod settlement;
pub mod tally;
#[cfg(any(feature = "try-runtime", feature = "std"))]
mod try_state;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::traits::{fungible, fungibles};
use poi_primitives::{
	ArtifactRef, NodeId, Phase, ProjectId, ProposalId, RoundKind, Score, Verdict, VerdictSummary,
};

/// The balance type of stakes, bonds and rewards.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The asset ids of project tokens.
pub type AssetIdOf<T> =
	<<T as Config>::Assets as fungibles::Inspect<<T as frame_system::Config>::AccountId>>::AssetId;

/// A stored proposal with this runtime's types.
pub type ProposalOf<T> = Proposal<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as Config>::MaxQuorum,
>;

/// A proposal's status with this runtime's types.
pub type StatusOf<T> = ProposalStatus<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as Config>::MaxQuorum,
>;

/// A running round with this runtime's types.
pub type RoundOf<T> = Round<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as Config>::MaxQuorum,
>;

/// A settled initial round with this runtime's types.
pub type SettlementOf<T> = Settlement<
	<T as frame_system::Config>::AccountId,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as Config>::MaxQuorum,
>;

/// A verifier's assigned round with this runtime's types.
pub type AssignedRoundOf<T> = AssignedRound<frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A commitment with this runtime's types.
pub type CommitRecordOf<T> = CommitRecord<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible::MutateHold, Randomness},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use pallet_verifiers::{VerifierDuties, VerifierRegistry, VerifierRewards};
	use sp_runtime::traits::Convert;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Why this pallet holds native funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A challenger's bond.
		#[codec(index = 0)]
		ChallengeBond,
		/// A proposal's verification fee, until its initial round settles.
		#[codec(index = 1)]
		VerificationFee,
		/// A proposal's storage deposit (see [`Proposal::deposit`]).
		#[codec(index = 2)]
		ProposalDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The native currency (challenge bonds, verification fees).
		type Currency: fungible::Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Project tokens (stakes).
		type Assets: fungibles::Mutate<Self::AccountId, Balance = BalanceOf<Self>>;

		/// The asset id of a project's token.
		type ProjectAssetId: Convert<ProjectId, AssetIdOf<Self>>;

		/// The project registry and its lineage (pallet-projects).
		type Projects: pallet_projects::Lineage<Self::AccountId>;

		/// Minting rewards and burning slashed stakes (pallet-bonding-curve).
		type Tokens: pallet_bonding_curve::TokenRewards<Self::AccountId, BalanceOf<Self>>;

		/// The verifier registry (pallet-verifiers).
		type Verifiers: VerifierRegistry<Self::AccountId>
			+ VerifierDuties<Self::AccountId, BalanceOf<Self>>
			+ VerifierRewards<Self::AccountId, AssetIdOf<Self>, BalanceOf<Self>>;

		/// The source of round seeds.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// The pallet's account (it keeps the stakes) is derived from this.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The smallest stake, in project tokens.
		#[pallet::constant]
		type MinStake: Get<BalanceOf<Self>>;

		/// The smallest stake's worth in the native currency: what selling it back to its
		/// project's bonding curve would pay at the commit. A token its creator priced at
		/// almost nothing needs that many more tokens.
		#[pallet::constant]
		type MinStakeValue: Get<BalanceOf<Self>>;

		/// What a proposal pays each verifier of its project's quorum, in the native currency:
		/// `VerifierFee * quorum` is held at the reveal; each verifier whose verdict counted
		/// gets its share when the round settles, the rest goes back to the miner.
		#[pallet::constant]
		type VerifierFee: Get<BalanceOf<Self>>;

		/// The storage deposit a revealed proposal holds from its miner, in the native
		/// currency: it pays for the proposal's record and, if it becomes one, its lineage
		/// node (see [`Proposal::deposit`]).
		#[pallet::constant]
		type ProposalDeposit: Get<BalanceOf<Self>>;

		/// Blocks a released candidate stays reserved for its miner: nobody else may reveal
		/// it, unless they committed to it before the miner did.
		#[pallet::constant]
		type ReservationPeriod: Get<BlockNumberFor<Self>>;

		/// The fewest blocks between a commit and its reveal (at least 1).
		#[pallet::constant]
		type RevealDelay: Get<BlockNumberFor<Self>>;

		/// Blocks between a reveal (or a challenge) and its round's draw (at least 2: the draw
		/// in block `b` reads the randomness of block `b - 1`, which must come after the block
		/// that held the reveal).
		#[pallet::constant]
		type DrawDelay: Get<BlockNumberFor<Self>>;

		/// The most blocks between a commit and its reveal.
		#[pallet::constant]
		type RevealWindow: Get<BlockNumberFor<Self>>;

		/// Blocks after a round starts in which its verifiers commit verdicts.
		#[pallet::constant]
		type VerdictCommitPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks after the reveal phase starts in which verdicts are revealed.
		#[pallet::constant]
		type VerdictRevealPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks after an approval in which it may be challenged.
		#[pallet::constant]
		type ChallengeWindow: Get<BlockNumberFor<Self>>;

		/// The smallest challenge bond, in the native currency.
		#[pallet::constant]
		type MinChallengeBond: Get<BalanceOf<Self>>;

		/// The most verifiers in a round (a challenge round's quorum is capped by it).
		#[pallet::constant]
		type MaxQuorum: Get<u32>;

		/// The most deadlines one block's hook processes in each lane; the rest wait for the
		/// next block.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates projects for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: pallet_projects::BenchmarkProjects<Self::AccountId, BalanceOf<Self>>;
	}

	/// The id the next revealed proposal gets.
	#[pallet::storage]
	pub type NextProposalId<T> = StorageValue<_, ProposalId, ValueQuery>;

	/// Commitments waiting for their reveal.
	#[pallet::storage]
	pub type Commitments<T: Config> = StorageMap<_, Identity, H256, CommitRecordOf<T>>;

	/// Every revealed proposal, settled or not.
	#[pallet::storage]
	pub type Proposals<T: Config> = StorageMap<_, Twox64Concat, ProposalId, ProposalOf<T>>;

	/// The proposals of each project, by their index in it (0 for its first, in reveal
	/// order), so that they can be read a page at a time.
	#[pallet::storage]
	pub type ProjectProposals<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ProjectId, Twox64Concat, u32, ProposalId>;

	/// How many proposals each project has (the index its next one gets).
	#[pallet::storage]
	pub type ProjectProposalCount<T: Config> =
		StorageMap<_, Twox64Concat, ProjectId, u32, ValueQuery>;

	/// Running rounds.
	#[pallet::storage]
	pub type Rounds<T: Config> = StorageMap<_, Twox64Concat, ProposalId, RoundOf<T>>;

	/// How each settled proposal's initial round ended: its block and its verdicts, kept for
	/// as long as the proposal (the round itself is removed when it settles). Written with
	/// the `Settled` event; proposals settled before this storage existed have none.
	#[pallet::storage]
	pub type Settlements<T: Config> = StorageMap<_, Twox64Concat, ProposalId, SettlementOf<T>>;

	/// The rounds each verifier is assigned to and has not finished.
	#[pallet::storage]
	pub type Assignments<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, ProposalId, ()>;

	/// Which proposal holds a candidate (by code digest) in a project: the earliest commitment
	/// among those verifying or approved.
	#[pallet::storage]
	pub type Candidates<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ProjectId,
		Identity,
		H256,
		CandidateHold<BlockNumberFor<T>>,
	>;

	/// Released candidates reserved for their miners.
	#[pallet::storage]
	pub type Reservations<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ProjectId,
		Identity,
		H256,
		Reservation<BlockNumberFor<T>>,
	>;

	/// The approving proposal of each approved node, to walk back on an overturn.
	#[pallet::storage]
	pub type ApprovedNodes<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ProjectId, Twox64Concat, NodeId, ProposalId>;

	/// The deadline queues: in each lane, the deadlines due in a block, by their index in it.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, Lane>,
			NMapKey<Twox64Concat, BlockNumberFor<T>>,
			NMapKey<Twox64Concat, u32>,
		),
		Scheduled<BlockNumberFor<T>>,
	>;

	/// How many deadlines were queued for a block in a lane (the next free index).
	#[pallet::storage]
	pub type DeadlineCount<T: Config> =
		StorageDoubleMap<_, Twox64Concat, Lane, Twox64Concat, BlockNumberFor<T>, u32, ValueQuery>;

	/// Where each lane's hook goes on: the block and the index of the next deadline it
	/// processes. Everything before it was processed. Missing before the first hook.
	#[pallet::storage]
	pub type DeadlineCursor<T: Config> =
		StorageMap<_, Twox64Concat, Lane, (BlockNumberFor<T>, u32)>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A proposal was committed and its stake moved to the pallet.
		Committed {
			/// The miner.
			who: T::AccountId,
			/// The project.
			project: ProjectId,
			/// The commitment.
			commitment: H256,
			/// The stake, in project tokens.
			stake: BalanceOf<T>,
		},
		/// A commitment's stake was burned: a mismatched or a missing reveal.
		StakeForfeited {
			/// The miner.
			who: T::AccountId,
			/// The commitment.
			commitment: H256,
			/// How much was burned.
			amount: BalanceOf<T>,
			/// Why.
			reason: ForfeitReason,
		},
		/// A proposal was revealed (its claimed score still hidden) and its fee held.
		Revealed {
			/// Its id.
			proposal: ProposalId,
			/// The miner.
			proposer: T::AccountId,
			/// The project.
			project: ProjectId,
			/// The node it improves on.
			parent: NodeId,
			/// The hash of the claimed score.
			claim: H256,
			/// The verification fee held, in the native currency.
			fee: BalanceOf<T>,
		},
		/// A miner revealed its proposal's claimed score (after the verdict commit phase).
		ClaimRevealed {
			/// The proposal.
			proposal: ProposalId,
			/// The claimed score.
			claimed_score: Score,
		},
		/// A settled round's verification fee was paid: `per_verifier` to each verifier whose
		/// verdict counted, `returned` to the miner.
		FeePaid {
			/// The proposal.
			proposal: ProposalId,
			/// Each paid verifier's share, credited in pallet-verifiers' pot.
			per_verifier: BalanceOf<T>,
			/// How many verifiers were paid.
			verifiers: u32,
			/// What went back to the miner.
			returned: BalanceOf<T>,
		},
		/// A round was scheduled: its seed and verifiers are drawn in the hook of `draw_at`.
		RoundScheduled {
			/// The proposal.
			proposal: ProposalId,
			/// Initial or challenge.
			kind: RoundKind,
			/// The block whose hook draws the round.
			draw_at: BlockNumberFor<T>,
		},
		/// A round started: these verifiers re-run the proposal with this seed.
		RoundStarted {
			/// The proposal.
			proposal: ProposalId,
			/// Initial or challenge.
			kind: RoundKind,
			/// The evaluation seed.
			seed: H256,
			/// The assigned verifiers.
			verifiers: BoundedVec<T::AccountId, T::MaxQuorum>,
			/// The last block of the commit phase.
			commit_until: BlockNumberFor<T>,
		},
		/// A verifier committed its verdict's hash.
		VerdictCommitted {
			/// The proposal.
			proposal: ProposalId,
			/// The verifier.
			verifier: T::AccountId,
		},
		/// A round's reveal phase started.
		RevealPhaseStarted {
			/// The proposal.
			proposal: ProposalId,
			/// The last block verdicts may be revealed in.
			reveal_until: BlockNumberFor<T>,
		},
		/// A verifier revealed its verdict.
		VerdictRevealed {
			/// The proposal.
			proposal: ProposalId,
			/// The verifier.
			verifier: T::AccountId,
			/// The verdict.
			verdict: Verdict,
		},
		/// A proposal's initial round settled.
		Settled {
			/// The proposal.
			proposal: ProposalId,
			/// Its status now.
			status: StatusOf<T>,
			/// The median of the scores, when it settled on scores.
			verified_score: Option<Score>,
		},
		/// A stake was slashed.
		StakeSlashed {
			/// The proposal.
			proposal: ProposalId,
			/// How much was burned.
			burned: BalanceOf<T>,
			/// How much was credited to verifiers.
			to_verifiers: BalanceOf<T>,
			/// How much went to the challenger whose challenge overturned the approval.
			to_challenger: BalanceOf<T>,
		},
		/// A stake went back to its miner.
		StakeReturned {
			/// The proposal.
			proposal: ProposalId,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// An approval's challenge window closed: its reward was minted.
		RewardPaid {
			/// The proposal.
			proposal: ProposalId,
			/// The miner.
			miner: T::AccountId,
			/// How many tokens it paid: those minted at the approval (possibly fewer than the
			/// reward per approval, or none, when the pool cap or the escrow ran out).
			amount: BalanceOf<T>,
		},
		/// An overturned approval's reward, minted at the approval, was burned.
		RewardBurned {
			/// The proposal.
			proposal: ProposalId,
			/// How many tokens.
			amount: BalanceOf<T>,
		},
		/// A released candidate is reserved for its miner.
		CandidateReserved {
			/// The released proposal.
			proposal: ProposalId,
			/// The last block of the reservation.
			until: BlockNumberFor<T>,
		},
		/// An approval was challenged.
		Challenged {
			/// The proposal.
			proposal: ProposalId,
			/// The challenger.
			challenger: T::AccountId,
			/// Its bond.
			bond: BalanceOf<T>,
		},
		/// A challenge round overturned an approval.
		Overturned {
			/// The proposal.
			proposal: ProposalId,
			/// The best now.
			best: NodeId,
		},
		/// A challenge round confirmed an approval: the challenger lost its bond.
		ChallengeFailed {
			/// The proposal.
			proposal: ProposalId,
			/// How much of the bond was burned.
			burned: BalanceOf<T>,
			/// How much was credited to verifiers.
			to_verifiers: BalanceOf<T>,
		},
		/// No verifier could be drawn for a challenge round (fewer eligible than the
		/// project's quorum): the bond returned, the approval stands.
		ChallengeReleased {
			/// The proposal.
			proposal: ProposalId,
		},
		/// A deadline failed; it is queued again for the next block.
		DeadlineFailed {
			/// The deadline.
			deadline: Deadline,
			/// The error.
			error: DispatchError,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The project does not exist or is frozen.
		ProjectNotActive,
		/// The stake is below `MinStake`.
		StakeTooSmall,
		/// The stake is worth less than `MinStakeValue` on its project's bonding curve.
		StakeWorthTooLittle,
		/// The account cannot pay the stake in project tokens.
		InsufficientTokens,
		/// This commitment exists already.
		CommitmentExists,
		/// No such commitment (never made, revealed, or forfeited).
		UnknownCommitment,
		/// Only the account that committed may reveal.
		NotCommitter,
		/// `RevealDelay` blocks have not passed since the commit.
		RevealTooEarly,
		/// The parent node is not in the project's lineage.
		UnknownParent,
		/// An earlier commitment revealed this candidate already.
		DuplicateCandidate,
		/// A block's deadline queue is full (`u32::MAX` entries).
		TooManyDeadlines,
		/// No such proposal.
		UnknownProposal,
		/// No round is running for the proposal.
		NoRound,
		/// The caller is not assigned to the round.
		NotAssigned,
		/// The round is not in its commit phase.
		NotCommitPhase,
		/// The round is not in its reveal phase.
		NotRevealPhase,
		/// The caller committed a verdict already.
		AlreadyCommitted,
		/// The caller did not commit a verdict.
		NotCommitted,
		/// The caller revealed its verdict already.
		AlreadyRevealed,
		/// The verdict and salt do not hash to the commitment.
		VerdictMismatch,
		/// The verifier has no runner key (it is not registered any more).
		NoRunnerKey,
		/// The runner's signature over the verdict does not verify.
		BadRunnerSignature,
		/// The proposal is not an approval whose reward is pending.
		NotChallengeable,
		/// The challenge window has closed.
		ChallengeWindowClosed,
		/// A challenge round is running already.
		AlreadyChallenged,
		/// The challenge bond is below `MinChallengeBond`.
		BondTooSmall,
		/// The account cannot hold the challenge bond.
		InsufficientBalance,
		/// The project's quorum is above `MaxQuorum`.
		QuorumTooLarge,
		/// The account cannot hold the verification fee.
		CannotPayFee,
		/// Only the proposal's miner may reveal its claim.
		NotProposer,
		/// The claim may be revealed only in the initial round's reveal phase, after the
		/// verifiers committed.
		NotClaimPhase,
		/// The claim was revealed already.
		ClaimRevealed,
		/// The score and salt do not hash to the proposal's claim.
		ClaimMismatch,
		/// The candidate was released lately and is reserved for its miner.
		CandidateReserved,
		/// The account cannot hold the proposal's storage deposit.
		CannotPayDeposit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			Self::process_deadlines(n)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			assert!(
				!T::RevealDelay::get().is_zero(),
				"RevealDelay 0 lets a reveal share its commit's block"
			);
			assert!(
				T::RevealWindow::get() >= T::RevealDelay::get(),
				"RevealWindow below RevealDelay"
			);
			assert!(
				T::DrawDelay::get() >= 2u32.into(),
				"DrawDelay below 2 lets a round's randomness come from its reveal's block"
			);
			assert!(
				sp_runtime::traits::Saturating::saturating_add(
					T::ReservationPeriod::get(),
					T::DrawDelay::get()
				)
					>= T::RevealWindow::get(),
				"ReservationPeriod ends before a copy committed at the original's reveal must reveal"
			);
			assert!(!T::VerdictCommitPeriod::get().is_zero(), "VerdictCommitPeriod 0");
			assert!(!T::VerdictRevealPeriod::get().is_zero(), "VerdictRevealPeriod 0");
			assert!(T::MaxQuorum::get() > 0, "MaxQuorum 0");
			assert!(T::MaxDeadlinesPerBlock::get() > 0, "MaxDeadlinesPerBlock 0");
			assert!(!T::MinStake::get().is_zero(), "MinStake 0");
			assert!(
				T::VerifierFee::get()
					>= <T::Currency as fungible::Inspect<T::AccountId>>::minimum_balance(),
				"VerifierFee below the existential deposit cannot always be paid into the pot"
			);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Commits to a proposal for `project` and moves `stake` of its tokens to the pallet.
		/// `commitment` is [`poi_primitives::proposal_commitment`] the proposal.
		///
		/// Origin: signed. Errors: `ProjectNotActive`, `StakeTooSmall`, `CommitmentExists`,
		/// `InsufficientTokens`, `TooManyDeadlines`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::commit())]
		pub fn commit(
			origin: OriginFor<T>,
			project: ProjectId,
			commitment: H256,
			stake: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit(who, project, commitment, stake)
		}

		/// Reveals a committed proposal but not its claimed score (`claim` is
		/// [`poi_primitives::claim_hash`] of it), holds its verification fee, and schedules its round's
		/// draw `DrawDelay` blocks later. A reveal that does not hash to `commitment` burns the
		/// stake (and succeeds, so that the burn stays).
		///
		/// Origin: signed, the committer. Errors: `UnknownCommitment`, `NotCommitter`,
		/// `RevealTooEarly`, `UnknownParent`, `ProjectNotActive` (an unknown project),
		/// `CandidateReserved`, `DuplicateCandidate`, `QuorumTooLarge`, `CannotPayFee`,
		/// `CannotPayDeposit`, `TooManyDeadlines`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::reveal(T::Verifiers::max_verifiers()))]
		pub fn reveal(
			origin: OriginFor<T>,
			commitment: H256,
			parent: NodeId,
			code: ArtifactRef,
			claim: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal(who, commitment, parent, code, claim)
		}

		/// Commits the hash of the caller's verdict on `proposal`:
		/// [`poi_primitives::verdict_commitment`] of the verdict.
		///
		/// Origin: signed, an assigned verifier. Errors: `UnknownProposal`, `NoRound`,
		/// `NotAssigned`, `NotCommitPhase`, `AlreadyCommitted`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::commit_verdict(T::MaxQuorum::get()))]
		pub fn commit_verdict(
			origin: OriginFor<T>,
			proposal: ProposalId,
			commitment: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_verdict(who, proposal, commitment)
		}

		/// Reveals the caller's verdict with the salt of its commitment and its runner's
		/// signature over [`Pallet::runner_payload`] (the genesis hash, the proposal, the round's
		/// kind and seed, the caller, and `BlakeTwo256(verdict)`). When it is the last of the
		/// claim and the committed verdicts to be revealed, the round settles.
		///
		/// Origin: signed, an assigned verifier that committed. Errors: `NoRound`,
		/// `NotAssigned`, `NotRevealPhase`, `NotCommitted`, `AlreadyRevealed`,
		/// `VerdictMismatch`, `NoRunnerKey`, `BadRunnerSignature`.
		#[pallet::call_index(3)]
		#[pallet::weight(
			T::WeightInfo::reveal_verdict(T::MaxQuorum::get())
				.max(T::WeightInfo::reveal_verdict_overturn(T::MaxQuorum::get()))
				.max(T::WeightInfo::reveal_verdict_approve(T::MaxQuorum::get()))
		)]
		pub fn reveal_verdict(
			origin: OriginFor<T>,
			proposal: ProposalId,
			verdict: Verdict,
			salt: H256,
			runner_signature: sp_core::sr25519::Signature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_verdict(who, proposal, verdict, salt, runner_signature)
		}

		/// Challenges an approval during its challenge window, holding `bond`; a larger round,
		/// drawn `DrawDelay` blocks later without the approvers, re-runs it.
		///
		/// Origin: signed. Errors: `UnknownProposal`, `NotChallengeable`,
		/// `ChallengeWindowClosed`, `AlreadyChallenged`, `BondTooSmall`,
		/// `InsufficientBalance`, `TooManyDeadlines`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::challenge(T::Verifiers::max_verifiers()))]
		pub fn challenge(
			origin: OriginFor<T>,
			proposal: ProposalId,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_challenge(who, proposal, bond)
		}

		/// Reveals the claimed score of `proposal`, in its initial round's reveal phase (once
		/// its verifiers committed their verdicts, or the commit phase ended). A claim not
		/// revealed by the end of the reveal phase rejects the proposal (`ClaimWithheld`). If
		/// every committed verdict is revealed already, the round settles.
		///
		/// Origin: signed, the miner. Errors: `UnknownProposal`, `NotProposer`, `NoRound`,
		/// `NotClaimPhase`, `ClaimRevealed`, `ClaimMismatch`.
		#[pallet::call_index(5)]
		#[pallet::weight(
			T::WeightInfo::reveal_claim(T::MaxQuorum::get())
				.max(T::WeightInfo::reveal_verdict_approve(T::MaxQuorum::get()))
		)]
		pub fn reveal_claim(
			origin: OriginFor<T>,
			proposal: ProposalId,
			claimed_score: Score,
			salt: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_claim(who, proposal, claimed_score, salt)
		}
	}
}

use sp_core::H256;

/// The most proposals one page of [`runtime_api::ProposalsApi::project_proposals`] holds.
pub const MAX_PAGE: u32 = 100;
