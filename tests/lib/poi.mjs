// What the JavaScript tests (tests/polkadot-js) and the zombienet scripts (zombienet/) share:
// the binaries' paths, a runner's JSON-RPC, sending a transaction, and the hashes a client
// computes (a proposal's commitment, its claim hash, a verdict's commitment and the runner's
// signed payload) built from the chain's own metadata. It imports no npm package, so that both
// folders load it with their own @polkadot/api (`import`, or `await import()` from CommonJS).
// The Rust definitions of these encodings are in primitives/src/ (poi-primitives).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One POI in planck (12 decimals). */
export const UNIT = 10n ** 12n;

/** Project `p`'s token is asset `2^31 + p` of pallet-assets. */
export const PROJECT_TOKEN_ASSET_IDS = 2n ** 31n;

/** The scripts' target directory (scripts/lib.sh): `$CARGO_TARGET_DIR`, else ~/.cache/poi-target. */
export const TARGET_DIR = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/poi-target');
export const NODE_BIN = process.env.POI_NODE_BIN ?? join(TARGET_DIR, 'release/poi-node');
export const RUNNER_BIN = process.env.POI_RUNNER_BIN ?? join(TARGET_DIR, 'release/poi-runner');
export const POI_BIN = process.env.POI_BIN ?? join(TARGET_DIR, 'release/poi');
/** The candle-gpt trainer the runner starts per job (its own workspace: scripts/lib.sh `build_node`). */
export const GPT_BIN = process.env.POI_GPT_BIN ?? join(TARGET_DIR, 'poi-gpt/release/poi-gpt');

/**
 * The environment `poi` runs in for a test: its binaries, the node at `rpcPort`, the runner
 * `runner` ({ url, tokenFile }) and its token, and the proposal state folder `state`.
 */
export function poiEnv({ rpcPort, runner, state }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    POI_URL: `ws://127.0.0.1:${rpcPort}`,
    POI_RUNNER_URL: runner.url,
    POI_RUNNER_TOKEN_FILE: runner.tokenFile,
    POI_RUNNER_BIN: RUNNER_BIN,
    POI_GPT_BIN: GPT_BIN,
    POI_STATE_DIR: state,
  };
}

/** The curve the tests give their projects: 1 POI base price, 0.1 POI slope, 1 000 POI escrow. */
export const TEST_CURVE = {
  basePrice: UNIT, slope: UNIT / 10n, minerPoolCap: 1_000n, rewardPerApproval: 10n, initialEscrow: 1_000n * UNIT,
};

/**
 * One JSON-RPC call to a runner over HTTP with its API token (`null`: none); the result, or
 * throws with the runner's error (or its HTTP status, when it refused the request).
 */
export async function runnerCall(url, token, method, params = []) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  if (!response.ok) throw new Error(`${url} ${method}: HTTP ${response.status} ${await response.text()}`);
  const body = await response.json();
  if (body.error) throw new Error(`${url} ${method}: ${body.error.message}`);
  return body.result;
}

/** The evaluators a runner's `info` lists, as `verifiers.register` takes them. */
export const evaluatorsOf = (info) => ({
  wasm: info.evaluators.includes('wasm'),
  candleGpt: info.evaluators.includes('candle-gpt'),
  command: info.evaluators.includes('command'),
});

/**
 * `poi-runner eval` with `args` (the miner's local check) in a throw-away base path; the job
 * status it prints (`{ verdict: { kind, score?, log } }`).
 */
export function runEval(args, { runnerBin = RUNNER_BIN } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'poi-eval-'));
  try {
    const out = execFileSync(runnerBin, ['eval', '--dev', '--base-path', base, ...args], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    });
    return JSON.parse(out);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** The wasm example's folder (its files are built by its build.sh). */
export const WASM_EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'wasm-sort');

/** The wasm example's built files as bytes: `{ harness, baseline, faster, protocol }`. */
export function wasmExampleFiles() {
  const files = Object.fromEntries(['harness', 'baseline', 'faster'].map(
    (name) => [name, readFileSync(join(WASM_EXAMPLE, `build/${name}.wasm`))],
  ));
  files.protocol = readFileSync(join(WASM_EXAMPLE, 'protocol.json'));
  return files;
}

/** The wasm example's fuel budget (its protocol file's `budget`). */
export const wasmExampleFuel = () => JSON.parse(readFileSync(join(WASM_EXAMPLE, 'protocol.json'))).budget;

/** The score of the wasm example's `candidate` (baseline, faster) as a miner measures it
 * locally (`poi-runner eval`, seed 0). */
export const wasmExampleScore = (candidate) => scoreOf(runEval([
  '--budget', String(wasmExampleFuel()),
  '--benchmark', join(WASM_EXAMPLE, 'build/harness.wasm'),
  '--candidate', join(WASM_EXAMPLE, `build/${candidate}.wasm`),
  '--document', join(WASM_EXAMPLE, 'protocol.json'),
]));

/** The score of a `runEval` status; throws when the verdict is not a score. */
export function scoreOf(status) {
  if (status.verdict?.kind !== 'score') throw new Error(`not a score: ${JSON.stringify(status)}`);
  return BigInt(status.verdict.score);
}

