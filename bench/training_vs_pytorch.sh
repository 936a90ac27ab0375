#!/usr/bin/env bash
# The Swift trainer against the same recipe in PyTorch eager (bench/pytorch_train.py): the same
# windows, epochs, batch, learning rate and schedule, one thread each, run side by side on one
# machine; then both sets of weights scored on the test windows by the same Python code.
# Never part of `make test`: it trains for real (minutes per epoch).
#   bench/training_vs_pytorch.sh WINDOWS [EPOCHS] [LR] [LAST_ID]
# WINDOWS is a preprocess output (train/, test/). LAST_ID keeps the training recordings numbered
# up to it (10000: the corpus's first batch alone). PyTorch goes into bench/.venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
windows=${1:?usage: bench/training_vs_pytorch.sh WINDOWS [EPOCHS] [LR] [LAST_ID]}
epochs=${2:-4}
lr=${3:-8e-4}
last=${4:-}
[ -d "$windows/train" ] && [ -d "$windows/test" ] || { echo "$windows has no train/ and test/: run transcriber preprocess" >&2; exit 1; }
. bench/torch-venv.sh
swift build -c release >/dev/null
out=bench/results/training
rm -rf "$out"
mkdir -p "$out/windows/train" "$out/swift"
ln -s "$(cd "$windows/test" && pwd)" "$out/windows/test"
for f in "$windows"/train/*.safetensors; do
  id=$(basename "$f" .safetensors)
  if [ -z "$last" ] || [ "$((10#$id))" -le "$last" ]; then ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$out/windows/train/"; fi
done
echo "training on $(ls "$out/windows/train" | wc -l) recordings, $epochs epochs at lr $lr, one thread each, side by side" >&2

.build/release/transcriber train --data "$out/windows" --run-dir "$out/swift" --epochs "$epochs" --lr "$lr" \
  --lr-schedule cosine --batch-size 8 --threads 1 --seed 0 --validation-fraction 0 > "$out/swift.txt" 2> "$out/swift.log" &
swift_pid=$!
(cd bench && "../$venv/bin/python" pytorch_train.py --data "../$out/windows" --epochs "$epochs" --lr "$lr" --threads 1 \
  --out "../$out/pytorch.safetensors" --json "../$out/pytorch.json" > "../$out/pytorch.txt")
wait "$swift_pid"
(cd bench && "../$venv/bin/python" pytorch_train.py --data "../$out/windows" --score "../$out/swift/weights.safetensors" \
  --json "../$out/swift-scored.json" > /dev/null)

"$venv/bin/python" bench/training_summary.py "$out"
