#!/usr/bin/env bash
# Runs the zombienet smoke test (smoke.zndsl) against the built poi-node.
set -Eeuo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poi-target}"
export POI_NODE_BIN="${POI_NODE_BIN:-$CARGO_TARGET_DIR/release/poi-node}"
[ -x "$POI_NODE_BIN" ] || { echo "poi-node not found at $POI_NODE_BIN: build it first" >&2; exit 1; }
[ -x "$here/node_modules/.bin/zombienet" ] || { echo "run 'npm ci' in $here first" >&2; exit 1; }
cd "$here"
exec node_modules/.bin/zombienet --provider native --force test smoke.zndsl
