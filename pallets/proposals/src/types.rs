//! The stored types of proposals and their verification rounds.

// The derives of `CloneNoBound` & co. repeat the bounds on the fields.
#![allow(clippy::multiple_bound_locations)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use poi_primitives::{
	ArtifactRef, NodeId, Phase, ProjectId, ProposalId, RoundKind, Score, Verdict, VerdictSummary,
};
use scale_info::TypeInfo;
use sp_core::H256;

/// One assigned verifier's part in a round.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Assignment<AccountId: Clone + PartialEq + Eq + Debug> {
	/// The verifier.
	pub verifier: AccountId,
	/// The hash of its verdict, once committed.
	pub commitment: Option<H256>,
	/// Its verdict, once revealed.
	pub verdict: Option<Verdict>,
}

/// A running verification round.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxQuorum))]
pub struct Round<
	AccountId: Clone + PartialEq + Eq + Debug,
	Balance: Clone + PartialEq + Eq + Debug,
	BlockNumber: Clone + PartialEq + Eq + Debug,
	MaxQuorum: Get<u32>,
> {
	/// Initial or challenge.
	pub kind: RoundKind,
	/// The challenger and its bond, for a challenge round.
	pub challenger: Option<(AccountId, Balance)>,
	/// The evaluation seed the runners use (the rotating test set); zero until the draw.
	pub seed: H256,
	/// Draw, commit or reveal.
	pub phase: Phase,
	/// In the draw phase, the block whose hook draws the round; after it, the last block
	/// verdicts may be committed in.
	pub commit_until: BlockNumber,
	/// The last block verdicts may be revealed in: `VerdictRevealPeriod` blocks after the
	/// commit phase, or after the last commit when every verifier committed early.
	pub reveal_until: BlockNumber,
	/// The assigned verifiers, in the order they were drawn.
	pub assignments: BoundedVec<Assignment<AccountId>, MaxQuorum>,
}

impl<AccountId, Balance, BlockNumber, MaxQuorum> Round<AccountId, Balance, BlockNumber, MaxQuorum>
where
	AccountId: Clone + PartialEq + Eq + Debug,
	Balance: Clone + PartialEq + Eq + Debug,
	BlockNumber: Clone + PartialEq + Eq + Debug + PartialOrd,
	MaxQuorum: Get<u32>,
{
	/// The phase in block `now` by the clock: the commit phase is over after `commit_until`,
	/// whether or not the hook has processed its end yet (the stored `phase` then still says
	/// `Commit`). The calls and the off-chain worker's jobs both go by this.
	pub fn phase_at(&self, now: &BlockNumber) -> Phase {
		match self.phase {
			Phase::Commit if *now > self.commit_until => Phase::Reveal,
			phase => phase,
		}
	}
}

/// How a proposal's initial round ended, kept with the proposal so that its verdicts stay in
/// state after the round is gone (what a late reader, such as the dashboard, reads instead of
/// old blocks' events).
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxQuorum))]
pub struct Settlement<
	AccountId: Clone + PartialEq + Eq + Debug,
	BlockNumber: Clone + PartialEq + Eq + Debug,
	MaxQuorum: Get<u32>,
> {
	/// The block it settled in (or was released in, when no round could be drawn).
	pub block: BlockNumber,
	/// Each drawn verifier, in the draw's order, with what it revealed (`None`: nothing in
	/// time). Empty when no round could be drawn (`NoQuorum`).
	pub verdicts: BoundedVec<(AccountId, Option<VerdictSummary>), MaxQuorum>,
}

/// Why a proposal was rejected (its stake slashed).
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum RejectReason {
	/// A majority of the verdicts found the candidate invalid.
	Invalid,
	/// The verified score is below the claim by more than the tolerance.
	Misclaimed,
	/// It copies a candidate whose commitment came earlier (a front-runner).
	Copied,
	/// Its miner did not reveal the claimed score by the end of the round's reveal phase.
	ClaimWithheld,
}

/// Why a proposal was released (its stake returned, no verdict on its merit).
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum ReleaseReason {
	/// A majority of the verdicts were harness errors.
	HarnessErrors,
	/// Fewer verdicts than a majority of the quorum were revealed.
	TooFewVerdicts,
	/// No kind of verdict had a majority of the quorum.
	NoAgreement,
	/// Fewer verifiers were eligible than the project's quorum.
	NoQuorum,
	/// The project's lineage has no room for the node (`MaxPathLen`).
	LineageFull,
}

