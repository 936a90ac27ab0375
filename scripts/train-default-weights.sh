#!/usr/bin/env bash
# How Models/default.safetensors was made, start to end. Resumable at every step: run it again
# after an interruption and it goes on where it stopped (the corpus builder keeps the recordings
# it wrote, preprocess keeps finished files, train resumes its last epoch with --load-weights dev).
#   scripts/train-default-weights.sh [DATA_DIR]
#
# One run on 18 h of renderings: three 6 h batches of training excerpts (seeds 0, 2, 3; other
# excerpts, instruments, rooms and noise in each) and the held-out test split of batch A. The
# weights of an earlier version came from 6 h and then 12 h in two stages; they overfit their
# windows by epoch 9, so this run has three times the audio and reads every window shifted by a
# random number of frames each epoch (train's default), from scratch.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$here/data}
bin=$here/.build/release/transcriber

make -C "$here" corpus-deps build
build() { python3 "$here/scripts/corpus/build_corpus.py" "$@"; }
build --out "$data/fluidr3" --hours 6 --seed 0                                     # batch A + the test split
build --out "$data/fluidr3" --only-train --first-id 10001 --hours 6 --seed 2       # batch B
build --out "$data/fluidr3" --only-train --first-id 20001 --hours 6 --seed 3       # batch C
build --out "$data/unseen-soundfont" --only-test --half-clean --seed 1 --soundfont /usr/share/sounds/sf2/TimGM6mb.sf2

"$bin" preprocess --data "$data/fluidr3" --out "$data/windows" --n-batches 0 --num-workers 2
run=$data/runs/default
mkdir -p "$run"
resume=()
ls "$run"/epoch-*.safetensors >/dev/null 2>&1 && resume=(--load-weights dev)
"$bin" train --data "$data/windows" --run-dir "$run" --epochs 10 --lr 8e-4 --lr-schedule cosine \
  --batch-size 8 --threads 2 --seed 0 "${resume[@]}" 2>&1 | tee -a "$run/train.log"

# Models/default.safetensors is $run/best.safetensors: the epoch with the best validation F1.
for set in fluidr3 unseen-soundfont; do
  "$bin" evaluate --data "$data/$set" --split test --weights "$run/best.safetensors" --threads 2 \
    --json "$run/evaluate-$set.json"
done
