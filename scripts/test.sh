#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test: formatting, the
# Rust tests (runtime, node CLI, chain-spec drift, pallets' unit and property tests), the
# pallets' benchmarks on their mock runtimes, the dashboard's unit tests, the Polkadot.js
# end-to-end tests against fresh dev nodes (with runners, a real IPFS daemon, and the dashboard
# in Debian's chromium), and the four-validator zombienet test with its fault drills. Stops at
# the first failing step.
source "$(dirname "$0")/lib.sh"
cd "$POI_ROOT"

total_start=$(date +%s)
install_build_deps

step "cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path gpu-runner/gpt/Cargo.toml -- --check

step "docs: links resolve, one target directory"
python3 scripts/check-docs.py

build_node

step "cargo test (release, workspace)"
test_start=$(date +%s)
cargo test --release --locked --workspace --no-fail-fast
echo "cargo test took $(($(date +%s) - test_start)) s"

step "the runner's sandbox and command evaluator as an unprivileged user (as a verifier runs it)"
# As root the runner gives each sandbox a user of its own; as any other user the sandbox shares
# the runner's. This runs the same tests that way (one at a time: the process limit counts all
# of the user's processes). The test binary is copied where that user can read it.
runner_tests="$(cargo test --release --locked --workspace --no-run --message-format=json 2>/dev/null |
	python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "poi_runner" and m["profile"]["test"] and m.get("executable"):
        print(m["executable"])')"
if [ "$(id -u)" = 0 ]; then
	unprivileged="$(mktemp -d)"
	chmod 755 "$unprivileged"
	cp "$runner_tests" "$unprivileged/runner-tests"
	(cd "$unprivileged" && setpriv --reuid=65534 --regid=65534 --clear-groups --reset-env \
		./runner-tests --test-threads=1 sandbox:: command::)
	rm -rf "$unprivileged"
else
	echo "(already unprivileged: the workspace's tests above ran as $(id -un))"
fi

step "cargo test of poi-gpt, the candle-gpt trainer (release)"
cargo test --release --locked --manifest-path gpu-runner/gpt/Cargo.toml \
	--target-dir "$POI_GPT_TARGET_DIR"

step "benchmark tests of poi's pallets (feature runtime-benchmarks, mock runtimes)"
cargo test --release --locked -p pallet-projects -p pallet-bonding-curve -p pallet-verifiers \
	-p pallet-proposals --features runtime-benchmarks benchmarking

step "the dashboard's unit tests (its numbers, curve, lineage, figures and histogram)"
node --test dashboard/test/

step "checking Debian's chromium (the browser the dashboard's test drives)"
if ! dpkg -s chromium >/dev/null 2>&1; then
	as_root apt-get update -qq
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium
fi

npm_install "$POI_ROOT/tests/polkadot-js"
npm_install "$POI_ROOT/tests/ipfs"
step "Polkadot.js end-to-end tests against dev nodes, runners and an IPFS daemon (js-ipfs); the dashboard in chromium"
(cd tests/polkadot-js && node --test --test-concurrency=1 ./*.test.mjs)

npm_install "$POI_ROOT/zombienet"
step "zombienet: four validators (alice, bob, charlie, dave) and the fault drills"
bash zombienet/run-test.sh

echo
echo "all tests passed in $(($(date +%s) - total_start)) s"
