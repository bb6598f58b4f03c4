//! The types of the project registry: artifacts, metrics, protocols and lineage nodes.

// The `NoBound` derives keep the bounds written on a struct's generics, and the codec derives
// add `where` clauses of their own for the same generics: clippy sees the bound twice.
#![allow(clippy::multiple_bound_locations)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use frame_support::{
	pallet_prelude::ConstU32, traits::Get, BoundedVec, CloneNoBound, DebugNoBound, Deserialize,
	EqNoBound, PartialEqNoBound, Serialize,
};
use poi_primitives::{
	ArtifactRef, Direction, Evaluator, EvaluatorKind, NodeId, ProjectId, ProposalId, Score,
};
use scale_info::TypeInfo;
use sp_core::H256;

/// The parts of a project's protocol a verification round uses.
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
pub struct RoundTerms {
	/// How many verifiers re-run a proposal.
	pub quorum: u32,
	/// How far (bps of the median) a verdict may be from the median and still agree, and how
	/// far below its claim a verified score may fall and still match it.
	pub tolerance_bps: BasisPoints,
	/// By how much (bps of the incumbent's score) a proposal must beat the best.
	pub min_improvement_bps: BasisPoints,
	/// The evaluator a verifier's runner must have to be drawn.
	pub evaluator: EvaluatorKind,
}

pub use poi_primitives::{BasisPoints, MAX_BASIS_POINTS};

/// The largest metric scale, as a power of ten: scores are `i128`, which holds 38 digits.
pub const MAX_SCALE_EXPONENT: u8 = 18;

/// The metric a project optimises.
#[derive(
	Clone,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(crate = "frame_support::__private::serde", rename_all = "camelCase")]
pub struct Metric {
	/// The metric's name, e.g. `val_bpb`.
	pub name: BoundedVec<u8, ConstU32<32>>,
	/// Whether larger or smaller is better.
	pub direction: Direction,
	/// Scores are the raw value times `10^scale_exponent` (negated when minimised).
	pub scale_exponent: u8,
}

/// The immutable protocol of a project: what is measured, how, and what counts as better.
/// Never changed after creation: a changed protocol is a new project naming its origin.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(crate = "frame_support::__private::serde", rename_all = "camelCase")]
pub struct Protocol {
	/// The protocol document: rules, allowed surface, data.
	pub document: ArtifactRef,
	/// The repository snapshot candidates are diffs against.
	pub repository: ArtifactRef,
	/// The benchmark harness.
	pub benchmark: ArtifactRef,
	/// The baseline's measured metrics (the log of the baseline run).
	pub baseline_metrics: ArtifactRef,
	/// The metric, its direction and scale.
	pub metric: Metric,
	/// The baseline's score: the root of the lineage DAG.
	pub baseline_score: Score,
	/// How much a proposal must beat the incumbent by, in basis points of the incumbent.
	pub min_improvement_bps: BasisPoints,
	/// How far a verifier's score may sit from the median and still agree, in basis points.
	pub tolerance_bps: BasisPoints,
	/// How many verifiers re-run each proposal.
	pub quorum: u32,
	/// The evaluator and its budget.
	pub evaluator: Evaluator,
}

impl Protocol {
	/// A valid protocol for tests, benchmarks and the `benchmark` preset: artifacts whose digests are bytes 1 to 4
	/// repeated and whose CIDs are `cid_len` bytes (cut to the bound), the metric `val_bpb`
	/// minimised at scale 10^6, baseline -997 900, threshold 50 and tolerance 100 basis points,
	/// quorum 3, candle-gpt training of at most 1 000 steps.
	pub fn example(cid_len: usize) -> Self {
		let artifact = |tag: u8| ArtifactRef {
			digest: H256::repeat_byte(tag),
			cid: BoundedVec::truncate_from(alloc::vec![b'Q'; cid_len]),
		};
		Protocol {
			document: artifact(1),
			repository: artifact(2),
			benchmark: artifact(3),
			baseline_metrics: artifact(4),
			metric: Metric {
				name: BoundedVec::truncate_from(b"val_bpb".to_vec()),
				direction: Direction::Minimize,
				scale_exponent: 6,
			},
			baseline_score: -997_900,
			min_improvement_bps: 50,
			tolerance_bps: 100,
			quorum: 3,
			evaluator: Evaluator::CandleGpt { steps: 1_000 },
		}
	}
}

