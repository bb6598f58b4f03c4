#!/usr/bin/env bash
# Builds everything a user runs, as the other scripts do: installs what is missing, then builds
# the workspace (poi-node, poi-runner, poi) and the candle-gpt trainer poi-gpt, release and
# locked, into the scripts' target directory ($CARGO_TARGET_DIR, by default ~/.cache/poi-target,
# outside the checkout), and prints where the binaries are. A plain `cargo build --release`
# would put them in ./target instead: export CARGO_TARGET_DIR=~/.cache/poi-target to share one.
source "$(dirname "$0")/lib.sh"

install_build_deps
build_node

step "built"
for bin in "$POI_NODE_BIN" "$POI_RUNNER_BIN" "$CARGO_TARGET_DIR/release/poi" "$POI_GPT_BIN"; do
	[ -x "$bin" ] || { echo "missing after the build: $bin" >&2; exit 1; }
	echo "$bin"
done
echo "to run them by name: export PATH=\"$CARGO_TARGET_DIR/release:\$PATH\""
