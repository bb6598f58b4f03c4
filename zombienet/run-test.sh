#!/usr/bin/env bash
# Runs the zombienet smoke test (smoke.zndsl) against the built poi-node.
source "$(dirname "$0")/../scripts/lib.sh"
require_node
[ -x "$POI_ROOT/zombienet/node_modules/.bin/zombienet" ] ||
	{ echo "run 'npm ci' in $POI_ROOT/zombienet first" >&2; exit 1; }
cd "$POI_ROOT/zombienet"
trap - ERR
exec node_modules/.bin/zombienet --provider native --force test smoke.zndsl
