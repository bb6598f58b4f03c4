//! # pallet-verifiers
//!
//! The registry of poi's verifiers (the rules: `docs/protocol.md`): accounts that bond
//! funds and register their runner's public key, and whose off-chain workers re-run proposals.
//!
//! ## Design
//! - A verifier **registers** with a bond of at least [`Config::MinBond`], held from its account
//!   with [`HoldReason::VerifierBond`], and its runner's sr25519 public key (one verifier per
//!   key). It may replace the key ([`Pallet::set_runner_key`]).
//! - **Admission** is either permissionless or by a root-managed allowlist
//!   ([`Admission`]); the genesis config chooses, root changes it
//!   ([`Pallet::set_admission`], [`Pallet::set_allowed`]). Taking an account off the
//!   allowlist does not remove a verifier already registered.
//! - **Unbonding**: [`Pallet::unbond`] moves part or all of the active bond into an unbonding
//!   amount that stays held for [`Config::UnbondingDelay`] blocks (a later `unbond` adds to it
//!   and restarts the wait); what stays bonded must be zero or at least the minimum.
//!   [`Pallet::withdraw_unbonded`] releases it afterwards; a verifier with no bond left is
//!   removed then. A verifier with no active bond that does not withdraw gives up its slot
//!   anyway: once its delay has passed anyone may [`Pallet::reap`] it.
//! - **Duties**: pallet-proposals reports through [`VerifierDuties`] who was picked, who
//!   agreed, who deviated and who missed a duty; the counts are in [`Stats`]. After
//!   [`Config::MaxMissedInRow`] missed duties in a row a verifier is **chilled**: not picked
//!   until it calls [`Pallet::rejoin`].
//! - **Selection** ([`Pallet::select_verifiers`]): a round's `quorum` verifiers are drawn
//!   without replacement, each draw weighted by active bond, from a seed (deterministic for a
//!   given seed), among the active verifiers with a bond whose runners have the round's
//!   evaluator, never the proposer.
//! - **Penalties**: a deviant verdict and a missed duty each slash [`Config::SlashShare`] of
//!   the verifier's held bond (active first, then unbonding); an approval that a challenge
//!   proves wrong slashes at least the reward it would have released
//!   ([`VerifierDuties::note_wrong_approval`]). Slashed bonds are **burned**:
//!   nobody profits from making another verifier look deviant. An active bond that a slash
//!   leaves below the minimum starts unbonding in full (the verifier stops being picked).
//! - **Rewards**: pallet-proposals pays verifiers their share of slashed stakes and lost
//!   challenge bonds into this pallet's pot account ([`Config::PalletId`]) and credits them
//!   through [`VerifierRewards`]; each verifier takes its credit out with
//!   [`Pallet::claim_rewards`], one asset (the native currency or a project token) at a time.
//!   Credits outlive the verifier's registration.
//!
//! ## State of this pallet
//! Built and in poi's runtime: everything above, `try_state`, unit tests, benchmarks (the
//! runtime's weights are generated from them), and the off-chain worker hook
//! ([`offchain`]): verifier keys of type `poiv` in the node's keystore are served by the node's
//! runner (`--runner-url`) with no manual step.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
pub mod offchain;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod offchain_tests;
#[cfg(test)]
mod tests;

pub use pallet::*;
use poi_primitives::{EvaluatorKind, Evaluators, ProposalId, Verdict};
pub use types::*;
pub use weights::WeightInfo;

use frame_support::traits::{fungible, fungibles};

/// The asset ids of project tokens.
pub type AssetIdOf<T> =
	<<T as Config>::Assets as fungibles::Inspect<<T as frame_system::Config>::AccountId>>::AssetId;

/// A reward asset with this runtime's types.
pub type RewardAssetOf<T> = RewardAsset<AssetIdOf<T>>;

