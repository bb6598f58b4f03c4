// A proposal's whole life through @polkadot/api, as a miner's and three verifiers' clients would
// drive it (this test submits the verdicts itself; runner.test.mjs leaves them to the off-chain
// worker): commit a hash, reveal the candidate with only a hash of the claimed score, three
// verifiers commit signed verdicts, the miner reveals its claim, the verifiers reveal, and the
// runtime settles and pays the verifiers their fee. One round ends approved (the best advances), one rejected (the inflated
// claim's stake is slashed and the verifiers claim their share). Hashes, the runner's signed
// payload and the verdict encoding are built here from the metadata's types, which is what
// any client must do.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { u8aToHex } from '@polkadot/util';

import {
  TEST_CURVE, UNIT, assetOf, claimHash, errorName, proposalCommitment, roundOf, runnerPayload, sendAndFinalize,
  verdictCommitment,
} from '../lib/poi.mjs';
import { startDevNodeWithKeys } from './node-harness.mjs';

const included = { finalized: false };
const BASELINE = -997_900n;

let node;
let api;
let keyring;
let alice;
let bob;
let verifiers; // [{ account, runner }]
let project;
let asset;

const artifact = (byte, cid) => ({ digest: `0x${byte.repeat(32)}`, cid });

const protocol = {
  document: artifact('01', 'bafkreidocument'),
  repository: artifact('02', 'bafkreirepository'),
  benchmark: artifact('03', 'bafkreibenchmark'),
  baselineMetrics: artifact('04', 'bafkreimetrics'),
  metric: { name: 'val_bpb', direction: 'Minimize', scaleExponent: 6 },
  baselineScore: BASELINE,
  minImprovementBps: 50,
  toleranceBps: 100,
  quorum: 3,
  evaluator: { Wasm: { fuel: 1_000_000_000 } },
};

const salt = (byte) => `0x${byte.repeat(32)}`;

/** What Bob claimed for each proposal, to reveal once its verdicts are committed. */
const claims = new Map();

const score = (value) => ({ Score: { score: value, log: artifact('aa', 'bafkreilog') } });

/** `account`'s commitment to `verdict` for `proposal` (the tests' verdict salt). */
const verdictHash = (proposal, verdict, account) =>
  verdictCommitment(api, { proposal, verdict, salt: salt('5e'), verifier: account.address });

/**
 * The runner's signature over (genesis hash, proposal, round kind, seed, verifier,
 * BLAKE2-256(verdict)): good for one verdict of one verifier in one round.
 */
const runnerSignature = (runner, account, proposal, verdict, round) =>
  runner.sign(runnerPayload(api, { proposal, verdict, verifier: account.address, round }));

const tokens = async (who) => {
  const account = await api.query.assets.account(asset, who);
  return account.isSome ? account.unwrap().balance.toBigInt() : 0n;
};
const find = (events, section, name) => events.find(({ event }) => api.events[section][name].is(event));

