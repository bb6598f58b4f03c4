// The live dashboard in a real browser (Debian's chromium driven by playwright-core), served by
// `poi dashboard` and reading a dev node whose off-chain worker verifies with Alice's runner.
// The page starts on an empty chain (its empty state), rides out a dropped connection, then
// follows a researcher's project through an approved and a rejected round and a third round
// in flight: what it shows is checked against the chain as Polkadot.js reads it (best score,
// outcomes, verdict counts, verifier statistics, one curve point per settled proposal, a new
// round within two blocks of its reveal). Bad input (an unreachable node, a malformed URL, a
// project that does not exist) ends in a clear message, and a project named in HTML shows as
// text. Screenshots of every view, on a laptop
// and a phone screen, go to tests/artifacts/dashboard/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { chromium } from 'playwright-core';

import { POI_BIN, poiEnv } from '../lib/poi.mjs';
import { metricValue } from '../../dashboard/src/format.js';
import { freePort, startDevNodeWithKeys, startDevRunner } from './node-harness.mjs';

const EXAMPLE = new URL('../../examples/wasm-sort/', import.meta.url).pathname;
const DASHBOARD = new URL('../../dashboard/dist/', import.meta.url).pathname;
const ARTIFACTS = process.env.POI_TEST_ARTIFACTS
  ? join(process.env.POI_TEST_ARTIFACTS, 'dashboard')
  : new URL('../artifacts/dashboard/', import.meta.url).pathname;
const CHROMIUM = process.env.POI_CHROMIUM ?? '/usr/bin/chromium';

let runner;
let node;
let api;
let keyring;
let proxy; // the page's way to the node, which the test cuts and restores
let server; // `poi dashboard`
let pageUrl;
let browser;
let page;
let env;
let state;
let project;
const revealedVerdicts = new Map(); // proposal → verdicts revealed, from the chain's events
let scoreVerdicts = 0; // of them, score verdicts (the histogram's)
const revealedAt = new Map(); // proposal → the block of its reveal
const pageErrors = []; // what the page threw or logged as an error

/** A TCP relay from a free port to `target`'s: `close()` cuts every connection and stops
 * listening (the node looks gone); `open()` listens again on the same port. */
async function relay(target) {
  const port = await freePort();
  const sockets = new Set();
  let listener = null;
  const open = () => new Promise((resolve, reject) => {
    listener = net.createServer((client) => {
      const upstream = net.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => { client.destroy(); upstream.destroy(); });
        s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    listener.once('error', reject);
    listener.listen(port, '127.0.0.1', resolve);
  });
  const close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    listener.close(() => resolve());
  });
  await open();
  return { port, open, close };
}

/** Sends the request line `line` as it is (no client rewrites it) to the server at `url`;
 * resolves with the status line of the answer ('' when the connection closed unanswered). */
