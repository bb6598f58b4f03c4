//! The stored types of the verifier registry.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{Deserialize, Serialize};
use poi_primitives::Evaluators;
use scale_info::TypeInfo;

/// The public key of a verifier's runner: it signs `poi_primitives::runner_payload`
/// (genesis hash, proposal, round kind, seed, verifier, verdict digest).
pub type RunnerKey = sp_core::sr25519::Public;

/// How verifiers are admitted.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(crate = "frame_support::__private::serde")]
pub enum Admission {
	/// Anyone with at least the minimum bond.
	#[default]
	Permissionless,
	/// Only accounts root put on the allowlist (and with at least the minimum bond).
	Allowlist,
}

/// Whether a verifier is picked for rounds.
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
pub enum VerifierStatus {
	/// Picked for rounds while it has an active bond.
	Active,
	/// Missed too many duties in a row: not picked until it asks to return.
	Chilled,
}

/// What a verifier did in rounds, counted.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Stats {
	/// Rounds it was picked for.
	pub rounds: u32,
	/// Verdicts that agreed with the settled median.
	pub agreed: u32,
	/// Verdicts outside the tolerance of the median.
	pub deviant: u32,
	/// Duties it did not do in time.
	pub missed: u32,
}

/// Bond on its way out: still held until `unlocks_at`.
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
pub struct Unbonding<Balance, BlockNumber> {
	/// How much.
	pub amount: Balance,
	/// The first block it may be withdrawn in.
	pub unlocks_at: BlockNumber,
}

/// A registered verifier.
#[derive(
	Clone, Encode, Decode, DecodeWithMemTracking, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct VerifierInfo<Balance, BlockNumber> {
	/// The active bond: what selection weighs and penalties slash. Zero once fully unbonded.
	pub bond: Balance,
	/// The runner's public key.
	pub runner_key: RunnerKey,
	/// The evaluators its runner has: it is drawn only for projects using one of them.
	pub evaluators: Evaluators,
	/// Active or chilled.
	pub status: VerifierStatus,
	/// Bond waiting out the unbonding delay; a later `unbond` adds to it and restarts the wait.
	pub unbonding: Option<Unbonding<Balance, BlockNumber>>,
	/// What it did so far.
	pub stats: Stats,
	/// Duties missed since its last done one.
	pub missed_in_row: u32,
}

impl<Balance: sp_runtime::Saturating + Copy, BlockNumber> VerifierInfo<Balance, BlockNumber> {
	/// What is held for it: the active bond plus what is unbonding (what a slash can take).
	pub fn held(&self) -> Balance {
		self.unbonding.as_ref().map_or(self.bond, |u| self.bond.saturating_add(u.amount))
	}
}

/// What a verifier is paid in: the chain's currency or a project's token.
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
pub enum RewardAsset<AssetId> {
	/// The native currency (from lost challenge bonds).
	Native,
	/// A project token (from slashed proposal stakes).
	Token(AssetId),
}

/// Why a verifier was slashed.
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
pub enum SlashReason {
	/// Its verdict disagreed with the settled result.
	Deviant,
	/// It did not commit or reveal its verdict in time.
	Missed,
	/// It approved a proposal that a challenge round proved wrong.
	WrongApproval,
}
