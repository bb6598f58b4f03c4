// Starts the processes a test needs (a fresh poi dev node, a runner, an IPFS daemon) and stops
// them afterwards. What the tests share with zombienet's scripts is in ../lib/poi.mjs.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

import { GPT_BIN, NODE_BIN, RUNNER_BIN, runnerCall } from '../lib/poi.mjs';


/** Stops `child` with SIGINT, or SIGKILL after `graceMs`. */
function interrupt(child, graceMs) {
  child.kill('SIGINT');
  return new Promise((resolve) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, graceMs);
    child.on('exit', () => { clearTimeout(t); resolve(); });
  });
}

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `command args` with `env`, collecting its output, and waits until `ready()` resolves
 * (retried every 200 ms; killed when it does not within `timeoutMs`). Returns `{ stop, log }`;
 * `stop` interrupts it (SIGKILL after `graceMs`) and removes `dir`.
 */
async function startProcess(name, command, args, {
  env = process.env, dir, timeoutMs, ready, graceMs = 5_000,
}) {
  let log = '';
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name} exited early (${JSON.stringify(exited)}):\n${log.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer within ${timeoutMs} ms:\n${log.slice(-4000)}`);
    }
    try {
      await ready();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const stop = async () => {
    if (!exited) await interrupt(child, graceMs);
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  return { stop, log: () => log };
}

/**
 * Starts `poi-node --dev` on free ports with a fresh base path, waits until its RPC answers,
 * and returns `{ api, rpcPort, stop, log }`.
 */
export async function startDevNode({ timeoutMs = 120_000, extraArgs = [] } = {}) {
  return startNode({ timeoutMs, args: ['--dev', ...extraArgs] });
}

/**
 * Starts `poi-node` with `args` on free RPC and p2p ports with a fresh base path (no
 * Prometheus, telemetry or mDNS), waits until its RPC answers, and returns `{ api, rpcPort,
 * p2pPort, stop, log }`.
 */
export async function startNode({ timeoutMs = 120_000, args = [] } = {}) {
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const basePath = mkdtempSync(join(tmpdir(), 'poi-e2e-'));
  let api = null;
  const connect = async () => {
    const provider = new WsProvider(`ws://127.0.0.1:${rpcPort}`, false);
    await provider.connect();
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('connect timeout')), 2000);
      provider.on('connected', () => { clearTimeout(t); resolve(); });
      provider.on('error', () => { clearTimeout(t); reject(new Error('connect error')); });
    });
    api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
  };
  const node = await startProcess('poi-node', NODE_BIN, [
    '--base-path', basePath,
    '--rpc-port', String(rpcPort),
    '--port', String(p2pPort),
    '--no-prometheus',
    '--no-telemetry',
    '--no-mdns',
    ...args,
  ], { dir: basePath, timeoutMs, ready: connect, graceMs: 10_000 });
  const stop = async () => {
    await api.disconnect().catch(() => {});
    await node.stop();
  };
  return { api, rpcPort, p2pPort, stop, log: node.log };
}

/** Resolves once the chain's best block number is at least `number`. */
export async function waitForBlock(api, number) {
  return new Promise((resolve, reject) => {
    let unsubscribe = null;
    let done = false;
    api.rpc.chain.subscribeNewHeads((header) => {
      if (!done && header.number.toNumber() >= number) {
        done = true;
        if (unsubscribe) unsubscribe();
        resolve(header);
      }
    }).then((u) => { unsubscribe = u; if (done) u(); }).catch(reject);
  });
}

/** An sr25519 keyring for poi's addresses (SS58 prefix 42), its crypto ready. */
export async function sr25519Keyring() {
  await cryptoWaitReady();
  return new Keyring({ type: 'sr25519', ss58Format: 42 });
}

/**
 * What every test file starts with: a fresh dev node and the keys of the well-known dev
 * accounts. Returns `{ node, api, keyring, alice, bob }`; call `node.stop()` when done.
 */