function rawRequest(url, line) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(`${line}\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let answer = '';
    socket.on('data', (d) => { answer += d; });
    socket.on('close', () => resolve(answer.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

/** Starts `poi dashboard` on a free port; resolves with the URL it prints. */
function startServer(rpc) {
  return new Promise((resolve, reject) => {
    const child = spawn(POI_BIN, ['dashboard', '--listen', '127.0.0.1:0', '--rpc', rpc, '--dir', DASHBOARD, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      try {
        resolve({ child, ...JSON.parse(out) });
      } catch {
        // Not all of it yet.
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => reject(new Error(`poi dashboard exited (${code}): ${err}`)));
  });
}

async function poi(args, suri) {
  const { stdout } = await promisify(execFile)(POI_BIN, [...args, '--json'], {
    env: { ...env, POI_SURI: suri }, cwd: EXAMPLE, maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout);
}

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const text = (selector) => page.locator(selector).first().textContent();

/** Goes to a view of the page (`#/…`) and waits until it shows a block at least `block`. */
async function view(hash, block = 0) {
  await page.evaluate((h) => { window.location.hash = h; }, hash);
  await page.waitForFunction((n) => Number(document.body.dataset.best ?? -1) >= n, block);
}

/** The chain's best block number. */
const bestBlock = async () => (await api.rpc.chain.getHeader()).number.toNumber();

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await promisify(execFile)('bash', [join(EXAMPLE, 'build.sh')]);
  runner = await startDevRunner();
  ({ node, api, keyring } = await startDevNodeWithKeys({
    extraArgs: ['--runner-url', runner.url, '--runner-token-file', runner.tokenFile],
  }));
  await api.rpc.chain.subscribeNewHeads(async (header) => {
    const records = await api.query.system.events.at(header.hash);
    for (const { event } of records) {
      if (event.section !== 'proposals') continue;
      const id = event.data.proposal?.toNumber();
      if (event.method === 'Revealed') revealedAt.set(id, header.number.toNumber());
      if (event.method === 'VerdictRevealed') {
        revealedVerdicts.set(id, (revealedVerdicts.get(id) ?? 0) + 1);
        if (event.data.verdict.isScore) scoreVerdicts += 1;
      }
    }
  });
  proxy = await relay(node.rpcPort);
  server = await startServer(`ws://127.0.0.1:${proxy.port}`);
  pageUrl = server.url;
  state = mkdtempSync(join(tmpdir(), 'poi-dashboard-state-'));
  env = poiEnv({ rpcPort: node.rpcPort, runner, state });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // What it logs as an error, but for the dropped connection's own messages.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket connection to|API-WS: disconnected|ECONNREFUSED|1006/.test(m.text())) pageErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  server?.child.kill();
  await proxy?.close().catch(() => {});
  await node?.stop();
  await runner?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

test('poi dashboard serves the page, sends a bare / to the node it names, and nothing outside its folder', async () => {
  const bare = await fetch(pageUrl, { redirect: 'manual' });
  assert.equal(bare.status, 302);
  assert.equal(bare.headers.get('location'), `/?rpc=${encodeURIComponent(`ws://127.0.0.1:${proxy.port}`)}`);
  const index = await fetch(`${pageUrl}?rpc=ws://x:1`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /text\/html/);
  assert.match(index.headers.get('content-security-policy'), /connect-src ws: wss:/);
  assert.match(await index.text(), /<script src="app\.js"><\/script>/);
  assert.match((await fetch(`${pageUrl}app.js`)).headers.get('content-type'), /text\/javascript/);
  for (const path of ['../Cargo.toml', '%2e%2e/Cargo.toml', 'nothing.js', '.hidden']) {
    assert.equal((await fetch(`${pageUrl}${path}`)).status, 404, path);
  }
  assert.equal((await fetch(pageUrl, { method: 'POST' })).status, 405);
  // Targets as an attacker sends them, unnormalised: nothing outside the files, no crash.
  for (const [line, status] of [
    ['GET /../Cargo.toml HTTP/1.1', '404'], ['GET /%2e%2e/Cargo.toml HTTP/1.1', '404'], ['GET /..%2fCargo.toml HTTP/1.1', '404'],
    ['GET x HTTP/1.1', '400'], ['GET * HTTP/1.1', '400'], ['GET /?rpc= HTTP/1.1', '302'],
  ]) {
    assert.match(await rawRequest(pageUrl, line), new RegExp(`^HTTP/1\\.1 ${status} `), line);
  }
  assert.match(await rawRequest(pageUrl, 'GET /app.js HTTP/1.1'), /^HTTP\/1\.1 200 /, 'still serving');
  // A folder with no built page is refused with a way out.
  const empty = mkdtempSync(join(tmpdir(), 'poi-dashboard-empty-'));
  try {
    await assert.rejects(promisify(execFile)(POI_BIN, ['dashboard', '--listen', '127.0.0.1:0', '--dir', empty]),
      (e) => /there is no built dashboard in .*scripts\/build\.sh/.test(e.stderr));
    await assert.rejects(promisify(execFile)(POI_BIN, ['dashboard', '--rpc', 'http://127.0.0.1:9944', '--dir', DASHBOARD]),
      (e) => /is not a WebSocket URL/.test(e.stderr));
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('a chain with no projects: the page says how to create one; blocks advance live', async () => {
  await page.goto(pageUrl);
  await page.waitForSelector('[data-testid=no-projects]');
  assert.match(await text('[data-testid=no-projects]'), /poi project create/);
  assert.equal(await page.getAttribute('[data-testid=connection]', 'data-state'), 'connected');
  const first = Number(await page.evaluate(() => document.body.dataset.best));
  await page.waitForFunction((n) => Number(document.body.dataset.best) > n, first);
  assert.ok(Math.abs(Number(await page.evaluate(() => document.body.dataset.best)) - await bestBlock()) <= 1);
  await shot('overview-empty');
});

test('a dropped connection: the page says so, reconnects, and follows blocks again', async () => {
  await proxy.close();
  await page.waitForSelector('[data-testid=connection][data-state=lost]', { timeout: 20_000 });
  assert.match(await text('[data-testid=connection]'), /lost the connection .* reconnecting/);
  await shot('connection-lost');
  const before = await bestBlock();
  await proxy.open();
  await page.waitForSelector('[data-testid=connection][data-state=connected]', { timeout: 30_000 });
  await page.waitForFunction((n) => Number(document.body.dataset.best) > n, before, { timeout: 30_000 });
});

test('bad input: an unreachable node, a URL that is not a node\'s, a project that does not exist', async () => {
  const other = await browser.newPage();
  try {
    await other.goto(`${pageUrl}?rpc=ws://127.0.0.1:1`);
    await other.waitForSelector('[data-testid=connection][data-state=unreachable]');
    assert.match(await other.locator('[data-testid=connection]').textContent(), /cannot reach a node at ws:\/\/127\.0\.0\.1:1: retrying/);
    await other.screenshot({ path: join(ARTIFACTS, 'unreachable.png') });
    await other.goto(`${pageUrl}?rpc=http://127.0.0.1:9944`);
    await other.waitForSelector('[data-testid=connection][data-state=bad-url]');
    assert.match(await other.locator('[data-testid=connection]').textContent(), /is not a node's WebSocket URL/);
  } finally {
    await other.close();
  }
  await view('#/project/99');
  await page.waitForSelector('[data-testid=no-such-project]');
  assert.match(await text('[data-testid=no-such-project]'), /There is no project 99 on this chain/);
  await view('#/project/abc');
  await page.waitForSelector('[data-testid=no-such-project]');
  assert.match(await text('[data-testid=no-such-project]'), /is not a project id/);
});

test('an approved and a rejected round: the page shows what the chain holds', async () => {
  await view('#/');
  project = (await poi(['project', 'create', EXAMPLE], '//Alice')).project;
  await poi(['token', 'buy', String(project), '30', '--max-cost', '1000'], '//Bob');
  await poi(['token', 'buy', String(project), '30', '--max-cost', '1000'], '//Charlie');
  const [honest, inflated] = await Promise.all([
    poi(['propose', String(project), join(EXAMPLE, 'build/faster.wasm')], '//Bob'),
    poi(['propose', String(project), join(EXAMPLE, 'build/baseline.wasm'), '--claim', '1000', '--force', '--stake', '4'], '//Charlie'),
  ]);
  assert.equal(honest.status, 'approved', JSON.stringify(honest));
  assert.equal(inflated.status, 'rejected', JSON.stringify(inflated));
  const now = await bestBlock();

  // The overview.
  await view('#/', now);
  const row = page.locator(`[data-testid=project-row][data-project="${project}"]`);
  const info = (await api.query.projects.projects(project)).unwrap();
  const metric = { direction: info.protocol.metric.direction.type, scale: info.protocol.metric.scaleExponent.toNumber() };
  const best = (await api.query.projects.nodes(project, info.best)).unwrap().score.toBigInt();
  assert.equal(await row.locator('[data-testid=project-best]').textContent(), metricValue(best, metric));
  assert.equal(await row.locator('[data-testid=project-approvals]').textContent(), '1');
  assert.equal(await row.locator('[data-testid=project-rejections]').textContent(), '1');
  assert.equal(await text('[data-testid=approvals]'), '1');
  assert.equal(await text('[data-testid=rejections]'), '1');
  assert.equal(await text('[data-testid=active-miners]'), '2', 'Bob and Charlie');
  const bonded = (await api.query.verifiers.verifiers.entries()).filter(([, v]) => v.unwrap().status.isActive && !v.unwrap().bond.isZero());
  assert.equal(await text('[data-testid=active-verifiers]'), String(bonded.length));
  await shot('overview');

  // The project.
  await view(`#/project/${project}`, now);
  await page.waitForSelector('[data-testid=proposal-row]');
  assert.equal(await text('[data-testid=best-score]'), metricValue(best, metric));
  assert.equal(await text('[data-testid=baseline-score]'), metricValue(info.protocol.baselineScore.toBigInt(), metric));
  const entries = (await api.query.proposals.proposals.entries()).map(([k, p]) => [k.args[0].toNumber(), p.unwrap()])
    .filter(([, p]) => p.project.toNumber() === project);
  assert.equal(entries.length, 2);
  const cls = { Approved: 'approved', Rejected: 'rejected' };
  const settledIn = new Map(); // proposal → the block its settlement records
  for (const [id, p] of entries) {
    // The chain keeps each settled round's verdicts in state, as its events revealed them.
    const settlement = (await api.query.proposals.settlements(id)).unwrap();
    assert.equal(settlement.verdicts.filter(([, v]) => v.isSome).length, revealedVerdicts.get(id), `proposal ${id}'s settlement`);
    settledIn.set(id, settlement.block.toNumber());
    const shown = page.locator(`[data-testid=proposal-row][data-proposal="${id}"]`);
    assert.equal(await shown.getAttribute('data-outcome'), cls[p.status.type], `proposal ${id}`);
    assert.equal(Number(await shown.getAttribute('data-verdicts')), revealedVerdicts.get(id), `proposal ${id}'s verdicts`);
    assert.equal(await shown.locator('[data-testid=verified]').textContent(), metricValue(p.verifiedScore.unwrap().toBigInt(), metric));
    assert.equal(await shown.locator('[data-testid=claimed]').textContent(), metricValue(p.claim.asRevealed.toBigInt(), metric));
  }
  assert.match(await text(`[data-testid=proposal-row][data-proposal="${inflated.proposal}"]`), /rejected: misclaimed/);
  // The curve: one point per settled proposal, the running best ending at the chain's best.
  const curve = await page.evaluate(() => window.poiCharts.curve.data.datasets.map((d) => ({ label: d.label, data: d.data })));
  const dots = curve.filter((d) => d.label !== 'running best').flatMap((d) => d.data);
  assert.deepEqual(dots.map((d) => [d.proposal, d.x]).sort(), [...settledIn].sort(), 'a dot per proposal, at its settlement');
  const step = curve.find((d) => d.label === 'running best').data;
  assert.equal(step[step.length - 1].y, Number(metricValue(best, metric)));
  assert.equal(step[0].y, Number(metricValue(info.protocol.baselineScore.toBigInt(), metric)));
  // The miners' leaderboard.
  for (const [suri, approvals, rejections] of [['//Bob', '1', '0'], ['//Charlie', '0', '1']]) {
    const miner = page.locator(`[data-testid=miner-row][data-miner="${keyring.addFromUri(suri).address}"]`);
    assert.equal(await miner.locator('[data-testid=miner-proposals]').textContent(), '1', suri);
    assert.equal(await miner.locator('[data-testid=miner-approvals]').textContent(), approvals, suri);
    assert.equal(await miner.locator('[data-testid=miner-rejections]').textContent(), rejections, suri);
  }
  // Fuel is positive: a logarithmic axis is offered, and taken.
  await page.check('[data-testid=log-scale]');
  assert.equal(await page.evaluate(() => window.poiCharts.curve.options.scales.y.type), 'logarithmic');
  await page.uncheck('[data-testid=log-scale]');
  assert.equal(await page.evaluate(() => window.poiCharts.curve.options.scales.y.type), 'linear');
  // The lineage: the baseline and the approved node, which is the best.
  assert.equal(await page.locator('[data-testid=lineage-node]').count(), info.nextNode.toNumber());
  assert.match(await text(`[data-testid=lineage-node][data-node="${info.best}"]`), /best/);
  // The token, through the runtime API.
  const token = (await api.call.bondingCurveApi.overview(project)).unwrap();
  assert.equal(await text('[data-testid=token-supply]'), `${token.supply.toBigInt()} ${info.token.symbol.toUtf8()}`);
  await shot('project');
  // On a phone's screen nothing is wider than the screen (tables scroll in their own box).
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => window.poiCharts.curve.width <= 390);
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.parentElement.closest('.scroll'))
    .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`));
  assert.deepEqual(wide, [], 'nothing wider than a phone\'s screen');
  await shot('project-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // The verifiers: the chain's statistics.
  await view('#/verifiers', now);
  for (const [key, v] of await api.query.verifiers.verifiers.entries()) {
    const address = key.args[0].toString();
    const shown = page.locator(`[data-testid=verifier-row][data-verifier="${address}"]`);
    const info = v.unwrap();
    for (const field of ['rounds', 'agreed', 'deviant', 'missed']) {
      assert.equal(await shown.locator(`[data-testid=${field}]`).textContent(), info.stats[field].toString(), `${address} ${field}`);
    }
  }
  const alice = keyring.addFromUri('//Alice').address;
  assert.match(await text(`[data-testid=verifier-row][data-verifier="${alice}"]`), /Alice/);
  const residuals = await page.evaluate(() => window.poiCharts.residuals.data.datasets.reduce((n, d) => n + d.data.reduce((a, b) => a + b, 0), 0));
  assert.equal(residuals, scoreVerdicts, 'every score verdict in the histogram');
  await shot('verifiers');

  // A page opened now, from the files alone (as any static host or IPFS serves them), shows
  // the same: it is all in state.
  const late = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    late.on('pageerror', (e) => pageErrors.push(`opened late: ${e.message}`));
    await late.goto(`file://${DASHBOARD}index.html?rpc=ws://127.0.0.1:${node.rpcPort}#/project/${project}`);
    await late.waitForSelector('[data-testid=proposal-row]');
    assert.equal(await late.locator('[data-testid=best-score]').textContent(), metricValue(best, metric));
    for (const [id, p] of entries) {
      const shown = late.locator(`[data-testid=proposal-row][data-proposal="${id}"]`);
      assert.equal(await shown.getAttribute('data-outcome'), cls[p.status.type], `opened late: proposal ${id}`);
      assert.equal(Number(await shown.getAttribute('data-verdicts')), revealedVerdicts.get(id), `opened late: proposal ${id}'s verdicts`);
    }
    const lateDots = await late.evaluate(() => window.poiCharts.curve.data.datasets.filter((d) => d.label !== 'running best').flatMap((d) => d.data));
    assert.deepEqual(lateDots.map((d) => [d.proposal, d.x]).sort(), dots.map((d) => [d.proposal, d.x]).sort(), 'the same points at the same blocks');
  } finally {
    await late.close();
  }
});

test('a new round appears on the page within two blocks of its reveal, and its settlement after', async () => {
  await view('#/rounds');
  const next = (await api.query.proposals.nextProposalId()).toNumber();
  const proposing = poi(['propose', String(project), join(EXAMPLE, 'build/baseline.wasm'), '--claim', '1000', '--force', '--stake', '4'], '//Charlie');
  await page.waitForSelector(`[data-testid=round][data-proposal="${next}"]`, { timeout: 120_000 });
  const shownAt = await bestBlock();
  for (let i = 0; i < 100 && !revealedAt.has(next); i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.ok(revealedAt.has(next), 'the test saw the reveal');
  assert.ok(shownAt <= revealedAt.get(next) + 2, `revealed in block ${revealedAt.get(next)}, shown at block ${shownAt}`);
  await page.waitForSelector(`[data-testid=round][data-proposal="${next}"][data-phase=Commit], [data-testid=round][data-proposal="${next}"][data-phase=Reveal]`, { timeout: 60_000 });
  await shot('rounds');
  const outcome = await proposing;
  assert.equal(outcome.status, 'rejected');
  await page.waitForSelector(`[data-testid=settled-round][data-proposal="${next}"]`, { timeout: 30_000 });
  assert.equal(await page.locator(`[data-testid=round][data-proposal="${next}"]`).count(), 0, 'no longer in flight');
  await view(`#/project/${project}`, await bestBlock());
  const dots = await page.evaluate(() => window.poiCharts.curve.data.datasets.filter((d) => d.label !== 'running best').reduce((n, d) => n + d.data.length, 0));
  assert.equal(dots, 3, 'one point per settled proposal');
});

test('an attacker\'s project, named and measured in HTML, shows as text and runs nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'poi-dashboard-xss-'));
  try {
    const file = JSON.parse(readFileSync(join(EXAMPLE, 'protocol.json')));
    const name = '<img src=x onerror=xss=1>';
    file.token.name = name;
    file.token.symbol = '<b>X</b>';
    file.metric.name = '<i>fuel</i>';
    file.files = Object.fromEntries(Object.entries(file.files).map(([k, v]) => [k, join(EXAMPLE, v)]));
    writeFileSync(join(dir, 'protocol.json'), JSON.stringify(file));
    const id = (await poi(['project', 'create', dir], '//Alice')).project;
    if (!page.url().startsWith(pageUrl)) await page.goto(pageUrl); // (when run alone)
    await view('#/', await bestBlock());
    const row = page.locator(`[data-testid=project-row][data-project="${id}"]`);
    assert.match(await row.textContent(), /<img src=x onerror=xss=1>/);
    assert.match(await row.textContent(), /<i>fuel<\/i>/);
    await view(`#/project/${id}`, await bestBlock());
    await page.waitForSelector('[data-testid=token-supply]');
    assert.match(await text('h2.title'), /<img src=x onerror=xss=1> \(<b>X<\/b>\)/);
    assert.equal(await page.locator('main img, main b, main i').count(), 0, 'no element made from the names');
    assert.equal(await page.evaluate(() => window.xss), undefined, 'no script ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the page threw and logged no error', () => {
  assert.deepEqual(pageErrors, []);
});
