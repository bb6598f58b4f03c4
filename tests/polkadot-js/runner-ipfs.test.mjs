// The runner end to end with a real IPFS daemon (js-ipfs, offline, on loopback) as its store:
// the artifacts are added to IPFS through the runner, Dave registers with the runner's own
// key, and the wasm example's rounds settle as with the embedded store; `poi project create
// --ipfs-api` puts a project's files into the daemon. See runner-cases.mjs.
import { defineRunnerTests } from './runner-cases.mjs';

defineRunnerTests({ ipfs: true, candle: false, command: false });
