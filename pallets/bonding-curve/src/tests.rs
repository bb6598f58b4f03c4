//! Unit tests: every call and trait function, and each of their errors.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::InspectHold as _,
		fungibles::{metadata::Inspect as _, roles::Inspect as _, Inspect as _},
		Currency as _,
	},
};
use pallet_projects::{CurveParams, HoldReason, ProjectTokens as _, Protocol};
use sp_runtime::{traits::Convert, DispatchError, DispatchResult, TokenError};

mod properties;

const NAME: &[u8] = b"nanogpt";
const SYMBOL: &[u8] = b"NANO";

pub(crate) fn protocol() -> Protocol {
	Protocol::example(46)
}

/// Base price 10, slope 1, a pool of 100 tokens paid 10 at a time, an escrow of 10 000.
pub(crate) fn curve() -> CurveParams<u64> {
	CurveParams {
		base_price: 10,
		slope: 1,
		miner_pool_cap: 100,
		reward_per_approval: 10,
		initial_escrow: 10_000,
	}
}

/// Creates a project of `creator` with `curve`; returns its id.
pub(crate) fn create(creator: u8, curve: CurveParams<u64>) -> ProjectId {
	let project = pallet_projects::NextProjectId::<Test>::get();
	assert_ok!(Registry::create_project(
		RuntimeOrigin::signed(account(creator)),
		protocol(),
		NAME.to_vec(),
		SYMBOL.to_vec(),
		curve,
		None,
	));
	project
}

fn free(who: u8) -> u64 {
	Balances::free_balance(account(who))
}

fn tokens(project: ProjectId, who: u8) -> u64 {
	Assets::balance(ProjectAssetId::convert(project), account(who))
}

fn supply(project: ProjectId) -> u64 {
	Assets::total_issuance(ProjectAssetId::convert(project))
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Curve(e) = r.event { Some(e) } else { None })
		.collect()
}

fn last_event() -> Event<Test> {
	events().pop().expect("an event of this pallet")
}

fn buy(who: u8, project: ProjectId, amount: u64) -> DispatchResult {
	Curve::buy(RuntimeOrigin::signed(account(who)), project, amount, u64::MAX)
}

fn freeze(project: ProjectId) {
	assert_ok!(Registry::freeze_project(RuntimeOrigin::root(), project));
}

fn check_invariants() {
	Curve::do_try_state().expect("bonding-curve invariants");
	Registry::do_try_state().expect("projects invariants");
}

// ---- launch ----

#[test]
fn create_project_launches_the_token_and_funds_its_accounts() {
	new_test_ext().execute_with(|| {
		let ed = <Balances as frame_support::traits::fungible::Inspect<_>>::minimum_balance();
		let metadata_deposit = 1 + (NAME.len() + SYMBOL.len()) as u64;
		let before = free(1);

		let project = create(1, curve());

		let asset = ProjectAssetId::convert(project);
		let reserve = Curve::reserve_account(project);
		let escrow = Curve::escrow_account(project);
		assert!(Assets::asset_exists(asset));
		assert_eq!(Assets::owner(asset), Some(reserve.clone()));
		assert_eq!(Assets::admin(asset), Some(reserve.clone()));
		assert_eq!(Assets::name(asset), NAME.to_vec());
		assert_eq!(Assets::symbol(asset), SYMBOL.to_vec());
		assert_eq!(Assets::decimals(asset), 0);
		assert_eq!(Assets::minimum_balance(asset), 1);
		assert_eq!(supply(project), 0);
		// The reserve keeps its ED free and the metadata deposit reserved; the escrow its ED.
		assert_eq!(Balances::free_balance(&reserve), ed);
		assert_eq!(Balances::reserved_balance(&reserve), metadata_deposit);
		assert_eq!(Balances::free_balance(&escrow), ed + 10_000);
		assert_eq!(Curve::reserve_of(project), 0);
		assert_eq!(Curve::escrow_of(project), 10_000);
		// The creator paid the deposit (held) and exactly the launch cost.
		let launch_cost = Curve::launch_cost(NAME, SYMBOL, &curve()).unwrap();
		assert_eq!(launch_cost, 2 * ed + metadata_deposit + 10_000);
		assert_eq!(Balances::balance_on_hold(&HoldReason::ProjectDeposit.into(), &account(1)), 100);
		assert_eq!(free(1), before - 100 - launch_cost);
		assert_eq!(
			Tokens::<Test>::get(project),
			Some(TokenInfo {
				asset,
				base_price: 10,
				slope: 1,
				miner_pool_cap: 100,
				reward_per_approval: 10,
				pool_minted: 0,
			})
		);
		assert_eq!(
			last_event(),
			Event::TokenLaunched { project, asset, reserve, escrow, initial_escrow: 10_000 }
		);
		check_invariants();
	});
}

