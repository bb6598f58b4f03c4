# Starts the four runners of network.toml (one beside each validator: runner.sh) and stops them
# when the calling script exits. Source it after scripts/lib.sh. Their base paths, logs and
# process ids are under a temporary directory (POI_ZOMBIENET_RUNNERS keeps them there instead).
# shellcheck shell=bash

[ -x "$POI_RUNNER_BIN" ] || {
	echo "poi-runner not found at $POI_RUNNER_BIN: build it first (scripts/test.sh)" >&2
	exit 1
}
ZOMBIENET_RUNNERS_DIR="${POI_ZOMBIENET_RUNNERS:-$(mktemp -d -t poi-zombienet-runners.XXXXXX)}"
export ZOMBIENET_RUNNERS_DIR
mkdir -p "$ZOMBIENET_RUNNERS_DIR"
ZOMBIENET_VALIDATORS="alice bob charlie dave"

# Stops every runner, those a drill restarted included (their process ids are in <name>.pid).
stop_zombienet_runners() {
	local name pid
	for name in $ZOMBIENET_VALIDATORS; do
		pid="$(cat "$ZOMBIENET_RUNNERS_DIR/$name.pid" 2>/dev/null)" || continue
		kill "$pid" 2>/dev/null || true
	done
	if [ -z "${POI_ZOMBIENET_RUNNERS:-}" ]; then rm -rf "$ZOMBIENET_RUNNERS_DIR"; fi
}
trap stop_zombienet_runners EXIT

for name in $ZOMBIENET_VALIDATORS; do
	bash "$POI_ROOT/zombienet/runner.sh" start "$name"
done
# Each runner wrote its API token (<dir>/<name>/rpc.token) before it listened; network.toml
# hands each node its runner's token file.
echo "runners of $ZOMBIENET_VALIDATORS on 127.0.0.1:9961-9964 (logs in $ZOMBIENET_RUNNERS_DIR)"
