#!/usr/bin/env bash
# Starts or kills the runner beside one validator of network.toml:
#   runner.sh start NAME   starts it (it answers before this returns)
#   runner.sh kill NAME    kills it (SIGKILL: no chance to finish a job or say goodbye)
# NAME is alice, bob, charlie or dave; their runners listen on 127.0.0.1:9961 to 9964 (the
# --runner-url of each node in network.toml) and sign with the validator's development runner
# key (`poi-runner --dev-account NAME`), the key the local testnet's genesis registers for it.
# Each keeps its store, results and API token under $ZOMBIENET_RUNNERS_DIR/NAME, its log in
# NAME.log and its process id in NAME.pid there. runners.sh starts all four; the drills kill and
# restart one.
set -euo pipefail
action="${1:-}" name="${2:-}"
dir="${ZOMBIENET_RUNNERS_DIR:?ZOMBIENET_RUNNERS_DIR is not set (runners.sh sets it)}"
case "$name" in
alice) port=9961 ;;
bob) port=9962 ;;
charlie) port=9963 ;;
dave) port=9964 ;;
*) echo "usage: runner.sh start|kill alice|bob|charlie|dave" >&2; exit 2 ;;
esac
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

case "$action" in
start)
	[ -x "${POI_RUNNER_BIN:-}" ] || { echo "POI_RUNNER_BIN is not an executable: ${POI_RUNNER_BIN:-unset}" >&2; exit 1; }
	if answers; then echo "something already listens on 127.0.0.1:$port" >&2; exit 1; fi
	"$POI_RUNNER_BIN" serve --dev-account "$name" --base-path "$dir/$name" \
		--listen "127.0.0.1:$port" >>"$dir/$name.log" 2>&1 </dev/null &
	echo $! >"$dir/$name.pid"
	for _ in $(seq 1 150); do
		answers && exit 0
		kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null || break
		sleep 0.2
	done
	echo "the runner of $name does not answer on 127.0.0.1:$port; its log:" >&2
	tail -n 20 "$dir/$name.log" >&2
	exit 1
	;;
kill)
	pid="$(cat "$dir/$name.pid")"
	kill -9 "$pid"
	# Gone, or a zombie nobody has reaped yet (its port is closed either way); 10 s at most.
	for _ in $(seq 1 200); do
		state="$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" || break
		[ -z "$state" ] || [ "$state" = Z ] && break
		sleep 0.05
	done
	;;
*) echo "usage: runner.sh start|kill alice|bob|charlie|dave" >&2; exit 2 ;;
esac