#[test]
fn each_project_gets_its_own_accounts_and_asset() {
	new_test_ext().execute_with(|| {
		let a = create(1, curve());
		let b = create(2, curve());
		assert_ne!(Curve::reserve_account(a), Curve::reserve_account(b));
		assert_ne!(Curve::escrow_account(a), Curve::escrow_account(b));
		assert_ne!(Curve::reserve_account(a), Curve::escrow_account(a));
		assert_ne!(ProjectAssetId::convert(a), ProjectAssetId::convert(b));
		check_invariants();
	});
}

#[test]
fn a_taken_asset_id_refuses_the_project_and_writes_nothing() {
	new_test_ext().execute_with(|| {
		// Someone created the asset id project 0's token would take.
		assert_ok!(Assets::create(RuntimeOrigin::signed(account(2)), 1_000, account(2), 1));
		assert_noop!(
			Registry::create_project(
				RuntimeOrigin::signed(account(1)),
				protocol(),
				NAME.to_vec(),
				SYMBOL.to_vec(),
				curve(),
				None,
			),
			Error::<Test>::AssetIdInUse
		);
	});
}

#[test]
fn launching_a_second_token_for_a_project_is_refused() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_noop!(
			<Curve as pallet_projects::ProjectTokens<_, _>>::launch(
				project,
				&account(1),
				NAME,
				SYMBOL,
				&curve()
			),
			Error::<Test>::TokenExists
		);
	});
}

#[test]
fn a_creator_who_cannot_pay_the_launch_cost_is_refused() {
	new_test_ext().execute_with(|| {
		// Account 6 holds 1 000: the deposit (100) and an escrow of 890 fit, but not the
		// accounts' minimums (2) and the metadata deposit (12) on top.
		let c = CurveParams { initial_escrow: 890, ..curve() };
		assert_noop!(
			Registry::create_project(
				RuntimeOrigin::signed(account(6)),
				protocol(),
				NAME.to_vec(),
				SYMBOL.to_vec(),
				c,
				None,
			),
			pallet_projects::Error::<Test>::CannotPayDeposit
		);
	});
}

// ---- buy ----

#[test]
fn buy_charges_the_exact_curve_cost_into_the_reserve() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		let before = free(2);
		// 5 tokens from supply 0: 10 + 11 + 12 + 13 + 14.
		assert_ok!(Curve::buy(RuntimeOrigin::signed(account(2)), project, 5, 60));
		assert_eq!(free(2), before - 60);
		assert_eq!(tokens(project, 2), 5);
		assert_eq!(supply(project), 5);
		assert_eq!(Curve::reserve_of(project), 60);
		assert_eq!(Curve::price(project), Some(15));
		assert_eq!(last_event(), Event::Bought { project, who: account(2), amount: 5, cost: 60 });
		// The next 3 continue up the curve: 15 + 16 + 17.
		assert_ok!(buy(3, project, 3));
		assert_eq!(Curve::reserve_of(project), 60 + 48);
		check_invariants();
	});
}

#[test]
fn buy_requires_a_signed_origin() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_noop!(Curve::buy(RuntimeOrigin::none(), project, 1, 100), DispatchError::BadOrigin);
		assert_noop!(Curve::buy(RuntimeOrigin::root(), project, 1, 100), DispatchError::BadOrigin);
	});
}

#[test]
fn buy_above_the_slippage_bound_is_refused() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_noop!(
			Curve::buy(RuntimeOrigin::signed(account(2)), project, 5, 59),
			Error::<Test>::CostAboveMax
		);
	});
}

#[test]
fn buy_refuses_zero_unknown_frozen_and_overflowing_amounts() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_noop!(buy(2, project, 0), Error::<Test>::ZeroAmount);
		assert_noop!(buy(2, project + 1, 1), Error::<Test>::UnknownProject);
		assert_noop!(buy(2, project, u64::MAX), Error::<Test>::CurveOverflow);
		freeze(project);
		assert_noop!(buy(2, project, 1), Error::<Test>::ProjectFrozen);
		assert_ok!(Registry::unfreeze_project(RuntimeOrigin::root(), project));
		assert_ok!(buy(2, project, 1));
	});
}

