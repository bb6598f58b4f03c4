// Reads a poi chain through @polkadot/api into plain snapshots (see `Chain.snapshot`), block by
// block. Everything the page shows is read from state (projects, lineage nodes, proposals with
// their outcomes, settled rounds' verdicts, running rounds, verifiers), so a page opened late
// shows all of it. Events only make the running rounds' logs: the page reads them from the
// blocks it sees and, at start, from the blocks a round can have lasted (`historyBlocks`).

/** A project's token is the asset with id `2^31 + project`. */
export const PROJECT_TOKEN_ASSET_IDS = 2n ** 31n;

/** How many blocks back the page reads events when it starts, beyond the longest a round
 * lasts (its draw delay, commit and reveal periods): the log of every round in flight. */
export const HISTORY_MARGIN = 10;

/** The most proposals or lineage nodes one snapshot reads that it has not read before: a long
 * history (or a node that claims one) is caught up with block by block, in bounded memory. */
export const MAX_NEW_PER_BLOCK = 4096;

const text = (bytes) => bytes.toUtf8();
const some = (option, f) => (option.isSome ? f(option.unwrap()) : null);

/** A verdict, or a settlement's summary of one, as `{ kind, score }` (`score` for a Score
 * only); `scoreOf` finds the score in the Score variant's value. */
const decodeKind = (v, scoreOf) => (v.isScore ? { kind: 'Score', score: scoreOf(v.asScore).toBigInt() } : { kind: v.type });
const decodeVerdict = (v) => decodeKind(v, (score) => score.score);

function decodeProject(id, info) {
  const protocol = info.protocol;
  return {
    id,
    name: text(info.token.name),
    symbol: text(info.token.symbol),
    metric: {
      name: text(protocol.metric.name),
      direction: protocol.metric.direction.type,
      scale: protocol.metric.scaleExponent.toNumber(),
    },
    baseline: protocol.baselineScore.toBigInt(),
    evaluator: protocol.evaluator.type,
    quorum: protocol.quorum.toNumber(),
    toleranceBps: protocol.toleranceBps.toNumber(),
    minImprovementBps: protocol.minImprovementBps.toNumber(),
    creator: info.creator.toString(),
    status: info.status.type,
    best: info.best.toNumber(),
    nextNode: info.nextNode.toNumber(),
    created: info.created.toNumber(),
  };
}

function decodeNode(id, node) {
  return {
    id,
    parent: some(node.parent, (n) => n.toNumber()),
    depth: node.depth.toNumber(),
    score: node.score.toBigInt(),
    miner: some(node.miner, (m) => m.toString()),
    proposal: some(node.proposal, (p) => p.toNumber()),
    block: node.block.toNumber(),
  };
}

function decodeStatus(status) {
  const out = { type: status.type };
  if (status.isApproved) {
    const a = status.asApproved;
    Object.assign(out, {
      node: a.node.toNumber(),
      challengeUntil: a.challengeUntil.toNumber(),
      challenged: a.challenged.isTrue,
      approvers: a.approvers.map((x) => x.toString()),
      reward: a.reward.isPaid
        ? { type: 'Paid', amount: a.reward.asPaid.toBigInt() }
        : { type: 'Escrowed', amount: a.reward.asEscrowed.amount.toBigInt() },
    });
  } else if (status.isSuperseded) out.node = status.asSuperseded.node.toNumber();
  else if (status.isOverturned) out.node = status.asOverturned.node.toNumber();
  else if (status.isRejected) out.reason = status.asRejected.type;
  else if (status.isReleased) out.reason = status.asReleased.type;
  return out;
}

function decodeProposal(id, p) {
  return {
    id,
    proposer: p.proposer.toString(),
    project: p.project.toNumber(),
    parent: p.parent.toNumber(),
    claim: p.claim.isRevealed ? p.claim.asRevealed.toBigInt() : null,
    stake: p.stake.toBigInt(),
    fee: p.fee.toBigInt(),
    committedAt: p.committedAt.toNumber(),
    revealedAt: p.revealedAt.toNumber(),
    verified: some(p.verifiedScore, (s) => s.toBigInt()),
    status: decodeStatus(p.status),
  };
}