/// The balance type of bonds.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// What the proposals pallet tells this pallet about verifiers' duties. Counts saturate at
/// `u32::MAX`; calls for accounts that are not verifiers do nothing (and slash nothing).
pub trait VerifierDuties<AccountId, Balance> {
	/// `who` was picked for a round.
	fn note_assigned(who: &AccountId);
	/// `who`'s verdict agreed with the settled result.
	fn note_agreed(who: &AccountId);
	/// `who`'s verdict disagreed with the settled result: slashes (burns) `SlashShare` of its
	/// bond and returns how much.
	fn note_deviant(who: &AccountId) -> Balance;
	/// `who` did not do its duty in time: slashes like `note_deviant`, and chills it after
	/// `MaxMissedInRow` in a row. Returns how much was slashed.
	fn note_missed(who: &AccountId) -> Balance;
	/// What `who` has at risk: its held bond, active and unbonding (zero for an account that
	/// is not a verifier).
	fn bond_at_risk(who: &AccountId) -> Balance;
	/// `who` approved a proposal that a challenge round proved wrong: counts as deviant and
	/// slashes (burns) `SlashShare` of its bond or `at_least`, whichever is more (all of its
	/// bond at most). Returns how much was slashed.
	fn note_wrong_approval(who: &AccountId, at_least: Balance) -> Balance;
}

/// What the proposals pallet asks of the verifier registry for a round.
pub trait VerifierRegistry<AccountId> {
	/// Draws `quorum` verifiers whose runners have the evaluator `needs` from `seed`, none of
	/// `exclude`; when fewer are eligible, all of them if they are at least `minimum` (see
	/// [`Pallet::select_at_least`]).
	fn select(
		seed: &[u8; 32],
		quorum: u32,
		minimum: u32,
		exclude: &[AccountId],
		needs: EvaluatorKind,
	) -> Result<alloc::vec::Vec<AccountId>, sp_runtime::DispatchError>;
	/// The runner key `who` registered, if it is a verifier.
	fn runner_key(who: &AccountId) -> Option<RunnerKey>;
	/// The most verifiers selection may walk (`MaxVerifiers`).
	fn max_verifiers() -> u32;
	/// How many verifiers are registered.
	fn registered() -> u32;
	/// Funds `who` and registers it with `runner_key` (for other pallets' benchmarks).
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &AccountId, runner_key: RunnerKey)
		-> sp_runtime::DispatchResult;
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AssetId> {
	/// An existing asset that accounts may hold (the pot is paid in it).
	fn reward_asset() -> AssetId;
}

/// How the proposals pallet pays verifiers: it moves the funds into [`VerifierRewards::pot`]
/// and then credits each verifier its share; verifiers claim with `claim_rewards`.
pub trait VerifierRewards<AccountId, AssetId, Balance> {
	/// The account that keeps credited rewards until they are claimed. It exists (has a
	/// provider) from the first time this is called.
	fn pot() -> AccountId;
	/// Credits `amount` of `asset` to `who`. The caller has moved the funds into the pot.
	fn credit(
		who: &AccountId,
		asset: RewardAsset<AssetId>,
		amount: Balance,
	) -> sp_runtime::DispatchResult;
}

/// What the off-chain worker asks of the proposals pallet: the rounds a verifier is assigned
/// to, and the calls that commit and reveal its verdicts (implemented by pallet-proposals).
pub trait VerifierJobs<AccountId> {
	/// The call type of the verdict calls.
	type Call;
	/// The running rounds `who` is assigned to, as jobs for its runner.
	fn jobs(who: &AccountId) -> alloc::vec::Vec<poi_offchain::worker::LocalJob>;
	/// The call that commits `commitment`.
	fn commit_call(proposal: ProposalId, commitment: sp_core::H256) -> Self::Call;
	/// The call that reveals `verdict`.
	fn reveal_call(
		proposal: ProposalId,
		verdict: &Verdict,
		salt: sp_core::H256,
		signature: &poi_offchain::wire::Signature,
	) -> Self::Call;
}

