#!/usr/bin/env bash
# Training speed of the default network across processes with Open MPI, one machine, one run:
# 2 ranks x 1 thread against 1 process x 1 thread and 1 process x 2 threads, the same global batch,
# and the time each step spends summing the gradients (MPI_Allreduce of the 7.4 MB block).
# Each configuration runs alone, one after the other. Never part of `make test`.
#   bench/data_parallel.sh [WINDOWS] [EPOCHS] [BATCH] [ROUNDS]
# WINDOWS is a preprocess output (train/); without one, the bundled example is preprocessed as
# 24 recordings (about 750 windows, some 6 s an epoch for two ranks: shorter epochs measure the
# machine's noise). The three configurations take turns for ROUNDS rounds (these machines are
# shared and noisy); the medians of each run's last-epoch rate are reported.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${2:-3}
batch=${3:-8}
rounds=${4:-5}
swift build -c release >/dev/null
bin=.build/release/transcriber
out=bench/results/data-parallel
rm -rf "$out" && mkdir -p "$out"
windows=${1:-}
if [ -z "$windows" ]; then
  mkdir -p "$out/data/train_data" "$out/data/train_labels"
  for i in $(seq 24); do
    cp Examples/maple-leaf-rag.wav "$out/data/train_data/$i.wav"
    cp Examples/maple-leaf-rag.csv "$out/data/train_labels/$i.csv"
  done
  "$bin" preprocess --data "$out/data" --out "$out/windows" --split train --n-batches 0 >/dev/null 2>&1
  windows=$out/windows
fi
mpirun=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
common=(train --data "$windows" --epochs "$epochs" --batch-size "$batch" --validation-fraction 0 --seed 0)
rate() { grep -E "^epoch $epochs:" "$1" | sed -E 's/.* ([0-9.]+) windows\/s.*/\1/'; }
summing() { grep -E "^epoch $epochs:" "$1" | sed -E 's/.*, ([0-9.]+) ms a step summing.*/\1/'; }
one1=() one2=() two1=() sums=()
for round in $(seq "$rounds"); do
  "$bin" "${common[@]}" --run-dir "$out/one-1-$round" --threads 1 > /dev/null 2> "$out/one-1-$round.log"
  "$bin" "${common[@]}" --run-dir "$out/one-2-$round" --threads 2 > /dev/null 2> "$out/one-2-$round.log"
  "${mpirun[@]}" -np 2 "$bin" "${common[@]}" --run-dir "$out/two-1-$round" --threads 1 > /dev/null 2> "$out/two-1-$round.log"
  one1+=("$(rate "$out/one-1-$round.log")") one2+=("$(rate "$out/one-2-$round.log")")
  two1+=("$(rate "$out/two-1-$round.log")") sums+=("$(summing "$out/two-1-$round.log")")
done
python3 - "$batch" "${one1[*]}" "${one2[*]}" "${two1[*]}" "${sums[*]}" <<'PY'
import statistics, sys
batch = float(sys.argv[1])
one1, one2, two1, sums = ([float(x) for x in arg.split()] for arg in sys.argv[2:])
m1, m2, m3, ms = map(statistics.median, (one1, one2, two1, sums))
step = 1000 * batch / m3
print(f"default network, global batch {int(batch)}, windows/s of the last epoch (median of {len(one1)} runs each):")
print(f"  1 process x 1 thread   {m1:8.1f}   runs {one1}")
print(f"  1 process x 2 threads  {m2:8.1f}   runs {one2}")
print(f"  2 ranks x 1 thread     {m3:8.1f}   runs {two1}: {m3 / m1:.2f}x one thread, {m3 / m2:.2f}x two threads")
print(f"  summing the gradients across the ranks: {ms:.1f} ms of a {step:.0f} ms step ({100 * ms / step:.1f}%)")
PY