/** Waits for the draw of proposal `id`'s round (a hook, two blocks after the reveal); its verifiers. */
async function drawn(id) {
  for (let tries = 0; tries < 60; tries += 1) {
    const round = await api.query.proposals.rounds(id);
    if (round.isSome && !round.unwrap().phase.isDraw) {
      return round.unwrap().assignments.map((a) => a.verifier.toString());
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the round of proposal ${id} was not drawn`);
}

/**
 * Bob commits and, in a later block, reveals; the round is drawn two blocks later, from
 * randomness the reveal could not know. Returns the proposal id and the round's verifiers.
 */
async function propose(tag, claim, stake) {
  const code = artifact(tag, `bafkreicandidate${tag}`);
  const hidden = claimHash(api, claim, salt(tag));
  const c = proposalCommitment(api, { project, code, claim: hidden, proposer: bob.address });
  const committed = await sendAndFinalize(api.tx.proposals.commit(project, c, stake), bob, included);
  assert.equal(committed.dispatchError, null);
  const revealed = await sendAndFinalize(api.tx.proposals.reveal(c, 0, code, hidden), bob, included);
  assert.equal(revealed.dispatchError, null);
  const shown = find(revealed.events, 'proposals', 'Revealed').event.data;
  const id = shown.proposal.toNumber();
  assert.equal(shown.claim.toHex(), u8aToHex(hidden), 'the reveal shows a hash of the claim');
  assert.equal(shown.fee.toBigInt(), 3n * api.consts.proposals.verifierFee.toBigInt(), 'a fee for a quorum of three');
  claims.set(id, { claim, salt: salt(tag) });
  assert.equal(find(revealed.events, 'proposals', 'RoundStarted'), undefined, 'no committee at the reveal');
  const scheduled = find(revealed.events, 'proposals', 'RoundScheduled').event.data;
  const revealBlock = (await api.rpc.chain.getHeader(revealed.blockHash)).number.toNumber();
  assert.equal(scheduled.drawAt.toNumber(), revealBlock + 2);
  const atReveal = (await (await api.at(revealed.blockHash)).query.proposals.rounds(id)).unwrap();
  assert.ok(atReveal.phase.isDraw && atReveal.assignments.length === 0, 'the round waits for its draw');
  return { id, drawn: await drawn(id) };
}

/**
 * Every verifier commits `verdict` (in parallel); Bob reveals his claim; then the verifiers
 * reveal their verdicts signed by their runners.
 */
async function verify(id, verdict) {
  const commits = await Promise.all(verifiers.map(({ account }) => sendAndFinalize(
    api.tx.proposals.commitVerdict(id, verdictHash(id, verdict, account)),
    account,
    included,
  )));
  for (const c of commits) assert.equal(c.dispatchError, null);
  const { claim, salt: claimSalt } = claims.get(id);
  const claimed = await sendAndFinalize(api.tx.proposals.revealClaim(id, claim, claimSalt), bob, included);
  assert.equal(claimed.dispatchError, null);
  assert.equal(find(claimed.events, 'proposals', 'ClaimRevealed').event.data.claimedScore.toBigInt(), claim);
  const round = await roundOf(api, id);
  const reveals = await Promise.all(verifiers.map(({ account, runner }) => sendAndFinalize(
    api.tx.proposals.revealVerdict(id, verdict, salt('5e'), runnerSignature(runner, account, id, verdict, round)),
    account,
    included,
  )));
  for (const r of reveals) assert.equal(r.dispatchError, null);
  return reveals.flatMap((r) => r.events);
}

before(async () => {
  ({ node, api, keyring, alice, bob } = await startDevNodeWithKeys());
  verifiers = ['Charlie', 'Dave', 'Eve'].map((name) => ({
    account: keyring.addFromUri(`//${name}`),
    runner: keyring.addFromUri(`//${name}//runner`),
  }));
});

after(async () => {
  if (node) await node.stop();
});

test('the metadata shows both pallets and the ProposalsApi runtime API', async () => {
  for (const call of ['commit', 'reveal', 'commitVerdict', 'revealClaim', 'revealVerdict', 'challenge']) {
    assert.ok(api.tx.proposals[call], `proposals.${call}`);
  }
  for (const call of ['register', 'setRunnerKey', 'unbond', 'withdrawUnbonded', 'reap', 'claimRewards', 'rejoin']) {
    assert.ok(api.tx.verifiers[call], `verifiers.${call}`);
  }
  const apis = api.runtimeMetadata.asLatest.apis.map((a) => a.name.toString());
  assert.ok(apis.includes('ProposalsApi'), `runtime APIs: ${apis}`);
  for (const method of ['projectProposals', 'proposal', 'assignments']) {
    assert.ok(api.call.proposalsApi[method], `proposalsApi.${method}`);
  }
});

test('a project, a miner with tokens, and three verifiers with runner keys', async () => {
  project = (await api.query.projects.nextProjectId()).toNumber();
  asset = assetOf(project);
  const created = await sendAndFinalize(
    api.tx.projects.createProject(protocol, 'proposals e2e', 'PROP', TEST_CURVE, null), alice, included,
  );
  assert.equal(created.dispatchError, null);
  const bought = await sendAndFinalize(api.tx.bondingCurve.buy(project, 30, 1_000n * UNIT), bob, included);
  assert.equal(bought.dispatchError, null);
  assert.equal(await tokens(bob.address), 30n);

  // The dev chain's own verifier, Alice (served by `poi-runner --dev`), steps aside so that
  // the rounds below draw exactly the test's three verifiers, whose verdicts the test signs.
  const aliceInfo = (await api.query.verifiers.verifiers(alice.address)).unwrap();
  assert.equal(aliceInfo.bond.toBigInt(), 1_000n * UNIT);
  assert.equal((await api.query.verifiers.runnerKeys(aliceInfo.runnerKey)).unwrap().toString(), alice.address);
  const stepAside = await sendAndFinalize(api.tx.verifiers.unbond(aliceInfo.bond), alice, included);
  assert.equal(stepAside.dispatchError, null);
  assert.equal((await api.query.verifiers.verifiers(alice.address)).unwrap().bond.toBigInt(), 0n);

  const bond = api.consts.verifiers.minBond.toBigInt();
  const registered = await Promise.all(verifiers.map(({ account, runner }) =>
    sendAndFinalize(api.tx.verifiers.register(bond, runner.publicKey, { wasm: true, candleGpt: false, command: false }), account, included)));
  for (const r of registered) assert.equal(r.dispatchError, null);
  for (const { account, runner } of verifiers) {
    const info = (await api.query.verifiers.verifiers(account.address)).unwrap();
    assert.equal(info.bond.toBigInt(), bond);
    assert.equal(info.runnerKey.toHex(), u8aToHex(runner.publicKey));
    const held = (await api.query.balances.holds(account.address)).find((h) => h.id.isVerifiers);
    assert.equal(held.amount.toBigInt(), bond);
  }
});

