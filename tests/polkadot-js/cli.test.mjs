// The `poi` client end to end, as its users run it, against a dev node and a runner of its own
// key (not the dev key): Alice steps aside as a verifier and Dave registers with the runner's
// key (`poi verifier unbond`, `poi verifier register`); a researcher creates the wasm example
// project from its folder (`poi project create`, which measures the baseline); a miner buys
// tokens and proposes the faster candidate (`poi propose`), which settles approved with no
// manual step, Dave's runner having re-run it; an inflated claim is refused locally and, forced,
// ends rejected; an interrupted proposal is finished by `poi propose --resume`. Every bad input
// the client checks ends in one line, a non-zero exit, and nothing on chain. What the client
// says is checked against the chain through Polkadot.js.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import Ajv from 'ajv';
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

import { POI_BIN, UNIT, assetOf, poiEnv } from '../lib/poi.mjs';
import { startDevNodeWithKeys, startDevRunner } from './node-harness.mjs';

const EXAMPLE = new URL('../../examples/wasm-sort/', import.meta.url).pathname;
const GPT_EXAMPLE = new URL('../../examples/candle-gpt/', import.meta.url).pathname;
const COMMAND_EXAMPLE = new URL('../../examples/command-compress/', import.meta.url).pathname;
const SWAP = new URL('../../examples/agents/swap.sh', import.meta.url).pathname;
const RANDOM_SEARCH = new URL('../../examples/agents/gpt-random-search.py', import.meta.url).pathname;
const TRIAL_SCHEMA = new URL('../../cli/schemas/trial_record.schema.json', import.meta.url).pathname;

let runner;
let node;
let api;
let keyring;
let state; // the proposal state folder
let env;
let project;
let mineProject; // `poi project create`'s JSON
let gptProject; // the candle-gpt example's project

