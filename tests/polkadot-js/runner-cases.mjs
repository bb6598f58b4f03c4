// End-to-end cases with a real runner, shared by runner.test.mjs (the embedded store) and
// runner-ipfs.test.mjs (a real IPFS daemon): the dev node and `poi-runner serve` on loopback.
// The wasm example's harness and candidates are built from source and put into the runner's
// store; a project is created on chain naming them; Bob proposes the faster candidate (its
// claimed score hidden behind a hash), and with no further action from the test but what
// Bob's client does on its own (revealing the claim once the verdicts are committed) the
// verifier's off-chain worker and the runner bring the round to approval; an inflated claim ends rejected and slashed. With the embedded store
// the verifier is the dev chain's Alice (the dev runner key); with IPFS, Dave registers with
// the runner's own key and Alice steps aside, and at the end the IPFS daemon is stopped in the
// middle of a round (the fault drill: a harness error, the round released, nobody slashed).
// Then (embedded store) the candle-gpt example:
// the runner's trainer (poi-gpt) trains Bob's better recipe and the round approves it; and the
// command example: in the runner's sandbox, a better compressor is approved, an inflated claim
// rejected, and a cheat that rewrites the benchmark's check and a candidate that reaches for
// the network are found invalid.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { cpSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

import {
  GPT_BIN, POI_BIN, RUNNER_BIN, TEST_CURVE, UNIT, assetOf, claimHash, evaluatorsOf, proposalCommitment, revealClaimWhenDue, runEval,
  runnerCall, scoreOf, sendAndFinalize, wasmExampleFiles, wasmExampleScore,
} from '../lib/poi.mjs';
import { ipfsCall, startDevNodeWithKeys, startDevRunner, startIpfs } from './node-harness.mjs';

const included = { finalized: false };
const EXAMPLE = new URL('../../examples/wasm-sort/', import.meta.url).pathname;
const FUEL = JSON.parse(readFileSync(join(EXAMPLE, 'protocol.json'))).budget;
const GPT = new URL('../../examples/candle-gpt/', import.meta.url).pathname;
/** The candle-gpt example's budget: training steps per trial (its recipes train 200 and 300). */
const GPT_STEPS = 1_000;
const COMMAND = new URL('../../examples/command-compress/', import.meta.url).pathname;
/** The command example's budget: wall-clock seconds per trial. */
const COMMAND_SECONDS = JSON.parse(readFileSync(join(COMMAND, 'protocol.json'))).budget;

/** Defines the cases: with the IPFS daemon (`ipfs`) or the embedded store, with or without
 * the candle-gpt and command cases. */
