#!/usr/bin/env bash
# How Models/default.safetensors was made, start to end: the corpus (6 h of FluidR3 renderings
# of music21 scores), its windows, the training run, and the held-out evaluations. Resumable at
# every step: run it again after an interruption and it goes on where it stopped.
#   scripts/train-default-weights.sh [DATA_DIR] [EPOCHS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$here/data}
epochs=${2:-40}
bin=$here/.build/release/transcriber
run=$data/runs/default

make -C "$here" corpus-deps build
python3 "$here/scripts/corpus/build_corpus.py" --out "$data/fluidr3" --hours 6 --seed 0
python3 "$here/scripts/corpus/build_corpus.py" --out "$data/unseen-soundfont" --only-test --half-clean --seed 1 \
  --soundfont /usr/share/sounds/sf2/TimGM6mb.sf2
"$bin" preprocess --data "$data/fluidr3" --out "$data/fluidr3-windows" --n-batches 0 --num-workers 2
mkdir -p "$run"
resume=()
ls "$run"/epoch-*.safetensors >/dev/null 2>&1 && resume=(--load-weights dev)
"$bin" train --data "$data/fluidr3-windows" --run-dir "$run" --epochs "$epochs" --lr 8e-4 --lr-schedule cosine \
  --batch-size 8 --threads 2 --seed 0 "${resume[@]}" 2>&1 | tee -a "$run/train.log"
"$bin" evaluate --data "$data/fluidr3" --split test --weights "$run/weights.safetensors" --threads 2 \
  --json "$run/evaluate-fluidr3.json"
"$bin" evaluate --data "$data/unseen-soundfont" --split test --weights "$run/weights.safetensors" --threads 2 \
  --json "$run/evaluate-unseen-soundfont.json"
