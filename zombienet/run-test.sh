#!/usr/bin/env bash
# Runs the zombienet test (testnet.zndsl) against the built poi-node: four validators, each with
# a runner beside it (runners.sh), and the fault drills (a stopped validator, a runner killed
# mid-evaluation, a node restarted mid-round) around one round of the wasm example, and a
# runtime upgrade with a round in flight (the blobs of crate poi-upgrade-drill). Prints the
# drills' figures (what drills.json collected) and how long the test took.
source "$(dirname "$0")/../scripts/lib.sh"
require_node
[ -x "$POI_ROOT/zombienet/node_modules/.bin/zombienet" ] ||
	{ echo "run 'npm ci' in $POI_ROOT/zombienet first" >&2; exit 1; }
bash "$POI_ROOT/examples/wasm-sort/build.sh" >/dev/null
source "$POI_ROOT/zombienet/runners.sh"
cd "$POI_ROOT/zombienet"
trap - ERR
status=0
started=$(date +%s)
node_modules/.bin/zombienet --provider native --force test testnet.zndsl || status=$?
echo "zombienet test: exit $status after $(($(date +%s) - started)) s; the drills' figures:"
node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const k of ["before", "salt", "claim", "downUntil"]) delete s[k];
console.log(JSON.stringify(s));' "$ZOMBIENET_RUNNERS_DIR/drills.json" 2>/dev/null || echo "(none recorded)"
if [ "$status" != 0 ]; then
	for log in "$ZOMBIENET_RUNNERS_DIR"/*.log; do
		[ -f "$log" ] || continue
		echo "--- $log" >&2
		tail -n 30 "$log" >&2
	done
fi
exit "$status"
