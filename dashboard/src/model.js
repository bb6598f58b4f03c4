// What the page shows, derived from a snapshot of the chain (see chain.js for its shape). Pure
// functions (no DOM, no chain), unit-tested in dashboard/test/.

import { residualBps } from './format.js';

/** The outcome of a proposal as a short label and a CSS class. */
export function outcome(proposal) {
  const { status } = proposal;
  switch (status.type) {
    case 'Verifying': return { label: 'verifying', cls: 'verifying' };
    case 'Approved': return {
      label: status.reward.type === 'Paid' ? 'approved' : (status.challenged ? 'approved, challenged' : 'approved, challenge window open'),
      cls: 'approved',
    };
    case 'Superseded': return { label: 'superseded (matched, no longer the best)', cls: 'superseded' };
    case 'Rejected': return { label: `rejected: ${words(status.reason)}`, cls: 'rejected' };
    case 'Released': return { label: `released: ${words(status.reason)}`, cls: 'released' };
    case 'Expired': return { label: 'expired (no verdicts)', cls: 'released' };
    case 'Overturned': return { label: 'overturned by a challenge', cls: 'rejected' };
    default: return { label: status.type, cls: '' };
  }
}

/** `TooFewVerdicts` → "too few verdicts". */
export const words = (name) => name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** Whether a proposal's initial round has settled. */
export const isSettled = (proposal) => proposal.status.type !== 'Verifying';

/** A project's proposals, newest first. */
export function proposalsOf(snapshot, project) {
  return [...snapshot.proposals.values()].filter((p) => p.project === project).sort((a, b) => b.id - a.id);
}

/** The block a proposal settled in: its settlement's, else its lineage node's (a node is
 * recorded at settlement), else `null` (settled before the chain kept settlements). */
export function settledAt(snapshot, proposal) {
  const settlement = snapshot.settlements.get(proposal.id);
  if (settlement !== undefined) return settlement.block;
  const node = proposal.status.node;
  if (node !== undefined) return snapshot.nodes.get(proposal.project)?.get(node)?.block ?? null;
  return null;
}

/**
 * The best-score curve of a project, in autoresearch's style: a dot for each settled proposal
 * (x: the block it settled in, or its reveal block when that is not known; y: its verified
 * score, else its claimed score, else its parent's score), and the running best as a step line
 * from the baseline through each approval still standing. Scores stay on-chain scores (larger
 * is better); the view converts them to the metric's units.
 */
export function curve(snapshot, projectId) {
  const project = snapshot.projects.get(projectId);
  const nodes = snapshot.nodes.get(projectId) ?? new Map();
  const points = proposalsOf(snapshot, projectId).filter(isSettled).map((p) => {
    const at = settledAt(snapshot, p);
    let y = p.verified;
    let measured = 'verified';
    if (y === null) [y, measured] = p.claim !== null ? [p.claim, 'claimed'] : [nodes.get(p.parent)?.score ?? project.baseline, 'parent'];
    return { x: at ?? p.revealedAt, exact: at !== null, y, measured, proposal: p.id, outcome: outcome(p).cls };
  }).sort((a, b) => a.x - b.x || a.proposal - b.proposal);
  const approvals = [...snapshot.proposals.values()]
    .filter((p) => p.project === projectId && p.status.type === 'Approved')
    .map((p) => nodes.get(p.status.node))
    .filter(Boolean)
    .sort((a, b) => a.block - b.block || a.id - b.id);
  const best = [{ x: project.created, y: project.baseline }];
  for (const node of approvals) {
    if (node.score > best[best.length - 1].y) best.push({ x: node.block, y: node.score });
  }
  return { points, best };
}

/** The lineage DAG of a project as a tree from the baseline: `{ node, children }` with the
 * nodes on the path from the root to the best marked `onBestPath`. */