function decodeSettlement(s) {
  return {
    block: s.block.toNumber(),
    // Verifier → its verdict, or null when it revealed none in time (the draw's order).
    verdicts: new Map(s.verdicts.map(([who, v]) => [who.toString(), some(v, (x) => decodeKind(x, (score) => score))])),
  };
}

function decodeRound(proposal, r) {
  return {
    proposal,
    kind: r.kind.type,
    phase: r.phase.type,
    commitUntil: r.commitUntil.toNumber(),
    revealUntil: r.revealUntil.toNumber(),
    assignments: r.assignments.map((a) => ({
      verifier: a.verifier.toString(),
      committed: a.commitment.isSome,
      verdict: some(a.verdict, decodeVerdict),
    })),
  };
}

function decodeVerifier(address, v) {
  return {
    address,
    bond: v.bond.toBigInt(),
    status: v.status.type,
    evaluators: Object.entries(v.evaluators.toJSON()).filter(([, on]) => on).map(([k]) => k),
    unbonding: some(v.unbonding, (u) => ({ amount: u.amount.toBigInt(), unlocksAt: u.unlocksAt.toNumber() })),
    stats: {
      rounds: v.stats.rounds.toNumber(),
      agreed: v.stats.agreed.toNumber(),
      deviant: v.stats.deviant.toNumber(),
      missed: v.stats.missed.toNumber(),
    },
    missedInRow: v.missedInRow.toNumber(),
  };
}

/** Whether a stored proposal can still change: its round runs, or its approval's reward is
 * escrowed (the challenge window is open, or a challenge runs). */
const mayChange = (p) => p.status.type === 'Verifying' || (p.status.type === 'Approved' && p.status.reward.type !== 'Paid');

/** The events of one block the page keeps, in a form of its own. */
function eventsOf(records, block) {
  const out = [];
  for (const { event } of records) {
    if (event.section !== 'proposals') continue;
    const d = event.data;
    const base = { block, event: event.method };
    switch (event.method) {
      case 'Revealed': out.push({ ...base, proposal: d.proposal.toNumber(), who: d.proposer.toString() }); break;
      case 'RoundScheduled': out.push({ ...base, proposal: d.proposal.toNumber(), kind: d.kind.type, drawAt: d.drawAt.toNumber() }); break;
      case 'RoundStarted': out.push({ ...base, proposal: d.proposal.toNumber(), kind: d.kind.type, verifiers: d.verifiers.map((v) => v.toString()), commitUntil: d.commitUntil.toNumber() }); break;
      case 'VerdictCommitted': out.push({ ...base, proposal: d.proposal.toNumber(), who: d.verifier.toString() }); break;
      case 'RevealPhaseStarted': out.push({ ...base, proposal: d.proposal.toNumber(), revealUntil: d.revealUntil.toNumber() }); break;
      case 'VerdictRevealed': out.push({ ...base, proposal: d.proposal.toNumber(), who: d.verifier.toString(), verdict: decodeVerdict(d.verdict) }); break;
      case 'ClaimRevealed': out.push({ ...base, proposal: d.proposal.toNumber(), claim: d.claimedScore.toBigInt() }); break;
      case 'Settled': out.push({ ...base, proposal: d.proposal.toNumber(), status: d.status.type, verified: some(d.verifiedScore, (s) => s.toBigInt()) }); break;
      default: break;
    }
  }
  return out;
}

/** The chain as the page sees it, refreshed block by block. */
export class Chain {
  constructor(api) {
    this.api = api;
    this.proposals = new Map();
    this.nextUnread = 0; // the first proposal id not read yet
    this.changing = new Set(); // the ids of proposals that may still change
    this.nodes = new Map();
    this.settlements = new Map(); // proposal → how its initial round ended (never changes)
    this.unsettled = new Set(); // settled proposals whose settlement is not read yet
    this.log = new Map(); // proposal → its rounds' events, oldest first
    this.seenBlocks = new Set();
    this.lastBlock = -1; // the newest block whose events were read
    this.blockMs = 6000;
    this.historyBlocks = 600;
  }

