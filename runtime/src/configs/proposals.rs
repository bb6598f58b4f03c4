//! `pallet_proposals`: proposals, verification rounds, settlement and challenges.

use frame_support::{
	parameter_types,
	traits::{ConstU32, Randomness},
	PalletId,
};
use sp_runtime::traits::{BlakeTwo256, Hash as _};

use super::bonding_curve::ProjectAssetId;
use crate::{
	Assets, Balance, Balances, BlockNumber, BondingCurve, Hash, Projects, Runtime,
	RuntimeHoldReason, System, Verifiers, MINUTES, UNIT,
};

parameter_types! {
	/// The stake account (`modlpoi/prop`).
	pub const ProposalsPalletId: PalletId = PalletId(*b"poi/prop");
	/// The smallest stake: one whole project token...
	pub const MinStake: Balance = 1;
	/// ...worth at least one POI on its project's curve at the commit, however its creator
	/// priced the token.
	pub const MinStakeValue: Balance = UNIT;
	/// Each verifier of a project's quorum earns 0.1 POI for a verdict that counts: over a
	/// hundred times the transaction fee of a verdict commit (under 0.001 POI, printed by
	/// `tests/polkadot-js/proposals.test.mjs`). A proposal holds `quorum` times this from its
	/// reveal to its settlement.
	pub const VerifierFee: Balance = UNIT / 10;
	/// A revealed proposal's storage deposit: its record (under 1 KiB at most, with the
	/// largest committee), its initial round's settlement (about 50 bytes a verifier, under
	/// 1 KiB with pallet-projects' largest quorum of 16) and its lineage node (about 200
	/// bytes) at 0.1 POI. Returned when it settles without fault and without a node (the
	/// record and settlement stay, bounded by the fees every proposal pays); held for as long
	/// as its node exists.
	pub const ProposalDeposit: Balance = UNIT / 10;
	/// A candidate released without fault stays reserved for its miner for ten minutes:
	/// time to commit and reveal it again.
	pub const ReservationPeriod: BlockNumber = 10 * MINUTES;
	/// A reveal comes at least one block after its commit.
	pub const RevealDelay: BlockNumber = 1;
	/// And at most ten minutes after it.
	pub const RevealWindow: BlockNumber = 10 * MINUTES;
	/// A round is drawn two blocks after its reveal (or challenge), from the randomness of
	/// the block in between, which did not exist when the reveal was sent.
	pub const DrawDelay: BlockNumber = 2;
	/// Runners have ten minutes to evaluate and their verifiers to commit.
	pub const VerdictCommitPeriod: BlockNumber = 10 * MINUTES;
	/// Then two minutes to reveal.
	pub const VerdictRevealPeriod: BlockNumber = 2 * MINUTES;
	/// An approval may be challenged for ten minutes (a testnet's figure).
	pub const ChallengeWindow: BlockNumber = 10 * MINUTES;
	/// The smallest challenge bond.
	pub const MinChallengeBond: Balance = 100 * UNIT;
}

/// Round randomness: BLAKE2-256 of the subject and the parent block's hash, read by the hook
/// that draws a round `DrawDelay` blocks after the reveal or challenge that scheduled it, so
/// neither the miner nor a challenger can know it when they act. The author of the parent
/// block can: it may withhold its block (losing its slot), or choose and order the block's
/// transactions to try many hashes, and so pick among many committees for the rounds drawn in
/// the next block. On poi's Aura chain the authors are the validator set; BABE's VRF or a
/// randomness beacon is the upgrade path (`docs/protocol.md`, "Randomness").
pub struct ParentHashRandomness;

impl Randomness<Hash, BlockNumber> for ParentHashRandomness {
	fn random(subject: &[u8]) -> (Hash, BlockNumber) {
		let parent = System::parent_hash();
		(BlakeTwo256::hash_of(&(subject, parent)), System::block_number().saturating_sub(1))
	}
}

impl pallet_proposals::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Assets = Assets;
	type ProjectAssetId = ProjectAssetId;
	type Projects = Projects;
	type Tokens = BondingCurve;
	type Verifiers = Verifiers;
	type Randomness = ParentHashRandomness;
	type PalletId = ProposalsPalletId;
	type MinStake = MinStake;
	type MinStakeValue = MinStakeValue;
	type VerifierFee = VerifierFee;
	type ProposalDeposit = ProposalDeposit;
	type ReservationPeriod = ReservationPeriod;
	type RevealDelay = RevealDelay;
	type DrawDelay = DrawDelay;
	type RevealWindow = RevealWindow;
	type VerdictCommitPeriod = VerdictCommitPeriod;
	type VerdictRevealPeriod = VerdictRevealPeriod;
	type ChallengeWindow = ChallengeWindow;
	type MinChallengeBond = MinChallengeBond;
	// Twice pallet-projects' largest quorum (16), plus one: a challenge round's size.
	type MaxQuorum = ConstU32<33>;
	type MaxDeadlinesPerBlock = ConstU32<64>;
	type WeightInfo = crate::weights::pallet_proposals::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Projects;
}
