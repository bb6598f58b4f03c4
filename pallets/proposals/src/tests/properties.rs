//! Property tests: random sequences of commits, reveals (honest and not), verdict commits and
//! reveals (agreeing, noisy, invalid, harness errors), claims revealed (or withheld, or tried
//! too early), challenges, registrations, unbondings and reaps, freezes and unfreezes, trades
//! on the project's curve, and block advances, with every pallet's `try_state` after every
//! block; at the end, after every deadline has passed, nothing is left running, no stake,
//! fee or reservation is left behind, and only lineage nodes keep deposits.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The score a candidate really has: tag 1 is worse than the baseline, tags 2..=5 better.
fn true_score(tag: u8) -> Score {
	BASELINE + (i128::from(tag) - 1) * 3_000
}

#[derive(Clone, Debug)]
enum Op {
	/// A miner commits to candidate `tag`, claiming its true score plus `inflate`, on the
	/// baseline or on the best.
	Commit { who: u8, tag: u8, inflate: Score, on_best: bool },
	/// The `index`-th waiting commitment is revealed, honestly or not.
	Reveal { index: usize, honest: bool },
	/// Assigned verifier `slot` of the `index`-th running round commits a verdict of `kind`
	/// (0, 1: the true score within the noise; 2: far off; 3: invalid; 4: harness error).
	CommitVerdict { index: usize, slot: usize, kind: u8, noise: Score },
	/// Assigned verifier `slot` of the `index`-th running round reveals what it committed.
	RevealVerdict { index: usize, slot: usize },
	/// Every verifier of the `index`-th running round commits a verdict of its kind in
	/// `kinds` (5: it stays silent).
	CommitAll { index: usize, kinds: [u8; 7], noise: Score },
	/// Every verifier of the `index`-th running round reveals, except those in `skip` (bits).
	RevealAll { index: usize, skip: u8 },
	/// The miner of the `index`-th running round reveals its claim (refused before the
	/// round's reveal phase; never sent, the proposal is rejected `ClaimWithheld`).
	RevealClaim { index: usize },
	/// `who` challenges the `index`-th proposal.
	Challenge { index: usize, who: u8 },
	/// Account `n` registers as a verifier.
	Register { n: u8 },
	/// Verifier `n` unbonds all.
	Unbond { n: u8 },
	/// Anyone reaps verifier `n` (refused while it is bonded or unbonding).
	Reap { n: u8 },
	/// The creator (or, when `root`, root) freezes the project, or unfreezes it if it is
	/// frozen (the creator is refused within `StatusChangeDelay` of its last change).
	ToggleFreeze { root: bool },
	/// A trader buys (or sells back) `amount` of the project's tokens.
	Trade { buy: bool, amount: u64 },
	/// Blocks pass.
	Advance { blocks: u64 },
}

fn op() -> impl Strategy<Value = Op> {
	prop_oneof![
		3 => ((2u8..=3), (1u8..=5), prop_oneof![Just(0i128), Just(1_000), Just(50_000)], any::<bool>())
			.prop_map(|(who, tag, inflate, on_best)| Op::Commit { who, tag, inflate, on_best }),
		4 => (0usize..4, prop::bool::weighted(0.85)).prop_map(|(index, honest)| Op::Reveal { index, honest }),
		8 => (0usize..4, 0usize..7, 0u8..5, -500i128..500)
			.prop_map(|(index, slot, kind, noise)| Op::CommitVerdict { index, slot, kind, noise }),
		8 => (0usize..4, 0usize..7).prop_map(|(index, slot)| Op::RevealVerdict { index, slot }),
		3 => (0usize..6, (4u8..=5)).prop_map(|(index, who)| Op::Challenge { index, who }),
		6 => (0usize..4, prop_oneof![
				3 => prop::array::uniform7(prop_oneof![6 => Just(0u8), 1 => 2u8..=5]),
				1 => (0u8..=5).prop_map(|kind| [kind; 7]),
			], -500i128..500)
			.prop_map(|(index, kinds, noise)| Op::CommitAll { index, kinds, noise }),
		6 => (0usize..4, prop_oneof![4 => Just(0u8), 1 => any::<u8>()])
			.prop_map(|(index, skip)| Op::RevealAll { index, skip }),
		6 => (0usize..4).prop_map(|index| Op::RevealClaim { index }),
		1 => (18u8..=21).prop_map(|n| Op::Register { n }),
		1 => (10u8..=21).prop_map(|n| Op::Unbond { n }),
		1 => (10u8..=21).prop_map(|n| Op::Reap { n }),
		1 => any::<bool>().prop_map(|root| Op::ToggleFreeze { root }),
		2 => (any::<bool>(), 1u64..200).prop_map(|(buy, amount)| Op::Trade { buy, amount }),
		4 => (1u64..4).prop_map(|blocks| Op::Advance { blocks }),
	]
}

