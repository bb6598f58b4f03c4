// The dev node, through @polkadot/api (the library of Polkadot.js apps): chain properties,
// metadata, storage, a finalized transfer, and failures that come back by name.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyring } from '@polkadot/keyring';

import { UNIT, errorName, sendAndFinalize } from '../lib/poi.mjs';
import { startDevNodeWithKeys, waitForBlock } from './node-harness.mjs';

let node;
let api;
let alice;
let bob;

before(async () => {
  ({ node, api, alice, bob } = await startDevNodeWithKeys());
});

after(async () => {
  if (node) await node.stop();
});

test('chain properties say POI, 12 decimals, ss58 prefix 42', async () => {
  const properties = await api.rpc.system.properties();
  assert.deepEqual(properties.tokenSymbol.unwrap().map((s) => s.toString()), ['POI']);
  assert.deepEqual(properties.tokenDecimals.unwrap().map((d) => d.toNumber()), [12]);
  assert.equal(properties.ss58Format.unwrap().toNumber(), 42);
  assert.equal(api.registry.chainSS58, 42);
  assert.deepEqual(api.registry.chainTokens, ['POI']);
  assert.equal((await api.rpc.system.chain()).toString(), 'poi development');
  assert.equal(api.runtimeVersion.specName.toString(), 'poi');
});

test('metadata is v15 or newer and lists the runtime APIs', async () => {
  assert.ok(api.runtimeMetadata.version >= 15, `metadata v${api.runtimeMetadata.version}`);
  const versions = (await api.call.metadata.metadataVersions()).map((v) => v.toNumber());
  assert.ok(versions.includes(15), `metadata versions ${versions}`);
  const apiNames = api.runtimeMetadata.asLatest.apis.map((a) => a.name.toString());
  for (const name of ['Core', 'Metadata', 'AuraApi', 'GrandpaApi', 'TransactionPaymentApi']) {
    assert.ok(apiNames.includes(name), `runtime API ${name} missing from ${apiNames}`);
  }
  for (const pallet of ['system', 'balances', 'assets', 'sudo', 'aura', 'grandpa']) {
    assert.ok(api.query[pallet], `pallet ${pallet} missing`);
  }
});

test('storage reads: genesis endowment, root key, timestamp', async () => {
  await waitForBlock(api, 1);
  const account = await api.query.system.account(alice.address);
  assert.ok(account.data.free.toBigInt() > 0n);
  const bobAccount = await api.query.system.account(bob.address);
  assert.ok(bobAccount.data.free.toBigInt() >= 1_000_000n * UNIT - 10n * UNIT);
  assert.equal((await api.query.sudo.key()).unwrap().toString(), alice.address);
  const now = (await api.query.timestamp.now()).toNumber();
  assert.ok(Math.abs(now - Date.now()) < 10 * 60 * 1000, `timestamp ${now}`);
});

test('a signed transferKeepAlive from Alice to Bob is included, finalized and exact', async () => {
  const amount = 1_234_567_890_123n;
  const bobBefore = (await api.query.system.account(bob.address)).data.free.toBigInt();
  const aliceBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();

  const { inBlock, blockHash, events, dispatchError } = await sendAndFinalize(
    api.tx.balances.transferKeepAlive(bob.address, amount),
    alice,
  );
  assert.equal(dispatchError, null);
  assert.ok(inBlock, 'the transfer was seen in a block before finality');

  const finalizedHead = await api.rpc.chain.getFinalizedHead();
  const finalizedNumber = (await api.rpc.chain.getHeader(finalizedHead)).number.toNumber();
  const blockNumber = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  assert.ok(finalizedNumber >= blockNumber, 'the block is finalized');

  const at = await api.at(blockHash);
  const bobAfter = (await at.query.system.account(bob.address)).data.free.toBigInt();
  const aliceAfter = (await at.query.system.account(alice.address)).data.free.toBigInt();
  assert.equal(bobAfter - bobBefore, amount);

  const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
  assert.ok(transfer, 'a Transfer event');
  assert.equal(transfer.event.data.amount.toBigInt(), amount);
  const feeEvent = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  const fee = feeEvent.event.data.actualFee.toBigInt() - feeEvent.event.data.tip.toBigInt();
  assert.ok(fee > 0n);
  assert.equal(aliceBefore - aliceAfter, amount + fee);
});

test('a transfer above the balance fails with its error by name', async () => {
  const free = (await api.query.system.account(alice.address)).data.free.toBigInt();
  const { dispatchError, events } = await sendAndFinalize(
    api.tx.balances.transferKeepAlive(bob.address, free * 2n),
    alice,
  );
  assert.ok(dispatchError, 'the transfer must fail');
  assert.equal(errorName(api, dispatchError), 'token.FundsUnavailable');
  assert.ok(events.some(({ event }) => api.events.system.ExtrinsicFailed.is(event)));
});

test('an asset transfer above the holding fails with the module error assets.BalanceLow', async () => {
  const assetId = 4242;
  const includedOnly = { finalized: false };
  const setup = await sendAndFinalize(api.tx.assets.create(assetId, alice.address, 1n), alice, includedOnly);
  assert.equal(setup.dispatchError, null);
  const mint = await sendAndFinalize(api.tx.assets.mint(assetId, alice.address, 100n), alice, includedOnly);
  assert.equal(mint.dispatchError, null);
  assert.equal((await api.query.assets.account(assetId, alice.address)).unwrap().balance.toBigInt(), 100n);

  const { dispatchError } = await sendAndFinalize(
    api.tx.assets.transfer(assetId, bob.address, 1000n),
    alice,
    includedOnly,
  );
  assert.ok(dispatchError?.isModule, 'a module error');
  assert.equal(errorName(api, dispatchError), 'assets.BalanceLow');
  assert.equal((await api.query.assets.account(assetId, bob.address)).isNone, true);
});

test('a transaction from an account that cannot pay fees is refused by the pool', async () => {
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const pauper = keyring.addFromUri('//poi-e2e-pauper');
  await assert.rejects(
    api.tx.balances.transferKeepAlive(bob.address, 1n).signAndSend(pauper),
    /Inability to pay some fees/,
  );
});
