// The runner end to end with a real IPFS daemon (js-ipfs, offline, on loopback) as its store:
// the artifacts are added to IPFS through the runner, Dave registers with the runner's own
// key, and the wasm example's rounds settle as with the embedded store. See runner-cases.mjs.
import { defineRunnerTests } from './runner-cases.mjs';

defineRunnerTests({ ipfs: true, candle: false, command: false });
