// The dashboard's entry: connects to the node named by `?rpc=` (default the local node), follows
// its best and finalized blocks, and shows the view the address's `#/…` names. No server of
// ours holds data: the page reads the chain from the user's own node, as Polkadot.js apps does.

import { ApiPromise, WsProvider } from '@polkadot/api';

import { Chain } from './chain.js';
import { escapeHtml as h } from './format.js';
import { overview, projectView, rounds, verifiers } from './view.js';

/** The node the page reads when the address names none. */
export const DEFAULT_RPC = 'ws://127.0.0.1:9944';
const RECONNECT_MS = 2500;

const params = new URLSearchParams(window.location.search);
const rpc = params.get('rpc') || DEFAULT_RPC;
const root = document.getElementById('view');
const status = document.getElementById('connection');

/** Shows the connection's state: `connecting`, `connected`, `lost`, `unreachable`, `bad-url`. */
function setConnection(state, message) {
  status.dataset.state = state;
  status.textContent = message;
  document.body.dataset.connection = state;
}

/** The view the address names. */
function route() {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [name, arg] = hash.split('/');
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('current', a.dataset.route === (name || 'overview')));
  if (name === 'project') {
    const id = /^\d+$/.test(arg ?? '') ? Number(arg) : arg;
    return { key: `project/${arg}`, view: projectView(id), project: typeof id === 'number' ? id : null, bad: typeof id !== 'number' };
  }
  if (name === 'rounds') return { key: 'rounds', view: rounds };
  if (name === 'verifiers') return { key: 'verifiers', view: verifiers };
  return { key: 'overview', view: overview };
}

let chain = null;
const connectedText = () => `${chain.chainName} at ${rpc} (runtime ${chain.specVersion})`;
let latest = null; // the newest snapshot
let mounted = null; // the key of the mounted view
let finalized = 0;

async function render() {
  if (!latest) return;
  const r = route();
  if (r.bad) {
    mounted = null;
    root.innerHTML = `<div class="empty" data-testid="no-such-project"><p>"${h(r.key.slice(8))}" is not a project id: ids are numbers (#/project/0).</p></div>`;
    return;
  }
  if (mounted !== r.key) {
    r.view.mount(root);
    mounted = r.key;
  }
  let token = null;
  if (r.project !== null && r.project !== undefined && latest.projects.has(r.project)) {
    token = await chain.token(r.project, latest.best.hash).catch(() => null);
    // The reader went elsewhere meanwhile: that view renders itself.
    if (route().key !== r.key) return;
  }
  if (r.view.update(root, latest, token) === false) mounted = null;
  document.getElementById('best').textContent = `#${latest.best.number}`;
  document.getElementById('finalized').textContent = `#${latest.finalized}`;
  document.body.dataset.best = latest.best.number;
}

// One refresh at a time; a block that arrives meanwhile is read when the running one ends.
let refreshing = false;
let pending = null;
async function refresh(header) {
  pending = header;
  if (refreshing) return;
  refreshing = true;
  try {
    while (pending) {
      const next = pending;
      pending = null;
      const best = { number: next.number.toNumber(), hash: next.hash.toHex() };
      latest = await chain.snapshot(best, finalized);
      if (status.dataset.state === 'error') setConnection('connected', connectedText());
      await render();
    }
  } catch (e) {
    console.error(e);
    setConnection('error', `reading the chain failed: ${e.message}`);
  } finally {
    refreshing = false;
  }
}

async function start() {
  if (!/^wss?:\/\/[^\s]+$/.test(rpc)) {
    setConnection('bad-url', `"${rpc}" is not a node's WebSocket URL (ws://… or wss://…): pass ?rpc=ws://host:port`);
    return;
  }
  setConnection('connecting', `connecting to ${rpc}…`);
  const provider = new WsProvider(rpc, RECONNECT_MS);
  let everConnected = false;
  provider.on('error', () => {
    if (!provider.isConnected) {
      setConnection(everConnected ? 'lost' : 'unreachable', everConnected
        ? `lost the connection to ${rpc}: reconnecting every ${RECONNECT_MS / 1000} s…`
        : `cannot reach a node at ${rpc}: retrying every ${RECONNECT_MS / 1000} s (is it running, and does its --rpc-cors allow this page?)`);
    }
  });
  provider.on('disconnected', () => {
    if (everConnected) setConnection('lost', `lost the connection to ${rpc}: reconnecting every ${RECONNECT_MS / 1000} s…`);
  });
  provider.on('connected', () => {
    if (everConnected && chain) setConnection('connected', connectedText());
  });
  const api = new ApiPromise({ provider, noInitWarn: true });
  api.on('error', (e) => console.error(e));
  await api.isReady;
  everConnected = true;
  chain = new Chain(api);
  await chain.init();
  setConnection('connected', connectedText());
  const head = await api.rpc.chain.getHeader();
  await chain.readHistory({ number: head.number.toNumber(), hash: head.hash.toHex() });
  await api.rpc.chain.subscribeFinalizedHeads((header) => {
    finalized = header.number.toNumber();
    if (latest) {
      latest.finalized = finalized;
      document.getElementById('finalized').textContent = `#${finalized}`;
    }
  });
  await api.rpc.chain.subscribeNewHeads((header) => refresh(header));
}

window.addEventListener('hashchange', () => render());
document.getElementById('rpc').textContent = rpc;
start().catch((e) => {
  console.error(e);
  setConnection('error', `cannot read ${rpc}: ${e.message}`);
});
