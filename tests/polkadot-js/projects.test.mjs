// Projects and their tokens through @polkadot/api, as Polkadot.js apps would use them: create a
// project, buy and sell its token at quotes read from the runtime API, read the overview, and
// see refused inputs and slippage bounds come back as named module errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { PROJECT_TOKEN_ASSET_IDS, UNIT, assetOf, errorName, sendAndFinalize } from '../lib/poi.mjs';
import { startDevNodeWithKeys } from './node-harness.mjs';

const included = { finalized: false };

// Base price 1 POI, slope 0.1 POI: the curve of DESIGN.md in exact integers.
const BASE = UNIT;
const SLOPE = UNIT / 10n;
const ESCROW = 1_000n * UNIT;
const cost = (supply, n) => n * BASE + SLOPE * (n * supply + (n * (n - 1n)) / 2n);

let node;
let api;
let alice;
let bob;
let project;

const artifact = (byte, cid) => ({ digest: `0x${byte.repeat(32)}`, cid });

function protocol(overrides = {}) {
  return {
    document: artifact('01', 'bafkreidocument'),
    repository: artifact('02', 'bafkreirepository'),
    benchmark: artifact('03', 'bafkreibenchmark'),
    baselineMetrics: artifact('04', 'bafkreimetrics'),
    metric: { name: 'val_bpb', direction: 'Minimize', scaleExponent: 6 },
    baselineScore: -997_900,
    minImprovementBps: 50,
    toleranceBps: 100,
    quorum: 3,
    evaluator: { Wasm: { fuel: 1_000_000_000 } },
    ...overrides,
  };
}

const curve = {
  basePrice: BASE,
  slope: SLOPE,
  minerPoolCap: 1_000n,
  rewardPerApproval: 10n,
  initialEscrow: ESCROW,
};

const free = async (who) => (await api.query.system.account(who.address)).data.free.toBigInt();
const fee = (events) => {
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  return paid.event.data.actualFee.toBigInt();
};
const tokens = async (who) => {
  const account = await api.query.assets.account(assetOf(project), who.address);
  return account.isSome ? account.unwrap().balance.toBigInt() : 0n;
};
const overview = async () => (await api.call.bondingCurveApi.overview(project)).unwrap();

before(async () => {
  ({ node, api, alice, bob } = await startDevNodeWithKeys());
});

after(async () => {
  if (node) await node.stop();
});

test('the metadata shows both pallets and the BondingCurveApi runtime API', async () => {
  assert.ok(api.tx.projects.createProject, 'projects.createProject');
  assert.ok(api.tx.projects.freezeProject && api.tx.projects.unfreezeProject);
  for (const call of ['buy', 'sell', 'fundRewards']) assert.ok(api.tx.bondingCurve[call], call);
  assert.ok(api.query.projects.projects && api.query.projects.nodes && api.query.bondingCurve.tokens);
  const apis = api.runtimeMetadata.asLatest.apis.map((a) => a.name.toString());
  assert.ok(apis.includes('BondingCurveApi'), `runtime APIs: ${apis}`);
  for (const method of ['quoteBuy', 'quoteSell', 'price', 'overview']) {
    assert.ok(api.call.bondingCurveApi[method], `bondingCurveApi.${method}`);
  }
});

test('a malformed project is refused with a named error and creates nothing', async () => {
  const next = (await api.query.projects.nextProjectId()).toNumber();
  const { dispatchError } = await sendAndFinalize(
    api.tx.projects.createProject(protocol({ quorum: 0 }), 'nanogpt speedrun', 'NANO', curve, null),
    alice,
    included,
  );
  assert.equal(errorName(api, dispatchError), 'projects.ZeroQuorum');
  const flat = await sendAndFinalize(
    api.tx.projects.createProject(protocol(), 'nanogpt speedrun', 'NANO', { ...curve, basePrice: 0, slope: 0 }, null),
    alice,
    included,
  );
  assert.equal(errorName(api, flat.dispatchError), 'projects.FlatCurve');
  // Projects that would burn verifiers: a budget no runner finishes in a round, a training
  // tolerance honest runs cannot meet, a baseline whose sign contradicts its direction.
  const refused = [
    [{ evaluator: { Wasm: { fuel: api.consts.projects.maxWasmFuel.toBigInt() + 1n } } }, 'projects.BudgetTooLarge'],
    [{ evaluator: { CandleGpt: { steps: api.consts.projects.maxCandleGptSteps.toNumber() + 1 } } }, 'projects.BudgetTooLarge'],
    [{ evaluator: { CandleGpt: { steps: 1_000 } }, toleranceBps: 0 }, 'projects.ToleranceTooSmall'],
    [{ baselineScore: 997_900 }, 'projects.BaselineSignMismatch'],
  ];
  for (const [overrides, error] of refused) {
    const r = await sendAndFinalize(
      api.tx.projects.createProject(protocol(overrides), 'nanogpt speedrun', 'NANO', curve, null), alice, included,
    );
    assert.equal(errorName(api, r.dispatchError), error);
  }
  // A CID longer than the bound that chain, runners and clients share does not even decode:
  // the pool's validation refuses the transaction (a verification error, not a module error).
  const maxCid = api.consts.projects.maxCidLen.toNumber();
  assert.equal(maxCid, 128);
  const longCid = protocol({ document: artifact('01', 'Q'.repeat(maxCid + 1)) });
  await assert.rejects(
    sendAndFinalize(api.tx.projects.createProject(longCid, 'nanogpt speedrun', 'NANO', curve, null), alice, included),
    /1002: Verification Error/,
  );
  assert.equal((await api.query.projects.minQuorum()).toNumber(), 1, 'the dev chain allows a quorum of one');
  assert.equal((await api.query.projects.nextProjectId()).toNumber(), next);
});

