# Starts the three runners of network.toml (one per validator) and stops them when the calling
# script exits. Source it after scripts/lib.sh. Each runner has its own key and embedded store
# under a temporary directory (POI_ZOMBIENET_RUNNERS keeps them there instead); logs go to
# <dir>/<name>.log.
# shellcheck shell=bash

[ -x "$POI_RUNNER_BIN" ] || {
	echo "poi-runner not found at $POI_RUNNER_BIN: build it first (scripts/test.sh)" >&2
	exit 1
}
ZOMBIENET_RUNNERS_DIR="${POI_ZOMBIENET_RUNNERS:-$(mktemp -d -t poi-zombienet-runners.XXXXXX)}"
ZOMBIENET_RUNNER_URLS=""
zombienet_runner_pids=()

stop_zombienet_runners() {
	for pid in "${zombienet_runner_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${zombienet_runner_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ -z "${POI_ZOMBIENET_RUNNERS:-}" ]; then rm -rf "$ZOMBIENET_RUNNERS_DIR"; fi
}
trap stop_zombienet_runners EXIT

port=9961
for name in alice bob charlie; do
	"$POI_RUNNER_BIN" serve --base-path "$ZOMBIENET_RUNNERS_DIR/$name" \
		--listen "127.0.0.1:$port" >"$ZOMBIENET_RUNNERS_DIR/$name.log" 2>&1 &
	zombienet_runner_pids+=($!)
	ZOMBIENET_RUNNER_URLS+="${ZOMBIENET_RUNNER_URLS:+,}http://127.0.0.1:$port"
	port=$((port + 1))
done
# Wait until every runner listens.
for url in ${ZOMBIENET_RUNNER_URLS//,/ }; do
	port="${url##*:}"
	for _ in $(seq 1 150); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.2
	done
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
		echo "the runner at $url does not answer; its logs:" >&2
		tail -n 20 "$ZOMBIENET_RUNNERS_DIR"/*.log >&2
		exit 1
	}
done
# Each runner wrote its API token (<dir>/<name>/rpc.token) before it listened; network.toml
# hands each node its runner's token file.
echo "runners: $ZOMBIENET_RUNNER_URLS (logs in $ZOMBIENET_RUNNERS_DIR)"
export ZOMBIENET_RUNNER_URLS ZOMBIENET_RUNNERS_DIR
