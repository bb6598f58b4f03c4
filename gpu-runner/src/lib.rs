//! `poi-runner`: the companion process of a poi verifier. Its node's off-chain worker sends it
//! jobs over JSON-RPC; it fetches and checks the artifacts, runs the project's evaluator, stores
//! the log and signs the verdict with its key (what the chain does with it: `docs/protocol.md`).
//!
//! - [`service`]: the bounded job queue, worker threads, signed verdicts, kept results.
//! - [`rpc`]: the JSON-RPC server (`submit_job`, `job_status`, `info`, `put_artifact`).
//! - [`store`]: artifact stores: the embedded blob directory, and [`ipfs`] (an IPFS daemon).
//! - [`evaluate`]: evaluators (`wasm` under wasmtime, `candle-gpt` with candle).
//! - [`auth`]: who may call the runner: its API token, no web pages.
//! - [`gc`]: how long results and blobs are kept.
//! - [`keys`]: the key file.
//! - [`private`]: directories only the runner's user enters, secrets nobody else reads.
//! - [`sandbox`]: resource limits for every child, and bubblewrap for strangers' commands.

pub mod auth;
pub mod evaluate;
pub mod gc;
pub mod ipfs;
pub mod keys;
pub mod private;
pub mod rpc;
pub mod sandbox;
pub mod service;
pub mod store;
