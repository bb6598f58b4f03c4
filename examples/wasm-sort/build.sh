#!/usr/bin/env bash
# Builds the wasm-sort example's harness and candidates into examples/wasm-sort/build/:
# harness.wasm, baseline.wasm, faster.wasm. Needs the wasm32-unknown-unknown target (added
# here when rustup is present).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if command -v rustup >/dev/null 2>&1; then
	rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
fi
target_dir="${CARGO_TARGET_DIR:-$here/target}/examples-wasm-sort"
cargo build --quiet --release --locked --manifest-path "$here/Cargo.toml" \
	--target wasm32-unknown-unknown --target-dir "$target_dir"
mkdir -p "$here/build"
for name in harness baseline faster; do
	cp "$target_dir/wasm32-unknown-unknown/release/$name.wasm" "$here/build/$name.wasm"
done
echo "$here/build"