test('Alice creates a project: deposit held, token launched, escrow funded', async () => {
  project = (await api.query.projects.nextProjectId()).toNumber();
  const before = await free(alice);
  const { dispatchError, events } = await sendAndFinalize(
    api.tx.projects.createProject(protocol(), 'nanogpt speedrun', 'NANO', curve, null),
    alice,
    included,
  );
  assert.equal(dispatchError, null);
  const created = events.find(({ event }) => api.events.projects.ProjectCreated.is(event));
  assert.equal(created.event.data.project.toNumber(), project);
  assert.equal(created.event.data.baselineScore.toBigInt(), -997_900n);
  const launched = events.find(({ event }) => api.events.bondingCurve.TokenLaunched.is(event));
  const assetId = assetOf(project);
  assert.equal(launched.event.data.asset.toBigInt(), assetId);

  const info = (await api.query.projects.projects(project)).unwrap();
  assert.equal(info.creator.toString(), alice.address);
  assert.equal(info.protocol.quorum.toNumber(), 3);
  assert.equal(info.status.toString(), 'Active');
  const deposit = api.consts.projects.projectDeposit.toBigInt();
  assert.equal(info.deposit.toBigInt(), deposit);
  const metadata = await api.query.assets.metadata(assetId);
  assert.equal(metadata.symbol.toUtf8(), 'NANO');
  assert.equal(metadata.decimals.toNumber(), 0);
  // Alice paid the deposit (held), the escrow, the token accounts' minimums, the metadata
  // deposit and the fee.
  const held = (await api.query.balances.holds(alice.address)).find((h) => h.id.isProjects);
  assert.equal(held.amount.toBigInt(), deposit);
  const ed = api.consts.balances.existentialDeposit.toBigInt();
  const metadataDeposit = metadata.deposit.toBigInt();
  assert.equal(before - (await free(alice)), deposit + ESCROW + 2n * ed + metadataDeposit + fee(events));

  const view = await overview();
  assert.equal(view.asset.toBigInt(), assetId);
  assert.equal(view.active.isTrue, true);
  assert.equal(view.bestNode.toNumber(), 0);
  assert.equal(view.bestScore.toBigInt(), -997_900n);
  assert.equal(view.supply.toBigInt(), 0n);
  assert.equal(view.reserve.toBigInt(), 0n);
  assert.equal(view.escrow.toBigInt(), ESCROW);
  assert.equal(view.poolCap.toBigInt(), 1_000n);
  assert.equal((await api.call.bondingCurveApi.price(project)).unwrap().toBigInt(), BASE);
});

test('Bob buys at the quoted cost and sells back at the quoted refund', async () => {
  const quote = (await api.call.bondingCurveApi.quoteBuy(project, 5)).unwrap().toBigInt();
  assert.equal(quote, cost(0n, 5n));
  const before = await free(bob);
  const bought = await sendAndFinalize(api.tx.bondingCurve.buy(project, 5, quote), bob, included);
  assert.equal(bought.dispatchError, null);
  assert.equal(before - (await free(bob)), quote + fee(bought.events));
  assert.equal(await tokens(bob), 5n);
  let view = await overview();
  assert.equal(view.supply.toBigInt(), 5n);
  assert.equal(view.reserve.toBigInt(), quote);
  assert.equal(view.price.unwrap().toBigInt(), BASE + 5n * SLOPE);

  const refund = (await api.call.bondingCurveApi.quoteSell(project, 2)).unwrap().toBigInt();
  assert.equal(refund, cost(3n, 2n));
  const mid = await free(bob);
  const sold = await sendAndFinalize(api.tx.bondingCurve.sell(project, 2, refund), bob, included);
  assert.equal(sold.dispatchError, null);
  const soldEvent = sold.events.find(({ event }) => api.events.bondingCurve.Sold.is(event));
  assert.equal(soldEvent.event.data.refund.toBigInt(), refund);
  assert.equal((await free(bob)) - mid, refund - fee(sold.events));
  assert.equal(await tokens(bob), 3n);
  view = await overview();
  assert.equal(view.supply.toBigInt(), 3n);
  assert.equal(view.reserve.toBigInt(), cost(0n, 3n));
});

