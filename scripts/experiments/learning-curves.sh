#!/usr/bin/env bash
# Question 2 of docs/EXPERIMENTS.md from scratch: is the accuracy plateau the model's size or the
# data? Networks of 4 layers (the default, 1.95 M parameters) and 8 layers (3.5 M) trained from
# nothing on a quarter, a half and all of batch A's training recordings; a training loss far below
# the validation loss, and held-out scores that rise with data, say data; a larger network that
# fits its training data better without scoring better held-out says the same.
# Wider networks answer the same question by width, and question 3's log-STFT, log-mel and
# harmonic-stacked inputs are runs of the same budget on their own input.
#   scripts/experiments/learning-curves.sh [DATA_DIR] [RUN...]
# RUN is SIZE-FRACTION[-INPUT]. SIZE: 4 or 8 layers, 4x2 or 4x4 for 4 layers about 2x and 4x the
# parameters by width (embed 288 with 6 heads, 384 with 8); FRACTION: quarter, half, all; INPUT:
# stft or mel (batch A preprocessed with that --front-end, experiments/front-end-NAME/windows),
# stacked (the CQT with harmonics 0.5,1,2,3,4,5 stacked as conv1's channels), context (the CQT
# with a summary of the recording before each window, train --context-seconds 30), or 2s, 4s, 8s (the
# CQT in windows of that length, fine-tune-variants.sh's window-Ns windows: question 1 from
# scratch, 16 s of audio a step as for 1 s, file's stride a quarter window). Default: 4-quarter
# 4-half 4-all 8-quarter 8-half 8-all. DATA_DIR as fine-tune-variants.sh's, whose control
# variant's windows (batch A, 1 s, today's CQT) are reused (preprocessed here if missing).
# Resumable like it. SEED=N (default 21) repeats runs with another initialisation and shuffle, in
# scratch-RUN-seedN: how far two seeds of one run land apart is the noise the table is read against.
# EPOCHS=N (default 4) trains N epochs instead, the cosine schedule stretched over them, in
# scratch-RUN-eN: whether a run that trails at 4 epochs catches up with more.
#
# The budget: 4 epochs (EPOCHS) of the fraction, lr 8e-4 cosine (the first stage's), 16 s of audio
# a step, onsets weighted 3, seed 21, validation seed 0 (a tenth of the fraction's recordings; a
# quarter is every fourth recording of batch A by id, a half every second). best.safetensors is
# evaluated on both held-out splits with file's decoding, and `bench --only live` measures its
# cost per live window and its latency at A2 and A4 (fine-tune-variants.sh's). 3-40 min a 4-epoch
# run on two cores, about twice that at EPOCHS=8.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${1:-$here/data}
shift || true
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(4-quarter 4-half 4-all 8-quarter 8-half 8-all)
bin=$here/.build/release/transcriber
seed=${SEED:-21} epochs=${EPOCHS:-4}
exp=$data/experiments
windows=$exp/control/windows
[ -d "$windows/train" ] || "$here/scripts/experiments/fine-tune-variants.sh" "$data" control
make -C "$here" build >/dev/null