/// The economics of a project's token: its bonding curve and miner rewards.
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
	Serialize,
	Deserialize,
)]
#[serde(crate = "frame_support::__private::serde", rename_all = "camelCase")]
pub struct CurveParams<Balance> {
	/// Price of the first whole token.
	pub base_price: Balance,
	/// Price increase per token of supply.
	pub slope: Balance,
	/// The most tokens that miner rewards may mint, in all.
	pub miner_pool_cap: Balance,
	/// Tokens minted to the miner of each approved improvement.
	pub reward_per_approval: Balance,
	/// What the creator pays into the reward escrow at creation.
	pub initial_escrow: Balance,
}

/// A project's token: name, symbol and curve.
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
#[scale_info(skip_type_params(MaxNameLen, MaxSymbolLen))]
pub struct TokenSpec<
	Balance: Clone + PartialEq + Eq + Debug,
	MaxNameLen: Get<u32>,
	MaxSymbolLen: Get<u32>,
> {
	/// The token's name.
	pub name: BoundedVec<u8, MaxNameLen>,
	/// The token's symbol.
	pub symbol: BoundedVec<u8, MaxSymbolLen>,
	/// Its curve and rewards.
	pub curve: CurveParams<Balance>,
}

/// Whether a project takes proposals and trades.
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
pub enum ProjectStatus {
	/// Open for proposals and trades.
	Active,
	/// Frozen by its creator or root: no proposals, no trades.
	Frozen,
}

/// A registered project.
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
#[scale_info(skip_type_params(MaxNameLen, MaxSymbolLen))]
pub struct ProjectInfo<
	AccountId: Clone + PartialEq + Eq + Debug,
	Balance: Clone + PartialEq + Eq + Debug,
	BlockNumber: Clone + PartialEq + Eq + Debug,
	MaxNameLen: Get<u32>,
	MaxSymbolLen: Get<u32>,
> {
	/// Who created it (and may freeze it).
	pub creator: AccountId,
	/// The creation deposit held from the creator.
	pub deposit: Balance,
	/// The immutable protocol.
	pub protocol: Protocol,
	/// The token and curve parameters.
	pub token: TokenSpec<Balance, MaxNameLen, MaxSymbolLen>,
	/// The project this one was forked from, if any.
	pub origin: Option<ProjectId>,
	/// Open or frozen.
	pub status: ProjectStatus,
	/// The current best node of the lineage DAG.
	pub best: NodeId,
	/// The id the next lineage node gets.
	pub next_node: NodeId,
	/// When it was created.
	pub created: BlockNumber,
	/// When its creator or the admin last froze or unfroze it (`None`: never).
	pub status_changed: Option<BlockNumber>,
}

/// A node of a project's lineage DAG: a measured state of the code.
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
pub struct LineageNode<
	AccountId: Clone + PartialEq + Eq + Debug,
	BlockNumber: Clone + PartialEq + Eq + Debug,
> {
	/// The node it improves on; `None` for the baseline (the root).
	pub parent: Option<NodeId>,
	/// Distance from the root (the root is 0).
	pub depth: u32,
	/// The code of this state (for the root: the repository snapshot).
	pub code: ArtifactRef,
	/// Its verified score.
	pub score: Score,
	/// Who proposed it; `None` for the baseline.
	pub miner: Option<AccountId>,
	/// The proposal that established it; `None` for the baseline.
	pub proposal: Option<ProposalId>,
	/// When it was recorded.
	pub block: BlockNumber,
}

/// A project created in the genesis block (a chain spec's `projects.projects`), as
/// `create_project` would create it: the creator pays the deposit and the token's launch.
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Serialize, Deserialize)]
#[serde(crate = "frame_support::__private::serde", bound = "", rename_all = "camelCase")]
pub struct GenesisProject<
	AccountId: Clone + PartialEq + Eq + Debug + Serialize + for<'a> Deserialize<'a>,
	Balance: Clone + PartialEq + Eq + Debug + Serialize + for<'a> Deserialize<'a>,
> {
	/// Who creates it.
	pub creator: AccountId,
	/// Its protocol.
	pub protocol: Protocol,
	/// Its token's name.
	pub token_name: alloc::vec::Vec<u8>,
	/// Its token's symbol.
	pub token_symbol: alloc::vec::Vec<u8>,
	/// Its token's curve and rewards.
	pub curve: CurveParams<Balance>,
}
