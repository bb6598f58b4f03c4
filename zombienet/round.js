// Zombienet js-script of drills 2 and 3: one round of the wasm example, settled by the four
// genesis verifiers' off-chain workers and runners while one runner dies mid-evaluation and one
// node restarts between its verdict commit and its reveal. Two steps of testnet.zndsl, with
// `bob: restart` between them:
// - "start": checks that the validators are the genesis verifiers, served by the runners beside
//   them; puts the example's files into each runner's store; Alice creates a project with
//   quorum 4 (every verifier is drawn); Eve proposes the faster candidate with a hidden claim;
//   charlie's runner is stopped the moment it takes the round's job, found to hold no result
//   of it, and killed (SIGKILL), and
//   the step returns 1 once bob's verdict commitment is on chain (the reveal phase cannot begin
//   yet: charlie has not committed);
// - "finish": restarts charlie's runner, reveals Eve's claim when due, and returns 1 when the
//   round is approved with four score verdicts (bob's reveal landed: the salt of its commitment
//   survived the restart; charlie's runner, back within the commit period, did its duty), no
//   verifier was slashed or counted as missing a duty, and nothing of the round is left running
//   or held but the proposal's storage deposit; 0 (with the reason printed) otherwise.
const { existsSync, readFileSync, watch } = require('node:fs');
const { join } = require('node:path');
const {
  VALIDATORS, holdsOf, loadState, proposeFaster, putExample, runnerControl, runnerLog, runnerToken, runnerUrl, runnersDir,
  saveState, settle, shared, sleep,
} = require('./lib.js');

/** The runner killed mid-evaluation (drill 2) and the node restarted mid-round (drill 3). */
const KILLED_RUNNER = 'charlie';
const RESTARTED_NODE = 'bob';
/** Blocks after the reveal within which the round must settle. */
const SETTLE_WITHIN = 60;
const MINER = '//Eve';

const capitalised = (name) => name[0].toUpperCase() + name.slice(1);

async function run(nodeName, networkInfo, [step]) {
  const lib = await shared();
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri);
  try {
    const keyring = new zombie.Keyring({ type: 'sr25519' });
    const accounts = Object.fromEntries(
      VALIDATORS.map((name) => [name, keyring.addFromUri(`//${capitalised(name)}`)]),
    );
    const miner = keyring.addFromUri(MINER);
    if (step === 'start') return await start(api, lib, accounts, miner);
    if (step === 'finish') return await finish(api, lib, accounts, miner);
    throw new Error(`unknown step ${step}`);
  } finally {
    await api.disconnect();
  }
}

/**
 * Waits (up to `ms`) until `name`'s runner logs that it took proposal `id`'s job, then stops
 * the runner at once (SIGSTOP); the job's id, or null.
 */
function stopOnJob(name, id, ms) {
  const taken = new RegExp(`job (0x[0-9a-f]+) queued: proposal ${id},`);
  const log = join(runnersDir(), `${name}.log`);
  const pid = Number(readFileSync(join(runnersDir(), `${name}.pid`), 'utf8'));
  return new Promise((resolve) => {
    let done = false;
    const check = () => {
      if (done) return;
      const job = runnerLog(name).match(taken)?.[1];
      if (!job) return;
      process.kill(pid, 'SIGSTOP');
      finish(job);
    };
    const watcher = watch(log, check);
    const poll = setInterval(check, 20);
    const timer = setTimeout(() => finish(null), ms);
    function finish(job) {
      done = true;
      watcher.close();
      clearInterval(poll);
      clearTimeout(timer);
      resolve(job);
    }
  });
}

/** What the drill compares before and after: each verifier's bond and counters. */
async function verifierRecords(api, accounts) {
  const records = {};
  for (const [name, account] of Object.entries(accounts)) {
    const info = await api.query.verifiers.verifiers(account.address);
    if (info.isNone) throw new Error(`${name} is no verifier`);
    const { bond, stats, runnerKey } = info.unwrap();
    records[name] = {
      bond: bond.toString(), runnerKey: runnerKey.toHex(), agreed: stats.agreed.toNumber(),
      missed: stats.missed.toNumber(), deviant: stats.deviant.toNumber(),
    };
  }
  return records;
}

