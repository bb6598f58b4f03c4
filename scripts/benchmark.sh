#!/usr/bin/env bash
# Regenerates the weights of poi's pallets (runtime/src/weights/) from their benchmarks:
# builds poi-node with `--features runtime-benchmarks`, keeps that binary apart as
# $CARGO_TARGET_DIR/release/poi-node-benchmarks (the test build overwrites release/poi-node),
# and runs `benchmark pallet` for each pallet. Run it on the reference machine after a
# pallet's calls change, then commit the weights with the change.
#   scripts/benchmark.sh                   all of poi's pallets
#   scripts/benchmark.sh pallet_projects   one of them
#   scripts/benchmark.sh --extrinsics      instead: `benchmark extrinsic` of
#                                          balances.transfer_keep_alive and proposals.commit,
#                                          side by side on the `benchmark` chain (the dev chain
#                                          plus a project whose token Ferdie holds)
# With POI_BENCH_QUICK=1 it runs few steps and repeats (a smoke test; do not commit those).
source "$(dirname "$0")/lib.sh"
cd "$POI_ROOT"

install_build_deps
bench_bin="$CARGO_TARGET_DIR/release/poi-node-benchmarks"
step "building poi-node with runtime-benchmarks"
cargo build --release --locked -p poi-node --features runtime-benchmarks
cp "$CARGO_TARGET_DIR/release/poi-node" "$bench_bin"

if [ "${1:-}" = --extrinsics ]; then
	# A block holds at most 500 of them: commits' reveal deadlines fill 16 blocks' hook
	# queues of 64 at 1024.
	for pair in "balances transfer_keep_alive" "proposals commit"; do
		set -- $pair
		step "benchmark extrinsic $1.$2"
		"$bench_bin" benchmark extrinsic --chain benchmark --pallet "$1" --extrinsic "$2" \
			--warmup 10 --repeat 100 --max-ext-per-block 500 2>&1 | tee "/tmp/poi-bench-$2.log"
	done
	for name in transfer_keep_alive commit; do
		echo "$name: $(grep -A8 'takes\[ns\]' "/tmp/poi-bench-$name.log" | tr -s ' \n' ' ')"
	done
	exit 0
fi

steps=50
repeat=20
if [ "${POI_BENCH_QUICK:-0}" = 1 ]; then
	steps=2
	repeat=2
fi

pallets=("$@")
if [ ${#pallets[@]} -eq 0 ]; then
	pallets=(pallet_projects pallet_bonding_curve pallet_verifiers pallet_proposals)
fi
for pallet in "${pallets[@]}"; do
	step "benchmarking $pallet (steps $steps, repeat $repeat)"
	"$bench_bin" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$steps" \
		--repeat "$repeat" \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--header scripts/weights-header.txt \
		--output "runtime/src/weights/$pallet.rs"
done
echo "weights written to runtime/src/weights/; the next normal build rebuilds release/poi-node without benchmarks"