/** "section.Name" of a dispatch error, decoded through the chain's metadata. */
export function errorName(api, dispatchError) {
  if (dispatchError.isModule) {
    const meta = api.registry.findMetaError(dispatchError.asModule);
    return `${meta.section}.${meta.name}`;
  }
  if (dispatchError.isToken) return `token.${dispatchError.asToken.type}`;
  return dispatchError.type;
}

/**
 * Signs and sends `tx`, resolving once it is finalized (or, with `{ finalized: false }`, once
 * it is in a block) with `{ inBlock, blockHash, events, dispatchError }`; rejects if the pool
 * refuses it. `nonce` signs with that nonce (several transactions of one account at once);
 * without it, the account's next nonce as the node's pool sees it.
 */
export function sendAndFinalize(tx, signer, { finalized = true, nonce } = {}) {
  return new Promise((resolve, reject) => {
    let inBlock = null;
    tx.signAndSend(signer, nonce === undefined ? {} : { nonce }, (result) => {
      if (result.status.isInBlock) inBlock = result.status.asInBlock;
      const done = finalized ? result.status.isFinalized : result.status.isInBlock;
      if (done) {
        resolve({
          inBlock,
          blockHash: finalized ? result.status.asFinalized : inBlock,
          events: result.events,
          dispatchError: result.dispatchError ?? null,
        });
      } else if (result.isError) {
        reject(new Error(`transaction failed: ${result.status.type}`));
      }
    }).catch(reject);
  });
}

/** `sendAndFinalize`, which must succeed: a dispatch error throws `section.call: pallet.Error`. */
export async function sendOk(api, tx, signer, options) {
  const sent = await sendAndFinalize(tx, signer, options);
  if (sent.dispatchError) {
    throw new Error(`${tx.method.section}.${tx.method.method}: ${errorName(api, sent.dispatchError)}`);
  }
  return sent;
}

/** The SCALE encoding of `value` as the chain's type `type`. */
export const encode = (api, type, value) => api.createType(type, value).toU8a();

/** The bytes of `parts`, one after the other. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** BLAKE2-256, the chain's hasher. */
const blake2 = (api, bytes) => api.registry.hash(bytes).toU8a();

/** The type of `call`'s argument `index` as the metadata names it. */
const argType = (call, index) => call.meta.args[index].type.toString();

/** The public key bytes of an SS58 address (or an account id). */
const accountBytes = (api, who) => encode(api, 'AccountId', who);

/** BLAKE2-256(SCALE(claimed score: i128, salt: H256)): what a reveal shows of the claim. */
export const claimHash = (api, claim, salt) => blake2(api, concat(encode(api, 'i128', claim), encode(api, 'H256', salt)));

/**
 * A proposal's commitment: BLAKE2-256(SCALE(project: u32, parent: u32, code: ArtifactRef,
 * claim hash: H256, proposer: AccountId)).
 */
export function proposalCommitment(api, { project, parent = 0, code, claim, proposer }) {
  return blake2(api, concat(
    encode(api, 'u32', project),
    encode(api, 'u32', parent),
    encode(api, argType(api.tx.proposals.reveal, 2), code),
    encode(api, 'H256', claim),
    accountBytes(api, proposer),
  ));
}

/** The type of a verdict (`Score { score, log }`, `HarnessError { log }`, `Invalid { log }`). */
const verdictType = (api) => argType(api.tx.proposals.revealVerdict, 1);

/** A verdict's commitment: BLAKE2-256(SCALE(proposal: u64, verdict, salt: H256, verifier)). */
export function verdictCommitment(api, { proposal, verdict, salt, verifier }) {
  return blake2(api, concat(
    encode(api, 'u64', proposal),
    encode(api, verdictType(api), verdict),
    encode(api, 'H256', salt),
    accountBytes(api, verifier),
  ));
}

/**
 * What a runner signs for a verdict: SCALE(genesis hash, proposal: u64, round kind, seed,
 * verifier, BLAKE2-256(SCALE(verdict))); `round` as `roundOf` gives it.
 */
export function runnerPayload(api, { proposal, verdict, verifier, round: { kind, kindType, seed } }) {
  return concat(
    api.genesisHash.toU8a(),
    encode(api, 'u64', proposal),
    encode(api, kindType, kind),
    encode(api, 'H256', seed),
    accountBytes(api, verifier),
    blake2(api, encode(api, verdictType(api), verdict)),
  );
}

/** The round kind (its name and the metadata's type) and seed of proposal `id`'s running round. */
export async function roundOf(api, id) {
  const { kind, seed } = (await api.query.proposals.rounds(id)).unwrap();
  return { kind: kind.toString(), kindType: kind.toRawType(), seed: seed.toHex() };
}

/**
 * What a miner's client does while its proposal `id` is verified: once the round's commit
 * phase is over (every verdict committed, or its last block passed) it reveals `{ claim, salt }`
 * signed by `miner`. True when it revealed.
 */
export async function revealClaimWhenDue(api, id, { claim, salt }, miner, now) {
  const round = await api.query.proposals.rounds(id);
  if (round.isNone) return false;
  const { phase, commitUntil } = round.unwrap();
  if (!(phase.isReveal || (phase.isCommit && now > commitUntil.toNumber()))) return false;
  await sendOk(api, api.tx.proposals.revealClaim(id, claim, salt), miner, { finalized: false });
  return true;
}

/** Project `project`'s token: asset `2^31 + project` of pallet-assets. */
export const assetOf = (project) => PROJECT_TOKEN_ASSET_IDS + BigInt(project);
