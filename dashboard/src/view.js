// The page's views: overview, a project, rounds, verifiers. Each view builds its skeleton once
// (`mount`) and fills it from each new snapshot (`update`); charts are updated in place.

import { Chart, registerables } from 'chart.js';

import { better, escapeHtml as h, improvementPercent, metricNumber, metricValue, poi, shortAccount, signedPercent } from './format.js';
import { binLabels, chainStats, curve, deadline, histogram, lineage, minersOf, outcome, projectStats, proposalsOf, residuals, verdictsOf } from './model.js';

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = 'system-ui, sans-serif';

/** The well-known development accounts (SS58 prefix 42), named as the tools name them. */
export const DEV_NAMES = {
  '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY': 'Alice',
  '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty': 'Bob',
  '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y': 'Charlie',
  '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy': 'Dave',
  '5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw': 'Eve',
  '5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL': 'Ferdie',
};

const who = (address) => `<span class="account" title="${h(address)}">${h(shortAccount(address, DEV_NAMES))}</span>`;
const score = (s, project) => (s === null || s === undefined ? '–' : h(metricValue(s, project.metric)));
const tokens = (amount, project) => `${h(amount.toString())} ${h(project?.symbol ?? 'tokens')}`;
const COLORS = { approved: '#1a9850', superseded: '#4575b4', rejected: '#d73027', released: '#999999', verifying: '#fdae61' };
const PALETTE = ['#4575b4', '#d73027', '#1a9850', '#984ea3', '#ff7f00', '#a65628', '#f781bf', '#666666'];

/** Sets a section's HTML when it changed (so that a block with no news leaves the page be). */
function fill(root, name, html) {
  const el = root.querySelector(`[data-section="${name}"]`);
  if (el && el.dataset.html !== html) {
    el.innerHTML = html;
    el.dataset.html = html;
  }
}

/** The page a chart's charts are kept in, to read back in tests: `window.poiCharts`. */
const charts = (globalThis.poiCharts ??= {});

function chartIn(root, name, config) {
  const canvas = root.querySelector(`canvas[data-chart="${name}"]`);
  if (charts[name]?.canvas !== canvas) {
    charts[name]?.destroy();
    charts[name] = new Chart(canvas, config);
  }
  return charts[name];
}

// ---- Overview ----

export const overview = {
  mount(root) {
    root.innerHTML = `
      <section><h2>Chain</h2><div data-section="chain"></div></section>
      <section><h2>Projects</h2><div data-section="projects"></div></section>`;
  },
  update(root, s) {
    const stats = chainStats(s);
    fill(root, 'chain', `<dl class="figures">
      ${figure('best block', `#${s.best.number}`, 'chain-best')}
      ${figure('finalized', `#${s.finalized}`, 'chain-finalized')}
      ${figure('projects', s.projects.size, 'project-count')}
      ${figure('proposals / hour', stats.perHour, 'proposals-per-hour')}
      ${figure('approvals', stats.approvals, 'approvals')}
      ${figure('rejections', stats.rejections, 'rejections')}
      ${figure('rounds running', s.rounds.size, 'rounds-running')}
      ${figure('active miners (1 h)', stats.miners, 'active-miners')}
      ${figure('active verifiers', stats.verifiers, 'active-verifiers')}
    </dl>`);
    if (s.projects.size === 0) {
      fill(root, 'projects', `<div class="empty" data-testid="no-projects"><p>No projects on this chain yet.</p>
        <p>Create one from a project folder (a <code>protocol.json</code> and its files) with
        <code>poi project create &lt;folder&gt;</code>; the repository's <code>examples/</code> has three.</p></div>`);
      return;
    }
    const rows = [...s.projects.values()].map((p) => {
      const best = s.nodes.get(p.id)?.get(p.best);
      const stats = projectStats(s, p.id);
      return `<tr data-testid="project-row" data-project="${p.id}">
        <td><a href="#/project/${p.id}">#${p.id} ${h(p.name)}</a>${p.status === 'Frozen' ? ' <span class="tag">frozen</span>' : ''}</td>
        <td>${h(p.metric.name)} <span class="muted">(${better(p.metric)})</span></td>
        <td class="num" data-testid="project-best">${best ? score(best.score, p) : '…'}</td>
        <td class="num">${score(p.baseline, p)}</td>
        <td class="num" data-testid="project-improvement">${best ? signedPercent(improvementPercent(best.score, p.baseline)) : '…'}</td>
        <td class="num">${stats.perHour}</td>
        <td class="num" data-testid="project-approvals">${stats.approvals}</td>
        <td class="num" data-testid="project-rejections">${stats.rejections}</td>
        <td class="num">${stats.verifying}</td>
        <td class="num">${stats.miners}</td>
      </tr>`;
    }).join('');
    fill(root, 'projects', `<div class="scroll"><table>
      <thead><tr><th>project</th><th>metric</th><th>best</th><th>baseline</th><th>improvement</th>
        <th>proposals / h</th><th>approved</th><th>rejected</th><th>verifying</th><th>miners</th></tr></thead>
      <tbody>${rows}</tbody></table></div>`);
  },
};

