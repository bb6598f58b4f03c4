// Zombienet js-script: one proposal round settled by the validators' own runners. Alice, Bob
// and Charlie (validators whose `poiv` keys zombienet wrote into their keystores) register as
// verifiers with the keys of the runners beside them (run-test.sh starts one per validator and
// passes their URLs as arguments); the wasm example's files go into each runner's store; Alice
// creates a project with quorum 3, Dave proposes the faster candidate, and with no further
// step each node's off-chain worker has its runner re-run the job and commits and reveals the
// verdict. Returns 1 when the round is approved and the best advanced, 0 otherwise.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const EXAMPLE = join(__dirname, '..', 'examples', 'wasm-sort');
/** What the JavaScript tests and these scripts share (an ES module: loaded with import()). */
const SHARED = pathToFileURL(join(__dirname, '..', 'tests', 'lib', 'poi.mjs')).href;

async function run(nodeName, networkInfo, runnerUrls) {
  const {
    TEST_CURVE, UNIT, claimHash, evaluatorsOf, proposalCommitment, revealClaimWhenDue, runEval, runnerCall, scoreOf,
    sendOk,
  } = await import(SHARED);
  const send = (api, tx, signer) => sendOk(api, tx, signer, { finalized: false });
  /** A candidate's score as the miner measures it locally (`poi-runner eval`). */
  const localScore = (candidate, fuel) => scoreOf(runEval([
    '--budget', String(fuel),
    '--benchmark', join(EXAMPLE, 'build/harness.wasm'),
    '--candidate', join(EXAMPLE, `build/${candidate}.wasm`),
    '--document', join(EXAMPLE, 'protocol.json'),
  ]));
  const { wsUri, userDefinedTypes } = networkInfo.nodesByName[nodeName];
  const api = await zombie.connect(wsUri, userDefinedTypes);
  try {
    const keyring = new zombie.Keyring({ type: 'sr25519' });
    const [alice, bob, charlie, dave] = ['Alice', 'Bob', 'Charlie', 'Dave'].map((n) => keyring.addFromUri(`//${n}`));
    const validators = [alice, bob, charlie];
    if (runnerUrls.length !== 3) throw new Error(`three runner URLs expected, got ${runnerUrls}`);
    // The runners' API tokens, in their base paths (zombienet/runners.sh), which the nodes read too.
    const tokens = ['alice', 'bob', 'charlie'].map(
      (name) => readFileSync(join(process.env.ZOMBIENET_RUNNERS_DIR, name, 'rpc.token'), 'utf8').trim(),
    );

    // Each validator registers with the key of the runner beside it, and the evaluators the
    // runner says it has.
    const bond = api.consts.verifiers.minBond.toBigInt();
    for (const [i, account] of validators.entries()) {
      const info = await runnerCall(runnerUrls[i], tokens[i], 'info');
      await send(api, api.tx.verifiers.register(bond, info.publicKey, evaluatorsOf(info)), account);
      console.log(`${account.address} registered with runner ${runnerUrls[i]} (key ${info.publicKey})`);
    }

    // The example's files go into every runner's store (the same bytes, the same CIDs).
    const protocolFile = readFileSync(join(EXAMPLE, 'protocol.json'));
    const fuel = JSON.parse(protocolFile).budget;
    const files = { protocol: protocolFile };
    for (const name of ['harness', 'baseline', 'faster']) files[name] = readFileSync(join(EXAMPLE, `build/${name}.wasm`));
    const artifacts = {};
    for (const [name, bytes] of Object.entries(files)) {
      for (const [i, url] of runnerUrls.entries()) {
        artifacts[name] = await runnerCall(url, tokens[i], 'put_artifact', [`0x${bytes.toString('hex')}`]);
      }
    }
    const baseline = localScore('baseline', fuel);
    const faster = localScore('faster', fuel);

    const project = (await api.query.projects.nextProjectId()).toNumber();
    const protocol = {
      document: artifacts.protocol,
      repository: artifacts.baseline,
      benchmark: artifacts.harness,
      baselineMetrics: artifacts.protocol,
      metric: { name: 'fuel', direction: 'Minimize', scaleExponent: 0 },
      baselineScore: baseline,
      minImprovementBps: 100,
      toleranceBps: 0,
      quorum: 3,
      evaluator: { Wasm: { fuel } },
    };
    await send(api, api.tx.projects.createProject(protocol, 'wasm sort', 'SORT', TEST_CURVE, null), alice);
    await send(api, api.tx.bondingCurve.buy(project, 30, 1_000n * UNIT), dave);

    // Dave commits and reveals the faster candidate, claiming 20 % less than he measured; the
    // reveal shows only BLAKE2-256(claim, salt), and Dave reveals the claim itself once the
    // verdicts are committed.
    const claim = faster + faster / 5n;
    const salt = `0x${'5a'.repeat(32)}`;
    const hidden = claimHash(api, claim, salt);
    const commitment = proposalCommitment(api, { project, code: artifacts.faster, claim: hidden, proposer: dave.address });
    await send(api, api.tx.proposals.commit(project, commitment, 5), dave);
    const revealed = await send(api, api.tx.proposals.reveal(commitment, 0, artifacts.faster, hidden), dave);
    const event = revealed.events.find(({ event }) => api.events.proposals.Revealed.is(event));
    const id = event.event.data.proposal.toNumber();
    const start = (await api.rpc.chain.getHeader(revealed.blockHash)).number.toNumber();
    console.log(`proposal ${id} revealed in block ${start}; waiting for the validators' runners`);

    for (;;) {
      const proposal = (await api.query.proposals.proposals(id)).unwrap();
      const now = (await api.rpc.chain.getHeader()).number.toNumber();
      if (!proposal.status.isVerifying) {
        const best = (await api.query.projects.projects(project)).unwrap().best.toNumber();
        const node = (await api.query.projects.nodes(project, best)).unwrap();
        const agreed = [];
        for (const v of validators) agreed.push((await api.query.verifiers.verifiers(v.address)).unwrap().stats.agreed.toNumber());
        console.log(`proposal ${id}: ${proposal.status} by block ${now} (${now - start} blocks after the reveal); best ${node.code.digest.toHex()} score ${node.score}; agreed ${agreed}`);
        const approved = proposal.status.isApproved &&
          node.code.digest.toHex() === artifacts.faster.digest &&
          agreed.every((n) => n === 1);
        return approved ? 1 : 0;
      }
      if (proposal.claim.isHidden && await revealClaimWhenDue(api, id, { claim, salt }, dave, now)) {
        console.log(`proposal ${id}: Dave revealed his claim`);
      }
      if (now - start > 40) {
        console.log(`proposal ${id} still verifying ${now - start} blocks after the reveal`);
        return 0;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