/// The reward of an approval.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum RewardState<Balance> {
	/// The challenge window is open (or a challenge is running): the stake is held, and the
	/// reward was minted at the approval into the pallet's account, priced then: `amount`
	/// tokens, which cost the project's escrow `value` in the native currency. It is paid
	/// when the window closes, burned if the approval is overturned.
	Escrowed {
		/// The tokens minted.
		amount: Balance,
		/// What their mint cost the escrow: each approver's bond at risk is at least this.
		value: Balance,
	},
	/// Paid: the stake returned and this many tokens moved to the miner.
	Paid(Balance),
}

impl<Balance: Copy + Default> RewardState<Balance> {
	/// The native worth of the reward as priced at the approval (zero once paid).
	pub fn value(&self) -> Balance {
		match self {
			RewardState::Escrowed { value, .. } => *value,
			RewardState::Paid(_) => Balance::default(),
		}
	}
}

/// Where a proposal is.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxQuorum))]
pub enum ProposalStatus<
	AccountId: Clone + PartialEq + Eq + Debug,
	Balance: Clone + PartialEq + Eq + Debug,
	BlockNumber: Clone + PartialEq + Eq + Debug,
	MaxQuorum: Get<u32>,
> {
	/// Its round is running.
	Verifying,
	/// Approved: a new lineage node and (at settlement) the new best.
	Approved {
		/// The node it added.
		node: NodeId,
		/// The best before it, to return to if it is overturned.
		previous_best: NodeId,
		/// That best's score: a challenge round must find the candidate still beating it.
		previous_score: Score,
		/// The last block a challenge may be opened in.
		challenge_until: BlockNumber,
		/// Whether a challenge round is running.
		challenged: bool,
		/// The verifiers whose verdicts agreed (slashed if it is overturned).
		approvers: BoundedVec<AccountId, MaxQuorum>,
		/// Stake and reward.
		reward: RewardState<Balance>,
	},
	/// Rejected, the stake slashed.
	Rejected(RejectReason),
	/// Released, the stake returned.
	Released(ReleaseReason),
	/// Matched its claim but no longer beat the best at settlement: recorded in the lineage,
	/// the stake returned.
	Superseded {
		/// The node it added (not the best).
		node: NodeId,
	},
	/// No verifier revealed a verdict in time: the stake returned, the silent verifiers
	/// penalised.
	Expired,
	/// Approved, then overturned by a challenge: the best reverted, the stake slashed.
	Overturned {
		/// The node it had added.
		node: NodeId,
		/// The best it had replaced.
		previous_best: NodeId,
	},
}

/// A revealed proposal, kept forever with its outcome.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxQuorum))]
pub struct Proposal<
	AccountId: Clone + PartialEq + Eq + Debug,
	Balance: Clone + PartialEq + Eq + Debug,
	BlockNumber: Clone + PartialEq + Eq + Debug,
	MaxQuorum: Get<u32>,
> {
	/// The miner.
	pub proposer: AccountId,
	/// The project.
	pub project: ProjectId,
	/// The lineage node it improves on.
	pub parent: NodeId,
	/// The candidate (code, recipe) the runners evaluate.
	pub code: ArtifactRef,
	/// The score the miner claims: hidden until the round's commit phase is over.
	pub claim: Claim,
	/// The stake, in project tokens.
	pub stake: Balance,
	/// The verification fee held from the miner in the native currency until the initial
	/// round settles (then paid to the verifiers that earned it, the rest returned).
	pub fee: Balance,
	/// The storage deposit still held from the miner in the native currency: held at the
	/// reveal, returned when the proposal settles without fault and without a lineage node,
	/// kept held for as long as its lineage node exists (forever), burned on a fault
	/// (rejected, overturned). Zero once returned or burned.
	pub deposit: Balance,
	/// When it was committed.
	pub committed_at: BlockNumber,
	/// When it was revealed.
	pub revealed_at: BlockNumber,
	/// The median of the revealed scores, once settled on scores.
	pub verified_score: Option<Score>,
	/// Where it is.
	pub status: ProposalStatus<AccountId, Balance, BlockNumber, MaxQuorum>,
}

/// A proposal's claimed score: a hash until its miner reveals it, which it may only do once
/// the round's verifiers have committed their verdicts, so that no verifier can echo it.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Claim {
	/// `BlakeTwo256((score, salt))` (see `poi_primitives::claim_hash`).
	Hidden(H256),
	/// The claimed score.
	Revealed(Score),
}

impl Claim {
	/// The claimed score, once revealed.
	pub fn score(&self) -> Option<Score> {
		match self {
			Claim::Revealed(score) => Some(*score),
			Claim::Hidden(_) => None,
		}
	}
}

