#!/usr/bin/env bash
# Trains the same byte-level GPT (benches/gpt-recipe.json: 4 layers, 4 heads, width 128,
# context 128, batch 16, AdamW 3e-3, 80 steps, about 0.88 M parameters) on this machine's CPU
# with poi-gpt (candle) and with the PyTorch reference (benches/gpt_reference.py: the same
# initial weights, batches, optimiser and held-out measurement), taking turns for
# $POI_BENCH_ROUNDS rounds (3 by default) in one run, and prints the median tokens per second,
# peak memory and val_bpb side by side with the ratios (and each round's figures: a shared
# machine's speed drifts, so the two are measured alternately rather than one after the other).
# Installs PyTorch 2.15 (CPU use; a large download) into a virtual environment under
# ~/.cache the first time. Not part of the test command. Run it on an idle machine.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$POI_ROOT"

THREADS="${POI_BENCH_THREADS:-$(nproc)}"
VENV="${POI_BENCH_VENV:-$HOME/.cache/poi-bench-venv}"
DOC=examples/candle-gpt/protocol.json
CORPUS=examples/candle-gpt/corpus.txt
RECIPE=benches/gpt-recipe.json
SEED="0x$(printf '00%.0s' {1..32})"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

step "building poi-gpt (release)"
cargo build --release --locked --manifest-path gpu-runner/gpt/Cargo.toml --target-dir "$POI_GPT_TARGET_DIR"

step "PyTorch 2.15 in $VENV"
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet torch==2.15.0
fi
"$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'

steps="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["steps"])' "$RECIPE")"
ROUNDS="${POI_BENCH_ROUNDS:-3}"
for round in $(seq 1 "$ROUNDS"); do
	step "round $round of $ROUNDS: poi-gpt, then PyTorch, $steps steps on $THREADS threads"
	RAYON_NUM_THREADS="$THREADS" "$POI_GPT_BIN" train --document "$DOC" --corpus "$CORPUS" \
		--recipe "$RECIPE" --seed "$SEED" --steps "$steps" >"$OUT/candle-$round.json" 2>"$OUT/candle.log"
	tail -n 2 "$OUT/candle.log"
	"$VENV/bin/python" benches/gpt_reference.py --document "$DOC" --corpus "$CORPUS" \
		--recipe "$RECIPE" --seed "$SEED" --threads "$THREADS" >"$OUT/torch-$round.json" 2>/dev/null
done

step "side by side"
python3 - "$OUT" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
candle = [json.loads(open(f"{out}/candle-{r}.json").read().strip().splitlines()[-1]) for r in range(1, rounds + 1)]
torch = [json.load(open(f"{out}/torch-{r}.json")) for r in range(1, rounds + 1)]
ours_tps = [c["trials"][0]["tokensPerSecond"] for c in candle]
theirs_tps = [t["tokensPerSecond"] for t in torch]
for r in range(rounds):
    print(f"round {r + 1}: {ours_tps[r]:.0f} against {theirs_tps[r]:.0f} tokens/s ({ours_tps[r] / theirs_tps[r]:.2f}x)")
median = statistics.median
rows = [
    ("tokens per second", median(ours_tps), median(theirs_tps), "{:.0f}"),
    ("peak memory, MiB", median(c["peakRssKib"] for c in candle) / 1024, median(t["peakRssKib"] for t in torch) / 1024, "{:.0f}"),
    ("val_bpb", candle[0]["valBpb"], torch[0]["valBpb"], "{:.4f}"),
]
print(f"{'median of ' + str(rounds):22}{'poi-gpt':>12}{'PyTorch':>12}{'ratio':>10}")
for name, ours, theirs, fmt in rows:
    print(f"{name:22}{fmt.format(ours):>12}{fmt.format(theirs):>12}{ours / theirs:>9.2f}x")
print(f"val_bpb differs by {100 * (candle[0]['valBpb'] / torch[0]['valBpb'] - 1):+.2f} %"
      f" ({torch[0]['parameters']} parameters, {candle[0]['trials'][0]['steps']} steps)")
PY