#[test]
fn a_buyer_who_cannot_pay_is_refused() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		// Account 6 holds 1 000; 40 tokens cost 1 180.
		assert_noop!(buy(6, project, 40), TokenError::FundsUnavailable);
		// Account 7 holds nothing at all.
		assert_noop!(buy(7, project, 1), TokenError::FundsUnavailable);
	});
}

// ---- sell ----

#[test]
fn sell_refunds_the_exact_curve_value_from_the_reserve() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 5));
		let before = free(2);
		// Selling 2 at supply 5 refunds the prices of tokens 3 and 4: 13 + 14.
		assert_ok!(Curve::sell(RuntimeOrigin::signed(account(2)), project, 2, 27));
		assert_eq!(free(2), before + 27);
		assert_eq!(tokens(project, 2), 3);
		assert_eq!(supply(project), 3);
		assert_eq!(Curve::reserve_of(project), 60 - 27);
		assert_eq!(last_event(), Event::Sold { project, who: account(2), amount: 2, refund: 27 });
		check_invariants();
	});
}

#[test]
fn buying_and_selling_back_returns_exactly_what_was_paid() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(3, project, 7));
		let before = free(2);
		assert_ok!(buy(2, project, 11));
		assert_ok!(Curve::sell(RuntimeOrigin::signed(account(2)), project, 11, 0));
		assert_eq!(free(2), before);
		check_invariants();
	});
}

#[test]
fn sell_requires_a_signed_origin() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 5));
		assert_noop!(Curve::sell(RuntimeOrigin::none(), project, 1, 0), DispatchError::BadOrigin);
	});
}

#[test]
fn sell_below_the_slippage_bound_is_refused() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 5));
		assert_noop!(
			Curve::sell(RuntimeOrigin::signed(account(2)), project, 2, 28),
			Error::<Test>::RefundBelowMin
		);
	});
}

#[test]
fn sell_refuses_zero_unknown_frozen_and_unheld_amounts() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 5));
		assert_ok!(buy(3, project, 5));
		let sell = |who: u8, project, amount| {
			Curve::sell(RuntimeOrigin::signed(account(who)), project, amount, 0)
		};
		assert_noop!(sell(2, project, 0), Error::<Test>::ZeroAmount);
		assert_noop!(sell(2, project + 1, 1), Error::<Test>::UnknownProject);
		assert_noop!(sell(2, project, 6), Error::<Test>::InsufficientTokens);
		assert_noop!(sell(4, project, 1), Error::<Test>::InsufficientTokens);
		freeze(project);
		assert_noop!(sell(2, project, 1), Error::<Test>::ProjectFrozen);
	});
}

#[test]
fn transferred_tokens_sell_like_bought_ones() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 5));
		let asset = ProjectAssetId::convert(project);
		assert_ok!(Assets::transfer(RuntimeOrigin::signed(account(2)), asset, account(4), 2));
		let before = free(4);
		assert_ok!(Curve::sell(RuntimeOrigin::signed(account(4)), project, 2, 27));
		assert_eq!(free(4), before + 27);
		check_invariants();
	});
}

#[test]
fn nobody_but_the_pallet_mints_the_token() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		let asset = ProjectAssetId::convert(project);
		assert_noop!(
			Assets::mint(RuntimeOrigin::signed(account(1)), asset, account(1), 100),
			pallet_assets::Error::<Test>::NoPermission
		);
	});
}

// ---- rewards ----

#[test]
fn fund_rewards_adds_to_the_escrow() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		let before = free(3);
		assert_ok!(Curve::fund_rewards(RuntimeOrigin::signed(account(3)), project, 500));
		assert_eq!(free(3), before - 500);
		assert_eq!(Curve::escrow_of(project), 10_500);
		assert_eq!(last_event(), Event::RewardsFunded { project, who: account(3), amount: 500 });
		// A frozen project's escrow can still be funded.
		freeze(project);
		assert_ok!(Curve::fund_rewards(RuntimeOrigin::signed(account(3)), project, 1));
		check_invariants();
	});
}

#[test]
fn fund_rewards_refuses_bad_origin_zero_unknown_and_unpaid_amounts() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		let fund = |who: u8, project, amount| {
			Curve::fund_rewards(RuntimeOrigin::signed(account(who)), project, amount)
		};
		assert_noop!(
			Curve::fund_rewards(RuntimeOrigin::none(), project, 1),
			DispatchError::BadOrigin
		);
		assert_noop!(fund(3, project, 0), Error::<Test>::ZeroAmount);
		assert_noop!(fund(3, project + 1, 1), Error::<Test>::UnknownProject);
		assert_noop!(fund(6, project, 2_000), TokenError::FundsUnavailable);
		// Paying all it has would reap the funder: refused too.
		assert_noop!(fund(6, project, 1_000), TokenError::NotExpendable);
	});
}