/// A verifier's stored information, with this runtime's types.
pub type VerifierInfoOf<T> =
	VerifierInfo<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
		PalletId,
	};
	use frame_system::offchain::{AppCrypto, CreateSignedTransaction};
	use frame_system::pallet_prelude::*;
	use sp_runtime::Perbill;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A verifier's bond, active or unbonding.
		#[codec(index = 0)]
		VerifierBond,
	}

	#[pallet::config]
	pub trait Config:
		frame_system::Config + CreateSignedTransaction<<Self as frame_system::Config>::RuntimeCall>
	{
		/// The currency bonds are held in (and native rewards paid in).
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// Project tokens, in which verifiers' shares of slashed stakes are paid.
		type Assets: fungibles::Mutate<Self::AccountId, Balance = BalanceOf<Self>>;

		/// The pot account for credited rewards is derived from this.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// Origin that sets the admission mode and the allowlist (root, in poi's runtime).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The smallest active bond a verifier may have.
		#[pallet::constant]
		type MinBond: Get<BalanceOf<Self>>;

		/// How many blocks unbonded funds stay held.
		#[pallet::constant]
		type UnbondingDelay: Get<BlockNumberFor<Self>>;

		/// The most verifiers that may be registered at once (selection walks all of them).
		#[pallet::constant]
		type MaxVerifiers: Get<u32>;

		/// After this many missed duties in a row a verifier is chilled.
		#[pallet::constant]
		type MaxMissedInRow: Get<u32>;

		/// The share of its held bond a verifier loses for a deviant verdict or a missed duty.
		#[pallet::constant]
		type SlashShare: Get<Perbill>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// The rounds local verifiers are assigned to and their verdict calls (pallet-proposals).
		type Jobs: VerifierJobs<
			Self::AccountId,
			Call: Into<<Self as frame_system::Config>::RuntimeCall>,
		>;

		/// The crypto of verifier keys in the node's keystore (key type `poiv`):
		/// [`crate::offchain::crypto::VerifierAuthId`] in poi's runtime.
		type AuthorityId: AppCrypto<Self::Public, Self::Signature>;

		/// Creates what the benchmarks need.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<AssetIdOf<Self>>;
	}

	/// The registered verifiers.
	#[pallet::storage]
	pub type Verifiers<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, VerifierInfoOf<T>>;

	/// Which verifier each runner key belongs to.
	#[pallet::storage]
	pub type RunnerKeys<T: Config> = StorageMap<_, Blake2_128Concat, RunnerKey, T::AccountId>;

	/// Rewards credited to an account and not claimed yet, by asset. The funds are in the pot.
	#[pallet::storage]
	pub type PendingRewards<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		RewardAssetOf<T>,
		BalanceOf<T>,
	>;

	/// How verifiers are admitted.
	#[pallet::storage]
	pub type AdmissionMode<T> = StorageValue<_, Admission, ValueQuery>;

	/// The accounts root admits while the mode is [`Admission::Allowlist`].
	#[pallet::storage]
	pub type Allowlist<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ()>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The admission mode at genesis.
		pub admission: Admission,
		/// The allowlist at genesis.
		pub allowlist: alloc::vec::Vec<T::AccountId>,
		/// Verifiers registered at genesis: account, bond (held from its balance) and runner key;
		/// they declare every evaluator.
		pub verifiers: alloc::vec::Vec<(T::AccountId, BalanceOf<T>, RunnerKey)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			AdmissionMode::<T>::put(self.admission);
			for who in &self.allowlist {
				Allowlist::<T>::insert(who, ());
			}
			for (who, bond, runner_key) in &self.verifiers {
				if let Err(e) =
					Pallet::<T>::do_register(who.clone(), *bond, *runner_key, Evaluators::ALL)
				{
					panic!("genesis verifier {who:?} cannot register: {e:?}");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account became a verifier.
		Registered {
			/// The verifier.
			who: T::AccountId,
			/// Its bond.
			bond: BalanceOf<T>,
			/// Its runner's key.
			runner_key: RunnerKey,
			/// The evaluators its runner has.
			evaluators: Evaluators,
		},
		/// A verifier declared the evaluators its runner has now.
		EvaluatorsChanged {
			/// The verifier.
			who: T::AccountId,
			/// The evaluators.
			evaluators: Evaluators,
		},
		/// A verifier replaced its runner key.
		RunnerKeyChanged {
			/// The verifier.
			who: T::AccountId,
			/// The new key.
			runner_key: RunnerKey,
		},
		/// Part of a bond started unbonding.
		Unbonded {
			/// The verifier.
			who: T::AccountId,
			/// How much more is unbonding.
			amount: BalanceOf<T>,
			/// When all of its unbonding amount may be withdrawn.
			unlocks_at: BlockNumberFor<T>,
		},
		/// Unbonded funds were released to the verifier.
		Withdrawn {
			/// The verifier.
			who: T::AccountId,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// A verifier with no bond left withdrew its last funds and was removed.
		Deregistered {
			/// The former verifier.
			who: T::AccountId,
		},
		/// Root changed the admission mode.
		AdmissionChanged {
			/// The mode now.
			admission: Admission,
		},
		/// A verifier missed `MaxMissedInRow` duties in a row and is no longer picked.
		Chilled {
			/// The verifier.
			who: T::AccountId,
		},
		/// A chilled verifier asked to be picked again.
		Rejoined {
			/// The verifier.
			who: T::AccountId,
		},
		/// A verifier lost part of its bond (burned) for a deviant verdict or a missed duty.
		Slashed {
			/// The verifier.
			who: T::AccountId,
			/// How much was burned.
			amount: BalanceOf<T>,
			/// What it was for.
			reason: SlashReason,
		},
		/// A reward was credited to an account.
		RewardCredited {
			/// Who may claim it.
			who: T::AccountId,
			/// In what.
			asset: RewardAssetOf<T>,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// An account took its credited rewards in one asset out of the pot.
		RewardsClaimed {
			/// Who.
			who: T::AccountId,
			/// In what.
			asset: RewardAssetOf<T>,
			/// How much.
			amount: BalanceOf<T>,
		},
		/// Root put an account on the allowlist or took it off.
		AllowlistChanged {
			/// The account.
			who: T::AccountId,
			/// Whether it is on the list now.
			allowed: bool,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is a verifier already.
		AlreadyRegistered,
		/// A runner with no evaluator can verify nothing.
		NoEvaluators,
		/// The account is not a verifier.
		NotRegistered,
		/// Admission is by allowlist and the account is not on it.
		NotAllowed,
		/// The bond, or what stays bonded after unbonding, is below `MinBond` (and not zero).
		BondTooSmall,
		/// The account cannot hold the bond.
		InsufficientBalance,
		/// Another verifier registered this runner key.
		RunnerKeyInUse,
		/// The amount is zero.
		ZeroAmount,
		/// The amount is more than the active bond.
		AmountAboveBond,
		/// Nothing is unbonding.
		NothingUnbonding,
		/// The verifier still has an active bond: only the verifier itself may unbond it.
		StillBonded,
		/// The unbonding delay has not passed.
		StillUnbonding,
		/// `MaxVerifiers` verifiers are registered already.
		TooManyVerifiers,
		/// Fewer verifiers are eligible than the quorum asks for.
		NotEnoughVerifiers,
		/// The verifier is not chilled.
		NotChilled,
		/// The account has no rewards to claim in this asset.
		NoRewards,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		/// Runs the verifiers' off-chain worker: the rounds assigned to verifier keys in this
		/// node's keystore go to the runner, and their verdicts on chain (see
		/// [`poi_offchain::worker`]).
		fn offchain_worker(now: BlockNumberFor<T>) {
			let report = poi_offchain::worker::run(&offchain::OffchainChain::<T>::default());
			if report != Default::default() {
				log::info!(
					target: "poi::verifier",
					"block {now:?}: {} dispatched, {} verdicts in, {} commits, {} reveals, {} locked",
					report.dispatched, report.received, report.commits, report.reveals, report.locked,
				);
			}
			for problem in report.problems {
				log::warn!(target: "poi::verifier", "block {now:?}: {problem}");
			}
		}

		fn integrity_test() {
			assert!(!T::MinBond::get().is_zero(), "a zero MinBond admits verifiers with no stake");
			assert!(T::MaxMissedInRow::get() > 0, "MaxMissedInRow 0 would chill on registration");
			assert!(T::MaxVerifiers::get() > 0, "MaxVerifiers 0 admits nobody");
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as a verifier with `bond` held, its runner's key, and the
		/// evaluators its runner has (it is drawn only for projects using one of them).
		///
		/// Origin: signed. Errors: `AlreadyRegistered`, `NotAllowed` (allowlist mode),
		/// `BondTooSmall`, `NoEvaluators`, `RunnerKeyInUse`, `TooManyVerifiers`,
		/// `InsufficientBalance`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			bond: BalanceOf<T>,
			runner_key: RunnerKey,
			evaluators: Evaluators,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, bond, runner_key, evaluators)
		}

		/// Replaces the evaluators the caller's runner has; rounds it is drawn for already
		/// keep it.
		///
		/// Origin: signed, a verifier. Errors: `NotRegistered`, `NoEvaluators`.
		#[pallet::call_index(8)]
		// An upper bound: it reads and writes the verifier's record, as `set_runner_key` does
		// besides the two runner-key entries.
		#[pallet::weight(T::WeightInfo::set_runner_key())]
		pub fn set_evaluators(origin: OriginFor<T>, evaluators: Evaluators) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_evaluators(who, evaluators)
		}

		/// Replaces the caller's runner key.
		///
		/// Origin: signed, a verifier. Errors: `NotRegistered`, `RunnerKeyInUse`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_runner_key())]
		pub fn set_runner_key(origin: OriginFor<T>, runner_key: RunnerKey) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_runner_key(who, runner_key)
		}

		/// Starts unbonding `amount` of the caller's active bond.
		///
		/// Origin: signed, a verifier. Errors: `NotRegistered`, `ZeroAmount`,
		/// `AmountAboveBond`, `BondTooSmall` (what stays would be below the minimum and not
		/// zero).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(who, amount)
		}

		/// Releases the caller's unbonded funds once the delay has passed; removes a verifier
		/// with no bond left.
		///
		/// Origin: signed, a verifier. Errors: `NotRegistered`, `NothingUnbonding`,
		/// `StillUnbonding`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(who)
		}

		/// Frees the slot of `who`, a verifier with no active bond whose unbonding delay has
		/// passed: its unbonded funds go back to it and it is removed. Anyone may call it, so
		/// that a verifier that walked away does not keep its slot (`MaxVerifiers`) or its
		/// runner key. It does what `withdraw_unbonded` does, so it is weighed like it.
		///
		/// Origin: signed, anyone. Errors: `NotRegistered`, `StillBonded`,
		/// `NothingUnbonding`, `StillUnbonding`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn reap(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_reap(who)
		}

		/// Asks to be picked for rounds again after being chilled; the count of missed duties
		/// in a row starts over.
		///
		/// Origin: signed, a verifier. Errors: `NotRegistered`, `NotChilled`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::rejoin())]
		pub fn rejoin(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_rejoin(who)
		}

		/// Pays the caller everything credited to it in `asset` out of the pot.
		///
		/// Origin: signed (any account with credited rewards; it need not be a verifier any
		/// more). Errors: `NoRewards`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::claim_rewards())]
		pub fn claim_rewards(origin: OriginFor<T>, asset: RewardAssetOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_rewards(who, asset)
		}

		/// Sets how verifiers are admitted.
		///
		/// Origin: `AdminOrigin`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_admission())]
		pub fn set_admission(origin: OriginFor<T>, admission: Admission) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			AdmissionMode::<T>::put(admission);
			Self::deposit_event(Event::AdmissionChanged { admission });
			Ok(())
		}

		/// Puts `who` on the allowlist (`allowed`) or takes it off.
		///
		/// Origin: `AdminOrigin`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_allowed())]
		pub fn set_allowed(
			origin: OriginFor<T>,
			who: T::AccountId,
			allowed: bool,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			if allowed {
				Allowlist::<T>::insert(&who, ());
			} else {
				Allowlist::<T>::remove(&who);
			}
			Self::deposit_event(Event::AllowlistChanged { who, allowed });
			Ok(())
		}
	}
}
