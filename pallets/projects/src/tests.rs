//! Unit tests: one behaviour each, the failure paths included.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use sp_core::H256;
use sp_runtime::{ArithmeticError, BuildStorage, DispatchError, DispatchResult};

const ALICE: u64 = 1;
const BOB: u64 = 2;
const CHARLIE: u64 = 3;
const DAVE: u64 = 4;

fn artifact(tag: u8) -> ArtifactRef {
	ArtifactRef { digest: H256::repeat_byte(tag), cid: BoundedVec::truncate_from(vec![b'Q'; 46]) }
}

fn protocol() -> Protocol {
	Protocol::example(46)
}

fn curve() -> CurveParams<u64> {
	CurveParams {
		base_price: 10,
		slope: 1,
		miner_pool_cap: 1_000,
		reward_per_approval: 10,
		initial_escrow: 500,
	}
}

fn create(who: u64) -> DispatchResult {
	create_with(who, protocol(), curve())
}

fn create_with(who: u64, protocol: Protocol, curve: CurveParams<u64>) -> DispatchResult {
	Registry::create_project(
		RuntimeOrigin::signed(who),
		protocol,
		b"nanogpt speedrun".to_vec(),
		b"NANO".to_vec(),
		curve,
		None,
	)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn assert_nothing_written() {
	assert_eq!(NextProjectId::<Test>::get(), 0);
	assert_eq!(pallet::Projects::<Test>::iter().count(), 0);
	assert_eq!(Nodes::<Test>::iter().count(), 0);
	assert_eq!(Balances::total_balance_on_hold(&ALICE), 0);
}

#[test]
fn create_project_records_protocol_holds_deposit_and_roots_the_lineage() {
	new_test_ext().execute_with(|| {
		assert_ok!(create(ALICE));
		let info = pallet::Projects::<Test>::get(0).expect("project 0 exists");
		assert_eq!(info.creator, ALICE);
		assert_eq!(info.protocol, protocol());
		assert_eq!(info.token.symbol.to_vec(), b"NANO".to_vec());
		assert_eq!(info.status, ProjectStatus::Active);
		assert_eq!((info.best, info.next_node, info.deposit), (0, 1, 100));
		assert_eq!(NextProjectId::<Test>::get(), 1);
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::ProjectDeposit.into(), &ALICE),
			ProjectDeposit::get()
		);

		let root = Nodes::<Test>::get(0, 0).expect("root node");
		assert_eq!(root.parent, None);
		assert_eq!(root.score, -997_900);
		assert_eq!(root.code, artifact(2));
		assert_eq!(<Registry as Lineage<u64>>::best(0), Some((0, -997_900)));
		assert!(<Registry as Lineage<u64>>::is_active(0));
		assert_eq!(
			last_event(),
			Event::ProjectCreated {
				project: 0,
				creator: ALICE,
				forked_from: None,
				baseline_score: -997_900
			}
			.into()
		);
		Registry::do_try_state().unwrap();
	});
}

