// What zombienet's js-scripts share: the four validators of network.toml and the runner beside
// each (runner.sh), the node's finalized height, and a file that carries a drill's state from
// one step of testnet.zndsl to the next (each step is a separate js-script call).
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

/** The validators, in network.toml's order; each is a verifier from genesis. */
const VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];

/** What the JavaScript tests and these scripts share (an ES module: loaded with import()). */
const shared = () => import(pathToFileURL(join(__dirname, '..', 'tests', 'lib', 'poi.mjs')).href);

const runnersDir = () => {
  const dir = process.env.ZOMBIENET_RUNNERS_DIR;
  if (!dir) throw new Error('ZOMBIENET_RUNNERS_DIR is not set: start the network with zombienet/run-test.sh');
  return dir;
};

/** The JSON-RPC address of `name`'s runner (runner.sh's ports). */
function runnerUrl(name) {
  const index = VALIDATORS.indexOf(name);
  if (index < 0) throw new Error(`no validator ${name}`);
  return `http://127.0.0.1:${9961 + index}`;
}

/** The API token of `name`'s runner, which its node reads too. */
const runnerToken = (name) => readFileSync(join(runnersDir(), name, 'rpc.token'), 'utf8').trim();

/** The log of `name`'s runner, every start of it appended. */
const runnerLog = (name) => readFileSync(join(runnersDir(), `${name}.log`), 'utf8');

/** Starts or kills `name`'s runner (`runner.sh start|kill NAME`). */
function runnerControl(action, name) {
  execFileSync('bash', [join(__dirname, 'runner.sh'), action, name], { stdio: 'inherit' });
}

const stateFile = () => join(runnersDir(), 'drills.json');
/** What a drill's earlier steps wrote (an empty object at first). */
function loadState() {
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8'));
  } catch {
    return {};
  }
}
/** Merges `values` into the drills' state. */
function saveState(values) {
  writeFileSync(stateFile(), JSON.stringify({ ...loadState(), ...values }, null, 1));
}

/** The number of the node's finalized head. */
async function finalizedNumber(api) {
  const hash = await api.rpc.chain.getFinalizedHead();
  return (await api.rpc.chain.getHeader(hash)).number.toNumber();
}

/** Whether the node at `wsUri` answers an RPC call over HTTP within `ms` (a stopped or killed
 * node does not). */
async function answers(wsUri, ms = 2000) {
  const url = wsUri.replace(/^ws/, 'http');
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: [] }),
      signal: AbortSignal.timeout(ms),
    });
    return response.ok;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The holds on `address`: each its reason (as JSON, e.g. `{"Proposals":"VerificationFee"}`)
 * and its amount. */
async function holdsOf(api, address) {
  return (await api.query.balances.holds(address)).map((h) => [JSON.stringify(h.id.toHuman()), h.amount.toString()]);
}

/** Puts the wasm example's files into every runner's store (the same bytes, the same CIDs);
 * returns the CID of each file. */
async function putExample(lib) {
  const artifacts = {};
  for (const [file, bytes] of Object.entries(lib.wasmExampleFiles())) {
    for (const name of VALIDATORS) {
      artifacts[file] = await lib.runnerCall(runnerUrl(name), runnerToken(name), 'put_artifact', [`0x${bytes.toString('hex')}`]);
    }
  }
  return artifacts;
}

/**
 * Alice creates a project of the wasm example whose rounds draw all four verifiers (quorum 4),
 * and Eve (`miner`) proposes its faster candidate to it: she commits and reveals, claiming 20 %
 * less than she measured, behind BLAKE2-256(claim, salt); she reveals the claim once verdicts
 * are in (`settle`). Returns what the later steps need: the project, the proposal, the block of
 * its reveal, the claim and its salt, and the candidate's digest.
 */
async function proposeFaster(api, lib, { owner, miner, artifacts }) {
  const send = (tx, signer) => lib.sendOk(api, tx, signer, { finalized: false });
  const project = (await api.query.projects.nextProjectId()).toNumber();
  const protocol = {
    document: artifacts.protocol,
    repository: artifacts.baseline,
    benchmark: artifacts.harness,
    baselineMetrics: artifacts.protocol,
    metric: { name: 'fuel', direction: 'Minimize', scaleExponent: 0 },
    baselineScore: lib.wasmExampleScore('baseline'),
    minImprovementBps: 100,
    toleranceBps: 0,
    quorum: VALIDATORS.length,
    evaluator: { Wasm: { fuel: lib.wasmExampleFuel() } },
  };
  await send(api.tx.projects.createProject(protocol, 'wasm sort', 'SORT', lib.TEST_CURVE, null), owner);
  await send(api.tx.bondingCurve.buy(project, 30, 1_000n * lib.UNIT), miner);

  const faster = lib.wasmExampleScore('faster');
  const claim = faster + faster / 5n;
  const salt = `0x${'5a'.repeat(32)}`;
  const hidden = lib.claimHash(api, claim, salt);
  const commitment = lib.proposalCommitment(api, { project, code: artifacts.faster, claim: hidden, proposer: miner.address });
  await send(api.tx.proposals.commit(project, commitment, 5), miner);
  const revealed = await send(api.tx.proposals.reveal(commitment, 0, artifacts.faster, hidden), miner);
  const event = revealed.events.find(({ event }) => api.events.proposals.Revealed.is(event));
  const id = event.event.data.proposal.toNumber();
  const revealBlock = (await api.rpc.chain.getHeader(revealed.blockHash)).number.toNumber();
  console.log(`project ${project}: proposal ${id} revealed in block ${revealBlock}`);
  return { project, id, revealBlock, claim: claim.toString(), salt, fasterDigest: artifacts.faster.digest };
}

/**
 * Waits until proposal `id`'s round ends, revealing Eve's claim when it is due; returns the
 * proposal and the block of its settlement, or a reason (a string) if it is still verifying
 * `within` blocks after its reveal.
 */
async function settle(api, lib, { id, revealBlock, claim, salt }, miner, within) {
  for (;;) {
    const proposal = (await api.query.proposals.proposals(id)).unwrap();
    const now = (await api.rpc.chain.getHeader()).number.toNumber();
    if (!proposal.status.isVerifying) {
      const settledAt = (await api.query.proposals.settlements(id)).unwrap().block.toNumber();
      console.log(`proposal ${id}: ${proposal.status} in block ${settledAt} (${settledAt - revealBlock} blocks after the reveal)`);
      return { proposal, settledAt };
    }
    if (proposal.claim.isHidden &&
      await lib.revealClaimWhenDue(api, id, { claim: BigInt(claim), salt }, miner, now)) {
      console.log(`proposal ${id}: Eve revealed her claim in block ${now}`);
    }
    if (now > revealBlock + within) return `proposal ${id} still verifying ${now - revealBlock} blocks after the reveal`;
    await sleep(2000);
  }
}

module.exports = {
  VALIDATORS, answers, finalizedNumber, holdsOf, loadState, proposeFaster, putExample, runnerControl, runnerLog,
  runnerToken, runnerUrl, runnersDir, saveState, settle, shared, sleep,
};