test('a reproduced improvement is approved and becomes the best', async () => {
  const claim = -990_000n;
  const { id, drawn } = await propose('71', claim, 5);
  assert.deepEqual([...drawn].sort(), verifiers.map((v) => v.account.address).sort());
  assert.equal(await tokens(bob.address), 25n, 'the stake left the miner');

  // What each verifier's off-chain worker will read.
  const jobs = await api.call.proposalsApi.assignments(verifiers[0].account.address);
  const job = jobs.find((j) => j.proposal.toNumber() === id);
  assert.ok(job, 'the round is in the verifier\'s assignments');
  assert.equal(job.phase.toString(), 'Commit');
  assert.ok(!('claimedScore' in job.toJSON()), 'no claim in the assignment');
  assert.ok(!JSON.stringify(job.toJSON()).includes(claim.toString()), 'nor anywhere in it');
  const stored = (await api.query.proposals.proposals(id)).unwrap();
  assert.ok(stored.claim.isHidden, 'the stored claim is a hash until the verdicts are committed');

  const events = await verify(id, score(claim));
  const settled = find(events, 'proposals', 'Settled');
  assert.ok(settled, 'the last reveal settles the round');
  assert.ok(settled.event.data.status.isApproved);
  assert.equal(settled.event.data.verifiedScore.unwrap().toBigInt(), claim);

  const proposal = (await api.call.proposalsApi.proposal(id)).unwrap();
  assert.ok(proposal.status.isApproved);
  assert.equal(proposal.status.asApproved.node.toNumber(), 1);
  assert.equal(proposal.status.asApproved.previousScore.toBigInt(), BASELINE);
  // The reward was minted at the approval, priced then, and waits in the stake account
  // until the challenge window closes.
  const reward = proposal.status.asApproved.reward;
  assert.ok(reward.isEscrowed, 'paid when the challenge window closes');
  assert.equal(reward.asEscrowed.amount.toBigInt(), 10n);
  assert.ok(reward.asEscrowed.value.toBigInt() > 0n);
  // The proposal's storage deposit stays held with its lineage node.
  const deposit = api.consts.proposals.proposalDeposit.toBigInt();
  assert.equal(proposal.deposit.toBigInt(), deposit);
  const overview = (await api.call.bondingCurveApi.overview(project)).unwrap();
  assert.equal(overview.bestNode.toNumber(), 1);
  assert.equal(overview.bestScore.toBigInt(), claim);
  const node1 = (await api.query.projects.nodes(project, 1)).unwrap();
  assert.equal(node1.miner.unwrap().toString(), bob.address);
  const fee = api.consts.proposals.verifierFee.toBigInt();
  for (const { account } of verifiers) {
    const stats = (await api.query.verifiers.verifiers(account.address)).unwrap().stats;
    assert.equal(stats.rounds.toNumber(), 1);
    assert.equal(stats.agreed.toNumber(), 1);
    const earned = await api.query.verifiers.pendingRewards(account.address, 'Native');
    assert.equal(earned.unwrap().toBigInt(), fee, 'each agreeing verifier earned its share of the fee');
  }
  assert.equal((await api.call.proposalsApi.assignments(verifiers[0].account.address)).length, 0);
  const listed = await api.call.proposalsApi.projectProposals(project, 0, 100);
  assert.deepEqual(listed.map(([pid]) => pid.toNumber()), [id]);
  assert.equal((await api.call.proposalsApi.projectProposals(project, 1, 100)).length, 0, 'one page');
});

test('an inflated claim is rejected, its stake slashed, and the verifiers claim their share', async () => {
  const supplyBefore = (await api.query.assets.asset(asset)).unwrap().supply.toBigInt();
  const { id } = await propose('72', -900_000n, 6);
  const events = await verify(id, score(-995_000n));
  const settled = find(events, 'proposals', 'Settled');
  assert.ok(settled.event.data.status.isRejected);
  assert.equal(settled.event.data.status.asRejected.toString(), 'Misclaimed');
  // Half of 6 to three verifiers (1 each), the rest burned.
  const slashed = find(events, 'proposals', 'StakeSlashed').event.data;
  assert.equal(slashed.toVerifiers.toBigInt(), 3n);
  assert.equal(slashed.burned.toBigInt(), 3n);
  assert.equal((await api.query.assets.asset(asset)).unwrap().supply.toBigInt(), supplyBefore - 3n);
  assert.equal(await tokens(bob.address), 19n, 'the second stake is gone');
  const overview = (await api.call.bondingCurveApi.overview(project)).unwrap();
  assert.equal(overview.bestNode.toNumber(), 1, 'the best did not move');

  const charlie = verifiers[0].account;
  const pending = await api.query.verifiers.pendingRewards(charlie.address, { Token: asset });
  assert.equal(pending.unwrap().toBigInt(), 1n);
  const claimed = await sendAndFinalize(api.tx.verifiers.claimRewards({ Token: asset }), charlie, included);
  assert.equal(claimed.dispatchError, null);
  assert.equal(await tokens(charlie.address), 1n);
  const again = await sendAndFinalize(api.tx.verifiers.claimRewards({ Token: asset }), charlie, included);
  assert.equal(errorName(api, again.dispatchError), 'verifiers.NoRewards');
});