/// What the test remembers that the chain hides: commitments' contents and committed verdicts.
#[derive(Default)]
struct Memory {
	commitments: Vec<(H256, u8, NodeId, u8, Score)>,
	/// Each revealed proposal's miner, claim and claim salt.
	claims: BTreeMap<ProposalId, (u8, Score, H256)>,
	verdicts: BTreeMap<(ProposalId, AccountId), Verdict>,
}

fn advance(blocks: u64) {
	for _ in 0..blocks {
		next_block();
		check();
	}
}

/// The `slot`-th assignment of the `index`-th running round (both modulo what exists).
fn pick(index: usize, slot: usize) -> Option<(ProposalId, Assignment<AccountId>)> {
	// Rounds waiting for their draw have nobody to act yet.
	let rounds: Vec<_> = Rounds::<Test>::iter().filter(|(_, r)| r.phase != Phase::Draw).collect();
	if rounds.is_empty() {
		return None;
	}
	let (id, round) = rounds[index % rounds.len()].clone();
	let a = round.assignments[slot % round.assignments.len()].clone();
	Some((id, a))
}

/// `who` commits a verdict of `kind` on `id` (see [`Op::CommitVerdict`]) and remembers it.
fn commit_kind(id: ProposalId, who: &AccountId, kind: u8, noise: Score, memory: &mut Memory) {
	let p = Proposals::<Test>::get(id).unwrap();
	let truth = true_score(p.code.digest.as_bytes()[0]);
	let verdict = match kind {
		0 | 1 => scored(truth + noise),
		2 => scored(truth - 100_000),
		3 => invalid(),
		_ => harness(),
	};
	let c = poi_primitives::verdict_commitment(id, &verdict, &verdict_salt(who), who);
	if Props::commit_verdict(RuntimeOrigin::signed(who.clone()), id, c).is_ok() {
		memory.verdicts.insert((id, who.clone()), verdict);
	}
}

/// `who` reveals the verdict it committed on `id`, if any (it may fail: wrong phase, done).
fn reveal_remembered(id: ProposalId, who: &AccountId, memory: &Memory) {
	let Some(verdict) = memory.verdicts.get(&(id, who.clone())).cloned() else { return };
	let _ = Props::reveal_verdict(
		RuntimeOrigin::signed(who.clone()),
		id,
		verdict.clone(),
		verdict_salt(who),
		sign(id, who, &verdict),
	);
}

