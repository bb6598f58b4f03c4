// Zombienet js-script of drill 5: a runtime upgrade enacted on the running network with a
// proposal in flight and its stakes held. One step of testnet.zndsl, after drills 2 and 3:
// - every runner is killed, so that the round it starts stays in its commit phase; Alice
//   creates a second project of the wasm example and Eve proposes its faster candidate (her
//   stake and verification fee held, four verifiers drawn);
// - `poi-node try-runtime` checks the upgrade (the runtime one spec_version later, built with
//   `try-runtime` by crate poi-upgrade-drill-try-runtime) against the finalized state of
//   alice's node: the migrations, the state decoded under the new types, every try_state;
// - Alice (sudo) enacts the same runtime built without `try-runtime`:
//   `sudo.sudoUncheckedWeight(system.setCode)`. The four nodes report the new spec_version and
//   keep authoring and finalizing. Every account's balance, hold and project-token balance is
//   the same before and after: across the block that set the code only Alice's nonce moves (a
//   sudo call pays no fee), across the first block under the new code, when the migrations
//   run, nothing moves; neither block holds anything but the upgrade and the inherents;
// - the runners come back; the round settles under the new code, approved with four score
//   verdicts, the stake and fee released; `poi-node try-runtime --checks try-state` over the
//   final state finds every pallet's invariants whole (nothing of the round left held).
// Returns 1, or 0 with the reason printed.
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  VALIDATORS, finalizedNumber, holdsOf, proposeFaster, putExample, runnerControl, runnersDir, saveState, settle, shared,
  sleep,
} = require('./lib.js');

/** Blocks after the reveal within which the round must settle (the upgrade happens in them). */
const SETTLE_WITHIN = 80;
/** Seconds within which every node runs the new code and finalizes past it. */
const ENACT_WITHIN = 120;

/** The drill's blobs, built with the workspace by crates poi-upgrade-drill (as enacted) and
 * poi-upgrade-drill-try-runtime (with try-runtime). */
function blob(crate) {
  const target = process.env.CARGO_TARGET_DIR;
  if (!target) throw new Error('CARGO_TARGET_DIR is not set: run zombienet/run-test.sh');
  const path = join(target, 'release', 'wbuild', crate, `${crate.replaceAll('-', '_')}.compact.compressed.wasm`);
  if (!existsSync(path)) throw new Error(`${path} is missing: build the workspace (scripts/build.sh)`);
  return path;
}

/** `poi-node try-runtime` against the node at `uri`: its report (stdout) and how long it took.
 * Throws on failure. */