function figure(label, value, testid) {
  return `<div><dt>${h(label)}</dt><dd data-testid="${testid}">${h(value)}</dd></div>`;
}

// ---- A project ----

export function projectView(id) {
  return {
    mount(root) {
      root.innerHTML = `
        <div data-section="head"></div>
        <section><h2>Best score over blocks</h2>
          <p class="muted" data-section="curve-note"></p>
          <label class="option" hidden><input type="checkbox" data-testid="log-scale"> logarithmic axis</label>
          <div class="chart"><canvas data-chart="curve" aria-label="best score over blocks"></canvas></div></section>
        <div class="columns">
          <section><h2>Token</h2><div data-section="token"></div></section>
          <section><h2>Lineage</h2><p class="muted">From the baseline to the best: who improved on whom.</p><div data-section="lineage"></div></section>
        </div>
        <section><h2>Miners</h2><div data-section="miners"></div></section>
        <section><h2>Proposals</h2><div data-section="proposals"></div></section>`;
    },
    update(root, s, token) {
      const p = s.projects.get(id);
      if (!p) {
        root.innerHTML = `<div class="empty" data-testid="no-such-project"><p>There is no project ${h(id)} on this chain.</p>
          <p><a href="#/">See the projects it has.</a></p></div>`;
        return false;
      }
      const best = s.nodes.get(id)?.get(p.best);
      const stats = projectStats(s, id);
      fill(root, 'head', `<h2 class="title">#${p.id} ${h(p.name)} <span class="muted">(${h(p.symbol)})</span>${p.status === 'Frozen' ? ' <span class="tag">frozen</span>' : ''}</h2>
        <dl class="figures">
          ${figure(`best ${p.metric.name}`, best ? metricValue(best.score, p.metric) : '…', 'best-score')}
          ${figure('baseline', metricValue(p.baseline, p.metric), 'baseline-score')}
          ${figure('improvement', best ? signedPercent(improvementPercent(best.score, p.baseline)) : '…', 'improvement')}
          ${figure('proposals', stats.proposals, 'proposal-count')}
          ${figure('approved', stats.approvals, 'approvals')}
          ${figure('rejected', stats.rejections, 'rejections')}
          ${figure('proposals / hour', stats.perHour, 'proposals-per-hour')}
          ${figure('miners (1 h)', stats.miners, 'miners')}
        </dl>
        <p class="muted">${h(p.metric.name)}, ${better(p.metric)}; evaluator ${h(p.evaluator)}; quorum ${p.quorum};
          a proposal must beat the best by ${p.minImprovementBps / 100}%; verdicts agree within ${p.toleranceBps / 100}% of the median.</p>`);

      const c = curve(s, id);
      const num = (y) => metricNumber(y, p.metric);
      const dots = (cls, label, color, style = 'circle') => ({
        type: 'scatter', label, backgroundColor: color, borderColor: color, pointStyle: style, pointRadius: 5,
        data: c.points.filter((pt) => pt.outcome === cls).map((pt) => ({ x: pt.x, y: num(pt.y), proposal: pt.proposal, measured: pt.measured })),
      });
      const lastX = c.points.reduce((x, pt) => Math.max(x, pt.x), s.best.number);
      const step = [...c.best.map((b) => ({ x: b.x, y: num(b.y) })), { x: lastX, y: num(c.best[c.best.length - 1].y) }];
      const chart = chartIn(root, 'curve', {
        type: 'scatter',
        data: { datasets: [] },
        options: {
          scales: {
            x: { type: 'linear', title: { display: true, text: 'block' }, ticks: { precision: 0 } },
            y: { type: 'linear', reverse: false, title: { display: true, text: '' } },
          },
          plugins: {
            legend: { position: 'bottom' },
            tooltip: { callbacks: { label: (ctx) => (ctx.raw.proposal !== undefined ? `proposal #${ctx.raw.proposal} (${ctx.raw.measured}): ${ctx.raw.y}` : `best: ${ctx.raw.y}`) } },
          },
        },
      });
      chart.data.datasets = [
        { type: 'line', label: 'running best', data: step, stepped: 'before', borderColor: '#1a9850', backgroundColor: '#1a9850', pointRadius: 0, borderWidth: 2 },
        dots('approved', 'approved', COLORS.approved),
        dots('superseded', 'superseded', COLORS.superseded),
        dots('rejected', 'rejected / overturned', COLORS.rejected, 'crossRot'),
        dots('released', 'released / expired', COLORS.released, 'rectRot'),
      ];
      chart.options.scales.y.title.text = `${p.metric.name} (${better(p.metric)})`;
      // A logarithmic axis, for a best that fell by orders of magnitude: offered when every
      // value is positive.
      const option = root.querySelector('label.option');
      const box = option.querySelector('input');
      const positive = chart.data.datasets.every((d) => d.data.every((pt) => pt.y > 0));
      option.hidden = !positive;
      if (!box.dataset.bound) {
        box.dataset.bound = 'yes';
        box.addEventListener('change', () => {
          chart.options.scales.y.type = box.checked ? 'logarithmic' : 'linear';
          chart.update();
        });
      }
      chart.options.scales.y.type = positive && box.checked ? 'logarithmic' : 'linear';
      chart.update();
      const inexact = c.points.filter((pt) => !pt.exact).length;
      fill(root, 'curve-note', `Each settled proposal is a dot at the block it settled in (${c.points.length} in all${inexact ? `; ${inexact} settled before this chain kept settlements and are drawn at their reveal block` : ''}), at its verified score (else its claimed score, else the score it tried to beat). The line is the best so far.`);

      fill(root, 'token', token ? `<dl class="figures">
          ${figure('price', token.price === null ? '–' : poi(token.price), 'token-price')}
          ${figure('supply', tokens(token.supply, p), 'token-supply')}
          ${figure('reserve', poi(token.reserve), 'token-reserve')}
          ${figure('reward escrow', poi(token.escrow), 'token-escrow')}
          ${figure('reward pool', `${token.poolMinted} / ${token.poolCap} ${p.symbol}`, 'token-pool')}
          ${figure('reward per approval', tokens(token.rewardPerApproval, p), 'token-reward')}
        </dl>` : '<p class="muted">…</p>');

      const tree = (items) => `<ul>${items.map(({ node, children, onBestPath }) => `<li class="${onBestPath ? 'best-path' : ''}" data-testid="lineage-node" data-node="${node.id}">
          <span class="node">node ${node.id}: ${score(node.score, p)}</span>
          ${node.proposal === null ? '<span class="muted">baseline</span>' : `<span class="muted">by ${who(node.miner)}, proposal #${node.proposal}, block ${node.block}</span>`}
          ${node.id === p.best ? '<span class="tag best">best</span>' : ''}
          ${children.length ? tree(children) : ''}</li>`).join('')}</ul>`;
      fill(root, 'lineage', `<div class="tree">${tree(lineage(s, id))}</div>`);

      const miners = minersOf(s, id).map((m) => `<tr data-testid="miner-row" data-miner="${h(m.miner)}">
          <td>${who(m.miner)}</td><td class="num" data-testid="miner-proposals">${m.proposals}</td>
          <td class="num" data-testid="miner-approvals">${m.approvals}</td><td class="num" data-testid="miner-rejections">${m.rejections}</td>
          <td class="num">${m.lastAt}</td></tr>`).join('');
      fill(root, 'miners', miners ? `<div class="scroll"><table><thead><tr><th>miner</th><th class="num">proposals</th>
          <th class="num">approved</th><th class="num">rejected</th><th class="num">last reveal</th></tr></thead><tbody>${miners}</tbody></table></div>`
        : '<p class="empty">No miner has proposed yet.</p>');

      const rows = proposalsOf(s, id).map((pr) => {
        const o = outcome(pr);
        const v = verdictsOf(s, pr);
        const counts = v.known
          ? verdictCounts(v)
          : '<span class="muted" title="settled before this chain kept settlements: an archive node has them in its events">not recorded</span>';
        return `<tr data-testid="proposal-row" data-proposal="${pr.id}" data-outcome="${o.cls}" data-verdicts="${v.known ? v.total : ''}">
          <td>#${pr.id}</td><td>${who(pr.proposer)}</td><td>${pr.parent}</td>
          <td class="${o.cls}">${h(o.label)}</td>
          <td class="num" data-testid="claimed">${pr.claim === null ? '<span class="muted">hidden</span>' : score(pr.claim, p)}</td>
          <td class="num" data-testid="verified">${score(pr.verified, p)}</td>
          <td>${counts}</td>
          <td class="num">${tokens(pr.stake, p)}</td>
          <td class="num">${pr.revealedAt}</td>
        </tr>`;
      }).join('');
      fill(root, 'proposals', rows ? `<div class="scroll"><table>
          <thead><tr><th>proposal</th><th>miner</th><th>parent</th><th>outcome</th><th>claimed</th><th>verified</th>
            <th>verdicts</th><th>stake</th><th>revealed at</th></tr></thead><tbody>${rows}</tbody></table></div>`
        : '<p class="empty">No proposals yet: <code>poi propose</code> makes one.</p>');
      return true;
    },
  };
}

