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

"$venv/bin/python" - "$out" <<'EOF'
import json, re, sys
out = sys.argv[1]
torch = json.load(open(f"{out}/pytorch.json"))
swift = json.load(open(f"{out}/swift-scored.json"))
log = open(f"{out}/swift.log").read().replace("\r", "\n")
swift_epochs = re.findall(r"epoch (\d+): train loss ([\d.]+).*?([\d.]+) windows/s.*?, (\S+)\n", log)
def seconds(text):
    parts = [float(p) for p in text.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
swift_seconds = sum(seconds(e[3]) for e in swift_epochs)
print(f"{'':10} {'epochs':>6} {'train s':>8} {'windows/s':>9} {'last loss':>9} {'frame F1':>8} {'exact':>6}")
print(f"{'swift':10} {len(swift_epochs):6d} {swift_seconds:8.0f} {torch['train_windows'] * len(swift_epochs) / swift_seconds:9.1f} "
      f"{float(swift_epochs[-1][1]):9.4f} {swift['frame_f1']:8.4f} {swift['exact_frame_accuracy_k0']:6.3f}")
print(f"{'pytorch':10} {len(torch['epochs']):6d} {torch['train_seconds']:8.0f} "
      f"{torch['train_windows'] * len(torch['epochs']) / torch['train_seconds']:9.1f} {torch['epochs'][-1]['train_loss']:9.4f} "
      f"{torch['frame_f1']:8.4f} {torch['exact_frame_accuracy_k0']:6.3f}")
print(f"(test windows {torch['test_windows']}, both scored by bench/pytorch_train.py; "
      f"PyTorch {torch['torch']}; Swift's own test metrics: {out}/swift.txt)")
EOF