  /** Reads what does not change block by block: the chain's name and block time. */
  async init() {
    const [chain, version] = await Promise.all([this.api.rpc.system.chain(), this.api.rpc.state.getRuntimeVersion()]);
    this.chainName = chain.toString();
    this.specVersion = version.specVersion.toNumber();
    try {
      this.blockMs = (await this.api.call.auraApi.slotDuration()).toNumber();
    } catch {
      this.blockMs = 6000;
    }
    const c = this.api.consts.proposals;
    if (c?.drawDelay && c.verdictCommitPeriod && c.verdictRevealPeriod) {
      this.historyBlocks = c.drawDelay.toNumber() + c.verdictCommitPeriod.toNumber() + c.verdictRevealPeriod.toNumber() + HISTORY_MARGIN;
    }
  }

  /** Reads the events of the last `historyBlocks` blocks before `best` that the node still
   * has state for, newest first, stopping at the first it cannot read (a pruned block). */
  async readHistory(best) {
    const first = Math.max(1, best.number - this.historyBlocks);
    const read = [];
    for (let top = best.number; top >= first; top -= 32) {
      const numbers = [];
      for (let n = top; n > top - 32 && n >= first; n -= 1) numbers.push(n);
      const results = await Promise.all(numbers.map((n) => this.eventsAt(n)));
      const pruned = results.find((r) => r.records === null);
      read.push(...results.filter((r) => r.records !== null && (!pruned || r.n > pruned.n)));
      if (pruned) break;
    }
    // Oldest first, as each log is kept.
    for (const { n, records } of read.sort((a, b) => a.n - b.n)) {
      this.absorb(eventsOf(records, n), n);
      this.lastBlock = Math.max(this.lastBlock, n);
    }
  }

  /** The events of block `n`: `{ n, records }`, `records` null when the node no longer has
   * that block's state. */
  async eventsAt(n) {
    try {
      const hash = await this.api.rpc.chain.getBlockHash(n);
      return { n, records: await this.api.query.system.events.at(hash) };
    } catch {
      return { n, records: null };
    }
  }

  /** Takes in the kept events of a block once. */
  absorb(events, block) {
    if (this.seenBlocks.has(block)) return;
    this.seenBlocks.add(block);
    for (const e of events) {
      if (!this.log.has(e.proposal)) this.log.set(e.proposal, []);
      // Blocks come oldest first (the history, then each gap, then each best block).
      this.log.get(e.proposal).push(e);
    }
  }

