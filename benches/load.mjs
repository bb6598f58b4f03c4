// The load bench (benches/load.sh runs it): the local testnet's four validators (alice, bob,
// charlie, dave: `poi-node --chain local --<name>`, on loopback), each beside its runner
// (`poi-runner serve --dev-account <name>`, so the four are the genesis verifiers), driven by
// many miners at once on wasm projects (quorum 3 of the 4 verifiers). In stages of more and
// more miners, each miner proposes, waits for its round to settle (revealing its claim when
// due) and proposes again, until the stage's time is up; then the stage drains. Each candidate
// is the wasm example's faster one with a custom section of its own (a digest never seen, the
// same score). Per stage it prints: proposals settled and settled per hour, blocks from reveal
// to settlement (median, 95th percentile, max), how full the blocks were (normal-class weight
// and extrinsics), how busy the runners were, and the rounds not settled by the end of the
// drain: lost (unknown to the chain), stuck (past their deadlines) or just unsettled. Bounded: a stage runs its minutes and drains at most `--drain`
// blocks; everything listens on 127.0.0.1 and stops at the end. Exits 1 when a round was lost
// or stuck.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { sr25519Keyring, startDevRunner, startNode } from '../tests/polkadot-js/node-harness.mjs';
import {
  NODE_BIN, TEST_CURVE, UNIT, claimHash, proposalCommitment, revealClaimWhenDue, sendOk, wasmExampleFiles,
  wasmExampleFuel, wasmExampleScore,
} from '../tests/lib/poi.mjs';

const { values: options } = parseArgs({
  options: {
    miners: { type: 'string', default: '4,16,32' },
    minutes: { type: 'string', default: '4' },
    projects: { type: 'string', default: '2' },
    drain: { type: 'string', default: '30' },
    out: { type: 'string' },
  },
});
const STAGES = options.miners.split(',').map(Number);
const STAGE_MS = Number(options.minutes) * 60_000;
const PROJECTS = Number(options.projects);
const DRAIN_BLOCKS = Number(options.drain);
if (!STAGES.every((n) => Number.isInteger(n) && n > 0 && n <= 64) || !(STAGE_MS > 0) || !(PROJECTS > 0)
  || !(DRAIN_BLOCKS > 0)) {
  console.error('usage: load.mjs [--miners 4,16,32 (1 to 64 each)] [--minutes 4] [--projects 2] [--drain 30] [--out figures.json]');
  process.exit(2);
}

const VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];
/** Each miner's stake per proposal, in project tokens, and the tokens it buys. */
const STAKE = 5;
const TOKENS = 200;
/** A curve that stays near 1 POI a token however many miners buy. */
const LOAD_CURVE = { ...TEST_CURVE, slope: UNIT / 1_000_000n };

