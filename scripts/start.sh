#!/usr/bin/env bash
# The main command: installs what is missing, builds the workspace and runs a development
# validator (Alice) with RPC on ws://127.0.0.1:9944, reachable from Polkadot.js apps, and
# beside it the development runner (`poi-runner serve --dev`, embedded blob store) on
# http://127.0.0.1:9955 (the node reads the runner's API token from its base path) and the live
# dashboard (`poi dashboard`) on http://127.0.0.1:8000. On this chain Alice is a verifier whose runner key is the dev
# runner's: proposals she is drawn for are re-run and settled with no further step.
#
# Extra arguments go to poi-node, e.g. `scripts/start.sh --rpc-port 9945`.
# POI_BASE_PATH=<dir> keeps the chain and the runner's blobs between runs (default: temporary).
# POI_RUNNER_LISTEN=<addr:port> moves the runner (the node is told with --runner-url).
# POI_DASHBOARD_LISTEN=<addr:port> moves the dashboard.
# It prints the `export` line that points `poi` at this node and runner (and the runner's token).
source "$(dirname "$0")/lib.sh"

install_build_deps
build_node

runner_listen="${POI_RUNNER_LISTEN:-127.0.0.1:9955}"
if [ -n "${POI_BASE_PATH:-}" ]; then
	runner_base="$POI_BASE_PATH/runner"
else
	runner_base="$(mktemp -d)"
fi

step "starting the development runner on http://$runner_listen (store: $runner_base/blobs)"
"$POI_RUNNER_BIN" serve --dev --base-path "$runner_base" --listen "$runner_listen" &
runner_pid=$!
dashboard_pid=""
stop_runner() {
	kill "$runner_pid" $dashboard_pid 2>/dev/null || true
	wait "$runner_pid" $dashboard_pid 2>/dev/null || true
	if [ -z "${POI_BASE_PATH:-}" ]; then rm -rf "$runner_base"; fi
}
trap stop_runner EXIT
# The runner writes its API token before it listens; the node sends it with every call.
for _ in $(seq 1 100); do
	[ -s "$runner_base/rpc.token" ] && break
	sleep 0.1
done
[ -s "$runner_base/rpc.token" ] || { echo "the runner wrote no API token into $runner_base/rpc.token" >&2; exit 1; }

rpc_port=9944
for ((i = 1; i <= $#; i++)); do
	if [ "${!i}" = --rpc-port ]; then j=$((i + 1)); rpc_port="${!j}"; fi
done
dashboard_listen="${POI_DASHBOARD_LISTEN:-127.0.0.1:8000}"
step "starting the live dashboard on http://$dashboard_listen (it reads ws://127.0.0.1:$rpc_port from the browser)"
"$CARGO_TARGET_DIR/release/poi" dashboard --listen "$dashboard_listen" --rpc "ws://127.0.0.1:$rpc_port" &
dashboard_pid=$!

step "poi's settings for this chain and runner (paste into the shell you run poi in)"
echo "export PATH=\"$CARGO_TARGET_DIR/release:\$PATH\" POI_URL=ws://127.0.0.1:$rpc_port \\"
echo "  POI_RUNNER_URL=http://$runner_listen POI_RUNNER_TOKEN_FILE=$runner_base/rpc.token"

step "starting the development node (Ctrl-C stops both)"
args=(--dev --rpc-cors all --runner-url "http://$runner_listen"
	--runner-token-file "$runner_base/rpc.token")
if [ -n "${POI_BASE_PATH:-}" ]; then
	args+=(--base-path "$POI_BASE_PATH")
else
	args+=(--tmp)
fi
trap - ERR
"$POI_NODE_BIN" "${args[@]}" "$@"
