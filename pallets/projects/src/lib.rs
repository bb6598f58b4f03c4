//! # pallet-projects
//!
//! The registry of poi's research projects (the rules: `docs/protocol.md`).
//!
//! A **project** is an immutable [`Protocol`](types::Protocol) — the artifacts that define the
//! benchmark (protocol document, repository snapshot, harness, baseline metrics, each a
//! digest and a CID), the metric with its direction and scale, the baseline score, the
//! improvement threshold and tolerance in basis points, the verification quorum and the
//! evaluator with its budget — plus the parameters of its token and bonding curve. Creating
//! one holds a deposit from its creator (a fungible hold with [`HoldReason::ProjectDeposit`]).
//!
//! Every project has a **lineage DAG**: the baseline is its root (node 0); each later node
//! records its parent, code artifact, verified score, miner, proposal and block. The project
//! points at its **best** node; the path from the best back to the root is read parent by
//! parent ([`Pallet::lineage_path`]). Other pallets grow the DAG through the [`Lineage`]
//! trait, never by writing this pallet's storage.
//!
//! A creator or root may **freeze** a project: a frozen project takes no new proposals and no
//! trades ([`Lineage::is_active`] says so to the other pallets); what was committed before
//! the freeze is settled on its merit. A creator changes the status at most once every
//! [`Config::StatusChangeDelay`] blocks, so that it cannot toggle it around deadlines. Nothing of the protocol can
//! be changed; a changed protocol is a new project that names its origin (`forked_from`).
//!
//! Creating a project also launches its token: `create_project` hands the token's name, symbol
//! and curve to [`Config::Tokens`] ([`ProjectTokens`], implemented by pallet-bonding-curve),
//! which creates the asset and takes the initial reward escrow from the creator. The creator
//! pays the deposit and [`ProjectTokens::launch_cost`], or nothing happens.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod impls;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::traits::fungible;
use poi_primitives::{ArtifactRef, Direction, Evaluator, NodeId, ProjectId, ProposalId, Score};

/// The balance type of the currency deposits are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A project's stored information, with this runtime's types.
pub type ProjectInfoOf<T> = ProjectInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as Config>::MaxNameLen,
	<T as Config>::MaxSymbolLen,
>;

/// A lineage node, with this runtime's types.
pub type LineageNodeOf<T> = LineageNode<
	<T as frame_system::Config>::AccountId,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// What other pallets (proposals, bonding curve) may ask of and do to a project.
pub trait Lineage<AccountId> {
	/// Whether the project exists and is not frozen.
	fn is_active(project: ProjectId) -> bool;
	/// The project's best node and its score.
	fn best(project: ProjectId) -> Option<(NodeId, Score)>;
	/// What a verification round of the project needs from its protocol.
	fn round_terms(project: ProjectId) -> Option<RoundTerms>;
	/// The project's protocol (what a verifier's runner needs to re-run a proposal).
	fn protocol(project: ProjectId) -> Option<Protocol>;
	/// Whether `node` is in the project's lineage.
	fn has_node(project: ProjectId, node: NodeId) -> bool;
	/// Appends a node under `parent` and returns its id. It does not become the best.
	fn append_node(
		project: ProjectId,
		parent: NodeId,
		code: ArtifactRef,
		score: Score,
		miner: AccountId,
		proposal: ProposalId,
	) -> Result<NodeId, sp_runtime::DispatchError>;
	/// Makes `node` the project's best (a new improvement, or a revert after a challenge).
	fn set_best(project: ProjectId, node: NodeId) -> sp_runtime::DispatchResult;
}

/// What `create_project` asks of the token side (pallet-bonding-curve in poi's runtime): create
/// the project's token and curve and escrow its reward pool. pallet-projects validates the
/// token's name, symbol and curve before it calls [`ProjectTokens::launch`].
pub trait ProjectTokens<AccountId, Balance> {
	/// What launching the token takes from its creator beyond the project deposit (the initial
	/// escrow plus whatever the token side needs to set its accounts up).
	fn launch_cost(
		name: &[u8],
		symbol: &[u8],
		curve: &CurveParams<Balance>,
	) -> Result<Balance, sp_runtime::DispatchError>;
	/// Creates `project`'s token and curve and moves the launch cost from `creator`.
	fn launch(
		project: ProjectId,
		creator: &AccountId,
		name: &[u8],
		symbol: &[u8],
		curve: &CurveParams<Balance>,
	) -> sp_runtime::DispatchResult;
}