#[test]
fn a_reward_pays_its_curve_cost_from_the_escrow_into_the_reserve() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 5));
		// 10 tokens from supply 5: 10 * 10 + (10 * 5 + 45) = 195.
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(10));
		assert_eq!(tokens(project, 4), 10);
		assert_eq!(Curve::escrow_of(project), 10_000 - 195);
		assert_eq!(Curve::reserve_of(project), 60 + 195);
		assert_eq!(Tokens::<Test>::get(project).unwrap().pool_minted, 10);
		assert_eq!(
			last_event(),
			Event::RewardMinted { project, to: account(4), amount: 10, cost: 195 }
		);
		check_invariants();
	});
}

#[test]
fn rewards_stop_at_the_miner_pool_cap() {
	new_test_ext().execute_with(|| {
		let project = create(1, CurveParams { miner_pool_cap: 25, ..curve() });
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(10));
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(10));
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(5));
		let escrow = Curve::escrow_of(project);
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(0));
		assert_eq!(Curve::escrow_of(project), escrow);
		assert_eq!(tokens(project, 4), 25);
		check_invariants();
	});
}

#[test]
fn a_reward_costs_at_most_what_the_caller_allows() {
	new_test_ext().execute_with(|| {
		// Tokens at 10, 11, 12, ...: 7 of them cost 91, 8 cost 108; 10 would cost 145.
		let project = create(1, curve());
		assert_eq!(Curve::mint_reward(project, &account(4), 100), Ok(7));
		assert_eq!(Curve::escrow_of(project), 10_000 - 91);
		assert_eq!(Curve::mint_reward(project, &account(4), 16), Ok(0), "the next costs 17");
		assert_eq!(Curve::escrow_of(project), 10_000 - 91);
		check_invariants();
	});
}

#[test]
fn rewards_stop_when_the_escrow_runs_out() {
	new_test_ext().execute_with(|| {
		// An escrow of 100 pays tokens at 10, 11, 12, ... : 7 of them cost 91, 8 cost 108.
		let project = create(1, CurveParams { initial_escrow: 100, ..curve() });
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(7));
		assert_eq!(Curve::escrow_of(project), 9);
		assert_eq!(Curve::reserve_of(project), 91);
		// 9 left, the next token costs 17: nothing more.
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(0));
		// Funding the escrow again lets rewards continue.
		assert_ok!(Curve::fund_rewards(RuntimeOrigin::signed(account(3)), project, 1_000));
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(10));
		check_invariants();
	});
}

#[test]
fn a_reward_for_an_unknown_project_or_a_miner_who_cannot_hold_it_changes_nothing() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_noop!(
			Curve::mint_reward(project + 1, &account(4), u64::MAX),
			Error::<Test>::UnknownProject
		);
		// Account 9 has no native balance, so it cannot hold a non-sufficient asset: the
		// escrow's payment is rolled back with the failed mint.
		let escrow = Curve::escrow_of(project);
		assert!(Curve::mint_reward(project, &account(9), u64::MAX).is_err());
		assert_eq!(Curve::escrow_of(project), escrow);
		assert_eq!(Curve::reserve_of(project), 0);
		assert_eq!(Tokens::<Test>::get(project).unwrap().pool_minted, 0);
	});
}

#[test]
fn a_burn_leaves_the_backing_in_the_reserve() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 10));
		let reserve = Curve::reserve_of(project);
		assert_ok!(Curve::burn(project, &account(2), 4));
		assert_eq!(tokens(project, 2), 6);
		assert_eq!(supply(project), 6);
		assert_eq!(Curve::reserve_of(project), reserve);
		assert_eq!(last_event(), Event::Burned { project, who: account(2), amount: 4 });
		check_invariants();
	});
}

#[test]
fn a_burn_refuses_zero_unknown_and_unheld_amounts() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 3));
		assert_noop!(Curve::burn(project, &account(2), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Curve::burn(project + 1, &account(2), 1), Error::<Test>::UnknownProject);
		assert_noop!(Curve::burn(project, &account(2), 4), Error::<Test>::InsufficientTokens);
	});
}

// ---- runtime API ----