#[test]
fn create_project_requires_a_signed_origin() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::create_project(
				RuntimeOrigin::root(),
				protocol(),
				b"n".to_vec(),
				b"N".to_vec(),
				curve(),
				None
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn malformed_protocols_are_refused_by_name_and_write_nothing() {
	type P = Protocol;
	let cases: Vec<(fn(&mut P), Error<Test>)> = vec![
		(|p| p.quorum = 0, Error::ZeroQuorum),
		(|p| p.quorum = 8, Error::QuorumTooLarge),
		(|p| p.min_improvement_bps = 0, Error::ThresholdOutOfRange),
		(|p| p.min_improvement_bps = 10_001, Error::ThresholdOutOfRange),
		(|p| p.tolerance_bps = 10_001, Error::ToleranceOutOfRange),
		(|p| p.metric.scale_exponent = 19, Error::ScaleTooLarge),
		(|p| p.metric.name = BoundedVec::new(), Error::EmptyMetricName),
		(|p| p.evaluator = Evaluator::Wasm { fuel: 0 }, Error::ZeroBudget),
		(|p| p.evaluator = Evaluator::CandleGpt { steps: 0 }, Error::ZeroBudget),
		(|p| p.evaluator = Evaluator::Wasm { fuel: 10_000_000_001 }, Error::BudgetTooLarge),
		(|p| p.evaluator = Evaluator::CandleGpt { steps: 5_001 }, Error::BudgetTooLarge),
		(|p| p.evaluator = Evaluator::Command { seconds: 0 }, Error::ZeroBudget),
		(|p| p.evaluator = Evaluator::Command { seconds: 121 }, Error::BudgetTooLarge),
		// Neither is a command's measurement (a time, say, on whatever machine).
		(
			|p| {
				p.evaluator = Evaluator::Command { seconds: 60 };
				p.tolerance_bps = 0;
			},
			Error::ToleranceTooSmall,
		),
		// Candle-gpt training is not reproducible bit for bit: a tolerance below the floor
		// would slash honest verifiers.
		(|p| p.tolerance_bps = 99, Error::ToleranceTooSmall),
		(|p| p.baseline_score = 1, Error::BaselineSignMismatch),
		(
			|p| {
				p.metric.direction = Direction::Maximize;
				p.baseline_score = -1;
			},
			Error::BaselineSignMismatch,
		),
	];
	for (break_it, error) in cases {
		new_test_ext().execute_with(|| {
			let mut p = protocol();
			break_it(&mut p);
			assert_noop!(create_with(ALICE, p, curve()), error);
			assert_nothing_written();
		});
	}
}

#[test]
fn edge_values_of_the_protocol_are_accepted() {
	new_test_ext().execute_with(|| {
		let mut p = protocol();
		p.quorum = 7;
		p.min_improvement_bps = 10_000;
		p.tolerance_bps = 100;
		p.evaluator = Evaluator::CandleGpt { steps: 5_000 };
		p.metric.scale_exponent = 18;
		p.baseline_score = i128::MIN;
		assert_ok!(create_with(ALICE, p.clone(), curve()));
		p.evaluator = Evaluator::Command { seconds: 120 };
		assert_ok!(create_with(ALICE, p.clone(), curve()));
		// A deterministic evaluator may ask for exact agreement.
		p.tolerance_bps = 0;
		p.evaluator = Evaluator::Wasm { fuel: 10_000_000_000 };
		p.baseline_score = 0;
		assert_ok!(create_with(ALICE, p.clone(), curve()));
		p.metric.direction = Direction::Maximize;
		p.baseline_score = i128::MAX;
		assert_ok!(create_with(ALICE, p, curve()));
	});
}

#[test]
fn the_chain_s_minimum_quorum_set_at_genesis_is_enforced() {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, 10_000)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	crate::GenesisConfig::<Test> { projects: vec![], min_quorum: 3 }
		.assimilate_storage(&mut storage)
		.unwrap();
	sp_io::TestExternalities::from(storage).execute_with(|| {
		System::set_block_number(1);
		assert_eq!(MinQuorum::<Test>::get(), 3);
		let mut p = protocol();
		p.quorum = 2;
		assert_noop!(create_with(ALICE, p.clone(), curve()), Error::<Test>::QuorumTooSmall);
		p.quorum = 3;
		assert_ok!(create_with(ALICE, p, curve()));
	});
	// Unset (a development chain), a quorum of one is allowed.
	new_test_ext().execute_with(|| {
		assert_eq!(MinQuorum::<Test>::get(), 0);
		let mut p = protocol();
		p.quorum = 1;
		assert_ok!(create_with(ALICE, p, curve()));
	});
}

#[test]
fn malformed_tokens_are_refused_by_name() {
	let name_cases: Vec<(Vec<u8>, Vec<u8>, Error<Test>)> = vec![
		(vec![], b"N".to_vec(), Error::EmptyName),
		(vec![b'n'; 17], b"N".to_vec(), Error::NameTooLong),
		(b"n".to_vec(), vec![], Error::EmptySymbol),
		(b"n".to_vec(), vec![b'N'; 9], Error::SymbolTooLong),
	];
	for (name, symbol, error) in name_cases {
		new_test_ext().execute_with(|| {
			assert_noop!(
				Registry::create_project(
					RuntimeOrigin::signed(ALICE),
					protocol(),
					name,
					symbol,
					curve(),
					None
				),
				error
			);
			assert_nothing_written();
		});
	}
	let curve_cases: Vec<(CurveParams<u64>, Error<Test>)> = vec![
		(CurveParams { base_price: 0, slope: 0, ..curve() }, Error::FlatCurve),
		(CurveParams { reward_per_approval: 0, ..curve() }, Error::RewardOutOfRange),
		(CurveParams { reward_per_approval: 1_001, ..curve() }, Error::RewardOutOfRange),
	];
	for (bad_curve, error) in curve_cases {
		new_test_ext().execute_with(|| {
			assert_noop!(create_with(ALICE, protocol(), bad_curve), error);
			assert_nothing_written();
		});
	}
}

