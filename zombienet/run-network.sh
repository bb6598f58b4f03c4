#!/usr/bin/env bash
# Starts the four-validator network of network.toml, each validator with a runner beside it
# (runners.sh), and keeps it running (Ctrl-C stops it). Zombienet prints each node's RPC
# endpoint (open it in Polkadot.js apps) and log file. The validators are verifiers from
# genesis, each served by the runner beside it (zombienet/runner.sh stops or starts one).
source "$(dirname "$0")/../scripts/lib.sh"
require_node
npm_install "$POI_ROOT/zombienet"
source "$POI_ROOT/zombienet/runners.sh"
cd "$POI_ROOT/zombienet"
trap - ERR
node_modules/.bin/zombienet --provider native spawn network.toml
