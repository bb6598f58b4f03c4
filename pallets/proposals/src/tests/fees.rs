//! The verification fee: held at the reveal, paid to the verifiers whose verdicts counted
//! when the initial round settles, the rest returned; nothing is paid before a draw.

use super::*;

/// The fee of the test project (quorum 3, `VerifierFee` 30).
const FEE: u64 = 90;

/// The storage deposit of a proposal (`ProposalDeposit`).
const DEPOSIT: u64 = 50;

fn held_deposit(who: u8) -> u64 {
	Balances::balance_on_hold(&HoldReason::ProposalDeposit.into(), &account(who))
}

fn held_fee(who: u8) -> u64 {
	Balances::balance_on_hold(&HoldReason::VerificationFee.into(), &account(who))
}

#[test]
fn an_honest_round_pays_each_agreeing_verifier_its_share_and_nothing_to_the_deviant() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let before = Balances::free_balance(account(MINER));
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_eq!(held_fee(MINER), FEE);
		assert_eq!(held_deposit(MINER), DEPOSIT);
		assert_eq!(Balances::free_balance(account(MINER)), before - FEE - DEPOSIT);
		let verifiers = run_round(id, &[scored(-990_000), scored(-990_500), scored(-900_000)]);
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		assert_eq!(pending_native(&verifiers[0]), Some(30));
		assert_eq!(pending_native(&verifiers[1]), Some(30));
		assert_eq!(pending_native(&verifiers[2]), None, "a deviant verdict earns nothing");
		assert!(events().contains(&Event::FeePaid {
			proposal: id,
			per_verifier: 30,
			verifiers: 2,
			returned: 30
		}));
		// The deviant's share went back to the miner: it paid for two verdicts. Its deposit
		// stays held with its lineage node.
		assert_eq!(held_fee(MINER), 0);
		assert_eq!(held_deposit(MINER), DEPOSIT);
		assert_eq!(Balances::free_balance(account(MINER)), before - 60 - DEPOSIT);
		assert_eq!(Balances::free_balance(Verifiers::pot()), 60);
		// A verifier takes its fee from the pot.
		let paid = Balances::free_balance(&verifiers[0]);
		assert_ok!(Verifiers::claim_rewards(
			RuntimeOrigin::signed(verifiers[0].clone()),
			RewardAsset::Native
		));
		assert_eq!(Balances::free_balance(&verifiers[0]), paid + 30);
		check();
	});
}

#[test]
fn a_silent_verifier_earns_nothing_and_a_round_nobody_answers_returns_the_fee() {
	new_test_ext().execute_with(|| {
		let project = setup(4);
		let before = Balances::free_balance(account(MINER));
		let id = propose(MINER, project, 0, 1, -990_000);
		let verifiers = assigned(id);
		for v in &verifiers[..2] {
			commit_verdict(id, v, &scored(-990_000));
		}
		run_to_block(Rounds::<Test>::get(id).unwrap().commit_until + 1);
		for v in &verifiers[..2] {
			reveal_verdict(id, v, &scored(-990_000));
		}
		run_to_block(now() + 4);
		assert!(matches!(status(id), ProposalStatus::Approved { .. }));
		assert_eq!(pending_native(&verifiers[2]), None);
		assert_eq!(Balances::free_balance(account(MINER)), before - 60 - DEPOSIT);

		// Nobody answers the next one: all of its fee comes back.
		let best = Registry::best(project).unwrap().0;
		let before = Balances::free_balance(account(RIVAL));
		let id = propose(RIVAL, project, best, 2, -980_000);
		assert_eq!(held_fee(RIVAL), FEE);
		run_to_block(now() + 10);
		assert_eq!(status(id), ProposalStatus::Expired);
		// Expired without fault: the fee and the deposit come back.
		assert_eq!(held_deposit(RIVAL), 0);
		assert_eq!((held_fee(RIVAL), Balances::free_balance(account(RIVAL))), (0, before));
		check();
	});
}

#[test]
fn a_round_that_cannot_be_drawn_returns_the_fee_and_a_miner_who_cannot_pay_cannot_reveal() {
	new_test_ext().execute_with(|| {
		let project = setup(2);
		let before = Balances::free_balance(account(MINER));
		let id = propose(MINER, project, 0, 1, -990_000);
		assert_eq!(status(id), ProposalStatus::Released(ReleaseReason::NoQuorum));
		assert_eq!((held_fee(MINER), Balances::free_balance(account(MINER))), (0, before));

		let c = commit(RIVAL, project, 0, 2, -990_000);
		next_block();
		assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), account(RIVAL), FEE));
		assert_noop!(try_reveal(RIVAL, c, 0, 2, -990_000, RIVAL), Error::<Test>::CannotPayFee);
		check();
	});
}