// ---- Rounds ----

const VERDICT_TEXT = { Score: 'score', Invalid: 'invalid', HarnessError: 'harness error' };

/** "2 score, 1 invalid, 1 silent": a round's verdicts by kind and its verifiers that revealed
 * none, the kinds with none left out; "none" when there is nothing (no round was drawn, or
 * nothing is revealed yet). */
const verdictCounts = (v) => [v.counts.score && `${v.counts.score} score`, v.counts.invalid && `${v.counts.invalid} invalid`,
  v.counts.harnessError && `${v.counts.harnessError} harness error`, v.silent && `${v.silent} silent`].filter(Boolean).join(', ') || 'none';

function logLine(e, s) {
  const project = s.projects.get(s.proposals.get(e.proposal)?.project);
  switch (e.event) {
    case 'Revealed': return 'proposal revealed (claim hidden)';
    case 'RoundScheduled': return `${e.kind.toLowerCase()} round scheduled, drawn at block ${e.drawAt}`;
    case 'RoundStarted': return `drawn: ${e.verifiers.map((v) => shortAccount(v, DEV_NAMES)).join(', ')}; commits until block ${e.commitUntil}`;
    case 'VerdictCommitted': return `${shortAccount(e.who, DEV_NAMES)} committed a verdict`;
    case 'RevealPhaseStarted': return `reveal phase, until block ${e.revealUntil}`;
    case 'ClaimRevealed': return `claim revealed: ${project ? metricValue(e.claim, project.metric) : e.claim}`;
    case 'VerdictRevealed': return `${shortAccount(e.who, DEV_NAMES)} revealed: ${VERDICT_TEXT[e.verdict.kind]}${e.verdict.kind === 'Score' && project ? ` ${metricValue(e.verdict.score, project.metric)}` : ''}`;
    case 'Settled': return `settled: ${e.status.toLowerCase()}${e.verified !== null && project ? `, verified ${metricValue(e.verified, project.metric)}` : ''}`;
    default: return e.event;
  }
}