#[test]
fn a_creator_who_cannot_pay_deposit_and_escrow_is_refused() {
	new_test_ext().execute_with(|| {
		// Charlie holds 150: enough for the deposit (100), not for deposit + escrow (600).
		assert_noop!(create(CHARLIE), Error::<Test>::CannotPayDeposit);
		assert_noop!(create(DAVE), Error::<Test>::CannotPayDeposit);
		assert_noop!(
			create_with(ALICE, protocol(), CurveParams { initial_escrow: u64::MAX, ..curve() }),
			ArithmeticError::Overflow
		);
		assert_nothing_written();
		assert_ok!(create_with(CHARLIE, protocol(), CurveParams { initial_escrow: 0, ..curve() }));
	});
}

#[test]
fn a_fork_names_an_existing_origin() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::create_project(
				RuntimeOrigin::signed(ALICE),
				protocol(),
				b"n".to_vec(),
				b"N".to_vec(),
				curve(),
				Some(0)
			),
			Error::<Test>::UnknownOriginProject
		);
		assert_ok!(create(ALICE));
		assert_ok!(Registry::create_project(
			RuntimeOrigin::signed(BOB),
			protocol(),
			b"fork".to_vec(),
			b"FORK".to_vec(),
			curve(),
			Some(0)
		));
		assert_eq!(pallet::Projects::<Test>::get(1).unwrap().origin, Some(0));
		Registry::do_try_state().unwrap();
	});
}

#[test]
fn project_ids_that_would_overflow_are_an_error() {
	new_test_ext().execute_with(|| {
		NextProjectId::<Test>::put(ProjectId::MAX);
		assert_noop!(create(ALICE), ArithmeticError::Overflow);
	});
}

#[test]
fn creator_and_root_freeze_and_unfreeze_others_cannot() {
	new_test_ext().execute_with(|| {
		assert_ok!(create(ALICE));
		assert_noop!(
			Registry::freeze_project(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::NotCreatorOrAdmin
		);
		assert_noop!(Registry::freeze_project(RuntimeOrigin::none(), 0), DispatchError::BadOrigin);
		assert_noop!(
			Registry::unfreeze_project(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::NotFrozen
		);

		assert_ok!(Registry::freeze_project(RuntimeOrigin::signed(ALICE), 0));
		assert_eq!(last_event(), Event::ProjectFrozen { project: 0 }.into());
		assert!(!<Registry as Lineage<u64>>::is_active(0));
		assert_noop!(
			Registry::freeze_project(RuntimeOrigin::root(), 0),
			Error::<Test>::AlreadyFrozen
		);
		assert_noop!(
			Registry::unfreeze_project(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::NotCreatorOrAdmin
		);

		assert_ok!(Registry::unfreeze_project(RuntimeOrigin::root(), 0));
		assert_eq!(last_event(), Event::ProjectUnfrozen { project: 0 }.into());
		assert!(<Registry as Lineage<u64>>::is_active(0));
		assert_ok!(Registry::freeze_project(RuntimeOrigin::root(), 0));
	});
}

#[test]
fn freezing_an_unknown_project_is_an_error() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::freeze_project(RuntimeOrigin::root(), 9),
			Error::<Test>::UnknownProject
		);
		assert_noop!(
			Registry::unfreeze_project(RuntimeOrigin::signed(ALICE), 9),
			Error::<Test>::UnknownProject
		);
		assert!(!<Registry as Lineage<u64>>::is_active(9));
	});
}

#[test]
fn lineage_grows_through_the_trait_and_the_path_leads_back_to_the_root() {
	new_test_ext().execute_with(|| {
		assert_ok!(create(ALICE));
		type L = Registry;
		let n1 = <L as Lineage<u64>>::append_node(0, 0, artifact(11), -990_000, BOB, 7).unwrap();
		assert_eq!(n1, 1);
		assert_eq!(
			last_event(),
			Event::NodeAppended { project: 0, node: 1, parent: 0, score: -990_000 }.into()
		);
		// Appending does not move the best.
		assert_eq!(<L as Lineage<u64>>::best(0), Some((0, -997_900)));
		assert_ok!(<L as Lineage<u64>>::set_best(0, n1));
		assert_eq!(last_event(), Event::BestChanged { project: 0, from: 0, to: 1 }.into());
		let n2 = <L as Lineage<u64>>::append_node(0, n1, artifact(12), -980_000, BOB, 8).unwrap();
		// A sibling of n1: the DAG branches.
		let n3 =
			<L as Lineage<u64>>::append_node(0, 0, artifact(13), -985_000, CHARLIE, 9).unwrap();
		assert_ok!(<L as Lineage<u64>>::set_best(0, n2));

		let path: Vec<NodeId> =
			Registry::lineage_path(0).unwrap().into_iter().map(|(id, _)| id).collect();
		assert_eq!(path, vec![n2, n1, 0]);
		let node = Nodes::<Test>::get(0, n3).unwrap();
		assert_eq!(
			(node.parent, node.depth, node.miner, node.proposal),
			(Some(0), 1, Some(CHARLIE), Some(9))
		);
		assert_eq!(Nodes::<Test>::get(0, n2).unwrap().depth, 2);

		// A revert (an overturned approval) moves the best back.
		assert_ok!(<L as Lineage<u64>>::set_best(0, n1));
		assert_eq!(<L as Lineage<u64>>::best(0), Some((n1, -990_000)));
		Registry::do_try_state().unwrap();
	});
}

