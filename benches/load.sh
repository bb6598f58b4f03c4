#!/usr/bin/env bash
# The load bench: the local testnet's four validators and their runners on loopback, driven by
# stages of more and more miners on wasm projects (benches/load.mjs says what it measures).
# Needs the built binaries (scripts/build.sh); installs the npm packages it uses. Arguments go
# to load.mjs: --miners 4,16,32 (a stage each), --minutes 4 (per stage), --projects 2,
# --drain 30 (blocks a stage waits for its last rounds), --out figures.json.
source "$(dirname "$0")/../scripts/lib.sh"
require_node
[ -x "$POI_RUNNER_BIN" ] || { echo "poi-runner not found at $POI_RUNNER_BIN: run scripts/build.sh" >&2; exit 1; }
npm_install "$POI_ROOT/tests/polkadot-js"
bash "$POI_ROOT/examples/wasm-sort/build.sh" >/dev/null
step "load: four validators, their runners, miners in stages"
node "$POI_ROOT/benches/load.mjs" "$@"