function tryRuntime(uri, checks) {
  const node = process.env.POI_NODE_BIN;
  if (!node) throw new Error('POI_NODE_BIN is not set: run zombienet/run-test.sh');
  const started = Date.now();
  const report = execFileSync(node, [
    'try-runtime', '--runtime', blob('poi-upgrade-drill-try-runtime'), '--uri', uri, '--checks', checks,
    '--snapshot', join(runnersDir(), `state-${checks}.snap`),
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const ms = Date.now() - started;
  console.log(`poi-node try-runtime --checks ${checks} (${ms} ms):\n${report}`);
  return { report, ms };
}

/** Every account's balance and holds, every project-token balance, and the issuance, at `hash`. */
async function balances(api, hash) {
  const at = await api.at(hash);
  const entries = async (query) => Object.fromEntries(
    (await query.entries()).map(([key, value]) => [key.toHex(), value.toHex()]),
  );
  return {
    accounts: await entries(at.query.system.account),
    holds: await entries(at.query.balances.holds),
    freezes: await entries(at.query.balances.freezes),
    assets: await entries(at.query.assets.account),
    issuance: (await at.query.balances.totalIssuance()).toBigInt(),
  };
}

/** The keys whose values differ between two `balances` maps. */
const changed = (a, b) => [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);

/** The signers of the signed extrinsics of block `hash`. */
async function signers(api, hash) {
  const { block } = await api.rpc.chain.getBlock(hash);
  return block.extrinsics.filter((x) => x.isSigned).map((x) => x.signer.toString());
}

async function run(nodeName, networkInfo) {
  const lib = await shared();
  const uri = networkInfo.nodesByName[nodeName].wsUri;
  const api = await zombie.connect(uri);
  const problems = [];
  try {
    const keyring = new zombie.Keyring({ type: 'sr25519' });
    const alice = keyring.addFromUri('//Alice');
    const miner = keyring.addFromUri('//Eve');
    const specBefore = (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();

    // A round that stays in flight: no runner answers its job until the upgrade is done.
    const artifacts = await putExample(lib);
    for (const name of VALIDATORS) runnerControl('kill', name);
    const proposed = await proposeFaster(api, lib, { owner: alice, miner, artifacts });
    const { id, revealBlock } = proposed;
    while ((await finalizedNumber(api)) < revealBlock) await sleep(1000);
    const minerHolds = (await holdsOf(api, miner.address)).map(([reason]) => reason);
    if (!minerHolds.some((h) => h.includes('VerificationFee')) || (await api.query.proposals.rounds(id)).isNone) {
      console.log(`proposal ${id} is not in flight: Eve's holds ${minerHolds}`);
      return 0;
    }

    // try-runtime against the finalized state: the round's stake and fee held, its seats drawn.
    const checked = tryRuntime(uri, 'all');
    if (!checked.report.includes(`spec_version ${specBefore} -> ${specBefore + 1}`)) {
      console.log(`try-runtime checked another upgrade than ${specBefore} -> ${specBefore + 1}`);
      return 0;
    }

    // Enact the runtime as a network would (built without try-runtime).
    const code = `0x${readFileSync(blob('poi-upgrade-drill')).toString('hex')}`;
    const setCode = api.tx.sudo.sudoUncheckedWeight(api.tx.system.setCode(code), { refTime: 0, proofSize: 0 });
    const enacted = await lib.sendOk(api, setCode, alice, { finalized: true });
    const upgradeBlock = (await api.rpc.chain.getHeader(enacted.blockHash)).number.toNumber();
    if (!enacted.events.some(({ event }) => api.events.system.CodeUpdated.is(event))) {
      problems.push(`block ${upgradeBlock} set no code: ${enacted.events.map(({ event }) => event.method)}`);
    }
    // A sudo call pays no fee: Pays::No refunds what was withdrawn.
    const fee = enacted.events.map(({ event }) => event)
      .find((event) => api.events.transactionPayment.TransactionFeePaid.is(event))?.data.actualFee.toBigInt();
    if (fee !== 0n) problems.push(`the upgrade's transaction paid ${fee}, not nothing`);
    console.log(`block ${upgradeBlock} set the code`);

    // Every node runs the new code and finalizes past the first block under it.
    const enactedAt = Date.now();
    const deadline = enactedAt + ENACT_WITHIN * 1000;
    for (const name of VALIDATORS) {
      const other = await zombie.connect(networkInfo.nodesByName[name].wsUri);
      try {
        for (;;) {
          const spec = (await other.rpc.state.getRuntimeVersion()).specVersion.toNumber();
          if (spec === specBefore + 1 && (await finalizedNumber(other)) >= upgradeBlock + 2) break;
          if (Date.now() > deadline) {
            problems.push(`${name} runs spec_version ${spec}, finalized ${await finalizedNumber(other)}, ${ENACT_WITHIN} s after block ${upgradeBlock}`);
            break;
          }
          await sleep(1000);
        }
      } finally {
        await other.disconnect();
      }
    }
    const allUpgradedSeconds = (Date.now() - enactedAt) / 1000;
    const firstNew = upgradeBlock + 1;
    const hashes = await Promise.all([upgradeBlock - 1, upgradeBlock, firstNew].map((n) => api.rpc.chain.getBlockHash(n)));
    if (hashes[1].toHex() !== enacted.blockHash.toHex()) problems.push(`block ${upgradeBlock} was not finalized as included`);
    const specs = [];
    for (const hash of hashes) specs.push((await api.rpc.state.getRuntimeVersion(hash)).specVersion.toNumber());
    if (specs.join() !== [specBefore, specBefore + 1, specBefore + 1].join()) {
      problems.push(`spec_version at blocks ${upgradeBlock - 1}..${firstNew}: ${specs}`);
    }

    // Balances and holds across the upgrade.
    const states = [];
    for (const hash of hashes) states.push(await balances(api, hash));
    const [pre, atSet, atFirst] = states;
    const setSigners = await signers(api, hashes[1]);
    const firstSigners = await signers(api, hashes[2]);
    if (setSigners.join() !== alice.address || firstSigners.length) {
      problems.push(`signed extrinsics beside the upgrade: block ${upgradeBlock} ${setSigners}, block ${firstNew} ${firstSigners}`);
    }
    // Only the pallets of the upgrade's transaction and of every block speak in these blocks
    // (no round, reward or deadline of the earlier drills fell into them).
    for (const [hash, number, allowed] of [[hashes[1], upgradeBlock, ['system', 'sudo', 'balances', 'transactionPayment']], [hashes[2], firstNew, ['system']]]) {
      const events = await (await api.at(hash)).query.system.events();
      const others = events.filter(({ event }) => !allowed.includes(event.section)).map(({ event }) => `${event.section}.${event.method}`);
      if (others.length) problems.push(`block ${number} did more than the upgrade: ${others}`);
    }
    const aliceKey = api.query.system.account.key(alice.address);
    const movedBySet = changed(pre.accounts, atSet.accounts);
    if (movedBySet.some((key) => key !== aliceKey)) problems.push(`block ${upgradeBlock} moved accounts ${movedBySet}`);
    const [alicePre, aliceSet] = [pre, atSet].map((state) => api.createType('AccountInfo', state.accounts[aliceKey]));
    const sameButNonce = api.createType('AccountInfo', { ...aliceSet.toJSON(), nonce: alicePre.nonce.toNumber() }).toHex();
    if (aliceSet.nonce.toNumber() !== alicePre.nonce.toNumber() + 1 || sameButNonce !== alicePre.toHex()) {
      problems.push(`block ${upgradeBlock} moved Alice's account from ${alicePre} to ${aliceSet}`);
    }
    if (pre.issuance !== atSet.issuance) problems.push(`block ${upgradeBlock} changed the issuance by ${atSet.issuance - pre.issuance}`);
    for (const part of ['holds', 'freezes', 'assets']) {
      const moved = changed(pre[part], atSet[part]);
      if (moved.length) problems.push(`block ${upgradeBlock} changed ${part} ${moved}`);
    }
    for (const part of ['accounts', 'holds', 'freezes', 'assets']) {
      const moved = changed(atSet[part], atFirst[part]);
      if (moved.length) problems.push(`the migrations (block ${firstNew}) changed ${part} ${moved}`);
    }
    if (atSet.issuance !== atFirst.issuance) problems.push(`the migrations changed the issuance by ${atFirst.issuance - atSet.issuance}`);
    const held = Object.keys(atFirst.holds).length;
    console.log(`balances: ${Object.keys(atFirst.accounts).length} accounts, ${held} with holds, ${Object.keys(atFirst.assets).length} token balances, unchanged across blocks ${upgradeBlock} and ${firstNew} but for Alice's nonce`);

    // The round settles under the new code.
    for (const name of VALIDATORS) runnerControl('start', name);
    const settled = await settle(api, lib, proposed, miner, SETTLE_WITHIN);
    if (typeof settled === 'string') {
      problems.push(settled);
    } else {
      const { proposal, settledAt } = settled;
      if (!proposal.status.isApproved) problems.push(`the round ended ${proposal.status}, not approved`);
      if (settledAt <= firstNew) problems.push(`the round settled in block ${settledAt}, not under the new code`);
      const settlement = (await api.query.proposals.settlements(id)).unwrap();
      const scores = settlement.verdicts.filter(([, v]) => v.isSome && v.unwrap().isScore).length;
      if (scores !== VALIDATORS.length) problems.push(`${scores} score verdicts, not ${VALIDATORS.length}`);
      const left = (await holdsOf(api, miner.address)).map(([reason]) => reason);
      if (left.some((h) => h.includes('VerificationFee'))) problems.push(`Eve's fee is still held: ${left}`);
      while ((await finalizedNumber(api)) < settledAt) await sleep(1000);
      // try_state over the final state: the runtime on chain now has the drill's spec_version.
      const final = tryRuntime(uri, 'try-state');
      if (!final.report.includes(`spec_version ${specBefore + 1} -> ${specBefore + 1}`)) problems.push('the chain does not run the upgrade');
      saveState({
        upgrade: {
          upgradeBlock, revealBlock, settledAt, held, allUpgradedSeconds, tryRuntimeMs: checked.ms,
          tryStateMs: final.ms,
        },
      });
    }
  } finally {
    await api.disconnect();
  }
  if (problems.length) {
    console.log(`drill 5 failed:\n  ${problems.join('\n  ')}`);
    return 0;
  }
  return 1;
}

module.exports = { run };
