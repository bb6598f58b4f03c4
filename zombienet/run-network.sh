#!/usr/bin/env bash
# Starts the three-validator network of network.toml, each validator with a runner beside it
# (runners.sh), and keeps it running (Ctrl-C stops it). Zombienet prints each node's RPC
# endpoint (open it in Polkadot.js apps) and log file. The validators are not verifiers until
# they register (`verifiers.register(bond, runnerKey)`, the key from the runner's `info`).
source "$(dirname "$0")/../scripts/lib.sh"
require_node
npm_install "$POI_ROOT/zombienet"
source "$POI_ROOT/zombienet/runners.sh"
cd "$POI_ROOT/zombienet"
trap - ERR
node_modules/.bin/zombienet --provider native spawn network.toml