async function start(api, lib, accounts, miner) {
  const { runnerCall } = lib;

  // The network's set-up made the four validators verifiers (the local preset's genesis), each
  // with the key of the runner beside it.
  const before = await verifierRecords(api, accounts);
  for (const name of VALIDATORS) {
    const info = await runnerCall(runnerUrl(name), runnerToken(name), 'info');
    if (info.publicKey !== before[name].runnerKey) {
      console.log(`${name} is registered with runner key ${before[name].runnerKey}, its runner has ${info.publicKey}`);
      return 0;
    }
  }

  const artifacts = await putExample(lib);
  const proposed = await proposeFaster(api, lib, { owner: accounts.alice, miner, artifacts });
  const { id, revealBlock } = proposed;
  saveState({ ...proposed, before });

  // Drill 2: the moment charlie's runner has taken the round's job, it is stopped (SIGSTOP,
  // from this process: a wasm job of the example takes it 30 to 100 ms, the log line arrives
  // through inotify within a few), checked to hold no result of it, and killed (SIGKILL).
  const job = await stopOnJob(KILLED_RUNNER, id, 120_000);
  if (!job) {
    console.log(`${KILLED_RUNNER}'s runner did not take proposal ${id}'s job within 120 s`);
    return 0;
  }
  const finished = runnerLog(KILLED_RUNNER).includes(`job ${job} done`) ||
    existsSync(join(runnersDir(), KILLED_RUNNER, 'results', `${job.slice(2)}.json`));
  runnerControl('kill', KILLED_RUNNER);
  const killedAt = (await api.rpc.chain.getHeader()).number.toNumber();
  if (finished) {
    console.log(`${KILLED_RUNNER}'s runner finished job ${job} before it was stopped: not a kill mid-evaluation`);
    return 0;
  }
  console.log(`${KILLED_RUNNER}'s runner killed in block ${killedAt} holding job ${job} unfinished`);

  // Drill 3 waits for bob's verdict commitment: the node restarts between its commit and its
  // reveal (the reveal phase needs every commitment, and charlie's runner is down).
  for (;;) {
    const now = (await api.rpc.chain.getHeader()).number.toNumber();
    const round = await api.query.proposals.rounds(id);
    if (round.isNone) {
      console.log(`proposal ${id}'s round ended before ${RESTARTED_NODE} committed`);
      return 0;
    }
    const { phase, assignments } = round.unwrap();
    const seat = (name) => assignments.find((a) => a.verifier.toString() === accounts[name].address);
    if (assignments.length !== VALIDATORS.length || !VALIDATORS.every(seat)) {
      console.log(`proposal ${id} drew ${assignments.map((a) => a.verifier.toString())}, not the four validators`);
      return 0;
    }
    if (seat(RESTARTED_NODE).commitment.isSome) {
      if (!phase.isCommit || seat(KILLED_RUNNER).commitment.isSome) {
        console.log(`proposal ${id}: ${KILLED_RUNNER} committed (phase ${phase}) with its runner down`);
        return 0;
      }
      console.log(`proposal ${id}: ${RESTARTED_NODE} committed by block ${now}; restarting it`);
      saveState({ killedAt, job, committedBy: now });
      return 1;
    }
    if (now > revealBlock + SETTLE_WITHIN) {
      console.log(`proposal ${id}: no commitment of ${RESTARTED_NODE} ${now - revealBlock} blocks after the reveal`);
      return 0;
    }
    await sleep(1000);
  }
}

async function finish(api, lib, accounts, miner) {
  const state = loadState();
  if (state.id === undefined) throw new Error('the drill\'s first step did not run');
  const { id, project } = state;
  runnerControl('start', KILLED_RUNNER);
  const restartedAt = (await api.rpc.chain.getHeader()).number.toNumber();
  console.log(`${KILLED_RUNNER}'s runner back in block ${restartedAt} (killed in ${state.killedAt})`);

  const settled = await settle(api, lib, state, miner, SETTLE_WITHIN);
  if (typeof settled === 'string') {
    console.log(settled);
    return 0;
  }
  const { proposal, settledAt } = settled;

  const problems = [];
  const settlement = (await api.query.proposals.settlements(id)).unwrap();
  if (!proposal.status.isApproved) problems.push(`the round ended ${proposal.status}, not approved`);
  const best = (await api.query.projects.projects(project)).unwrap().best.toNumber();
  const node = (await api.query.projects.nodes(project, best)).unwrap();
  if (node.code.digest.toHex() !== state.fasterDigest) problems.push('the best is not the faster candidate');
  // Every seat has a score verdict, the best's score (the round's seed draws its own inputs):
  // bob's reveal landed after the restart (its salt survived), charlie's runner evaluated the
  // job again once it was back.
  for (const name of VALIDATORS) {
    const seat = settlement.verdicts.find(([who]) => who.toString() === accounts[name].address);
    const verdict = seat?.[1];
    if (!verdict || verdict.isNone || !verdict.unwrap().isScore) problems.push(`${name}'s verdict: ${verdict}`);
    else if (verdict.unwrap().asScore.toString() !== node.score.toString()) {
      problems.push(`${name} scored ${verdict.unwrap().asScore}, the best's score is ${node.score}`);
    }
  }
  // No verifier slashed, none counted as missing a duty; each agreed once more.
  const after = await verifierRecords(api, accounts);
  for (const name of VALIDATORS) {
    const [b, a] = [state.before[name], after[name]];
    if (a.bond !== b.bond) problems.push(`${name}'s bond went from ${b.bond} to ${a.bond}`);
    if (a.missed !== b.missed || a.deviant !== b.deviant) problems.push(`${name} missed ${a.missed - b.missed}, deviated ${a.deviant - b.deviant}`);
    if (a.agreed !== b.agreed + 1) problems.push(`${name} agreed ${a.agreed - b.agreed} times, not once`);
    // Nothing of the round left running: no assignment, the bond held whole, and no hold of
    // the proposals pallet (alice also holds her project's deposit).
    const assigned = await api.query.proposals.assignments.keys(accounts[name].address);
    if (assigned.length) problems.push(`${name} still has ${assigned.length} assignments`);
    const holds = await holdsOf(api, accounts[name].address);
    const bond = holds.filter(([reason]) => reason.includes('VerifierBond'));
    if (bond.length !== 1 || bond[0][1] !== a.bond || holds.some(([reason]) => reason.includes('Proposals'))) {
      problems.push(`${name}'s holds: ${JSON.stringify(holds)}`);
    }
  }
  if ((await api.query.proposals.rounds(id)).isSome) problems.push('the round is still stored');
  const minerHolds = (await holdsOf(api, miner.address)).map(([reason]) => reason);
  if (minerHolds.some((h) => h.includes('VerificationFee'))) problems.push(`Eve's fee is still held: ${minerHolds}`);
  if (problems.length) {
    console.log(`drill failed:\n  ${problems.join('\n  ')}`);
    return 0;
  }
  saveState({ settledAt, restartedAt });
  console.log(`drills 2 and 3: ${JSON.stringify(loadState(), (k, v) => (k === 'before' ? undefined : v))}`);
  return 1;
}

module.exports = { run };
