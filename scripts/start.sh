#!/usr/bin/env bash
# The main command: installs what is missing, builds the node and runs a development
# validator (Alice) with RPC on ws://127.0.0.1:9944, reachable from Polkadot.js apps.
#
# Extra arguments go to poi-node, e.g. `scripts/start.sh --rpc-port 9955`.
# POI_BASE_PATH=<dir> keeps the chain between runs (default: a temporary chain).
source "$(dirname "$0")/lib.sh"

install_build_deps
build_node

step "starting the development node (Ctrl-C stops it)"
args=(--dev --rpc-cors all)
if [ -n "${POI_BASE_PATH:-}" ]; then
	args+=(--base-path "$POI_BASE_PATH")
else
	args+=(--tmp)
fi
trap - ERR
exec "$POI_NODE_BIN" "${args[@]}" "$@"