export async function startDevNodeWithKeys(options = {}) {
  const keyring = await sr25519Keyring();
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const node = await startDevNode(options);
  return { node, api: node.api, keyring, alice, bob };
}

/**
 * Starts `poi-runner serve` on a free port with a fresh base path and waits until `info`
 * answers: with the dev key (`dev` true, the key the dev chain registers for Alice), a
 * well-known account's development key (`dev` a name: `--dev-account bob`), or a key of its
 * own (`dev` false), and the embedded store or the IPFS daemon at `ipfsApi`. Returns `{ url,
 * tokenFile, token, call(method, params), stop, log }`: the node takes `--runner-token-file
 * tokenFile`.
 */
export async function startDevRunner({ timeoutMs = 30_000, dev = true, ipfsApi } = {}) {
  const port = await freePort();
  const basePath = mkdtempSync(join(tmpdir(), 'poi-runner-'));
  const url = `http://127.0.0.1:${port}`;
  const args = ['serve', '--base-path', basePath, '--listen', `127.0.0.1:${port}`, '--gpt-bin', GPT_BIN];
  if (dev === true) args.push('--dev');
  else if (dev) args.push('--dev-account', dev);
  if (ipfsApi) args.push('--ipfs-api', ipfsApi);
  const tokenFile = join(basePath, 'rpc.token');
  // The runner writes its token before it listens.
  const token = () => readFileSync(tokenFile, 'utf8').trim();
  const runner = await startProcess('poi-runner', RUNNER_BIN, args, {
    dir: basePath, timeoutMs, ready: () => runnerCall(url, token(), 'info'),
  });
  const call = (method, params = []) => runnerCall(url, token(), method, params);
  return { url, basePath, tokenFile, token: token(), call, ...runner };
}

/** js-ipfs, installed by scripts/test.sh into tests/ipfs (pinned and patched there: tests/ipfs/package.json, patch.mjs). */
export const IPFS_CLI = new URL('../ipfs/node_modules/ipfs/src/cli.js', import.meta.url).pathname;

/** One call to an IPFS daemon's RPC API (`/api/v0/<path>`); the response's bytes. */
export async function ipfsCall(apiUrl, path) {
  const response = await fetch(`${apiUrl}/api/v0/${path}`, { method: 'POST' });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!response.ok) throw new Error(`ipfs ${path}: ${response.status} ${new TextDecoder().decode(bytes)}`);
  return bytes;
}

/**
 * Starts a real IPFS daemon (js-ipfs, offline: no bootstrap peers, no MDNS, no swarm) with a
 * fresh repository, its RPC API on a free loopback port; waits until it answers. Returns
 * `{ url, stop, log }`.
 */
export async function startIpfs({ timeoutMs = 60_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'poi-ipfs-'));
  const env = { ...process.env, IPFS_PATH: join(dir, 'repo') };
  execFileSync(process.execPath, [IPFS_CLI, 'init', '--empty-repo'], { env, stdio: 'ignore' });
  const [api, gateway, rpc] = [await freePort(), await freePort(), await freePort()];
  const configPath = join(dir, 'repo', 'config');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.Addresses = {
    ...config.Addresses,
    Swarm: [],
    API: `/ip4/127.0.0.1/tcp/${api}`,
    Gateway: `/ip4/127.0.0.1/tcp/${gateway}`,
    RPC: `/ip4/127.0.0.1/tcp/${rpc}`,
    Delegates: [],
  };
  config.Bootstrap = [];
  config.Discovery = { MDNS: { Enabled: false, Interval: 10 }, webRTCStar: { Enabled: false } };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${api}`;
  const daemon = await startProcess(
    'ipfs daemon',
    process.execPath,
    [IPFS_CLI, 'daemon', '--offline', '--enable-preload=false'],
    { env, dir, timeoutMs, ready: () => ipfsCall(url, 'version') },
  );
  return { url, ...daemon };
}
