#!/usr/bin/env bash
# Questions 1-3 of docs/EXPERIMENTS.md at one fine-tuning budget: what the shipped network makes
# of longer windows (2, 4, 8 s), of a variable-Q front end, of harmonic stacking (conv1 reading
# six harmonics, the new channels starting at zero, grow_harmonics.py) and of more layers (its
# blocks each followed by new ones that start as the identity, grow_depth.py), against a control
# that is fine-tuned the same way on today's input.
#   scripts/experiments/fine-tune-variants.sh [DATA_DIR] [VARIANT...]
# DATA_DIR is scripts/train-default-weights.sh's (its fluidr3/ corpus, batch A and the test split,
# and its unseen-soundfont/ split); variants: control gamma-1 gamma-2 window-2s window-4s window-8s
# stacked layers-8 layers-16 (default: all). Resumable: finished windows, epochs, evaluations and bench rows are kept.
#
# The budget, the same for every variant: batch A (577 FluidR3 renderings, 6.1 h) preprocessed
# with the variant's settings, 3 epochs from Models/default.safetensors at lr 3e-4 cosine, 16 s of
# audio per step (batch 16 x 1 s, 8 x 2 s, 4 x 4 s, 2 x 8 s), onsets weighted 3, seed 21,
# validation seed 0; best.safetensors (validation note F1) is evaluated on both held-out splits
# with file's decoding (a window every quarter window, each frame the mean of the windows over
# it), and `bench` measures its live latency at A2/A4, its cost per live window and its CPU share
# when replaying at 1x (live's stride 6 and look-ahead 4). Each variant takes 15-25 min on two cores.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${1:-$here/data}
shift || true
variants=("$@")
all=(control gamma-1 gamma-2 window-2s window-4s window-8s stacked layers-8 layers-16)
[ ${#variants[@]} -gt 0 ] || variants=("${all[@]}")
bin=$here/.build/release/transcriber
exp=$data/experiments
make -C "$here" build >/dev/null

# The training recordings of batch A and the held-out FluidR3 test split, as a MusicNet-layout folder of links.
source=$exp/batch-a
if [ ! -d "$source/test_labels" ]; then
  mkdir -p "$source"/{train_data,train_labels,test_data,test_labels}
  for f in "$data"/fluidr3/train_data/0????.wav; do ln -sf "$f" "$source/train_data/"; done
  for f in "$data"/fluidr3/train_labels/0????.csv; do ln -sf "$f" "$source/train_labels/"; done
  for f in "$data"/fluidr3/test_data/*; do ln -sf "$f" "$source/test_data/"; done
  for f in "$data"/fluidr3/test_labels/*; do ln -sf "$f" "$source/test_labels/"; done
fi

for variant in "${variants[@]}"; do
  pre=() train=() seconds=1 layers=4 stacked=
  case $variant in
    control) ;;
    gamma-1) pre=(--gamma 1); train=(--new-front-end) ;;
    gamma-2) pre=(--gamma 2); train=(--new-front-end) ;;
    window-2s) seconds=2 ;;
    window-4s) seconds=4 ;;
    window-8s) seconds=8 ;;
    stacked) stacked=0.5,1,2,3,4,5 ;;
    layers-8) layers=8 ;;
    layers-16) layers=16 ;;
    *) echo "unknown variant '$variant' (${all[*]})" >&2; exit 2 ;;
  esac
  dir=$exp/$variant
  batch=$((16 / seconds))
  stride=$((11 * seconds))   # file's 11 frames of a 43-frame window: about four windows over each frame
  mkdir -p "$dir"
  [ "$layers" = 4 ] && [ -z "$stacked" ] || [ -d "$dir/windows" ] || ln -sfn "$exp/control/windows" "$dir/windows"   # the control's input
  echo "== $variant: layers $layers; preprocess ${pre[*]} --batch-seconds $seconds; train --batch-size $batch ${train[*]}; evaluate --stride $stride"
  "$bin" preprocess --data "$source" --out "$dir/windows" --n-batches 0 --num-workers 2 --batch-seconds "$seconds" "${pre[@]}" \
    2>&1 | tr '\r' '\n' | grep -v '^\[' || true
  from=(--load-weights "$here/Models/default.safetensors" "${train[@]}")
  shape=(--n-layers "$layers")
  [ -z "$stacked" ] || shape+=(--harmonics "$stacked")
  if [ "$layers" != 4 ] || [ -n "$stacked" ]; then
    venv=$here/scripts/experiments/.venv
    [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import numpy, safetensors" 2>/dev/null || {
      python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check numpy safetensors; }
    if [ -n "$stacked" ]; then
      [ -f "$dir/grown.safetensors" ] || "$venv/bin/python" "$here/scripts/experiments/grow_harmonics.py" \
        "$here/Models/default.safetensors" "$dir/grown.safetensors" --harmonics "$stacked"
    else
      [ -f "$dir/grown.safetensors" ] || "$venv/bin/python" "$here/scripts/experiments/grow_depth.py" \
        "$here/Models/default.safetensors" "$dir/grown.safetensors" --layers "$layers" --seed 21
    fi
    from=(--load-weights "$dir/grown.safetensors" "${shape[@]}")
  fi
  ls "$dir"/run/epoch-*.safetensors >/dev/null 2>&1 && from=(--load-weights dev "${shape[@]}")
  "$bin" train --data "$dir/windows" --run-dir "$dir/run" --epochs 3 --lr 3e-4 --lr-schedule cosine --batch-size "$batch" \
    --threads 2 --seed 21 --validation-seed 0 --onset-positive-weight 3 "${from[@]}" 2>&1 | stdbuf -oL tr '\r' '\n' | grep --line-buffered -v '^\[' >>"$dir/train.log"
  tail -n 3 "$dir/train.log"
  for set in fluidr3 unseen-soundfont; do
    [ -f "$dir/evaluate-$set.json" ] || "$bin" evaluate --data "$data/$set" --split test --weights "$dir/run/best.safetensors" \
      --threads 2 --stride "$stride" --json "$dir/evaluate-$set.json" 2>&1 | tr '\r' '\n' | grep -v '^\[' | tail -n 4
  done
  [ -f "$dir/bench.json" ] || "$bin" bench --only live --weights "$dir/run/best.safetensors" --json "$dir/bench.json" >/dev/null
done
python3 "$here/scripts/experiments/variants-table.py" "$exp" "${variants[@]}"
