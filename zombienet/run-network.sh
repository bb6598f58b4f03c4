#!/usr/bin/env bash
# Starts the three-validator network of network.toml and keeps it running (Ctrl-C stops it).
# Zombienet prints each node's RPC endpoint (open it in Polkadot.js apps) and log file.
source "$(dirname "$0")/../scripts/lib.sh"
require_node
npm_install "$POI_ROOT/zombienet"
cd "$POI_ROOT/zombienet"
trap - ERR
exec node_modules/.bin/zombienet --provider native spawn network.toml
