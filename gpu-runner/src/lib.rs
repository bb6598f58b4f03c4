//! `poi-runner`: the companion process that verifiers run beside their node.
//!
//! **Not built yet.** It will take jobs over JSON-RPC, fetch and check artifacts, run the
//! project's evaluator (wasmtime or candle) and sign the verdict (see `shared/DESIGN.md`,
//! "Off-chain worker and runner"). A later issue fills it in; today the workspace only
//! reserves its place, and no command starts it.
