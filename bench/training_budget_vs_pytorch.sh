#!/usr/bin/env bash
# The Swift trainer against PyTorch eager at the same wall-clock budget on two cores: each trains
# alone on the machine, one after the other, with two threads, for as many epochs as it fits in the
# budget (each run's cosine schedule spans its own epochs); then both sets of weights are scored on
# the test windows by the same Python code (bench/pytorch_train.py --score). This is the
# measurement behind issue 8's calibration ("the same network in PyTorch, trained 60 minutes on two
# CPU cores"). Never part of `make test`: it trains for two budgets back to back.
#   bench/training_budget_vs_pytorch.sh WINDOWS SWIFT_EPOCHS TORCH_EPOCHS [LR]
# WINDOWS is a preprocess output (train/, test/; --n-batches 0 for the random shifts). Choose the
# epoch counts from each trainer's speed on this machine so both end just inside the budget: a
# minute or two of `transcriber train --threads 2` shows Swift's windows/s on its progress bar, and
# PyTorch's was about 0.6x Swift's at two threads (README, "The targets' calibration budget").
set -euo pipefail
cd "$(dirname "$0")/.."
windows=${1:?usage: bench/training_budget_vs_pytorch.sh WINDOWS SWIFT_EPOCHS TORCH_EPOCHS [LR]}
swift_epochs=${2:?give the epochs of the Swift run}
torch_epochs=${3:?give the epochs of the PyTorch run}
lr=${4:-8e-4}
[ -d "$windows/train" ] && [ -d "$windows/test" ] || { echo "$windows has no train/ and test/: run transcriber preprocess" >&2; exit 1; }
windows=$(cd "$windows" && pwd)
. bench/torch-venv.sh
swift build -c release >/dev/null
out=bench/results/budget
rm -rf "$out"
mkdir -p "$out"

echo "Swift: $swift_epochs epochs at lr $lr, two threads, alone" >&2
.build/release/transcriber train --data "$windows" --run-dir "$out/swift" --epochs "$swift_epochs" --lr "$lr" \
  --lr-schedule cosine --batch-size 8 --threads 2 --seed 0 --validation-fraction 0 > "$out/swift.txt" 2> "$out/swift.log"

echo "PyTorch: $torch_epochs epochs at lr $lr, two threads, alone" >&2
(cd bench && "../$venv/bin/python" pytorch_train.py --data "$windows" --epochs "$torch_epochs" --lr "$lr" --threads 2 \
  --out "../$out/pytorch.safetensors" --json "../$out/pytorch.json" > "../$out/pytorch.txt")
(cd bench && "../$venv/bin/python" pytorch_train.py --data "$windows" --score "../$out/swift/weights.safetensors" \
  --threads 2 --json "../$out/swift-scored.json" > /dev/null)

"$venv/bin/python" bench/training_summary.py "$out"