  /** Reads the chain at the best block `best` ({ number, hash }) into a snapshot. */
  async snapshot(best, finalized) {
    const { api } = this;
    const at = await api.at(best.hash);
    const [projectEntries, nextProposal, roundEntries, verifierEntries, rewardEntries, commitmentEntries, events] = await Promise.all([
      at.query.projects.projects.entries(),
      at.query.proposals.nextProposalId(),
      at.query.proposals.rounds.entries(),
      at.query.verifiers.verifiers.entries(),
      at.query.verifiers.pendingRewards.entries(),
      at.query.proposals.commitments.entries(),
      at.query.system.events(),
    ]);
    // The events of blocks that came while the last snapshot was read, or while the
    // connection was down: read from their own blocks, so that the running rounds' logs
    // miss nothing.
    const gap = [];
    for (let n = Math.max(this.lastBlock + 1, best.number - this.historyBlocks); n < best.number; n += 1) if (!this.seenBlocks.has(n)) gap.push(n);
    for (const { n, records } of (await Promise.all(gap.map((n) => this.eventsAt(n)))).sort((a, b) => a.n - b.n)) {
      if (records !== null) this.absorb(eventsOf(records, n), n);
    }
    this.absorb(eventsOf(events, best.number), best.number);
    this.lastBlock = Math.max(this.lastBlock, best.number);

    const projects = new Map(projectEntries.map(([key, info]) => {
      const id = key.args[0].toNumber();
      return [id, decodeProject(id, info.unwrap())];
    }).sort((a, b) => a[0] - b[0]));

    // Lineage nodes never change: read those not yet read.
    await Promise.all([...projects.values()].map(async (project) => {
      if (!this.nodes.has(project.id)) this.nodes.set(project.id, new Map());
      const known = this.nodes.get(project.id);
      // Node ids run from 0: those from the count read so far on are new.
      const missing = [];
      for (let id = known.size; id < project.nextNode && missing.length < MAX_NEW_PER_BLOCK; id += 1) missing.push(id);
      if (missing.length === 0) return;
      const read = await at.query.projects.nodes.multi(missing.map((id) => [project.id, id]));
      read.forEach((node, i) => { if (node.isSome) known.set(missing[i], decodeNode(missing[i], node.unwrap())); });
    }));

    // Proposals: new ones (ids run from 0), and those that may still change; then the
    // settlement of each that settled since it was last read.
    const wanted = [...this.changing];
    const next = nextProposal.toNumber();
    for (let id = this.nextUnread; id < next && id < this.nextUnread + MAX_NEW_PER_BLOCK; id += 1) wanted.push(id);
    for (let i = 0; i < wanted.length; i += 256) {
      const ids = wanted.slice(i, i + 256);
      const read = await at.query.proposals.proposals.multi(ids);
      read.forEach((p, j) => {
        if (p.isNone) return;
        const proposal = decodeProposal(ids[j], p.unwrap());
        this.proposals.set(ids[j], proposal);
        if (mayChange(proposal)) this.changing.add(ids[j]);
        else this.changing.delete(ids[j]);
        this.nextUnread = Math.max(this.nextUnread, ids[j] + 1);
        if (proposal.status.type !== 'Verifying' && !this.settlements.has(ids[j])) this.unsettled.add(ids[j]);
      });
    }
    // Kept until read (a read that fails is tried again on the next block). A runtime older
    // than settlements (spec 108) has none to read.
    const unsettled = [...this.unsettled];
    for (let i = 0; i < unsettled.length && at.query.proposals.settlements; i += 256) {
      const ids = unsettled.slice(i, i + 256);
      (await at.query.proposals.settlements.multi(ids)).forEach((s, j) => {
        if (s.isSome) this.settlements.set(ids[j], decodeSettlement(s.unwrap()));
        this.unsettled.delete(ids[j]);
      });
    }

    const rounds = new Map(roundEntries.map(([key, r]) => {
      const id = key.args[0].toNumber();
      return [id, decodeRound(id, r.unwrap())];
    }));

    const pendingRewards = new Map();
    for (const [key, value] of rewardEntries) {
      const amount = value.unwrap();
      const who = key.args[0].toString();
      const asset = key.args[1];
      const entry = asset.isNative
        ? { native: true, amount: amount.toBigInt() }
        : { native: false, project: Number(asset.asToken.toBigInt() - PROJECT_TOKEN_ASSET_IDS), amount: amount.toBigInt() };
      if (!pendingRewards.has(who)) pendingRewards.set(who, []);
      pendingRewards.get(who).push(entry);
    }

    return {
      chainName: this.chainName,
      specVersion: this.specVersion,
      best,
      finalized,
      blockMs: this.blockMs,
      projects,
      nodes: this.nodes,
      proposals: this.proposals,
      rounds,
      verifiers: new Map(verifierEntries.map(([key, v]) => [key.args[0].toString(), decodeVerifier(key.args[0].toString(), v.unwrap())])),
      pendingRewards,
      commitments: commitmentEntries.map(([, c]) => ({ who: c.unwrap().who.toString(), project: c.unwrap().project.toNumber() })),
      settlements: this.settlements,
      log: this.log,
    };
  }

  /** The token of a project through the runtime API: price, supply, reserve, reward pool. */
  async token(project, hash) {
    const overview = await (await this.api.at(hash)).call.bondingCurveApi.overview(project);
    if (overview.isNone) return null;
    const o = overview.unwrap();
    return {
      asset: o.asset.toString(),
      active: o.active.isTrue,
      supply: o.supply.toBigInt(),
      price: some(o.price, (p) => p.toBigInt()),
      reserve: o.reserve.toBigInt(),
      escrow: o.escrow.toBigInt(),
      poolMinted: o.poolMinted.toBigInt(),
      poolCap: o.poolCap.toBigInt(),
      rewardPerApproval: o.rewardPerApproval.toBigInt(),
    };
  }
}