test('slippage bounds fail with bondingCurve.CostAboveMax and RefundBelowMin', async () => {
  const quote = (await api.call.bondingCurveApi.quoteBuy(project, 4)).unwrap().toBigInt();
  const buy = await sendAndFinalize(api.tx.bondingCurve.buy(project, 4, quote - 1n), bob, included);
  assert.equal(errorName(api, buy.dispatchError), 'bondingCurve.CostAboveMax');
  const refund = (await api.call.bondingCurveApi.quoteSell(project, 1)).unwrap().toBigInt();
  const sell = await sendAndFinalize(api.tx.bondingCurve.sell(project, 1, refund + 1n), bob, included);
  assert.equal(errorName(api, sell.dispatchError), 'bondingCurve.RefundBelowMin');
  assert.equal(await tokens(bob), 3n);
});

test('a frozen project trades nothing; quotes for unknown projects are None', async () => {
  const frozen = await sendAndFinalize(api.tx.projects.freezeProject(project), alice, included);
  assert.equal(frozen.dispatchError, null);
  const buy = await sendAndFinalize(api.tx.bondingCurve.buy(project, 1, 10n * UNIT), bob, included);
  assert.equal(errorName(api, buy.dispatchError), 'bondingCurve.ProjectFrozen');
  assert.equal((await overview()).active.isFalse, true);
  const notCreator = await sendAndFinalize(api.tx.projects.unfreezeProject(project), bob, included);
  assert.equal(errorName(api, notCreator.dispatchError), 'projects.NotCreatorOrAdmin');
  // The creator waits `statusChangeDelay` blocks before it may unfreeze; root does not.
  assert.equal(api.consts.projects.statusChangeDelay.toNumber(), 600);
  const tooSoon = await sendAndFinalize(api.tx.projects.unfreezeProject(project), alice, included);
  assert.equal(errorName(api, tooSoon.dispatchError), 'projects.StatusChangeTooSoon');
  const opened = await sendAndFinalize(
    api.tx.sudo.sudo(api.tx.projects.unfreezeProject(project)), alice, included);
  assert.equal(opened.dispatchError, null);
  assert.ok(opened.events.some(({ event }) => event.section === 'projects' && event.method === 'ProjectUnfrozen'));
  assert.equal((await api.call.bondingCurveApi.quoteBuy(999, 1)).isNone, true);
  assert.equal((await api.call.bondingCurveApi.overview(999)).isNone, true);
});

test('nobody can create an asset in the project-token id range', async () => {
  const { dispatchError } = await sendAndFinalize(
    api.tx.assets.create(PROJECT_TOKEN_ASSET_IDS + 77n, bob.address, 1n),
    bob,
    included,
  );
  assert.equal(errorName(api, dispatchError), 'BadOrigin');
});

test('weights: buy and createProject next to transferKeepAlive', async () => {
  const weigh = async (tx) => (await tx.paymentInfo(bob)).weight.refTime.toBigInt();
  const transfer = await weigh(api.tx.balances.transferKeepAlive(alice.address, UNIT));
  const buy = await weigh(api.tx.bondingCurve.buy(project, 1, UNIT * 10n));
  const sell = await weigh(api.tx.bondingCurve.sell(project, 1, 0));
  const create = await weigh(api.tx.projects.createProject(protocol(), 'nanogpt speedrun', 'NANO', curve, null));
  console.log(
    `ref_time weight: transferKeepAlive ${transfer}, buy ${buy} (${(Number(buy) / Number(transfer)).toFixed(2)}x), ` +
      `sell ${sell} (${(Number(sell) / Number(transfer)).toFixed(2)}x), ` +
      `createProject ${create} (${(Number(create) / Number(transfer)).toFixed(2)}x)`,
  );
  // The benchmarked weights are real figures, neither zero nor a placeholder second.
  for (const w of [buy, sell, create]) {
    assert.ok(w > transfer / 10n && w < 1_000_000_000_000n, `weight ${w}`);
  }
});