const hex = (bytes) => `0x${Buffer.from(bytes).toString('hex')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null);

/** The faster candidate with a custom section named `name` appended (wasm ignores it). */
function marked(faster, name) {
  const bytes = Buffer.from(name);
  if (bytes.length > 100) throw new Error('a short name');
  return Buffer.concat([faster, Buffer.from([0, bytes.length + 1, bytes.length]), bytes]);
}

/** The peer id of a fresh node key written to `file`. */
function nodeKey(file) {
  const made = spawnSync(NODE_BIN, ['key', 'generate-node-key', '--file', file], { encoding: 'utf8' });
  const peer = `${made.stdout}${made.stderr}`.match(/12D3Koo[1-9A-HJ-NP-Za-km-z]+/);
  if (made.status !== 0 || !peer) throw new Error(`generate-node-key: ${made.stderr}`);
  return peer[0];
}

const started = [];
async function stopAll() {
  for (const process of started.reverse()) await process.stop().catch(() => {});
}

async function main() {
  const keyring = await sr25519Keyring();
  const work = mkdtempSync(join(tmpdir(), 'poi-load-'));
  // The network: a runner per validator, then alice and the others.
  const runners = {};
  for (const name of VALIDATORS) {
    runners[name] = await startDevRunner({ dev: name });
    started.push(runners[name]);
  }
  // A validator needs a node key of its own (its network identity); alice's peer id is the
  // others' boot node.
  const nodes = {};
  let alicePeer;
  for (const name of VALIDATORS) {
    const keyFile = join(work, `${name}.key`);
    const peer = nodeKey(keyFile);
    const args = [
      '--chain', 'local', `--${name}`, '--node-key-file', keyFile, '--runner-url', runners[name].url,
      '--runner-token-file', runners[name].tokenFile,
    ];
    if (name === 'alice') alicePeer = peer;
    else args.push('--bootnodes', `/ip4/127.0.0.1/tcp/${nodes.alice.p2pPort}/p2p/${alicePeer}`);
    nodes[name] = await startNode({ args });
    started.push(nodes[name]);
  }
  const { api } = nodes.alice;
  for (;;) {
    const peers = await Promise.all(VALIDATORS.map(async (n) => (await nodes[n].api.rpc.system.health()).peers.toNumber()));
    const finalized = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
    if (peers.every((p) => p >= 3) && finalized >= 2) break;
    await sleep(1000);
  }
  const verifiers = (await api.query.verifiers.verifiers.entries()).length;
  console.log(`# four validators up, each with 3 peers; ${verifiers} verifiers from genesis`);

  // The example's files in every runner's store; the scores as a miner measures them.
  const files = wasmExampleFiles();
  const fuel = wasmExampleFuel();
  const putEverywhere = async (bytes) => {
    let artifact;
    for (const name of VALIDATORS) artifact = await runners[name].call('put_artifact', [hex(bytes)]);
    return artifact;
  };
  const artifacts = {};
  for (const [name, bytes] of Object.entries(files)) artifacts[name] = await putEverywhere(bytes);
  const scores = { baseline: wasmExampleScore('baseline'), faster: wasmExampleScore('faster') };

  const alice = keyring.addFromUri('//Alice');
  const ferdie = keyring.addFromUri('//Ferdie');
  const projects = [];
  for (let p = 0; p < PROJECTS; p += 1) {
    const id = (await api.query.projects.nextProjectId()).toNumber();
    await sendOk(api, api.tx.projects.createProject({
      document: artifacts.protocol, repository: artifacts.baseline, benchmark: artifacts.harness,
      baselineMetrics: artifacts.protocol, metric: { name: 'fuel', direction: 'Minimize', scaleExponent: 0 },
      baselineScore: scores.baseline, minImprovementBps: 100, toleranceBps: 0, quorum: 3,
      evaluator: { Wasm: { fuel } },
    }, `load ${p}`, `LD${p}`, LOAD_CURVE, null), alice, { finalized: false });
    projects.push(id);
  }

  // The miners: funded by Ferdie (all transfers at once, nonces in order), then each buys
  // tokens of its project.
  const miners = Array.from({ length: Math.max(...STAGES) }, (_, i) => ({
    signer: keyring.addFromUri(`//load//${i}`), project: projects[i % PROJECTS],
  }));
  let nonce = (await api.rpc.system.accountNextIndex(ferdie.address)).toNumber();
  await Promise.all(miners.map(({ signer }) => sendOk(
    api, api.tx.balances.transferKeepAlive(signer.address, 10_000n * UNIT), ferdie, { finalized: false, nonce: nonce++ },
  )));
  await Promise.all(miners.map(({ signer, project }) => sendOk(
    api, api.tx.bondingCurve.buy(project, TOKENS, 10_000n * UNIT), signer, { finalized: false },
  )));
  console.log(`# ${PROJECTS} projects, ${miners.length} miners funded; baseline ${scores.baseline}, candidates score ${scores.faster}`);

  // Rounds in flight, watched on every new block: a claim revealed when due, a settlement read.
  const inFlight = new Map();
  const records = [];
  let best = 0;
  const unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
    best = header.number.toNumber();
    const ids = [...inFlight.keys()];
    if (!ids.length) return;
    const proposals = await api.query.proposals.proposals.multi(ids);
    for (const [i, maybe] of proposals.entries()) {
      const record = inFlight.get(ids[i]);
      if (!record || maybe.isNone) continue;
      const proposal = maybe.unwrap();
      if (!proposal.status.isVerifying) {
        inFlight.delete(record.id);
        const settlement = await api.query.proposals.settlements(record.id);
        record.settledAt = settlement.isSome ? settlement.unwrap().block.toNumber() : best;
        record.status = proposal.status.type + (proposal.status.isRejected ? `(${proposal.status.asRejected.type})`
          : proposal.status.isReleased ? `(${proposal.status.asReleased.type})` : '');
        record.done();
      } else if (proposal.claim.isHidden && !record.claimSent) {
        record.claimSent = true;
        revealClaimWhenDue(api, record.id, record, record.signer, best)
          .then((sent) => { if (!sent) record.claimSent = false; })
          .catch((e) => { record.claimSent = false; console.log(`# claim of ${record.id}: ${e.message}`); });
      }
    }
  });

  let sequence = 0;
  async function propose(miner, stage) {
    const code = await putEverywhere(marked(files.faster, `poi-load-${sequence++}`));
    // The claim leaves room for the round's own inputs (its seed), as a miner's client does.
    const claim = scores.faster + scores.faster / 5n;
    const salt = hex(Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))));
    const hidden = claimHash(api, claim, salt);
    const commitment = proposalCommitment(api, { project: miner.project, code, claim: hidden, proposer: miner.signer.address });
    await sendOk(api, api.tx.proposals.commit(miner.project, commitment, STAKE), miner.signer, { finalized: false });
    const revealed = await sendOk(api, api.tx.proposals.reveal(commitment, 0, code, hidden), miner.signer, { finalized: false });
    const event = revealed.events.find(({ event: e }) => api.events.proposals.Revealed.is(e));
    const record = {
      id: event.event.data.proposal.toNumber(), stage, claim, salt, signer: miner.signer,
      revealedAt: (await api.rpc.chain.getHeader(revealed.blockHash)).number.toNumber(),
    };
    const done = new Promise((resolve) => { record.done = resolve; });
    records.push(record);
    inFlight.set(record.id, record);
    await done;
  }

  const runnerSeconds = () => Object.fromEntries(VALIDATORS.map((name) => [name,
    [...runners[name].log().matchAll(/ done in ([0-9.]+) s/g)].reduce((sum, m) => sum + Number(m[1]), 0)]));

  const figures = [];
  for (const [stage, count] of STAGES.entries()) {
    const from = best;
    const began = Date.now();
    const busyBefore = runnerSeconds();
    const until = began + STAGE_MS;
    const failures = [];
    await Promise.all(miners.slice(0, count).map(async (miner) => {
      while (Date.now() < until) {
        try {
          await propose(miner, stage);
        } catch (e) {
          failures.push(e.message);
          await sleep(6000);
        }
      }
    }).map((p) => Promise.race([p, sleep(STAGE_MS + DRAIN_BLOCKS * 6000)])));
    // Drain: rounds still in flight get `--drain` blocks after the last reveal of the stage.
    const drainUntil = best + DRAIN_BLOCKS;
    while ([...inFlight.values()].some((r) => r.stage === stage) && best < drainUntil) await sleep(1000);
    const to = best;
    const seconds = (Date.now() - began) / 1000;
    const mine = records.filter((r) => r.stage === stage);
    const settled = mine.filter((r) => r.settledAt !== undefined);
    // Not settled by the end of the drain: lost (the chain no longer knows the proposal),
    // stuck (still verifying past its round's reveal deadline, which the hook should have
    // concluded) or merely unsettled (within its deadlines).
    let lost = 0; let stuck = 0; let unsettled = 0;
    for (const record of mine.filter((r) => r.settledAt === undefined)) {
      const proposal = await api.query.proposals.proposals(record.id);
      const round = await api.query.proposals.rounds(record.id);
      if (proposal.isNone) lost += 1;
      else if (round.isNone || round.unwrap().revealUntil.toNumber() < best) stuck += 1;
      else unsettled += 1;
    }
    const latency = settled.map((r) => r.settledAt - r.revealedAt).sort((a, b) => a - b);
    const outcomes = {};
    for (const r of settled) outcomes[r.status] = (outcomes[r.status] ?? 0) + 1;
    // Block fullness over the stage's blocks.
    const maxNormal = api.consts.system.blockWeights.perClass.normal.maxTotal.unwrap().refTime.toBigInt();
    let weightSum = 0; let weightMax = 0; let extrinsicsSum = 0; let extrinsicsMax = 0; let blocks = 0;
    for (let n = from + 1; n <= to; n += 1) {
      const hash = await api.rpc.chain.getBlockHash(n);
      const at = await api.at(hash);
      const used = Number((await at.query.system.blockWeight()).normal.refTime.toBigInt() * 10_000n / maxNormal) / 100;
      const extrinsics = (await api.rpc.chain.getBlock(hash)).block.extrinsics.length;
      weightSum += used; weightMax = Math.max(weightMax, used);
      extrinsicsSum += extrinsics; extrinsicsMax = Math.max(extrinsicsMax, extrinsics);
      blocks += 1;
    }
    const busyAfter = runnerSeconds();
    const busy = Object.fromEntries(VALIDATORS.map((n) => [n, Math.round(((busyAfter[n] - busyBefore[n]) / seconds) * 1000) / 10]));
    const figure = {
      miners: count, seconds: Math.round(seconds), blocks, proposals: mine.length, settled: settled.length,
      settledPerHour: Math.round((settled.length / seconds) * 3600), outcomes,
      revealToSettlementBlocks: { median: quantile(latency, 0.5), p95: quantile(latency, 0.95), max: latency.at(-1) ?? null },
      blockWeightPercent: { mean: blocks ? Math.round((weightSum / blocks) * 100) / 100 : null, max: weightMax },
      extrinsicsPerBlock: { mean: blocks ? Math.round((extrinsicsSum / blocks) * 10) / 10 : null, max: extrinsicsMax },
      runnerBusyPercent: busy, unsettled, lost, stuck, failures: failures.length,
    };
    figures.push(figure);
    console.log(`# stage ${stage + 1}: ${JSON.stringify(figure)}`);
    if (failures.length) console.log(`#   first failure: ${failures[0]}`);
  }
  await unsubscribe();
  const report = {
    machine: `${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB`,
    date: new Date().toISOString(), stageMinutes: Number(options.minutes), projects: PROJECTS, figures,
  };
  if (options.out) writeFileSync(options.out, JSON.stringify(report, null, 1));
  console.log('\nminers | settled | per hour | reveal->settled blocks (median / p95 / max) | block weight % (mean / max) | extrinsics/block (mean / max) | runners busy % | unsettled | lost | stuck');
  for (const f of figures) {
    const r = f.revealToSettlementBlocks;
    console.log(`${f.miners} | ${f.settled}/${f.proposals} | ${f.settledPerHour} | ${r.median} / ${r.p95} / ${r.max} | ${f.blockWeightPercent.mean} / ${f.blockWeightPercent.max} | ${f.extrinsicsPerBlock.mean} / ${f.extrinsicsPerBlock.max} | ${Object.values(f.runnerBusyPercent).join(', ')} | ${f.unsettled} | ${f.lost} | ${f.stuck}`);
  }
  console.log(`(${report.machine}; ${report.date})`);
  rmSync(work, { recursive: true, force: true });
  return figures.every((f) => f.lost === 0 && f.stuck === 0);
}

let ok = false;
try {
  ok = await main();
} catch (e) {
  console.error(e);
} finally {
  await stopAll();
}
process.exit(ok ? 0 : 1);