export function lineage(snapshot, projectId) {
  const project = snapshot.projects.get(projectId);
  const nodes = snapshot.nodes.get(projectId) ?? new Map();
  const onPath = new Set();
  for (let id = project.best; id !== null && id !== undefined && !onPath.has(id); id = nodes.get(id)?.parent ?? null) onPath.add(id);
  const items = new Map([...nodes.values()].map((node) => [node.id, { node, children: [], onBestPath: onPath.has(node.id) }]));
  const roots = [];
  for (const item of [...items.values()].sort((a, b) => a.node.id - b.node.id)) {
    const parent = item.node.parent === null ? undefined : items.get(item.node.parent);
    (parent ? parent.children : roots).push(item);
  }
  return roots;
}

/** How many blocks make an hour at the chain's block time. */
export const blocksPerHour = (blockMs) => Math.max(1, Math.round(3_600_000 / blockMs));

/** The block an hour before the snapshot's best: "the last hour" is the blocks after it. */
const hourAgo = (snapshot) => snapshot.best.number - blocksPerHour(snapshot.blockMs);

/** Figures of one project: proposals, approvals, rejections, proposals revealed in the last
 * hour, and the miners active in it (a proposal revealed in the last hour or a commitment
 * waiting for its reveal). */
export function projectStats(snapshot, projectId) {
  const proposals = proposalsOf(snapshot, projectId);
  const since = hourAgo(snapshot);
  const recent = proposals.filter((p) => p.revealedAt > since);
  const miners = new Set(recent.map((p) => p.proposer));
  for (const c of snapshot.commitments) if (c.project === projectId) miners.add(c.who);
  const count = (...types) => proposals.filter((p) => types.includes(p.status.type)).length;
  return {
    proposals: proposals.length,
    approvals: count('Approved'),
    rejections: count('Rejected', 'Overturned'),
    verifying: count('Verifying'),
    perHour: recent.length,
    miners: miners.size,
  };
}

/** A project's miners, a leaderboard: proposals, approved, rejected (or overturned), and the
 * block of the latest reveal, most approvals first. */
export function minersOf(snapshot, projectId) {
  const rows = new Map();
  for (const p of proposalsOf(snapshot, projectId)) {
    if (!rows.has(p.proposer)) rows.set(p.proposer, { miner: p.proposer, proposals: 0, approvals: 0, rejections: 0, lastAt: 0 });
    const row = rows.get(p.proposer);
    row.proposals += 1;
    if (p.status.type === 'Approved') row.approvals += 1;
    if (p.status.type === 'Rejected' || p.status.type === 'Overturned') row.rejections += 1;
    row.lastAt = Math.max(row.lastAt, p.revealedAt);
  }
  return [...rows.values()].sort((a, b) => b.approvals - a.approvals || b.proposals - a.proposals || b.lastAt - a.lastAt);
}

/** The chain's figures: `projectStats` summed over projects (miners counted once, wherever
 * they work), and the verifiers that are drawn (active, with a bond). */
export function chainStats(snapshot) {
  const all = [...snapshot.projects.keys()].map((id) => projectStats(snapshot, id));
  const sum = (k) => all.reduce((n, x) => n + x[k], 0);
  const since = hourAgo(snapshot);
  const miners = new Set([...snapshot.proposals.values()].filter((p) => p.revealedAt > since).map((p) => p.proposer));
  for (const c of snapshot.commitments) miners.add(c.who);
  return {
    perHour: sum('perHour'),
    approvals: sum('approvals'),
    rejections: sum('rejections'),
    miners: miners.size,
    verifiers: [...snapshot.verifiers.values()].filter((v) => v.status === 'Active' && v.bond > 0n).length,
  };
}

/** The revealed verdicts of a proposal's initial round by verifier (from its settlement once
 * settled, from the round in state while it runs), their counts by kind, and how many of its
 * verifiers revealed none. `known` is false for a proposal settled before the chain kept
 * settlements. */
