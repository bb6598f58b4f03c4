// Unit tests of the dashboard's pure parts: numbers in their metric's units, and what the views
// derive from a snapshot (the curve, the lineage tree, the figures, the residual histogram).
// `node --test dashboard/test/`; the browser test against a node is tests/polkadot-js/dashboard.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { decimal, improvementPercent, metricNumber, metricValue, poi, residualBps, shortAccount, signedPercent, escapeHtml } from '../src/format.js';
import { binLabels, binOf, chainStats, curve, deadline, histogram, lineage, lowerMedian, minersOf, outcome, projectStats, residuals, verdictsOf } from '../src/model.js';

const FUEL = { name: 'fuel', direction: 'Minimize', scale: 0 };
const BPB = { name: 'val_bpb', direction: 'Minimize', scale: 6 };
const ACC = { name: 'accuracy', direction: 'Maximize', scale: 3 };

test('scores read in their metric\'s units and direction', () => {
  assert.equal(metricValue(-151_234n, FUEL), '151234');
  assert.equal(metricValue(-4_469_800n, BPB), '4.4698');
  assert.equal(metricValue(930n, ACC), '0.93');
  assert.equal(metricValue(-930n, ACC), '-0.93');
  assert.equal(metricValue(5n, BPB), '-0.000005');
  assert.equal(metricNumber(-4_469_800n, BPB), 4.4698);
  // Beyond 2^53: exact as text.
  assert.equal(metricValue(-(10n ** 30n) - 1n, FUEL), '1000000000000000000000000000001');
  assert.equal(decimal(1_000_000n, 6), '1');
  assert.equal(poi(1_500_000_000_000n), '1.5 POI');
  assert.equal(poi(0n), '0 POI');
});

test('improvement over the baseline is positive when better, whatever the direction', () => {
  // Fuel down from 200 000 to 150 000: 25% better.
  assert.equal(improvementPercent(-150_000n, -200_000n), 25);
  assert.equal(improvementPercent(-250_000n, -200_000n), -25);
  assert.equal(improvementPercent(950n, 900n), 5.5555);
  assert.equal(improvementPercent(1n, 0n), null);
  assert.equal(signedPercent(25), '+25.00%');
  assert.equal(signedPercent(-1.5), '-1.50%');
  assert.equal(signedPercent(null), '–');
});

test('a residual is the distance from the median in basis points of its magnitude', () => {
  assert.equal(residualBps(-101_000n, -100_000n), -100);
  assert.equal(residualBps(-99_000n, -100_000n), 100);
  assert.equal(residualBps(1_010n, 1_000n), 100);
  assert.equal(residualBps(7n, 7n), 0);
  assert.equal(residualBps(2n, 0n), 20_000);
});