test('verdicts from strangers, before the reveal phase, or with a bad runner signature are refused', async () => {
  const { id } = await propose('73', -990_500n, 5);
  const verdict = score(-990_500n);
  const ferdie = keyring.addFromUri('//Ferdie');
  const stranger = await sendAndFinalize(
    api.tx.proposals.commitVerdict(id, verdictHash(id, verdict, ferdie)), ferdie, included,
  );
  assert.equal(errorName(api, stranger.dispatchError), 'proposals.NotAssigned');

  const { claim, salt: claimSalt } = claims.get(id);
  const earlyClaim = await sendAndFinalize(api.tx.proposals.revealClaim(id, claim, claimSalt), bob, included);
  assert.equal(errorName(api, earlyClaim.dispatchError), 'proposals.NotClaimPhase', 'no claim before the verdicts');

  const [first, ...others] = verifiers;
  const round = await roundOf(api, id);
  const sign = (runner, proposal, v, over = {}) =>
    runnerSignature(runner, first.account, proposal, v, { ...round, ...over });
  const early = await sendAndFinalize(
    api.tx.proposals.revealVerdict(id, verdict, salt('5e'), sign(first.runner, id, verdict)),
    first.account,
    included,
  );
  assert.equal(errorName(api, early.dispatchError), 'proposals.NotRevealPhase');

  await Promise.all(verifiers.map(({ account }) => sendAndFinalize(
    api.tx.proposals.commitVerdict(id, verdictHash(id, verdict, account)), account, included,
  )));
  // Signed by another verifier's runner; by the right runner for another proposal, another
  // round kind, another seed, or another verifier.
  const forged = await sendAndFinalize(
    api.tx.proposals.revealVerdict(id, verdict, salt('5e'), sign(others[0].runner, id, verdict)),
    first.account,
    included,
  );
  assert.equal(errorName(api, forged.dispatchError), 'proposals.BadRunnerSignature');
  const replays = [
    sign(first.runner, id - 1, verdict),
    sign(first.runner, id, verdict, { kind: 'Challenge' }),
    sign(first.runner, id, verdict, { seed: salt('ee') }),
    runnerSignature(first.runner, others[0].account, id, verdict, round),
  ];
  for (const signature of replays) {
    const replayed = await sendAndFinalize(
      api.tx.proposals.revealVerdict(id, verdict, salt('5e'), signature), first.account, included,
    );
    assert.equal(errorName(api, replayed.dispatchError), 'proposals.BadRunnerSignature');
  }
  const mismatch = await sendAndFinalize(
    api.tx.proposals.revealVerdict(id, score(-980_000n), salt('5e'), sign(first.runner, id, score(-980_000n))),
    first.account,
    included,
  );
  assert.equal(errorName(api, mismatch.dispatchError), 'proposals.VerdictMismatch');
});

test('what a commit costs next to a transfer', async () => {
  const transfer = await api.tx.balances.transferKeepAlive(alice.address, UNIT).paymentInfo(bob);
  const commit = await api.tx.proposals.commit(project, salt('99'), 1).paymentInfo(bob);
  const t = transfer.weight.refTime.toBigInt();
  const c = commit.weight.refTime.toBigInt();
  console.log(`# weights (ref_time): transferKeepAlive ${t}, proposals.commit ${c} (${(Number(c) / Number(t)).toFixed(2)}x)`);
  const verdictFee = await api.tx.proposals.commitVerdict(0, salt('98')).paymentInfo(verifiers[0].account);
  const fee = api.consts.proposals.verifierFee.toBigInt();
  console.log(`# a verdict commit's transaction fee ${verdictFee.partialFee.toBigInt()}, a verifier's share of the verification fee ${fee}`);
  assert.ok(fee > 10n * verdictFee.partialFee.toBigInt(), 'the fee pays a verifier more than its transactions cost');
  assert.ok(c > t, 'a commit does more than a transfer');
});
