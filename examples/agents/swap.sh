#!/usr/bin/env sh
# An agent for `poi mine` that needs no model service: each trial it swaps in the next file of a
# pool of candidates (any evaluator: wasm modules, recipes, archives), in order, round and
# round. The pool is the files named in $POI_AGENT_POOL (separated by colons), or the files of
# the folder $POI_AGENT_POOL_DIR, sorted by name.
#
#   POI_AGENT_POOL=a.wasm:b.wasm poi mine 0 --agent 'sh examples/agents/swap.sh'
#
# It prints its hypothesis first (poi records it), and leaves the candidate at $POI_CANDIDATE.
set -eu
: "${POI_CANDIDATE:?poi mine sets POI_CANDIDATE}"
if [ -n "${POI_AGENT_POOL:-}" ]; then
	pool=$(printf '%s\n' "$POI_AGENT_POOL" | tr ':' '\n')
elif [ -n "${POI_AGENT_POOL_DIR:-}" ]; then
	pool=$(find "$POI_AGENT_POOL_DIR" -maxdepth 1 -type f | sort)
else
	echo "swap.sh: set POI_AGENT_POOL (files separated by colons) or POI_AGENT_POOL_DIR" >&2
	exit 2
fi
count=$(printf '%s\n' "$pool" | grep -c .)
# Trials so far: the rows poi has written (this one is not among them yet).
done=0
if [ -f "${POI_TRIALS:-}" ]; then done=$(grep -c . "$POI_TRIALS" || true); fi
pick=$(printf '%s\n' "$pool" | sed -n "$((done % count + 1))p")
echo "swap in $(basename "$pick")"
cp "$pick" "$POI_CANDIDATE"