test('text is escaped and long accounts cut, dev accounts named', () => {
  assert.equal(escapeHtml('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  assert.equal(shortAccount('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'), '5Grwva…GKutQY');
  assert.equal(shortAccount('5Grw', {}), '5Grw');
  assert.equal(shortAccount('X', { X: 'Alice' }), 'Alice');
});

test('residual bins: every value falls in exactly one, zero alone', () => {
  const labels = binLabels();
  assert.equal(labels[0], '< -1000');
  assert.equal(labels[labels.length - 1], '≥ 1000');
  assert.equal(labels[binOf(0)], '0');
  assert.equal(labels[binOf(1)], '1…9');
  assert.equal(labels[binOf(-1)], '-10…-1');
  assert.equal(labels[binOf(-10)], '-10…-1');
  assert.equal(labels[binOf(10)], '10…19');
  assert.equal(labels[binOf(-1001)], '< -1000');
  assert.equal(labels[binOf(-1000)], '-1000…-501');
  assert.equal(labels[binOf(999)], '500…999');
  assert.equal(labels[binOf(1000)], '≥ 1000');
  assert.equal(labels[binOf(1e9)], '≥ 1000');
  for (let bps = -1200; bps <= 1200; bps += 7) assert.ok(binOf(bps) >= 0 && binOf(bps) < labels.length, `${bps}`);
  const counts = histogram([{ verifier: 'a', bps: 0 }, { verifier: 'a', bps: 0 }, { verifier: 'b', bps: 600 }]);
  assert.equal(counts.get('a')[binOf(0)], 2);
  assert.equal(counts.get('b')[binOf(600)], 1);
  assert.equal(counts.get('b').reduce((x, y) => x + y), 1);
});

/** A snapshot of one fuel project: the baseline (node 0), an approval (node 1, proposal 0), a
 * misclaim (proposal 1), a superseded match (node 2, proposal 2), a withheld claim (proposal
 * 3), a proposal still verifying (4, one verdict revealed); the settlements of 0, 1 and 3
 * (2's is missing, as on a chain that settled it before it kept settlements). */
function snapshot() {
  const approved = { type: 'Approved', node: 1, challengeUntil: 60, challenged: false, approvers: ['A'], reward: { type: 'Paid', amount: 10n } };
  const proposal = (id, fields) => ({
    id, proposer: 'M', project: 0, parent: 0, claim: null, stake: 5n, fee: 1n, committedAt: 1, revealedAt: 5, verified: null, ...fields,
  });
  return {
    best: { number: 700, hash: '0x' },
    finalized: 698,
    blockMs: 6000,
    projects: new Map([[0, { id: 0, name: 'sort', symbol: 'SORT', metric: FUEL, baseline: -200_000n, best: 1, nextNode: 3, created: 2 }]]),
    nodes: new Map([[0, new Map([
      [0, { id: 0, parent: null, depth: 0, score: -200_000n, miner: null, proposal: null, block: 2 }],
      [1, { id: 1, parent: 0, depth: 1, score: -150_000n, miner: 'M', proposal: 0, block: 30 }],
      [2, { id: 2, parent: 0, depth: 1, score: -160_000n, miner: 'N', proposal: 2, block: 31 }],
    ])]]),
    proposals: new Map([
      [0, proposal(0, { claim: -150_000n, verified: -150_000n, status: approved, revealedAt: 20 })],
      [1, proposal(1, { proposer: 'N', claim: -1_000n, verified: -200_000n, status: { type: 'Rejected', reason: 'Misclaimed' }, revealedAt: 21 })],
      [2, proposal(2, { proposer: 'N', claim: -160_000n, verified: -160_000n, status: { type: 'Superseded', node: 2 }, revealedAt: 22 })],
      [3, proposal(3, { status: { type: 'Rejected', reason: 'ClaimWithheld' }, revealedAt: 200 })],
      [4, proposal(4, { proposer: 'P', status: { type: 'Verifying' }, revealedAt: 650 })],
    ]),
    rounds: new Map([[4, { proposal: 4, kind: 'Initial', phase: 'Reveal', commitUntil: 660, revealUntil: 680, assignments: [
      { verifier: 'A', committed: true, verdict: { kind: 'HarnessError' } }, { verifier: 'B', committed: true, verdict: null },
    ] }]]),
    verifiers: new Map(),
    pendingRewards: new Map(),
    commitments: [{ who: 'Q', project: 0 }],
    settlements: new Map([
      [0, { block: 30, verdicts: new Map([['A', { kind: 'Score', score: -150_000n }], ['B', { kind: 'Score', score: -148_500n }], ['C', null]]) }],
      [1, { block: 33, verdicts: new Map([['A', { kind: 'Score', score: -200_000n }], ['B', { kind: 'Invalid' }]]) }],
      [3, { block: 240, verdicts: new Map([['A', null], ['B', null]]) }],
    ]),
    log: new Map(),
  };
}

test('outcomes are labelled by status and reason', () => {
  const s = snapshot();
  assert.deepEqual(outcome(s.proposals.get(0)), { label: 'approved', cls: 'approved' });
  assert.equal(outcome(s.proposals.get(1)).label, 'rejected: misclaimed');
  assert.equal(outcome(s.proposals.get(3)).label, 'rejected: claim withheld');
  assert.equal(outcome(s.proposals.get(4)).cls, 'verifying');
  assert.equal(outcome({ status: { type: 'Released', reason: 'TooFewVerdicts' } }).label, 'released: too few verdicts');
});

test('the curve: a dot per settled proposal, the running best from the baseline', () => {
  const c = curve(snapshot(), 0);
  assert.deepEqual(c.points.map((p) => [p.proposal, p.x, p.exact, p.y, p.measured, p.outcome]), [
    [0, 30, true, -150_000n, 'verified', 'approved'],
    [2, 31, true, -160_000n, 'verified', 'superseded'], // no settlement: at its node's block
    [1, 33, true, -200_000n, 'verified', 'rejected'], // at its settlement's block
    [3, 240, true, -200_000n, 'parent', 'rejected'], // no score at all: its parent's
  ]);
  assert.deepEqual(c.best, [{ x: 2, y: -200_000n }, { x: 30, y: -150_000n }]);
  // A settled proposal with neither a settlement nor a node sits at its reveal block, marked
  // inexact.
  const s = snapshot();
  s.settlements.delete(3);
  const late = curve(s, 0).points.find((p) => p.proposal === 3);
  assert.deepEqual([late.x, late.exact], [200, false]);
});

test('the lineage tree marks the path from the baseline to the best', () => {
  const [root] = lineage(snapshot(), 0);
  assert.equal(root.node.id, 0);
  assert.ok(root.onBestPath);
  assert.deepEqual(root.children.map((c) => [c.node.id, c.onBestPath]), [[1, true], [2, false]]);
});

test('project figures: counts, the last hour, active miners', () => {
  const stats = projectStats(snapshot(), 0);
  // 600 blocks make an hour at 6 s: proposals revealed after block 100 (3 and 4).
  assert.deepEqual(stats, { proposals: 5, approvals: 1, rejections: 2, verifying: 1, perHour: 2, miners: 3 });
});

test('the miners\' leaderboard: most approvals first', () => {
  assert.deepEqual(minersOf(snapshot(), 0).map((m) => [m.miner, m.proposals, m.approvals, m.rejections, m.lastAt]), [
    ['M', 2, 1, 1, 200],
    ['N', 2, 0, 1, 22],
    ['P', 1, 0, 0, 650],
  ]);
  assert.deepEqual(minersOf(snapshot(), 7), []);
});

test('chain figures: summed over projects, each miner and active verifier once', () => {
  const s = snapshot();
  s.projects.set(1, { ...s.projects.get(0), id: 1 });
  s.proposals.set(5, { ...s.proposals.get(4), id: 5, project: 1 }); // P again, on project 1
  s.verifiers = new Map([
    ['A', { status: 'Active', bond: 5n }], ['B', { status: 'Chilled', bond: 5n }], ['C', { status: 'Active', bond: 0n }],
  ]);
  assert.deepEqual(chainStats(s), { perHour: 3, approvals: 1, rejections: 2, miners: 3, verifiers: 1 });
});

test('verdicts: counted by kind from settlements and running rounds; unknown without a settlement', () => {
  const s = snapshot();
  const v = verdictsOf(s, s.proposals.get(1));
  assert.deepEqual([v.counts, v.total, v.silent, v.known], [{ score: 1, invalid: 1, harnessError: 0 }, 2, 0, true]);
  const approved = verdictsOf(s, s.proposals.get(0));
  assert.deepEqual([approved.total, approved.silent, [...approved.verdicts.keys()]], [2, 1, ['A', 'B']], 'C revealed nothing');
  const withheld = verdictsOf(s, s.proposals.get(3));
  assert.deepEqual([withheld.total, withheld.silent, withheld.known], [0, 2, true]);
  const running = verdictsOf(s, s.proposals.get(4));
  assert.deepEqual([running.counts, running.silent, running.known], [{ score: 0, invalid: 0, harnessError: 1 }, 0, true], 'B may still reveal');
  assert.ok(!verdictsOf(s, s.proposals.get(2)).known, 'settled before the chain kept settlements');
  // Residuals: each score verdict of a settled round against its median.
  assert.deepEqual(residuals(snapshot()).map((r) => [r.verifier, r.proposal, r.bps]).sort(), [['A', 0, 0], ['A', 1, 0], ['B', 0, 100]]);
  // An overturned approval: its initial round's own median, not its challenge round's score.
  const overturned = snapshot();
  overturned.proposals.set(0, { ...overturned.proposals.get(0), verified: -400_000n, status: { type: 'Overturned', node: 1 } });
  assert.deepEqual(residuals(overturned).filter((r) => r.proposal === 0).map((r) => [r.verifier, r.bps]).sort(), [['A', 0], ['B', 100]]);
  overturned.proposals.set(0, { ...overturned.proposals.get(0), verified: null });
  assert.equal(residuals(overturned).filter((r) => r.proposal === 0).length, 2, 'also when the challenge found no score');
  // A proposal settled without a score has no median: none of its verdicts are residuals.
  overturned.proposals.set(1, { ...overturned.proposals.get(1), verified: null, status: { type: 'Released', reason: 'NoAgreement' } });
  assert.equal(residuals(overturned).filter((r) => r.proposal === 1).length, 0);
});

test('the median is the lower middle of the scores, as the runtime settles', () => {
  assert.equal(lowerMedian([3n, 1n, 2n]), 2n);
  assert.equal(lowerMedian([4n, 1n, 3n, 2n]), 2n);
  assert.equal(lowerMedian([-5n]), -5n);
  assert.equal(lowerMedian([]), null);
});

test('a round\'s phase and deadline go by the clock', () => {
  const round = { phase: 'Commit', commitUntil: 10, revealUntil: 15 };
  assert.deepEqual(deadline(round, 8), { phase: 'Commit', until: 10, left: 2 });
  assert.deepEqual(deadline(round, 11), { phase: 'Reveal', until: 15, left: 4 });
  assert.deepEqual(deadline({ ...round, phase: 'Draw' }, 9), { phase: 'Draw', until: 10, left: 1 });
  assert.deepEqual(deadline(round, 99), { phase: 'Reveal', until: 15, left: 0 });
});