/** How many settled rounds the rounds view lists. */
const SETTLED_SHOWN = 20;

export const rounds = {
  mount(root) {
    root.innerHTML = `<section><h2>Rounds in flight</h2><div data-section="running"></div></section>
      <section><h2>Settled lately</h2><div data-section="settled"></div></section>`;
  },
  update(root, s) {
    const now = s.best.number;
    const running = [...s.rounds.values()].sort((a, b) => a.proposal - b.proposal).map((r) => {
      const pr = s.proposals.get(r.proposal);
      const project = pr && s.projects.get(pr.project);
      const d = deadline(r, now);
      const seats = r.assignments.map((a) => `<li>${who(a.verifier)}: ${a.verdict
        ? `revealed ${VERDICT_TEXT[a.verdict.kind]}${a.verdict.kind === 'Score' && project ? ` ${score(a.verdict.score, project)}` : ''}`
        : a.committed ? 'committed' : '<span class="muted">waiting</span>'}</li>`).join('');
      const log = (s.log.get(r.proposal) ?? []).map((e) => `<li><span class="muted">#${e.block}</span> ${h(logLine(e, s))}</li>`).join('');
      return `<article class="round" data-testid="round" data-proposal="${r.proposal}" data-phase="${h(d.phase)}">
        <h3>proposal #${r.proposal}${project ? ` · <a href="#/project/${project.id}">${h(project.name)}</a>` : ''} · ${h(r.kind.toLowerCase())} round</h3>
        <p><span class="tag phase">${h(d.phase.toLowerCase())}</span> ${d.phase === 'Draw' ? `drawn in block ${r.commitUntil}` : `until block ${d.until}`} (${d.left} blocks left)</p>
        ${seats ? `<ul class="seats">${seats}</ul>` : ''}
        ${log ? `<details><summary>events</summary><ul class="log">${log}</ul></details>` : ''}
      </article>`;
    }).join('');
    fill(root, 'running', running || '<p class="empty" data-testid="no-rounds">No round is running.</p>');
    const settled = [...s.settlements.entries()].sort((a, b) => b[1].block - a[1].block || b[0] - a[0]).slice(0, SETTLED_SHOWN).map(([id, { block }]) => {
      const pr = s.proposals.get(id);
      const project = pr && s.projects.get(pr.project);
      const o = pr ? outcome(pr) : { label: '…', cls: '' };
      const v = pr ? verdictsOf(s, pr) : null;
      return `<tr data-testid="settled-round" data-proposal="${id}"><td>#${block}</td><td>#${id}</td>
        <td>${project ? `<a href="#/project/${project.id}">${h(project.name)}</a>` : ''}</td>
        <td class="${o.cls}">${h(o.label)}</td><td class="num">${pr && project ? score(pr.verified, project) : ''}</td>
        <td>${v ? verdictCounts(v) : ''}</td></tr>`;
    }).join('');
    fill(root, 'settled', settled ? `<div class="scroll"><table><thead><tr><th>block</th><th>proposal</th><th>project</th><th>outcome</th>
        <th>verified</th><th>verdicts</th></tr></thead><tbody>${settled}</tbody></table></div>
        <p class="muted">The last ${SETTLED_SHOWN} initial rounds to settle; each project's page lists all of its proposals.</p>`
      : '<p class="empty">No round has settled yet.</p>');
  },
};

