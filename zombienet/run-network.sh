#!/usr/bin/env bash
# Starts the three-validator network of network.toml and keeps it running (Ctrl-C stops it).
# Zombienet prints each node's RPC endpoint (open it in Polkadot.js apps) and log file.
set -Eeuo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poi-target}"
export POI_NODE_BIN="${POI_NODE_BIN:-$CARGO_TARGET_DIR/release/poi-node}"
[ -x "$POI_NODE_BIN" ] || { echo "poi-node not found at $POI_NODE_BIN: build it first" >&2; exit 1; }
if [ ! -x "$here/node_modules/.bin/zombienet" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$here"
exec node_modules/.bin/zombienet --provider native spawn network.toml
