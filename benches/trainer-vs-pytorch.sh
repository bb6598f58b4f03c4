#!/usr/bin/env bash
# Trains the same byte-level GPT (benches/gpt-recipe.json: 4 layers, 4 heads, width 128,
# context 128, batch 16, AdamW 3e-3, 80 steps, about 0.88 M parameters) on this machine's CPU
# with poi-gpt (candle) and with the PyTorch reference (benches/gpt_reference.py: the same
# initial weights, batches, optimiser and held-out measurement), one after the other in one
# run, and prints tokens per second, peak memory and val_bpb side by side with the ratios.
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
step "poi-gpt: $steps steps on $THREADS threads"
RAYON_NUM_THREADS="$THREADS" "$POI_GPT_BIN" train --document "$DOC" --corpus "$CORPUS" \
	--recipe "$RECIPE" --seed "$SEED" --steps "$steps" >"$OUT/candle.json" 2>"$OUT/candle.log"
tail -n 3 "$OUT/candle.log"

step "PyTorch: $steps steps on $THREADS threads"
"$VENV/bin/python" benches/gpt_reference.py --document "$DOC" --corpus "$CORPUS" \
	--recipe "$RECIPE" --seed "$SEED" --threads "$THREADS" >"$OUT/torch.json"

step "side by side"
python3 - "$OUT/candle.json" "$OUT/torch.json" <<'PY'
import json, sys
candle = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
torch = json.load(open(sys.argv[2]))
trial = candle["trials"][0]
rows = [
    ("tokens per second", trial["tokensPerSecond"], torch["tokensPerSecond"], "{:.0f}"),
    ("peak memory, MiB", candle["peakRssKib"] / 1024, torch["peakRssKib"] / 1024, "{:.0f}"),
    ("val_bpb", candle["valBpb"], torch["valBpb"], "{:.4f}"),
]
print(f"{'':22}{'poi-gpt':>12}{'PyTorch':>12}{'ratio':>10}")
for name, ours, theirs, fmt in rows:
    print(f"{name:22}{fmt.format(ours):>12}{fmt.format(theirs):>12}{ours / theirs:>9.2f}x")
print(f"val_bpb differs by {100 * (candle['valBpb'] / torch['valBpb'] - 1):+.2f} %"
      f" ({torch['parameters']} parameters, {trial['steps']} steps)")
PY
