#!/usr/bin/env bash
# Runs the zombienet test (smoke.zndsl) against the built poi-node: three validators, each with
# a runner beside it (runners.sh), settle one round of the wasm example.
source "$(dirname "$0")/../scripts/lib.sh"
require_node
[ -x "$POI_ROOT/zombienet/node_modules/.bin/zombienet" ] ||
	{ echo "run 'npm ci' in $POI_ROOT/zombienet first" >&2; exit 1; }
bash "$POI_ROOT/examples/wasm-sort/build.sh" >/dev/null
source "$POI_ROOT/zombienet/runners.sh"
cd "$POI_ROOT/zombienet"
trap - ERR
status=0
node_modules/.bin/zombienet --provider native --force test smoke.zndsl || status=$?
if [ "$status" != 0 ]; then
	for log in "$ZOMBIENET_RUNNERS_DIR"/*.log; do
		echo "--- $log" >&2
		tail -n 30 "$log" >&2
	done
fi
exit "$status"