/// A commitment waiting for its reveal.
#[derive(
	Clone, Encode, Decode, DecodeWithMemTracking, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct CommitRecord<AccountId, Balance, BlockNumber> {
	/// Who committed.
	pub who: AccountId,
	/// To which project.
	pub project: ProjectId,
	/// The stake held for it, in the project's tokens.
	pub stake: Balance,
	/// When.
	pub block: BlockNumber,
}

/// Why a committed stake was lost before any round.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum ForfeitReason {
	/// The reveal did not match the commitment.
	RevealMismatch,
	/// No reveal came within the reveal window.
	NotRevealed,
}

/// Work a block's hook does.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Deadline {
	/// The reveal window of a commitment has passed.
	Reveal(H256),
	/// A round's commit phase ends.
	VerdictCommit(ProposalId),
	/// A round's reveal phase ends: settle.
	VerdictReveal(ProposalId),
	/// An approval's challenge window has closed: pay its reward.
	ChallengeWindow(ProposalId),
	/// A round's draw: its seed and verifiers.
	Draw(ProposalId),
	/// A released candidate's reservation for its miner ends.
	Unreserve(ProposalId),
}

impl Deadline {
	/// The queue this deadline waits in.
	pub fn lane(&self) -> Lane {
		match self {
			Deadline::Reveal(_) => Lane::Commitments,
			_ => Lane::Rounds,
		}
	}
}

/// The deadline queues. Each has its own cursor and its own share of every block's hook, so
/// that a flood of cheap commitments never delays a round's deadlines.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Lane {
	/// The ends of commitments' reveal windows.
	Commitments,
	/// Draws, the ends of verdict phases, and the ends of challenge windows.
	Rounds,
}

impl Lane {
	/// Every lane, in the order the hook serves them.
	pub const ALL: [Lane; 2] = [Lane::Rounds, Lane::Commitments];
}

/// A queued deadline: what to do, and the block it was due in (a deadline processed late, or
/// retried after a failure, keeps its due block, which tells a stale deadline from a live one).
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Scheduled<BlockNumber> {
	/// What to do.
	pub item: Deadline,
	/// The block it was due in.
	pub due: BlockNumber,
}

/// What a round's verdicts add up to.
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub enum TallyResult {
	/// A majority of the quorum revealed `Invalid`.
	Invalid,
	/// A majority of the revealed verdicts are `HarnessError`.
	HarnessErrors,
	/// No verdict was revealed.
	Silent,
	/// Fewer than a majority of the quorum revealed.
	TooFew,
	/// No kind has a majority of the quorum.
	NoAgreement,
	/// A majority of the quorum revealed scores; this is their median.
	Scored(Score),
}

/// A running round a verifier is assigned to, with what its off-chain worker needs (the runtime
/// API's `assignments`; the worker turns it into a runner job).
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct AssignedRound<BlockNumber: Clone + PartialEq + Eq + Debug> {
	/// The proposal.
	pub proposal: ProposalId,
	/// Its project (whose protocol says how to evaluate).
	pub project: ProjectId,
	/// Initial or challenge round.
	pub kind: RoundKind,
	/// The candidate to evaluate.
	pub code: ArtifactRef,
	/// The node it improves on.
	pub parent: NodeId,
	/// The round's evaluation seed.
	pub seed: H256,
	/// Commit or reveal.
	pub phase: Phase,
	/// The last block of the commit phase.
	pub commit_until: BlockNumber,
	/// The last block of the reveal phase.
	pub reveal_until: BlockNumber,
	/// Whether this verifier committed its verdict.
	pub committed: bool,
	/// Whether it revealed it.
	pub revealed: bool,
}

/// Which proposal holds a candidate (a code digest) in a project.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct CandidateHold<BlockNumber> {
	/// The proposal.
	pub proposal: ProposalId,
	/// The block of its miner's earliest commitment to the candidate: its own, or, when the
	/// miner proposes a released candidate again, the first one's. Anyone else's commitment
	/// must be earlier to take the candidate over.
	pub priority: BlockNumber,
}

/// A released candidate reserved for its miner.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Reservation<BlockNumber> {
	/// The released proposal (its miner is the one the candidate is reserved for).
	pub proposal: ProposalId,
	/// The last block of the reservation (extended while the project is frozen).
	pub until: BlockNumber,
	/// The priority its hold had ([`CandidateHold::priority`]), which the miner's next
	/// proposal of it keeps.
	pub priority: BlockNumber,
}
