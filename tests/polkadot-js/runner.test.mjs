// The runner end to end with its embedded store: the dev chain's Alice is the verifier, served
// by `poi-runner --dev`; the wasm example (approved, and an inflated claim rejected), the
// candle-gpt example (approved) and the command example in the sandbox (approved, rejected,
// invalid). See runner-cases.mjs.
import { defineRunnerTests } from './runner-cases.mjs';

defineRunnerTests({ ipfs: false, candle: true });