#[test]
fn quotes_and_price_match_the_trades() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_eq!(Curve::price(project), Some(10));
		assert_eq!(Curve::quote_buy(project, 5), Some(60));
		assert_eq!(Curve::quote_sell(project, 1), None);
		assert_ok!(buy(2, project, 5));
		assert_eq!(Curve::quote_sell(project, 2), Some(27));
		assert_eq!(Curve::quote_sell(project, 5), Some(60));
		assert_eq!(Curve::quote_sell(project, 6), None);
		assert_eq!(Curve::quote_buy(project, 0), None);
		assert_eq!(Curve::quote_sell(project, 0), None);
		assert_eq!(Curve::quote_buy(project, u64::MAX), None);
		assert_eq!(Curve::quote_buy(project + 1, 1), None);
		assert_eq!(Curve::price(project + 1), None);
	});
}

#[test]
fn the_overview_shows_token_pool_and_best() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 5));
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(10));
		freeze(project);
		assert_eq!(
			Curve::overview(project),
			Some(ProjectOverview {
				asset: 1_000,
				active: false,
				best_node: 0,
				best_score: -997_900,
				supply: 15,
				price: Some(25),
				reserve: 60 + 195,
				escrow: 10_000 - 195,
				pool_minted: 10,
				pool_cap: 100,
				reward_per_approval: 10,
			})
		);
		assert_eq!(Curve::overview(project + 1), None);
	});
}

// ---- extremes ----

#[test]
fn a_huge_slope_is_an_error_not_a_panic() {
	new_test_ext().execute_with(|| {
		let project = create(1, CurveParams { base_price: 1, slope: u64::MAX / 2, ..curve() });
		// Token 1 costs 1, token 2 costs 2^63: together they fit u64, but selling both back
		// must also fit, and three tokens do not.
		assert_noop!(buy(2, project, 3), Error::<Test>::CurveOverflow);
		assert_eq!(Curve::quote_buy(project, 3), None);
		assert_ok!(buy(2, project, 1));
		// A reward at this price is not affordable: nothing is minted.
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(0));
		check_invariants();
	});
}

#[test]
fn a_supply_near_the_maximum_is_an_error_not_a_panic() {
	new_test_ext().execute_with(|| {
		use frame_support::traits::fungibles::Mutate as _;
		let project = create(1, CurveParams { base_price: 0, slope: 1, ..curve() });
		// Tokens the curve never sold (only a bug or root could do this): the supply's
		// sell-back no longer fits u64.
		let asset = ProjectAssetId::convert(project);
		assert_ok!(Assets::mint_into(asset, &account(2), u64::MAX - 5));
		assert_noop!(buy(3, project, 1), Error::<Test>::CurveOverflow);
		assert_noop!(buy(3, project, 10), Error::<Test>::CurveOverflow);
		assert_eq!(Curve::quote_buy(project, 1), None);
		assert_eq!(Curve::price(project), Some(u64::MAX - 5));
		// The refund of one token fits, but the reserve does not hold it.
		assert_eq!(Curve::quote_sell(project, 1), Some(u64::MAX - 6));
		assert_noop!(
			Curve::sell(RuntimeOrigin::signed(account(2)), project, 1, 0),
			Error::<Test>::ReserveShortfall
		);
		assert_eq!(Curve::mint_reward(project, &account(4), u64::MAX), Ok(0));
		assert_eq!(Curve::do_try_state(), Err("supply beyond the curve".into()));
	});
}

// ---- try_state ----

#[test]
fn try_state_catches_a_reserve_below_the_sell_back() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		assert_ok!(buy(2, project, 5));
		check_invariants();
		let reserve = Curve::reserve_account(project);
		let _ = Balances::make_free_balance_be(&reserve, Balances::free_balance(&reserve) - 1);
		assert_eq!(Curve::do_try_state(), Err("reserve below cost(0, supply)".into()));
	});
}

#[test]
fn try_state_catches_a_pool_above_its_cap() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		Tokens::<Test>::mutate(project, |t| t.as_mut().unwrap().pool_minted = 101);
		assert_eq!(Curve::do_try_state(), Err("reward pool above its cap".into()));
	});
}

#[test]
fn try_state_catches_an_emptied_escrow_account() {
	new_test_ext().execute_with(|| {
		let project = create(1, curve());
		let escrow = Curve::escrow_account(project);
		let _ = Balances::make_free_balance_be(&escrow, 0);
		assert_eq!(
			Curve::do_try_state(),
			Err("escrow account below the existential deposit".into())
		);
	});
}