export function defineRunnerTests({ ipfs = false, candle = true, command = true } = {}) {
  let daemon;
  let runner;
  let keyring;
  let verifier; // the account whose worker and runner re-run the rounds
  let node;
  let api;
  let alice;
  let bob;
  let files; // { harness, baseline, faster, protocol } -> bytes
  let artifacts; // same keys -> { digest, cid }
  let scores; // { baseline, faster } as the runner's `eval` measures them (seed 0)
  let project;
  let asset;

  const put = async (bytes) => runner.call('put_artifact', [u8aToHex(bytes)]);

  /** The candle-gpt example's `recipe`, trained locally (val_bpb at scale 10^6, negated). */
  const train = (recipe) => scoreOf(runEval([
    '--evaluator', 'candle-gpt', '--gpt-bin', GPT_BIN, '--budget', String(GPT_STEPS), '--scale', '6',
    '--benchmark', join(GPT, 'corpus.txt'),
    '--candidate', join(GPT, `${recipe}.json`),
    '--document', join(GPT, 'protocol.json'),
  ]));

  /** The command example's candidate archive at `path`, measured locally (bytes, negated). */
  const measure = (path) => scoreOf(runEval([
    '--evaluator', 'command', '--budget', String(COMMAND_SECONDS), '--direction', 'minimize',
    '--benchmark', join(COMMAND, 'build/snapshot.tar'),
    '--candidate', path,
    '--document', join(COMMAND, 'protocol.json'),
  ]));

  before(async () => {
    execFileSync('bash', [join(EXAMPLE, 'build.sh')], { stdio: 'ignore' });
    files = wasmExampleFiles();
    scores = { baseline: wasmExampleScore('baseline'), faster: wasmExampleScore('faster') };
    if (ipfs) daemon = await startIpfs();
    runner = await startDevRunner({ dev: !ipfs, ipfsApi: daemon?.url });
    ({ node, api, alice, bob, keyring } = await startDevNodeWithKeys({
      extraArgs: ['--runner-url', runner.url, '--runner-token-file', runner.tokenFile],
    }));
  });

  after(async () => {
    await node?.stop();
    await runner?.stop();
    await daemon?.stop();
  });

  if (!ipfs) {
    test('the runner serves the dev key Alice is registered with', async () => {
      const info = await runner.call('info');
      assert.deepEqual(info.evaluators, ['wasm', 'candle-gpt', 'command']);
      // Without its API token (which only the node was given) the runner answers nothing.
      await assert.rejects(runnerCall(runner.url, null, 'info'), /HTTP 401/);
      await assert.rejects(runnerCall(runner.url, 'ab'.repeat(32), 'job_status', [`0x${'00'.repeat(32)}`]), /HTTP 401/);
      assert.equal(info.store, 'embedded');
      const alices = (await api.query.verifiers.verifiers(alice.address)).unwrap();
      assert.equal(alices.runnerKey.toHex(), info.publicKey);
      assert.ok(scores.faster > scores.baseline, `faster ${scores.faster} beats baseline ${scores.baseline}`);
      verifier = alice;
    });
  } else {
    test('a verifier registers with the runner\'s key; its poiv key goes into the node\'s keystore', async () => {
      const info = await runner.call('info');
      assert.equal(info.store, 'ipfs');
      verifier = keyring.addFromUri('//Dave');
      // Alice, the dev chain's verifier, steps aside so that Dave is drawn.
      const aliceInfo = (await api.query.verifiers.verifiers(alice.address)).unwrap();
      const stepAside = await sendAndFinalize(api.tx.verifiers.unbond(aliceInfo.bond), alice, included);
      assert.equal(stepAside.dispatchError, null);
      const bond = api.consts.verifiers.minBond.toBigInt();
      // Dave declares what his runner says it has: it is drawn only for those projects.
      const evaluators = evaluatorsOf(info);
      const registered = await sendAndFinalize(
        api.tx.verifiers.register(bond, info.publicKey, evaluators), verifier, included,
      );
      assert.equal(registered.dispatchError, null);
      const daves = (await api.query.verifiers.verifiers(verifier.address)).unwrap();
      assert.equal(daves.runnerKey.toHex(), info.publicKey);
      assert.deepEqual(daves.evaluators.toJSON(), evaluators);
      assert.notEqual(info.publicKey, aliceInfo.runnerKey.toHex(), 'a key of its own, not the dev key');
      await api.rpc.author.insertKey('poiv', '//Dave', u8aToHex(verifier.publicKey));
      assert.ok((await api.rpc.author.hasKey(u8aToHex(verifier.publicKey), 'poiv')).isTrue);
    });
  }

  test('a wasm project with its artifacts in the runner\'s store', async () => {
    artifacts = {};
    for (const [name, bytes] of Object.entries(files)) {
      artifacts[name] = await put(bytes);
      assert.equal(artifacts[name].digest, u8aToHex(blake2AsU8a(bytes, 256)));
      if (ipfs) {
        // In the daemon under an IPFS CID (not the embedded store's hex digest).
        const { cid } = artifacts[name];
        assert.notEqual(cid, artifacts[name].digest.slice(2));
        assert.deepEqual(await ipfsCall(daemon.url, `cat?arg=${cid}`), new Uint8Array(bytes));
      }
    }
    project = await createProject({
      document: artifacts.protocol,
      repository: artifacts.baseline,
      benchmark: artifacts.harness,
      baselineMetrics: artifacts.protocol,
      metric: { name: 'fuel', direction: 'Minimize', scaleExponent: 0 },
      baselineScore: scores.baseline,
      minImprovementBps: 100,
      toleranceBps: 0,
      quorum: 1,
      evaluator: { Wasm: { fuel: FUEL } },
    }, 'wasm sort', 'SORT');
    asset = assetOf(project);
  });

  if (ipfs) test('poi project create --ipfs-api puts the project\'s files into the IPFS daemon', async () => {
    const { stdout } = await promisify(execFile)(POI_BIN, ['project', 'create', EXAMPLE, '--ipfs-api', daemon.url, '--json'], {
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, POI_URL: `ws://127.0.0.1:${node.rpcPort}`,
        POI_SURI: '//Alice', POI_RUNNER_BIN: RUNNER_BIN,
      },
    });
    const created = JSON.parse(stdout);
    const protocol = (await api.query.projects.projects(created.project)).unwrap().protocol;
    const file = JSON.parse(files.protocol);
    const paths = { document: 'protocol.json', repository: file.files.repository, benchmark: file.files.benchmark };
    for (const [field, path] of Object.entries(paths)) {
      const bytes = readFileSync(join(EXAMPLE, path));
      const { digest, cid } = protocol[field];
      assert.equal(digest.toHex(), u8aToHex(blake2AsU8a(bytes, 256)), field);
      // An IPFS CID (not the embedded store's hex digest), and the daemon serves the bytes.
      assert.notEqual(cid.toUtf8(), digest.toHex().slice(2), field);
      assert.equal(created.artifacts[field].cid, cid.toUtf8());
      assert.deepEqual(await ipfsCall(daemon.url, `cat?arg=${cid.toUtf8()}`), new Uint8Array(bytes), field);
    }
    assert.equal(protocol.baselineScore.toBigInt(), scores.baseline, 'the baseline measured as the runner measures it');
  });

  /** Alice creates a project with `protocol`; Bob buys 30 of its tokens to stake. Its id. */
  async function createProject(protocol, name, symbol) {
    const id = (await api.query.projects.nextProjectId()).toNumber();
    const created = await sendAndFinalize(
      api.tx.projects.createProject(protocol, name, symbol, TEST_CURVE, null), alice, included,
    );
    assert.equal(created.dispatchError, null);
    const bought = await sendAndFinalize(api.tx.bondingCurve.buy(id, 30, 1_000n * UNIT), bob, included);
    assert.equal(bought.dispatchError, null);
    return id;
  }

  /** Bob's claims not revealed yet, by proposal: `{ claim, salt }`. */
  const claims = new Map();

  /**
   * Bob commits `code` with `claim` (hidden behind BLAKE2-256(claim, salt)), reveals it in a
   * later block; the proposal id and block.
   */
  async function propose(code, claim, saltByte, project) {
    const salt = `0x${saltByte.repeat(32)}`;
    const hidden = claimHash(api, claim, salt);
    const commitment = proposalCommitment(api, { project, code, claim: hidden, proposer: bob.address });
    const committed = await sendAndFinalize(api.tx.proposals.commit(project, commitment, 5), bob, included);
    assert.equal(committed.dispatchError, null);
    const revealed = await sendAndFinalize(api.tx.proposals.reveal(commitment, 0, code, hidden), bob, included);
    assert.equal(revealed.dispatchError, null);
    const event = revealed.events.find(({ event }) => api.events.proposals.Revealed.is(event));
    const block = (await api.rpc.chain.getHeader(revealed.blockHash)).number.toNumber();
    const id = event.event.data.proposal.toNumber();
    claims.set(id, { claim, salt });
    return { id, block };
  }


  /** Waits (up to `blocks` blocks) until proposal `id` is no longer verifying. */
  async function settled(id, blocks = 40) {
    const start = (await api.rpc.chain.getHeader()).number.toNumber();
    for (;;) {
      const proposal = (await api.query.proposals.proposals(id)).unwrap();
      if (!proposal.status.isVerifying) {
        return { proposal, block: (await api.rpc.chain.getHeader()).number.toNumber() };
      }
      const now = (await api.rpc.chain.getHeader()).number.toNumber();
      // What Bob's client does meanwhile: it reveals the claim when the round's commit phase is over.
      const mine = claims.get(id);
      if (mine && await revealClaimWhenDue(api, id, mine, bob, now)) claims.delete(id);
      assert.ok(now - start < blocks, `proposal ${id} still verifying after ${blocks} blocks:\n${runner.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** The log artifacts of the verdicts revealed for proposal `id` in blocks `from..=to`. */
  async function verdictLogs(id, from, to) {
    const logs = [];
    for (let n = from; n <= to; n += 1) {
      const at = await api.at(await api.rpc.chain.getBlockHash(n));
      for (const { event } of await at.query.system.events()) {
        if (api.events.proposals.VerdictRevealed.is(event) && event.data.proposal.toNumber() === id) {
          const { verdict } = event.data;
          if (verdict.isScore) logs.push(verdict.asScore.log);
        }
      }
    }
    return logs;
  }

  const tokens = async (who) => {
    const account = await api.query.assets.account(asset, who);
    return account.isSome ? account.unwrap().balance.toBigInt() : 0n;
  };

  test('a truly better candidate is re-run by the runner and approved with no step but the miner\'s client\'s', async () => {
    // The miner claims a little less than it measured locally: the round's seed is drawn two
    // blocks after the reveal, and the verified score must not fall below the claim
    // (tolerance 0).
    const claim = scores.faster + scores.faster / 5n;
    const { id, block } = await propose(artifacts.faster, claim, '71', project);
    const { proposal, block: end } = await settled(id);
    assert.ok(proposal.status.isApproved, proposal.status.toString());
    const best = (await api.query.projects.projects(project)).unwrap().best.toNumber();
    const node = (await api.query.projects.nodes(project, best)).unwrap();
    assert.ok(node.score.toBigInt() >= claim, `${node.score} >= ${claim}`);
    assert.ok(node.score.toBigInt() > scores.baseline);
    assert.equal(node.code.digest.toHex(), artifacts.faster.digest);
    const stats = (await api.query.verifiers.verifiers(verifier.address)).unwrap().stats;
    assert.equal(stats.agreed.toNumber(), 1);
    if (ipfs) {
      // The runner added the verdict's log to IPFS too: the revealed verdict names it.
      const logs = await verdictLogs(id, block, end);
      assert.equal(logs.length, 1, `one revealed verdict, got ${logs.length}`);
      const text = new TextDecoder().decode(await ipfsCall(daemon.url, `cat?arg=${logs[0].cid.toUtf8()}`));
      assert.equal(u8aToHex(blake2AsU8a(new TextEncoder().encode(text), 256)), logs[0].digest.toHex());
      assert.match(text, /verdict: score -[0-9]+/);
    }
    console.log(`# wasm example (${ipfs ? 'IPFS' : 'embedded store'}): reveal in block ${block}, settled by block ${end} (${end - block} blocks)`);
    assert.match(runner.log(), /job 0x[0-9a-f]+ done in [0-9.]+ s: score/);
  });

  test('an inflated claim is re-run, rejected and its stake slashed', async () => {
    const before = await tokens(bob.address);
    // The baseline claimed as if it were faster than the faster candidate.
    const claim = scores.faster / 2n;
    const { id } = await propose(artifacts.baseline, claim, '72', project);
    assert.equal(await tokens(bob.address), before - 5n, 'the stake left the miner');
    const { proposal } = await settled(id);
    assert.ok(proposal.status.isRejected, proposal.status.toString());
    assert.ok(proposal.status.asRejected.isMisclaimed, proposal.status.toString());
    assert.equal(await tokens(bob.address), before - 5n, 'the stake is not returned');
  });

  if (ipfs) test('IPFS goes away mid-round: the verifier reveals a harness error, the round is released, nobody slashed', async () => {
    // A candidate the chain has not seen (the faster one with a custom section appended, which
    // wasm ignores), added to IPFS while the daemon runs.
    const name = new TextEncoder().encode('poi-drill');
    const marked = new Uint8Array([...files.faster, 0, name.length + 1, name.length, ...name]);
    const candidate = await put(marked);
    const stakeBefore = await tokens(bob.address);
    const verifierBefore = (await api.query.verifiers.verifiers(verifier.address)).unwrap();
    // It claims 10 % better than the best (scores are negated fuel): an improvement if it held.
    const { id, block } = await propose(candidate, scores.faster - scores.faster / 10n, '74', project);
    // The daemon stops after the reveal, before the round is drawn (two blocks later): the
    // runner's fetch of the candidate fails.
    await daemon.stop();
    daemon = null;
    const { proposal, block: end } = await settled(id);
    // What the protocol says for an artifact the runner cannot fetch: a store failure is a
    // harness error (not the miner's fault, nor the verifier's), and a round whose majority is
    // harness errors is released: the stake goes back, nobody is slashed.
    assert.ok(proposal.status.isReleased && proposal.status.asReleased.isHarnessErrors, proposal.status.toString());
    const settlement = (await api.query.proposals.settlements(id)).unwrap();
    assert.deepEqual(
      settlement.verdicts.map(([who, verdict]) => [who.toString(), verdict.isSome && verdict.unwrap().type]),
      [[verifier.address, 'HarnessError']],
    );
    assert.equal(await tokens(bob.address), stakeBefore, 'the stake came back');
    const verifierAfter = (await api.query.verifiers.verifiers(verifier.address)).unwrap();
    assert.equal(verifierAfter.bond.toBigInt(), verifierBefore.bond.toBigInt(), 'the verifier\'s bond is whole');
    assert.equal(verifierAfter.stats.missed.toNumber(), verifierBefore.stats.missed.toNumber());
    assert.equal(verifierAfter.stats.deviant.toNumber(), verifierBefore.stats.deviant.toNumber());
    assert.match(runner.log(), /harness error/);
    console.log(`# IPFS stopped mid-round: reveal in block ${block}, released (harness errors) by block ${end} (${end - block} blocks)`);
  });

  if (candle) test('a candle-gpt project: the runner trains a better recipe and the round approves it', async () => {
    const names = ['corpus.txt', 'protocol.json', 'baseline.json', 'better.json'];
    const gpt = {};
    for (const name of names) gpt[name] = await put(readFileSync(join(GPT, name)));
    // Trained locally first, as a miner would (seed 0; the round's seed picks other held-out
    // chunks and weights, hence the margins below).
    const baseline = train('baseline');
    const better = train('better');
    assert.ok(better > baseline, `better ${better} beats baseline ${baseline}`);
    const id = await createProject({
      document: gpt['protocol.json'],
      repository: gpt['baseline.json'],
      benchmark: gpt['corpus.txt'],
      baselineMetrics: gpt['protocol.json'],
      metric: { name: 'val_bpb', direction: 'Minimize', scaleExponent: 6 },
      baselineScore: baseline,
      minImprovementBps: 200,
      toleranceBps: 500,
      quorum: 1,
      evaluator: { CandleGpt: { steps: GPT_STEPS } },
    }, 'tiny shakespeare', 'BARD');
    // The claim: 10 % worse than measured, still 2 % better than the baseline.
    const claim = better + better / 10n;
    assert.ok(claim > baseline - baseline / 50n, `${claim} beats ${baseline} by 2 %`);
    const { id: proposal, block } = await propose(gpt['better.json'], claim, '73', id);
    const { proposal: settledProposal, block: end } = await settled(proposal, 60);
    assert.ok(settledProposal.status.isApproved, settledProposal.status.toString());
    const best = (await api.query.projects.projects(id)).unwrap().best.toNumber();
    const node = (await api.query.projects.nodes(id, best)).unwrap();
    assert.equal(node.code.digest.toHex(), gpt['better.json'].digest);
    assert.ok(node.score.toBigInt() >= claim, `${node.score} >= ${claim}`);
    console.log(`# candle-gpt example: val_bpb ${-Number(node.score.toBigInt()) / 1e6} on chain (baseline ${-Number(baseline) / 1e6}); reveal in block ${block}, settled by block ${end}`);
    const job = runner.log().match(/job (0x[0-9a-f]+) queued: proposal [0-9]+, evaluator candle-gpt/);
    assert.ok(job, runner.log());
    assert.match(runner.log(), new RegExp(`job ${job[1]} done in [0-9.]+ s: score -[0-9]+`));
  });

  if (command) test('a command project in the sandbox: better approved, inflated rejected, cheat and network invalid', async () => {
    execFileSync('bash', [join(COMMAND, 'build.sh')], { stdio: 'ignore' });
    // A server on the verifier's own loopback, which the network candidate asks first.
    let requests = 0;
    const server = createServer((_, res) => { requests += 1; res.end('ok'); });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const work = mkdtempSync(join(tmpdir(), 'poi-command-'));
    try {
      cpSync(join(COMMAND, 'network'), work, { recursive: true });
      const compress = join(work, 'compress.py');
      writeFileSync(compress, readFileSync(compress, 'utf8').replace('PORT', String(server.address().port)));
      const network = join(work, 'network.tar');
      execFileSync('tar', ['-cf', network, '-C', work, 'compress.py', 'decompress.py']);
      // The server answers anyone on the host (but nobody in the sandbox, below).
      assert.equal(await (await fetch(`http://127.0.0.1:${server.address().port}/`)).text(), 'ok');
      assert.equal(requests, 1);
      const paths = {
        snapshot: join(COMMAND, 'build/snapshot.tar'),
        protocol: join(COMMAND, 'protocol.json'),
        baseline: join(COMMAND, 'build/baseline.tar'),
        better: join(COMMAND, 'build/better.tar'),
        cheat: join(COMMAND, 'build/cheat.tar'),
        network,
      };
      const art = {};
      for (const [name, path] of Object.entries(paths)) art[name] = await put(readFileSync(path));
      // Measured locally first, as a miner would: the sizes are exact, whatever the seed.
      const baseline = measure(paths.baseline);
      const better = measure(paths.better);
      assert.ok(better > baseline - baseline / 100n, `better ${better} beats baseline ${baseline} by 1 %`);
      const id = await createProject({
        document: art.protocol,
        repository: art.snapshot,
        benchmark: art.snapshot,
        baselineMetrics: art.protocol,
        metric: { name: 'compressed_bytes', direction: 'Minimize', scaleExponent: 0 },
        baselineScore: baseline,
        minImprovementBps: 100,
        toleranceBps: 100,
        quorum: 1,
        evaluator: { Command: { seconds: COMMAND_SECONDS } },
      }, 'compress shakespeare', 'ZIP');
      // Four proposals at once, each claiming the better candidate's size.
      const ids = {};
      for (const [name, salt] of [['better', '81'], ['baseline', '82'], ['cheat', '83'], ['network', '84']]) {
        ids[name] = (await propose(art[name], better, salt, id)).id;
      }
      const status = {};
      for (const [name, proposal] of Object.entries(ids)) status[name] = (await settled(proposal, 60)).proposal.status;
      assert.ok(status.better.isApproved, status.better.toString());
      const best = (await api.query.projects.projects(id)).unwrap().best.toNumber();
      const node = (await api.query.projects.nodes(id, best)).unwrap();
      assert.equal(node.code.digest.toHex(), art.better.digest);
      assert.equal(node.score.toBigInt(), better);
      assert.ok(status.baseline.isRejected && status.baseline.asRejected.isMisclaimed, status.baseline.toString());
      for (const name of ['cheat', 'network']) {
        assert.ok(status[name].isRejected && status[name].asRejected.isInvalid, `${name}: ${status[name]}`);
      }
      assert.equal(requests, 1, 'no request came from the sandbox');
      assert.match(runner.log(), /evaluator command/);
      console.log(`# command example: ${-better} bytes on chain (baseline ${-baseline}); cheat and network candidates invalid`);
    } finally {
      server.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
}