fn apply(project: ProjectId, op: &Op, memory: &mut Memory) {
	match *op {
		Op::Commit { who, tag, inflate, on_best } => {
			let parent = if on_best { Registry::best(project).unwrap().0 } else { 0 };
			let claim = true_score(tag) + inflate;
			let salt = H256::from_low_u64_be(System::block_number() * 100 + u64::from(tag));
			let c = poi_primitives::proposal_commitment(
				project,
				parent,
				&code(tag),
				&poi_primitives::claim_hash(claim, &salt),
				&account(who),
			);
			if Props::commit(RuntimeOrigin::signed(account(who)), project, c, STAKE).is_ok() {
				// The salt is derived again at reveal from the commit block.
				memory.commitments.push((c, who, parent, tag, claim));
			}
		},
		Op::Reveal { index, honest } => {
			let waiting: Vec<_> = memory
				.commitments
				.iter()
				.filter(|(c, ..)| Commitments::<Test>::contains_key(c))
				.cloned()
				.collect();
			if waiting.is_empty() {
				return;
			}
			let (c, who, parent, tag, claim) = waiting[index % waiting.len()];
			let block = Commitments::<Test>::get(c).unwrap().block;
			let salt = H256::from_low_u64_be(block * 100 + u64::from(tag));
			let shown = if honest { claim } else { claim + 1 };
			let next = NextProposalId::<Test>::get();
			let revealed = Props::reveal(
				RuntimeOrigin::signed(account(who)),
				c,
				parent,
				code(tag),
				poi_primitives::claim_hash(shown, &salt),
			);
			if revealed.is_ok() && NextProposalId::<Test>::get() > next {
				memory.claims.insert(next, (who, claim, salt));
			}
		},
		Op::CommitVerdict { index, slot, kind, noise } => {
			let Some((id, a)) = pick(index, slot) else { return };
			commit_kind(id, &a.verifier, kind, noise, memory);
		},
		Op::RevealVerdict { index, slot } => {
			let Some((id, a)) = pick(index, slot) else { return };
			reveal_remembered(id, &a.verifier, memory);
		},
		Op::CommitAll { index, kinds, noise } => {
			let Some((id, _)) = pick(index, 0) else { return };
			for (a, kind) in Rounds::<Test>::get(id).unwrap().assignments.iter().zip(kinds) {
				if kind < 5 && Rounds::<Test>::contains_key(id) {
					commit_kind(id, &a.verifier, kind, noise, memory);
				}
			}
		},
		Op::RevealAll { index, skip } => {
			let Some((id, _)) = pick(index, 0) else { return };
			for (i, a) in Rounds::<Test>::get(id).unwrap().assignments.iter().enumerate() {
				if skip & (1 << i) == 0 && Rounds::<Test>::contains_key(id) {
					reveal_remembered(id, &a.verifier, memory);
				}
			}
		},
		Op::RevealClaim { index } => {
			let Some((id, _)) = pick(index, 0) else { return };
			let Some(&(who, claim, salt)) = memory.claims.get(&id) else { return };
			let _ = Props::reveal_claim(RuntimeOrigin::signed(account(who)), id, claim, salt);
		},
		Op::Challenge { index, who } => {
			// Mostly an approval (any proposal now and then, to be refused).
			let approvals: Vec<ProposalId> = Proposals::<Test>::iter()
				.filter(|(_, p)| matches!(p.status, ProposalStatus::Approved { .. }))
				.map(|(id, _)| id)
				.collect();
			let id = match approvals.len() {
				0 => index as ProposalId,
				n => approvals[index % n],
			};
			let _ = Props::challenge(RuntimeOrigin::signed(account(who)), id, 1_000);
		},
		Op::Register { n } => {
			let _ = Verifiers::register(
				RuntimeOrigin::signed(account(n)),
				100_000,
				runner(n).public(),
				Evaluators::ALL,
			);
		},
		Op::Unbond { n } => {
			let bonded = pallet_verifiers::Verifiers::<Test>::get(account(n)).map_or(0, |i| i.bond);
			let _ = Verifiers::unbond(RuntimeOrigin::signed(account(n)), bonded);
		},
		Op::Reap { n } => {
			let _ = Verifiers::reap(RuntimeOrigin::signed(account(5)), account(n));
		},
		Op::ToggleFreeze { root } => {
			let origin =
				if root { RuntimeOrigin::root() } else { RuntimeOrigin::signed(account(1)) };
			let _ = match <Registry as pallet_projects::Lineage<AccountId>>::is_active(project) {
				true => Registry::freeze_project(origin, project),
				false => Registry::unfreeze_project(origin, project),
			};
		},
		Op::Trade { buy, amount } => {
			let trader = RuntimeOrigin::signed(account(6));
			let _ = match buy {
				true => Curve::buy(trader, project, amount, u64::MAX),
				false => Curve::sell(trader, project, amount, 0),
			};
		},
		Op::Advance { blocks } => advance(blocks),
	}
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

	#[test]
	fn random_histories_keep_every_invariant_and_settle_everything(
		ops in prop::collection::vec(op(), 1..120)
	) {
		new_test_ext().execute_with(|| {
			let project = setup(8);
			let mut memory = Memory::default();
			for op in &ops {
				apply(project, op, &mut memory);
				check();
			}
			// Open again (a frozen project's reservations wait), every reveal window, round,
			// challenge window and reservation ends within 40 blocks.
			if !<Registry as pallet_projects::Lineage<AccountId>>::is_active(project) {
				assert_ok!(Registry::unfreeze_project(RuntimeOrigin::root(), project));
			}
			advance(40);
			prop_assert_eq!(Commitments::<Test>::iter().count(), 0);
			prop_assert_eq!(Rounds::<Test>::iter().count(), 0);
			prop_assert_eq!(Assignments::<Test>::iter().count(), 0);
			prop_assert_eq!(tokens(project, &stake_account()), 0, "a stake was left behind");
			prop_assert_eq!(Reservations::<Test>::iter().count(), 0, "a reservation outlived its period");
			for miner in [MINER, RIVAL] {
				let held = Balances::balance_on_hold(
					&HoldReason::VerificationFee.into(),
					&account(miner),
				);
				prop_assert_eq!(held, 0, "a fee was left held");
				// Deposits stay held only with lineage nodes (approved and superseded).
				let nodes = Proposals::<Test>::iter()
					.filter(|(_, p)| p.proposer == account(miner))
					.filter(|(_, p)| matches!(
						p.status,
						ProposalStatus::Approved { .. } | ProposalStatus::Superseded { .. }
					))
					.count() as u64;
				let deposits = Balances::balance_on_hold(
					&HoldReason::ProposalDeposit.into(),
					&account(miner),
				);
				prop_assert_eq!(deposits, nodes * 50, "a deposit held without a node");
			}
			for (_, p) in Proposals::<Test>::iter() {
				match p.status {
					ProposalStatus::Verifying => prop_assert!(false, "a proposal still verifying"),
					ProposalStatus::Approved { reward, previous_score, .. } => {
						prop_assert!(matches!(reward, RewardState::Paid(_)));
						prop_assert!(beats(p.verified_score.unwrap(), previous_score, 50));
						prop_assert!(!below_claim(p.verified_score.unwrap(), p.claim.score().unwrap(), 100));
					},
					ProposalStatus::Rejected(RejectReason::Misclaimed) => {
						prop_assert!(below_claim(p.verified_score.unwrap(), p.claim.score().unwrap(), 100));
					},
					_ => {},
				}
			}
			Ok(())
		})?;
	}
}