export function verdictsOf(snapshot, proposal) {
  const seats = new Map();
  const settlement = snapshot.settlements.get(proposal.id);
  if (settlement) for (const [verifier, v] of settlement.verdicts) seats.set(verifier, v);
  else if (!isSettled(proposal)) {
    const round = snapshot.rounds.get(proposal.id);
    for (const a of round?.assignments ?? []) seats.set(a.verifier, a.verdict);
  }
  const verdicts = new Map([...seats].filter(([, v]) => v !== null));
  const counts = { score: 0, invalid: 0, harnessError: 0 };
  for (const v of verdicts.values()) counts[v.kind === 'Score' ? 'score' : v.kind === 'Invalid' ? 'invalid' : 'harnessError'] += 1;
  const silent = settlement ? seats.size - verdicts.size : 0;
  return { verdicts, counts, total: verdicts.size, silent, known: settlement !== undefined || !isSettled(proposal) };
}

/** The median the runtime settles on: the lower middle of the sorted scores. */
export function lowerMedian(scores) {
  const sorted = [...scores].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
}

/** Every score verdict of an initial round that settled on a score, as its residual in basis
 * points from that round's median: `{ verifier, proposal, bps }`. The median is the round's
 * own, computed from its settlement: an overturned approval's verified score is its challenge
 * round's. */
export function residuals(snapshot) {
  const out = [];
  for (const p of snapshot.proposals.values()) {
    if (p.verified === null && p.status.type !== 'Overturned') continue;
    const seats = [...(snapshot.settlements.get(p.id)?.verdicts ?? [])].filter(([, v]) => v?.kind === 'Score');
    const median = lowerMedian(seats.map(([, v]) => v.score));
    for (const [verifier, v] of seats) out.push({ verifier, proposal: p.id, bps: residualBps(v.score, median) });
  }
  return out;
}

/** Histogram bin edges in basis points, symmetric around zero. */
export const RESIDUAL_EDGES = [-1000, -500, -200, -100, -50, -20, -10, 0, 10, 20, 50, 100, 200, 500, 1000];

/** The bins' labels: "< -1000", "-1000…-500", …, "≥ 1000"; zero has its own bin. */
export function binLabels(edges = RESIDUAL_EDGES) {
  const labels = [`< ${edges[0]}`];
  for (let i = 0; i + 1 < edges.length; i += 1) {
    if (edges[i] === 0) labels.push('0', `1…${edges[i + 1] - 1}`);
    else if (edges[i + 1] === 0) labels.push(`${edges[i]}…-1`);
    else labels.push(`${edges[i]}…${edges[i + 1] - 1}`);
  }
  labels.push(`≥ ${edges[edges.length - 1]}`);
  return labels;
}

/** The bin of a residual: the index into `binLabels(edges)`. */
export function binOf(bps, edges = RESIDUAL_EDGES) {
  if (bps < edges[0]) return 0;
  let bin = 1;
  for (let i = 0; i + 1 < edges.length; i += 1) {
    if (edges[i] === 0) {
      if (bps === 0) return bin;
      bin += 1;
    }
    if (bps >= edges[i] && bps < edges[i + 1]) return bin;
    bin += 1;
  }
  return bin;
}

/** Residuals counted per verifier: `Map(verifier → counts per bin)`. */
export function histogram(items, edges = RESIDUAL_EDGES) {
  const size = binLabels(edges).length;
  const out = new Map();
  for (const { verifier, bps } of items) {
    if (!out.has(verifier)) out.set(verifier, new Array(size).fill(0));
    out.get(verifier)[binOf(bps, edges)] += 1;
  }
  return out;
}

/** A round's phase at the page's best block, as the runtime's `phase_at` reads it: the commit
 * phase is over after `commitUntil` even before the hook has moved it on. */
export function phaseAt(round, now) {
  return round.phase === 'Commit' && now > round.commitUntil ? 'Reveal' : round.phase;
}

/** The block a round's current phase ends at, and how many blocks are left. */
export function deadline(round, now) {
  const phase = phaseAt(round, now);
  const until = phase === 'Reveal' ? round.revealUntil : round.commitUntil;
  return { phase, until, left: Math.max(0, until - now) };
}