// ---- Verifiers ----

export const verifiers = {
  mount(root) {
    root.innerHTML = `<section><h2>Verifiers</h2><div data-section="table"></div></section>
      <section><h2>Verdicts' distance from their round's median</h2>
        <p class="muted" data-section="note"></p>
        <div class="chart"><canvas data-chart="residuals" aria-label="histogram of verdict residuals"></canvas></div></section>`;
  },
  update(root, s) {
    const rows = [...s.verifiers.values()].sort((a, b) => (b.bond > a.bond ? 1 : b.bond < a.bond ? -1 : 0)).map((v) => {
      const rewards = (s.pendingRewards.get(v.address) ?? []).map((r) => (r.native ? poi(r.amount) : tokens(r.amount, s.projects.get(r.project)))).join(', ');
      return `<tr data-testid="verifier-row" data-verifier="${h(v.address)}">
        <td>${who(v.address)}</td><td class="num" data-testid="bond">${poi(v.bond)}</td>
        <td>${v.status === 'Active' ? (v.bond > 0n ? 'active' : 'unbonded') : 'chilled'}${v.unbonding ? `, unbonding ${poi(v.unbonding.amount)} until #${v.unbonding.unlocksAt}` : ''}</td>
        <td class="num" data-testid="rounds">${v.stats.rounds}</td><td class="num" data-testid="agreed">${v.stats.agreed}</td>
        <td class="num" data-testid="deviant">${v.stats.deviant}</td><td class="num" data-testid="missed">${v.stats.missed}</td>
        <td data-testid="pending">${rewards || '–'}</td><td>${h(v.evaluators.join(', '))}</td></tr>`;
    }).join('');
    fill(root, 'table', rows ? `<div class="scroll"><table><thead><tr><th>verifier</th><th>bond</th><th>status</th><th>rounds</th>
        <th>agreed</th><th>deviant</th><th>missed</th><th>pending rewards</th><th>evaluators</th></tr></thead><tbody>${rows}</tbody></table></div>`
      : '<p class="empty">No verifiers: <code>poi verifier register</code> registers one.</p>');
    const items = residuals(s);
    const byVerifier = histogram(items);
    fill(root, 'note', `Each score verdict of a settled round, as its distance from the round's median in basis points
      (100 bps = 1%; positive: the verifier measured better than the median): the ${items.length} score verdicts of
      every initial round that settled on a score. Honest verifiers stay near 0; one far out again and again is deviant or lazy.`);
    const chart = chartIn(root, 'residuals', {
      type: 'bar',
      data: { labels: binLabels(), datasets: [] },
      options: {
        scales: {
          x: { stacked: true, title: { display: true, text: 'residual (bps of the median)' } },
          y: { stacked: true, title: { display: true, text: 'verdicts' }, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    chart.data.datasets = [...byVerifier.entries()].map(([address, counts], i) => ({
      label: shortAccount(address, DEV_NAMES), data: counts, backgroundColor: PALETTE[i % PALETTE.length],
    }));
    chart.update();
  },
};