for name in "${runs[@]}"; do
  size=${name%%-*} rest=${name#*-}
  fraction=${rest%%-*} front=cqt source=$windows shape=() pre=() seconds=1
  [[ $rest == *-* ]] && front=${rest#*-}
  case $size in 4|8) ;; 4x2) shape=(--embed-dim 288 --n-heads 6) ;; 4x4) shape=(--embed-dim 384 --n-heads 8) ;;
    *) echo "unknown size in '$name' (4, 8, 4x2 or 4x4)" >&2; exit 2 ;; esac
  layers=${size%%x*}
  case $front in cqt) ;; stacked) shape+=(--harmonics 0.5,1,2,3,4,5) ;; context) shape+=(--context-seconds 30) ;;
    stft|mel) source=$exp/front-end-$front/windows pre=(--front-end "$front") ;;
    2s|4s|8s) seconds=${front%s} source=$exp/window-$front/windows pre=(--batch-seconds "$seconds") ;;
    *) echo "unknown input in '$name' (stft, mel, stacked, context, 2s, 4s or 8s)" >&2; exit 2 ;; esac
  if [ "$source" != "$windows" ]; then
    "$bin" preprocess --data "$exp/batch-a" --out "$source" --n-batches 0 --num-workers 2 "${pre[@]}" \
      2>&1 | tr '\r' '\n' | grep -v '^\[' || true
  fi
  batch=$((16 / seconds)) stride=$((11 * seconds))
  case $fraction in quarter) every=4 ;; half) every=2 ;; all) every=1 ;;
    *) echo "unknown fraction in '$name' (quarter, half or all)" >&2; exit 2 ;; esac
  dir=$exp/scratch-$name
  [ "$epochs" = 4 ] || dir=$dir-e$epochs
  [ "$seed" = 21 ] || dir=$dir-seed$seed
  mkdir -p "$dir/windows/train"
  ln -sfn "$source/test" "$dir/windows/test"
  i=0
  for f in "$source"/train/*.safetensors; do
    [ $((i % every)) = 0 ] && ln -sf "$f" "$dir/windows/train/"
    i=$((i + 1))
  done
  echo "== scratch $name: $layers layers ${shape[*]}, $front, $(ls "$dir/windows/train" | wc -l) recordings"
  from=()
  ls "$dir"/run/epoch-*.safetensors >/dev/null 2>&1 && from=(--load-weights dev)
  "$bin" train --data "$dir/windows" --run-dir "$dir/run" --epochs "$epochs" --lr 8e-4 --lr-schedule cosine --batch-size "$batch" \
    --threads 2 --seed "$seed" --validation-seed 0 --onset-positive-weight 3 --n-layers "$layers" "${shape[@]}" "${from[@]}" 2>&1 \
    | stdbuf -oL tr '\r' '\n' | grep --line-buffered -v '^\[' >>"$dir/train.log"
  grep '^epoch' "$dir/train.log" | tail -n 1
  for set in fluidr3 unseen-soundfont; do
    [ -f "$dir/evaluate-$set.json" ] || "$bin" evaluate --data "$data/$set" --split test --weights "$dir/run/best.safetensors" \
      --threads 2 --stride "$stride" --json "$dir/evaluate-$set.json" >/dev/null 2>&1
  done
  [ -f "$dir/bench.json" ] || "$bin" bench --only live --weights "$dir/run/best.safetensors" --json "$dir/bench.json" >/dev/null
  if [ "$front" = context ]; then
    # The same network with its summary taken away (context.weight zeroed): how much it leans on it.
    off=$dir/run/context-off.safetensors
    [ -f "$off" ] || python3 "$here/scripts/experiments/zero_context.py" "$dir/run/best.safetensors" "$off"
    for set in fluidr3 unseen-soundfont; do
      [ -f "$dir/context-off-$set.json" ] || "$bin" evaluate --data "$data/$set" --split test --weights "$off" \
        --threads 2 --stride "$stride" --json "$dir/context-off-$set.json" >/dev/null 2>&1
      python3 -c "import json,sys; m=json.load(open(sys.argv[1]))['metrics']; print(f'context off, {sys.argv[2]}: frame F1 {m[\"frame_f1\"]:.3f} exact {m[\"exact_frame_accuracy_k0\"]:.3f} note F1 {m[\"note_f1\"]:.3f}')" \
        "$dir/context-off-$set.json" "$set"
    done
  fi
done
suffix=
[ "$epochs" = 4 ] || suffix=-e$epochs
[ "$seed" = 21 ] || suffix=$suffix-seed$seed
python3 "$here/scripts/experiments/curves-table.py" "$exp" "${runs[@]/%/$suffix}"
