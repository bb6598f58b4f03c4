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

module.exports = {
  VALIDATORS, answers, finalizedNumber, loadState, runnerControl, runnerLog, runnerToken, runnerUrl,
  runnersDir, saveState, shared, sleep,
};
