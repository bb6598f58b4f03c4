//! The tally of a round's verdicts and the score arithmetic settlement uses: pure functions
//! of their arguments, without storage.

use crate::types::{Assignment, TallyResult};
use pallet_projects::BasisPoints;
/// The score arithmetic lives in `poi-primitives`, which clients share.
pub use poi_primitives::{beats, below_claim, share_of, within};
use poi_primitives::{Score, Verdict};

/// What a round's verdicts add up to, and who did what.
pub struct Tally<AccountId> {
	/// The result.
	pub result: TallyResult,
	/// Verifiers whose verdicts agree with a decisive result (`Invalid` or `Scored`).
	pub agreeing: alloc::vec::Vec<AccountId>,
	/// Verifiers whose verdicts disagree with a decisive result.
	pub deviant: alloc::vec::Vec<AccountId>,
	/// Verifiers that revealed in a round without a decisive result.
	pub undecided: alloc::vec::Vec<AccountId>,
	/// Verifiers that did not reveal.
	pub silent: alloc::vec::Vec<AccountId>,
}

/// Adds up a round's verdicts. With `m = quorum / 2 + 1`: no verdict is `Silent`; fewer than
/// `m` revealed is `TooFew`; `m` or more `Invalid` is `Invalid`; a majority of the revealed
/// verdicts `HarnessError` is `HarnessErrors`; fewer than `m` scores is `NoAgreement`; else
/// the lower median of the scores, with the scores outside `tolerance_bps` of it, and every
/// other verdict, deviant.
pub fn tally<AccountId: Clone + PartialEq + Eq + core::fmt::Debug>(
	assignments: &[Assignment<AccountId>],
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
	let undecided = |result, undecided| Tally {
		result,
		agreeing: alloc::vec::Vec::new(),
		deviant: alloc::vec::Vec::new(),
		undecided,
		silent: alloc::vec::Vec::new(),
	};
	// A decisive result: the revealed verdicts that `agrees` accepts agree, the others deviate.
	let decided = |result, agrees: &dyn Fn(&Verdict) -> bool| {
		let (agreeing, deviant): (alloc::vec::Vec<_>, alloc::vec::Vec<_>) =
			revealed.iter().partition(|(_, v)| agrees(v));
		Tally {
			result,
			agreeing: agreeing.into_iter().map(|(w, _)| (*w).clone()).collect(),
			deviant: deviant.into_iter().map(|(w, _)| (*w).clone()).collect(),
			undecided: alloc::vec::Vec::new(),
			silent: alloc::vec::Vec::new(),
		}
	};
	let mut tally = if revealed.is_empty() {
		undecided(TallyResult::Silent, alloc::vec::Vec::new())
	} else if revealed.len() < majority {
		undecided(TallyResult::TooFew, everyone())
	} else if invalid >= majority {
		// Rejection needs a majority of the quorum, not merely of those who revealed: a
		// minority cannot reject (and collect a slash) while the others are silenced.
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