/** Runs `poi args` as `suri`; `{ code, stdout, stderr }` (never throws on a failing exit). */
async function poi(args, { suri, cwd, env: more = {} } = {}) {
  const extra = suri ? { POI_SURI: suri, ...more } : more;
  try {
    const { stdout, stderr } = await promisify(execFile)(POI_BIN, args, {
      env: { ...env, ...extra }, cwd, maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `poi args --json` as `suri`, which must succeed; its JSON. */
async function poiJson(args, options) {
  const out = await poi([...args, '--json'], options);
  assert.equal(out.code, 0, `poi ${args.join(' ')}: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

/** `poi args`, which must fail with one line that matches `pattern`. */
async function refused(args, pattern, options) {
  const out = await poi(args, options);
  assert.notEqual(out.code, 0, `poi ${args.join(' ')} should fail:\n${out.stdout}`);
  const error = out.stderr.trim().split('\n').filter((l) => l.startsWith('error: '));
  assert.equal(error.length, 1, `one error line:\n${out.stderr}`);
  assert.match(error[0], pattern);
  assert.equal(out.stdout, '', 'nothing printed as a result');
  return error[0];
}

/** The next nonce of `suri`'s account. */
async function nonce(suri) {
  return (await api.rpc.system.accountNextIndex(keyring.addFromUri(suri).address)).toNumber();
}

/** How many proposals project `id` has. */
async function proposalCount(id) {
  return (await api.query.proposals.projectProposalCount(id)).toNumber();
}

/** The proposal states in the state folder (not the locks beside them). */
function states() {
  return readdirSync(state).filter((name) => name.endsWith('.json')).map((name) => JSON.parse(readFileSync(join(state, name))));
}

/**
 * `poi project create dir` as Alice, checked against the chain and the folder's protocol file
 * in what every example project shares: its evaluator (`Wasm`, `CandleGpt` or `Command`) with
 * the file's budget as its `budget` field, the baseline on chain (negated: the examples'
 * metrics are minimised), the tolerance and the token. `{ file, created, info }`.
 */
async function createProject(dir, evaluator, budget) {
  const file = JSON.parse(readFileSync(join(dir, 'protocol.json')));
  const created = await poiJson(['project', 'create', dir], { suri: '//Alice' });
  const info = (await api.query.projects.projects(created.project)).unwrap();
  assert.ok(info.protocol.evaluator[`is${evaluator}`], `${dir}: ${info.protocol.evaluator}`);
  assert.equal(info.protocol.evaluator[`as${evaluator}`][budget].toString(), String(file.budget));
  assert.equal(info.protocol.baselineScore.toString(), created.baselineScore);
  assert.ok(BigInt(created.baselineScore) < 0n, `${file.metric.name} is minimised: a negated score`);
  assert.equal(info.protocol.toleranceBps.toNumber(), file.toleranceBps);
  assert.equal(info.token.symbol.toUtf8(), file.token.symbol);
  return { file, created, info };
}

before(async () => {
  await promisify(execFile)('bash', [join(EXAMPLE, 'build.sh')]);
  await promisify(execFile)('bash', [join(COMMAND_EXAMPLE, 'build.sh')]);
  runner = await startDevRunner({ dev: false });
  ({ node, api, keyring } = await startDevNodeWithKeys({
    extraArgs: ['--runner-url', runner.url, '--runner-token-file', runner.tokenFile],
  }));
  state = mkdtempSync(join(tmpdir(), 'poi-cli-state-'));
  env = poiEnv({ rpcPort: node.rpcPort, runner, state });
});

after(async () => {
  await node?.stop();
  await runner?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

test('Dave registers as a verifier with the runner\'s key; Alice steps aside', async () => {
  const alice = await poiJson(['verifier', 'status'], { suri: '//Alice' });
  await refused(['verifier', 'register', '--bond', '10'], /the bond must be at least 100 POI/, { suri: '//Dave' });
  const [step, registered] = await Promise.all([
    poiJson(['verifier', 'unbond', (BigInt(alice.bond) / UNIT).toString()], { suri: '//Alice' }),
    poiJson(['verifier', 'register', '--bond', '150'], { suri: '//Dave' }),
  ]);
  assert.equal(step.done, `unbonding ${BigInt(alice.bond) / UNIT} POI`);
  assert.ok((await poiJson(['verifier', 'status'], { suri: '//Alice' })).unbonding, 'Alice is unbonding');
  assert.match(registered.done, /registered/);
  const info = await runner.call('info');
  const dave = keyring.addFromUri('//Dave');
  const onChain = (await api.query.verifiers.verifiers(dave.address)).unwrap();
  assert.equal(onChain.runnerKey.toHex(), info.publicKey);
  assert.equal(onChain.bond.toBigInt(), 150n * UNIT);
  assert.deepEqual(onChain.evaluators.toJSON(), { wasm: true, candleGpt: true, command: true });
  await refused(['verifier', 'register', '--bond', '150'], /is a verifier already/, { suri: '//Dave' });
  // The operator puts Dave's verifier key into the node's keystore.
  await api.rpc.author.insertKey('poiv', '//Dave', u8aToHex(dave.publicKey));
  const status = await poiJson(['verifier', 'status', dave.address]);
  assert.equal(status.bond, (150n * UNIT).toString());
  assert.equal(status.chilled, false);
});

test('a researcher creates the wasm example project from its folder', async () => {
  const before = (await api.query.projects.nextProjectId()).toNumber();
  const { file, created, info } = await createProject(EXAMPLE, 'Wasm', 'fuel');
  project = created.project;
  assert.equal(project, before);
  assert.deepEqual(created.runs, [created.baselineScore, created.baselineScore, created.baselineScore]);
  assert.equal(info.protocol.minImprovementBps.toNumber(), file.thresholdBps);
  assert.equal(info.protocol.quorum.toNumber(), file.quorum);
  assert.equal(info.protocol.metric.name.toUtf8(), 'fuel');
  assert.equal(info.protocol.document.digest.toHex(), created.artifacts.document.digest);
  assert.equal(info.protocol.benchmark.digest.toHex(), created.artifacts.benchmark.digest);
  // The artifacts are in the runner's store, where verifiers' runners fetch them.
  const listed = await poiJson(['project', 'list']);
  assert.equal(listed.find((p) => p.id === project).bestScore, created.baselineScore);
  // A second project of the same benchmark, for the mining loop below.
  mineProject = await poiJson(['project', 'create', EXAMPLE], { suri: '//Alice' });
  assert.equal(mineProject.project, project + 1);
});

test('a researcher creates the candle-gpt and command example projects, each with its evaluator', async () => {
  for (const [dir, evaluator, budget] of [[GPT_EXAMPLE, 'CandleGpt', 'steps'], [COMMAND_EXAMPLE, 'Command', 'seconds']]) {
    const { file, created, info } = await createProject(dir, evaluator, budget);
    if (dir === GPT_EXAMPLE) gptProject = created.project;
    // The median of three runs of the baseline with the verifiers' evaluator.
    assert.equal(created.runs.length, 3);
    assert.equal([...created.runs].sort((a, b) => Number(BigInt(a) - BigInt(b)))[1], created.baselineScore);
    assert.equal(info.protocol.metric.name.toUtf8(), file.metric.name);
    assert.equal(info.protocol.metric.scaleExponent.toNumber(), file.metric.scaleExponent);
    assert.equal(info.protocol.benchmark.digest.toHex(), u8aToHex(blake2AsU8a(readFileSync(join(dir, file.files.benchmark)), 256)));
  }
});

test('bad input: one line, a non-zero exit, nothing on chain', async () => {
  const [proposals, bobNonce] = [await proposalCount(project), await nonce('//Bob')];
  await refused(['project', 'list', '--url', 'ws://127.0.0.1:1'], /cannot reach a poi node at ws:\/\/127\.0\.0\.1:1.*is the node running/);
  await refused(['token', 'buy', String(project), '5'], /this command signs/);
  await refused(['token', 'buy', String(project), '5'], /secret URI is malformed|does not give a key/, { suri: 'not a key at all' });
  const secret = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk//nobody';
  const poor = await refused(['token', 'buy', String(project), '5'], /has 0 POI free.*fund the account/, { suri: secret });
  assert.ok(!poor.includes('bottom drive'), 'the secret is not repeated');
  await refused(['token', 'buy', String(project), '5', '--max-cost', '0.000001'], /above --max-cost/, { suri: '//Bob' });
  await refused(['token', 'buy', '99', '5'], /there is no project 99/, { suri: '//Bob' });
  await refused(['token', 'sell', String(project), '5'], /holds 0 tokens/, { suri: '//Bob' });
  const missing = mkdtempSync(join(tmpdir(), 'poi-cli-bad-'));
  try {
    writeFileSync(join(missing, 'protocol.json'), JSON.stringify({ name: 'x', evaluator: 'wasm' }));
    await refused(['project', 'create', missing], /missing field/, { suri: '//Alice' });
    const file = JSON.parse(readFileSync(join(EXAMPLE, 'protocol.json')));
    file.files = { repository: join(EXAMPLE, 'build/baseline.wasm'), benchmark: 'build/nowhere.wasm', baseline: join(EXAMPLE, 'build/baseline.wasm') };
    writeFileSync(join(missing, 'protocol.json'), JSON.stringify(file));
    await refused(['project', 'create', missing], /files\.benchmark: .*nowhere\.wasm does not exist/, { suri: '//Alice' });
    // A candidate the evaluator finds invalid (not WebAssembly at all).
    writeFileSync(join(missing, 'junk.wasm'), 'not wasm');
    await refused(['propose', String(project), join(missing, 'junk.wasm'), '--dir', EXAMPLE], /finds the candidate invalid/, { suri: '//Bob' });
    // A folder that is not the project's.
    const other = JSON.parse(readFileSync(join(EXAMPLE, 'protocol.json')));
    other.files = { repository: join(EXAMPLE, 'build/baseline.wasm'), benchmark: join(EXAMPLE, 'build/harness.wasm'), baseline: join(EXAMPLE, 'build/baseline.wasm') };
    other.task = 'changed';
    writeFileSync(join(missing, 'protocol.json'), JSON.stringify(other));
    await refused(['propose', String(project), join(EXAMPLE, 'build/faster.wasm'), '--dir', missing], /is not project \d+'s protocol document/, { suri: '//Bob' });
    // A link, which could point at a secret, is not proposed.
    symlinkSync(join(EXAMPLE, 'build/faster.wasm'), join(missing, 'link.wasm'));
    await refused(['propose', String(project), join(missing, 'link.wasm'), '--dir', EXAMPLE], /is not a plain file/, { suri: '//Bob' });
    // A stake the miner does not hold.
    await refused(['propose', String(project), join(EXAMPLE, 'build/faster.wasm'), '--dir', EXAMPLE], /0 tokens of project \d+ are not: buy more \(poi token buy/, { suri: '//Bob' });
  } finally {
    rmSync(missing, { recursive: true, force: true });
  }
  assert.equal(await proposalCount(project), proposals, 'no proposal');
  assert.equal(await nonce('//Bob'), bobNonce, 'no transaction of Bob\'s');
});

// Three miners at once, on two projects, as on a real network.
describe('miners', { concurrency: true }, () => {
test('poi watch follows one project\'s events while the miners work', async () => {
  const out = await poi(['watch', String(project), '--blocks', '15', '--json']);
  assert.equal(out.code, 0, out.stderr);
  const events = out.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const names = events.map((e) => `${e.pallet}.${e.event}`);
  assert.ok(names.includes('BondingCurve.Bought'), names.join(' '));
  assert.ok(names.includes('Proposals.Committed'), names.join(' '));
  for (const e of events) assert.ok(!new RegExp(`project: ${mineProject.project}\\b`).test(e.fields), `another project's event: ${JSON.stringify(e)}`);
});

test('a miner buys tokens; an inflated claim is refused locally and, forced, rejected; the faster candidate is approved', async () => {
  // Other miners buy at the same time, moving the price: a bound of the buyer's own.
  const bought = await poiJson(['token', 'buy', String(project), '30', '--max-cost', '1000'], { suri: '//Bob' });
  assert.equal(bought.amount, '30');
  const asset = assetOf(project);
  const bob = keyring.addFromUri('//Bob');
  assert.equal((await api.query.assets.account(asset, bob.address)).unwrap().balance.toBigInt(), 30n);
  const charlie = keyring.addFromUri('//Charlie');
  await poiJson(['token', 'buy', String(project), '30', '--max-cost', '1000'], { suri: '//Charlie' });
  const faster = join(EXAMPLE, 'build/faster.wasm');
  const baseline = join(EXAMPLE, 'build/baseline.wasm');
  // The baseline claimed as the faster candidate's fuel: it does not beat the best.
  await refused(['propose', String(project), baseline, '--claim', '1000'], /does not beat the chain's best .*--force/, { suri: '//Charlie', cwd: EXAMPLE });
  // The faster candidate claimed at 1000 fuel: better than it measures.
  await refused(['propose', String(project), faster, '--claim', '1000'], /claim 1000 is better than the candidate measures/, { suri: '//Charlie', cwd: EXAMPLE });
  const [inflated, honest] = await Promise.all([
    // A stake of 4: half of it goes to the verifiers that agree (the rest is burned).
    poiJson(['propose', String(project), baseline, '--claim', '1000', '--force', '--stake', '4'], { suri: '//Charlie', cwd: EXAMPLE }),
    poiJson(['propose', String(project), faster], { suri: '//Bob', cwd: EXAMPLE }),
  ]);
  assert.equal(honest.status, 'approved', JSON.stringify(honest));
  const chain = (await api.query.proposals.proposals(honest.proposal)).unwrap();
  assert.ok(chain.status.isApproved);
  assert.equal(chain.verifiedScore.unwrap().toString(), honest.verifiedScore);
  assert.equal(chain.code.digest.toHex(), honest.code.digest);
  const best = (await api.query.projects.projects(project)).unwrap().best.toNumber();
  assert.equal((await api.query.projects.nodes(project, best)).unwrap().code.digest.toHex(), honest.code.digest);
  assert.equal(inflated.status, 'rejected', JSON.stringify(inflated));
  assert.match(inflated.outcome, /stake slashed/);
  assert.ok((await api.query.proposals.proposals(inflated.proposal)).unwrap().status.asRejected.isMisclaimed);
  assert.ok((await api.query.assets.account(asset, charlie.address)).unwrap().balance.toBigInt() < 30n, 'Charlie\'s stake is gone');
  const listed = await poiJson(['proposals', String(project)]);
  const ours = listed.filter((p) => [honest.proposal, inflated.proposal].includes(p.id));
  assert.deepEqual(ours.map((p) => [p.id, p.status]).sort(), [[honest.proposal, 'approved'], [inflated.proposal, 'rejected']].sort());
  const shown = await poiJson(['project', 'show', String(project)]);
  assert.equal(shown.best.node, best);
  assert.deepEqual(shown.lineage.map((n) => n.node), [best, 0]);
  // The settled proposals' states are kept, marked settled; the salt stays private.
  const theirs = [bob.address, charlie.address];
  const kept = states().filter((k) => theirs.includes(k.proposer));
  assert.equal(kept.length, 2);
  for (const k of kept) assert.equal(k.stage, 'settled');
  // Beside each state, the lock a running poi held on it.
  for (const k of kept) assert.ok(readdirSync(state).includes(`${k.commitment}.lock`));
});

test('an interrupted proposal is finished by poi propose --resume; another chain\'s state is refused', async () => {
  // A candidate of its own: the baseline module with a custom section appended (same code;
  // not better, so that it cannot take the other miners' approval).
  const work = mkdtempSync(join(tmpdir(), 'poi-cli-resume-'));
  try {
    const baseline = readFileSync(join(EXAMPLE, 'build/baseline.wasm'));
    const candidate = join(work, 'again.wasm');
    writeFileSync(candidate, Buffer.concat([baseline, Buffer.from([0, 4, 3, 0x70, 0x6f, 0x69])]));
    await poiJson(['token', 'buy', String(project), '10', '--max-cost', '1000'], { suri: '//Ferdie' });
    // Forced, with an honest claim.
    const child = execFile(POI_BIN, ['propose', String(project), candidate, '--force', '--claim', '99999999'], {
      env: { ...env, POI_SURI: '//Ferdie' }, cwd: EXAMPLE,
    });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    // Interrupted once its commitment is in a block; until then another poi leaves it alone.
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise((resolve, reject) => {
      const t = setInterval(() => {
        if (/commit: in a block/.test(err)) { clearInterval(t); resolve(); }
      }, 100);
      exited.then(() => { clearInterval(t); reject(new Error(`poi propose ended early:\n${err}`)); });
    });
    await refused(['propose', '--resume'], /1 unfinished proposal\(s\) in .* are being followed by another poi/, { suri: '//Ferdie' });
    child.kill('SIGKILL');
    await exited;
    const resumed = await poiJson(['propose', '--resume'], { suri: '//Ferdie', cwd: EXAMPLE });
    assert.notEqual(resumed.status, 'verifying', JSON.stringify(resumed));
    assert.ok((await api.query.proposals.proposals(resumed.proposal)).isSome);
    assert.equal(resumed.code.digest, u8aToHex(blake2AsU8a(readFileSync(candidate), 256)));
    await refused(['propose', '--resume'], /no unfinished proposal/, { suri: '//Ferdie' });
    // A state written on another chain.
    const ferdie = keyring.addFromUri('//Ferdie').address;
    const kept = states().find((k) => k.proposer === ferdie);
    kept.genesis = `0x${'11'.repeat(32)}`;
    kept.stage = 'revealed';
    kept.commitment = `0x${'22'.repeat(32)}`;
    writeFileSync(join(state, `${kept.commitment}.json`), JSON.stringify(kept));
    await refused(['propose', '--resume'], /belong to another chain/, { suri: '//Ferdie' });
    // A state interrupted around its commit whose commitment is not on chain: never committed
    // again unchecked (the commit may have landed and been forfeited since).
    const before = [await nonce('//Ferdie'), await proposalCount(project)];
    const prepared = { ...kept, genesis: api.genesisHash.toHex(), stage: 'prepared', proposal: null, commitment: `0x${'33'.repeat(32)}` };
    writeFileSync(join(state, `${prepared.commitment}.json`), JSON.stringify(prepared));
    const stuck = await refused(['propose', '--resume'], /1 unfinished proposal\(s\) failed: 0x3333/, { suri: '//Ferdie' });
    assert.ok(!stuck.includes(prepared.salt), 'the salt is not printed');
    const again = await poi(['propose', '--resume'], { suri: '//Ferdie' });
    assert.match(again.stderr, /its commit is not on chain .*propose the candidate again/);
    assert.deepEqual([await nonce('//Ferdie'), await proposalCount(project)], before, 'nothing sent');
    rmSync(join(state, `${prepared.commitment}.json`));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('poi mine with the offline agent: three trials, schema-valid rows, one proposal when it beats the chain', async () => {
  // A project of its own, at the baseline.
  const created = mineProject;
  const id = created.project;
  await poiJson(['token', 'buy', String(id), '10'], { suri: '//Eve' });
  const work = mkdtempSync(join(tmpdir(), 'poi-cli-mine-'));
  try {
    const junk = join(work, 'junk.wasm');
    writeFileSync(junk, 'not wasm');
    // The agent swaps in the baseline (no better), junk (invalid), then the faster module.
    const pool = [join(EXAMPLE, 'build/baseline.wasm'), junk, join(EXAMPLE, 'build/faster.wasm')].join(':');
    const agent = `env > "$POI_RUN_DIR/env.txt"; sh ${SWAP}`;
    const out = await poi(['mine', String(id), '--agent', agent, '--dir', EXAMPLE, '--work', join(work, 'mine'),
      '--max-trials', '3', '--json'], { suri: '//Eve', cwd: work, env: { POI_AGENT_POOL: pool } });
    assert.equal(out.code, 0, out.stderr);
    const summary = JSON.parse(out.stdout);
    assert.deepEqual([summary.trials, summary.submitted, summary.stopped], [3, 1, 'max trials']);
    const rows = readFileSync(join(work, 'mine/trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(TRIAL_SCHEMA)));
    for (const row of rows) assert.ok(validate(row), `${JSON.stringify(row)}: ${JSON.stringify(validate.errors)}`);
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r) => r.hypothesis), ['swap in baseline.wasm', 'swap in junk.wasm', 'swap in faster.wasm']);
    assert.deepEqual(rows.map((r) => r.run_ok), [true, false, true]);
    assert.deepEqual(rows.map((r) => r.beats_local_best), [false, false, true]);
    assert.deepEqual(rows.map((r) => r.beats_network_best), [false, false, true]);
    assert.match(rows[1].error, /invalid/);
    assert.equal(rows[0].primary_metric_value, -Number(created.baselineScore));
    assert.equal(rows[0].protocol_bundle_id, created.artifacts.document.digest);
    for (const row of rows) assert.ok(readFileSync(join(work, row.stdout_log_path), 'utf8').includes(row.hypothesis));
    // The agent saw its context, and no secret, token or proposal state.
    const seen = readFileSync(join(work, 'mine/runs', rows[0].trial_id, 'env.txt'), 'utf8');
    for (const name of ['POI_CANDIDATE', 'POI_NETWORK_STATE', 'POI_AGENT_POOL']) assert.match(seen, new RegExp(`^${name}=`, 'm'));
    for (const name of ['POI_SURI', 'POI_RUNNER_TOKEN_FILE', 'POI_STATE_DIR', 'POI_URL']) assert.doesNotMatch(seen, new RegExp(`^${name}=`, 'm'));
    // A validator that can fail: an extra field is refused.
    assert.equal(validate({ ...rows[0], proposal: 1 }), false);
    const state = JSON.parse(readFileSync(join(work, 'mine/network_state.json')));
    assert.equal(state.source, 'poi');
    assert.equal(state.project_id, id);
    assert.equal(state.aggregate_score_int256, created.baselineScore, 'the chain\'s best when the last trial began');
    const submissions = readFileSync(join(work, 'mine/poi_submissions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(submissions.length, 1);
    assert.equal(submissions[0].trial_id, rows[2].trial_id);
    assert.equal(submissions[0].status, 'approved', JSON.stringify(submissions[0]));
    const best = (await api.query.projects.projects(id)).unwrap().best.toNumber();
    const node = (await api.query.projects.nodes(id, best)).unwrap();
    assert.equal(node.code.digest.toHex(), u8aToHex(blake2AsU8a(readFileSync(join(EXAMPLE, 'build/faster.wasm')), 256)));
    assert.equal(await proposalCount(id), 1, 'exactly one proposal');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
});

test('poi mine with the random-search agent on the candle-gpt project: recipes trained, rows valid', async () => {
  const work = mkdtempSync(join(tmpdir(), 'poi-cli-gpt-mine-'));
  try {
    const out = await poi(['mine', String(gptProject), '--agent', `python3 ${RANDOM_SEARCH}`, '--dir', GPT_EXAMPLE,
      '--work', join(work, 'mine'), '--max-trials', '2', '--json'], { suri: '//Eve', cwd: work, env: { POI_AGENT_SEED: 'cli-test' } });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).trials, 2);
    const rows = readFileSync(join(work, 'mine/trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(TRIAL_SCHEMA)));
    for (const row of rows) {
      assert.ok(validate(row), `${JSON.stringify(row)}: ${JSON.stringify(validate.errors)}`);
      assert.match(row.hypothesis, /^change [a-z]+(, [a-z]+)? \(\d+ proposals on the network so far\)$/);
      assert.equal(row.primary_metric_name, 'val_bpb');
      // Each recipe the agent wrote stays in the protocol's surface and trains to a score.
      assert.equal(row.run_ok, true, row.error);
      assert.ok(row.primary_metric_value > 0 && row.primary_metric_value < 9, `val_bpb ${row.primary_metric_value}`);
    }
    const recipe = JSON.parse(readFileSync(join(work, 'mine/runs', rows[0].trial_id, 'work/candidate.json')));
    assert.ok(recipe.model && recipe.optimizer, 'a recipe was written');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('Dave\'s runner re-ran every proposal, and Dave agreed each time', async () => {
  let proposals = 0;
  for (const id of [project, mineProject.project]) proposals += await proposalCount(id);
  assert.equal(proposals, 4, 'two in the first project, one resumed, one from the loop');
  const dave = await poiJson(['verifier', 'status'], { suri: '//Dave' });
  assert.equal(dave.stats.rounds, proposals, JSON.stringify(dave));
  assert.equal(dave.stats.agreed, proposals, JSON.stringify(dave));
});

test('a verifier claims its rewards; withdrawing early and rejoining unchilled are refused', async () => {
  const dave = keyring.addFromUri('//Dave');
  // Its share of the verification fees, in POI.
  const fee = api.consts.proposals.verifierFee.toBigInt();
  const before = await poiJson(['verifier', 'status'], { suri: '//Dave' });
  assert.equal(BigInt(before.pendingNative), 4n * fee, JSON.stringify(before));
  const claimed = await poiJson(['verifier', 'claim'], { suri: '//Dave' });
  assert.match(claimed.done, /^claimed /);
  assert.equal((await poiJson(['verifier', 'status'], { suri: '//Dave' })).pendingNative, '0');
  await refused(['verifier', 'claim'], /has no rewards in POI to claim/, { suri: '//Dave' });
  // Its share of Charlie's slashed stake, in the project's token.
  const asset = assetOf(project);
  const pending = (await api.query.verifiers.pendingRewards(dave.address, { Token: asset })).unwrap().toBigInt();
  assert.equal(pending, 2n, 'half of Charlie\'s slashed stake of 4');
  const shown = await poiJson(['verifier', 'status'], { suri: '//Dave' });
  assert.deepEqual(shown.pendingTokens, [{ project, asset: Number(asset), amount: '2' }]);
  const tokens = await poiJson(['verifier', 'claim', String(asset)], { suri: '//Dave' });
  assert.equal(tokens.done, `claimed ${pending} tokens of asset ${asset}`);
  assert.equal((await api.query.assets.account(asset, dave.address)).unwrap().balance.toBigInt(), pending);
  assert.deepEqual((await poiJson(['verifier', 'status'], { suri: '//Dave' })).pendingTokens, []);
  await refused(['verifier', 'claim', String(asset)], new RegExp(`has no rewards in asset ${asset} to claim`), { suri: '//Dave' });
  await refused(['verifier', 'claim', 'gold'], /the asset is `native` or a token's asset id, not gold/, { suri: '//Dave' });
  // Alice unbonded at the start: her funds unlock after the unbonding delay, not before.
  await refused(['verifier', 'withdraw'], /unlocks at block \d+ \(now \d+\)/, { suri: '//Alice' });
  await refused(['verifier', 'withdraw'], /nothing is unbonding/, { suri: '//Dave' });
  await refused(['verifier', 'rejoin'], /is not chilled/, { suri: '//Dave' });
  await refused(['verifier', 'status'], /is not a verifier/, { suri: '//Ferdie' });
});