#[test]
fn the_lineage_path_is_bounded() {
	new_test_ext().execute_with(|| {
		assert_ok!(create(ALICE));
		let mut parent = 0;
		for i in 0..6u8 {
			parent = <Registry as Lineage<u64>>::append_node(
				0,
				parent,
				artifact(20 + i),
				i.into(),
				BOB,
				i.into(),
			)
			.unwrap();
		}
		assert_ok!(<Registry as Lineage<u64>>::set_best(0, parent));
		let path = Registry::lineage_path(0).unwrap();
		// MaxPathLen is 4: the best and its three nearest ancestors.
		assert_eq!(path.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![6, 5, 4, 3]);
		assert_eq!(path.last().unwrap().1.parent, Some(2), "the cut is visible");
		assert!(Registry::lineage_path(1).is_none());
	});
}

#[test]
fn lineage_trait_refuses_unknown_projects_and_nodes() {
	new_test_ext().execute_with(|| {
		type L = Registry;
		assert_noop!(
			<L as Lineage<u64>>::append_node(0, 0, artifact(1), 0, BOB, 1),
			Error::<Test>::UnknownProject
		);
		assert_noop!(<L as Lineage<u64>>::set_best(0, 0), Error::<Test>::UnknownProject);
		assert_ok!(create(ALICE));
		assert_noop!(
			<L as Lineage<u64>>::append_node(0, 5, artifact(1), 0, BOB, 1),
			Error::<Test>::UnknownNode
		);
		assert_noop!(<L as Lineage<u64>>::set_best(0, 5), Error::<Test>::UnknownNode);
		assert_eq!(<L as Lineage<u64>>::best(1), None);
	});
}

#[test]
fn a_lineage_as_deep_as_u32_counts_refuses_another_node() {
	new_test_ext().execute_with(|| {
		type L = Registry;
		assert_ok!(create(ALICE));
		// A chain of u32::MAX improvements cannot be built in a test; give the root its depth.
		Nodes::<Test>::mutate(0, 0, |node| node.as_mut().unwrap().depth = u32::MAX);
		assert_noop!(
			<L as Lineage<u64>>::append_node(0, 0, artifact(1), 0, BOB, 1),
			Error::<Test>::LineageTooDeep
		);
	});
}

#[test]
fn try_state_catches_a_missing_best_node() {
	new_test_ext().execute_with(|| {
		assert_ok!(create(ALICE));
		pallet::Projects::<Test>::mutate(0, |info| info.as_mut().unwrap().best = 42);
		assert!(Registry::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_an_unheld_deposit() {
	new_test_ext().execute_with(|| {
		assert_ok!(create(ALICE));
		assert_ok!(<Balances as frame_support::traits::fungible::MutateHold<u64>>::release(
			&HoldReason::ProjectDeposit.into(),
			&ALICE,
			100,
			frame_support::traits::tokens::Precision::Exact,
		));
		assert!(Registry::do_try_state().is_err());
	});
}

#[test]
fn a_creator_waits_the_status_change_delay_between_freezes_and_unfreezes() {
	new_test_ext().execute_with(|| {
		assert_ok!(create(ALICE));
		let delay: u64 =
			<<Test as Config>::StatusChangeDelay as frame_support::traits::Get<u64>>::get();
		// The first change is free.
		assert_ok!(Registry::freeze_project(RuntimeOrigin::signed(ALICE), 0));
		let frozen_at = System::block_number();
		System::set_block_number(frozen_at + delay - 1);
		assert_noop!(
			Registry::unfreeze_project(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::StatusChangeTooSoon
		);
		System::set_block_number(frozen_at + delay);
		assert_ok!(Registry::unfreeze_project(RuntimeOrigin::signed(ALICE), 0));
		assert_noop!(
			Registry::freeze_project(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::StatusChangeTooSoon
		);
		// Root is never held back (an emergency freeze).
		assert_ok!(Registry::freeze_project(RuntimeOrigin::root(), 0));
		assert_ok!(Registry::unfreeze_project(RuntimeOrigin::root(), 0));
	});
}
