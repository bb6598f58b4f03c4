#!/usr/bin/env bash
# Regenerates the public testnet's chain specs from the runtime's `poi_testnet` preset:
#   poi-testnet.json      plain (human-readable genesis patch + runtime code)
#   poi-testnet-raw.json  raw (genesis storage), what validators start with
# `cargo test -p poi-node --test chain_spec` fails until these match the current runtime.
set -Eeuo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poi-target}"
node="${POI_NODE_BIN:-$CARGO_TARGET_DIR/release/poi-node}"
if [ "${1:-}" != "--no-build" ]; then
	(cd "$here/.." && cargo build --release --locked -p poi-node)
fi
"$node" export-chain-spec --chain testnet --output "$here/poi-testnet.json"
"$node" export-chain-spec --chain testnet --raw --output "$here/poi-testnet-raw.json"
echo "wrote $here/poi-testnet.json and $here/poi-testnet-raw.json"
