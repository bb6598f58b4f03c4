#!/usr/bin/env bash
# Regenerates the public testnet's chain specs from the runtime's `poi_testnet` preset:
#   poi-testnet.json      plain (human-readable genesis patch + runtime code)
#   poi-testnet-raw.json  raw (genesis storage), what validators start with
# `cargo test -p poi-node --test chain_spec` fails until these match the current runtime.
# With --no-build it uses the poi-node already built.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$POI_ROOT"
if [ "${1:-}" != "--no-build" ]; then
	build_node
fi
require_node
out="$POI_ROOT/chain-specs"
"$POI_NODE_BIN" export-chain-spec --chain testnet --output "$out/poi-testnet.json"
"$POI_NODE_BIN" export-chain-spec --chain testnet --raw --output "$out/poi-testnet-raw.json"
echo "wrote $out/poi-testnet.json and $out/poi-testnet-raw.json"
