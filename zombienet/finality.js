// Zombienet js-script of drill 1 (a validator stops), two steps:
// - "advance,N,DOWN": run on a live validator while DOWN is stopped: returns how many blocks the
//   finalized head advanced, once it advanced N (GRANDPA finalizes with three of four); -1 if
//   DOWN answered RPC at the start or the end (it was not down);
// - "catch-up,FROM": run on the restarted validator: returns the seconds from the restart (the
//   end of the advance step) until its finalized head reached FROM's as it was when this step
//   began.
const { answers, finalizedNumber, loadState, saveState, sleep } = require('./lib.js');

async function run(nodeName, networkInfo, args) {
  const [mode, arg, down] = args;
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri);
  try {
    if (mode === 'advance') {
      const wanted = Number(arg);
      const downUri = networkInfo.nodesByName[down].wsUri;
      if (await answers(downUri)) {
        console.log(`${down} answers RPC: it is not down`);
        return -1;
      }
      const start = await finalizedNumber(api);
      const began = Date.now();
      let now = start;
      while (now < start + wanted) {
        await sleep(1000);
        now = await finalizedNumber(api);
      }
      const seconds = (Date.now() - began) / 1000;
      if (await answers(downUri)) {
        console.log(`${down} answered RPC at the end: it was not down all along`);
        return -1;
      }
      console.log(`${nodeName} finalized ${start} -> ${now} in ${seconds} s while ${down} was down`);
      saveState({ finalizedWhileDown: now - start, secondsWhileDown: seconds, downUntil: Date.now() });
      return now - start;
    }
    if (mode === 'catch-up') {
      // Counted from the end of the 'advance' step, just before zombienet killed and restarted
      // the node: the restart itself is in the figure.
      const { downUntil } = loadState();
      if (!downUntil) throw new Error('the advance step did not run');
      const other = await zombie.connect(networkInfo.nodesByName[arg].wsUri);
      let target;
      try {
        target = await finalizedNumber(other);
      } finally {
        await other.disconnect();
      }
      const from = await finalizedNumber(api);
      let now = from;
      while (now < target) {
        await sleep(200);
        now = await finalizedNumber(api);
      }
      const seconds = (Date.now() - downUntil) / 1000;
      console.log(`${nodeName} (finalized ${from} when it answered) reached ${arg}'s finalized ${target} ${seconds} s after its restart began`);
      saveState({ catchUpSeconds: seconds, finalizedWhenBack: from, caughtUpTo: target });
      return seconds;
    }
    throw new Error(`unknown step ${mode}`);
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