/// No token side: launching costs the initial escrow and does nothing with it. For the unit
/// tests of this pallet alone; poi's runtime uses pallet-bonding-curve.
impl<AccountId, Balance: Clone> ProjectTokens<AccountId, Balance> for () {
	fn launch_cost(
		_: &[u8],
		_: &[u8],
		curve: &CurveParams<Balance>,
	) -> Result<Balance, sp_runtime::DispatchError> {
		Ok(curve.initial_escrow.clone())
	}
	fn launch(
		_: ProjectId,
		_: &AccountId,
		_: &[u8],
		_: &[u8],
		_: &CurveParams<Balance>,
	) -> sp_runtime::DispatchResult {
		Ok(())
	}
}

/// Creates projects for other pallets' benchmarks (which cannot reach this pallet's calls).
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkProjects<AccountId, Balance> {
	/// Registers a project of `creator` with a valid protocol and the given curve, funding
	/// nothing: the creator must already hold the deposit and the launch cost.
	fn create_benchmark_project(
		creator: AccountId,
		curve: CurveParams<Balance>,
	) -> Result<ProjectId, sp_runtime::DispatchError>;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a project's creator, held while the project exists.
		#[codec(index = 0)]
		ProjectDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency deposits are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Origin that may freeze and unfreeze any project (root, in poi's runtime).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The deposit held from a project's creator.
		#[pallet::constant]
		type ProjectDeposit: Get<BalanceOf<Self>>;

		/// The fewest blocks between two changes of a project's status (freeze, unfreeze) by
		/// its creator; the admin origin is not held back.
		#[pallet::constant]
		type StatusChangeDelay: Get<BlockNumberFor<Self>>;

		/// The longest token name, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// The longest token symbol, in bytes.
		#[pallet::constant]
		type MaxSymbolLen: Get<u32>;

		/// The largest verification quorum a project may ask for.
		#[pallet::constant]
		type MaxQuorum: Get<u32>;

		/// The most nodes [`Pallet::lineage_path`] returns.
		#[pallet::constant]
		type MaxPathLen: Get<u32>;

		/// The largest fuel budget of a wasm project: one run must fit a round's verdict
		/// commit period on the runner the chain's docs call the reference.
		#[pallet::constant]
		type MaxWasmFuel: Get<u64>;

		/// The largest training budget of a candle-gpt project, in steps per trial. How long a
		/// step takes depends on the model the protocol's surface allows; a runner that cannot
		/// finish a job inside a round's verdict commit period answers a signed harness error,
		/// which releases the proposal and slashes nobody.
		#[pallet::constant]
		type MaxCandleGptSteps: Get<u32>;

		/// The largest budget of a command project, in wall-clock seconds per trial: its
		/// trials must fit a round's verdict commit period; a runner that cannot finish a job
		/// by its own deadline answers a signed harness error.
		#[pallet::constant]
		type MaxCommandSeconds: Get<u32>;

		/// The smallest tolerance of an evaluator whose runs are not bit-for-bit reproducible
		/// (candle-gpt training): below it honest verifiers would disagree, and be slashed.
		#[pallet::constant]
		type MinNondeterministicToleranceBps: Get<BasisPoints>;

		/// The token side: creates each project's token and curve and escrows its rewards.
		type Tokens: ProjectTokens<Self::AccountId, BalanceOf<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The smallest quorum a new project may ask for: set at genesis (1 on a development
	/// chain, 3 on the testnets), so that one verifier cannot decide a project's rounds on a
	/// network that has more. Read as at least 1.
	#[pallet::storage]
	pub type MinQuorum<T> = StorageValue<_, u32, ValueQuery>;

	/// The id the next project gets.
	#[pallet::storage]
	pub type NextProjectId<T> = StorageValue<_, ProjectId, ValueQuery>;

	/// The registered projects.
	#[pallet::storage]
	pub type Projects<T: Config> = StorageMap<_, Blake2_128Concat, ProjectId, ProjectInfoOf<T>>;

	/// The lineage DAG of every project: `(project, node) -> node`.
	#[pallet::storage]
	pub type Nodes<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ProjectId, Twox64Concat, NodeId, LineageNodeOf<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Projects created in the genesis block, in order (ids from 0 on).
		pub projects: alloc::vec::Vec<GenesisProject<T::AccountId, BalanceOf<T>>>,
		/// [`MinQuorum`]; 0 reads as 1.
		pub min_quorum: u32,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(self.min_quorum <= T::MaxQuorum::get(), "min_quorum above MaxQuorum");
			MinQuorum::<T>::put(self.min_quorum);
			for p in &self.projects {
				if let Err(e) = Pallet::<T>::do_create_project(
					p.creator.clone(),
					p.protocol.clone(),
					p.token_name.clone(),
					p.token_symbol.clone(),
					p.curve,
					None,
				) {
					panic!("genesis project {:?} cannot be created: {e:?}", p.token_name);
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A project was registered; its baseline is lineage node 0.
		ProjectCreated {
			/// The new project.
			project: ProjectId,
			/// Its creator.
			creator: T::AccountId,
			/// The project it was forked from, if any.
			forked_from: Option<ProjectId>,
			/// The baseline score.
			baseline_score: Score,
		},
		/// A project was frozen: no proposals, no trades.
		ProjectFrozen {
			/// The project.
			project: ProjectId,
		},
		/// A frozen project was opened again.
		ProjectUnfrozen {
			/// The project.
			project: ProjectId,
		},
		/// A node was added to a project's lineage DAG.
		NodeAppended {
			/// The project.
			project: ProjectId,
			/// The new node.
			node: NodeId,
			/// The node it improves on.
			parent: NodeId,
			/// Its verified score.
			score: Score,
		},
		/// A project's best node changed.
		BestChanged {
			/// The project.
			project: ProjectId,
			/// The best before.
			from: NodeId,
			/// The best now.
			to: NodeId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No project has this id.
		UnknownProject,
		/// The project named as origin does not exist.
		UnknownOriginProject,
		/// Only the project's creator or the admin origin may do this.
		NotCreatorOrAdmin,
		/// The project is frozen already.
		AlreadyFrozen,
		/// The project is not frozen.
		NotFrozen,
		/// The creator changed the project's status less than `StatusChangeDelay` blocks ago.
		StatusChangeTooSoon,
		/// The quorum is zero.
		ZeroQuorum,
		/// The quorum is larger than `MaxQuorum`.
		QuorumTooLarge,
		/// The quorum is below the chain's `MinQuorum`.
		QuorumTooSmall,
		/// The evaluator's budget is above the runtime's bound for it (`MaxWasmFuel`,
		/// `MaxCandleGptSteps`).
		BudgetTooLarge,
		/// The tolerance is below `MinNondeterministicToleranceBps` for an evaluator whose runs
		/// are not reproducible bit for bit.
		ToleranceTooSmall,
		/// The baseline's sign contradicts the direction: a minimised metric's scores are
		/// negated values (at most 0), a maximised one's are the values (at least 0).
		BaselineSignMismatch,
		/// The improvement threshold is zero or above 10 000 basis points.
		ThresholdOutOfRange,
		/// The tolerance is above 10 000 basis points.
		ToleranceOutOfRange,
		/// The metric's scale exponent is above 18.
		ScaleTooLarge,
		/// The metric has no name.
		EmptyMetricName,
		/// The evaluator's budget is zero.
		ZeroBudget,
		/// The token name is empty.
		EmptyName,
		/// The token name is longer than `MaxNameLen`.
		NameTooLong,
		/// The token symbol is empty.
		EmptySymbol,
		/// The token symbol is longer than `MaxSymbolLen`.
		SymbolTooLong,
		/// Both the curve's base price and slope are zero: the token would be free.
		FlatCurve,
		/// The reward per approval is zero or larger than the miner-pool cap.
		RewardOutOfRange,
		/// The creator cannot pay the deposit and the token's launch cost (the initial reward
		/// escrow and the token accounts' minimum balances).
		CannotPayDeposit,
		/// No node has this id in the project's lineage.
		UnknownNode,
		/// The lineage is as deep as a `u32` counts.
		LineageTooDeep,
	}

	#[pallet::extra_constants]
	impl<T: Config> Pallet<T> {
		/// The longest CID of an artifact, in bytes: the same on every chain
		/// ([`poi_primitives::MAX_CID_LEN`]), since runners and clients build artifacts too.
		#[pallet::constant_name(MaxCidLen)]
		fn max_cid_len() -> u32 {
			poi_primitives::MAX_CID_LEN
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			assert!(T::MaxQuorum::get() > 0, "MaxQuorum must allow a quorum");
			assert!(T::MaxNameLen::get() > 0 && T::MaxSymbolLen::get() > 0);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers a project.
		///
		/// Origin: signed, the creator. Holds `ProjectDeposit` from the creator, records the
		/// protocol (immutable from now on) and the token spec, launches the token and its curve
		/// through `Config::Tokens` (which takes the initial reward escrow from the creator), and
		/// makes the baseline node 0 of the lineage DAG and the project's best. `forked_from`
		/// names the project whose protocol this one changes.
		///
		/// Errors: `ZeroQuorum`, `QuorumTooLarge`, `QuorumTooSmall`, `ThresholdOutOfRange`,
		/// `ToleranceOutOfRange`, `ToleranceTooSmall`, `ScaleTooLarge`, `EmptyMetricName`,
		/// `BaselineSignMismatch`, `ZeroBudget`, `BudgetTooLarge`, `EmptyName`,
		/// `NameTooLong`, `EmptySymbol`, `SymbolTooLong`, `FlatCurve`, `RewardOutOfRange`,
		/// `UnknownOriginProject`, `CannotPayDeposit`; `ArithmeticError::Overflow` when the
		/// project ids run out; the token side's errors. Nothing is written when any of them is
		/// returned.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_project())]
		pub fn create_project(
			origin: OriginFor<T>,
			protocol: Protocol,
			token_name: alloc::vec::Vec<u8>,
			token_symbol: alloc::vec::Vec<u8>,
			curve: CurveParams<BalanceOf<T>>,
			forked_from: Option<ProjectId>,
		) -> DispatchResult {
			let creator = ensure_signed(origin)?;
			Self::do_create_project(creator, protocol, token_name, token_symbol, curve, forked_from)
				.map(|_| ())
		}

		/// Freezes a project: it takes no new proposals and no trades until unfrozen; the
		/// proposals committed before the freeze go on and are settled on their merit.
		///
		/// Origin: the project's creator (signed, at least `StatusChangeDelay` blocks after
		/// its last status change) or `AdminOrigin`.
		/// Errors: `UnknownProject`, `NotCreatorOrAdmin`, `AlreadyFrozen`, `StatusChangeTooSoon`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::freeze_project())]
		pub fn freeze_project(origin: OriginFor<T>, project: ProjectId) -> DispatchResult {
			Self::do_set_status(origin, project, ProjectStatus::Frozen)
		}

		/// Opens a frozen project again.
		///
		/// Origin: the project's creator (signed, at least `StatusChangeDelay` blocks after
		/// its last status change) or `AdminOrigin`.
		/// Errors: `UnknownProject`, `NotCreatorOrAdmin`, `NotFrozen`, `StatusChangeTooSoon`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unfreeze_project())]
		pub fn unfreeze_project(origin: OriginFor<T>, project: ProjectId) -> DispatchResult {
			Self::do_set_status(origin, project, ProjectStatus::Active)
		}
	}
}
