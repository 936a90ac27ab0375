#!/usr/bin/env bash
# The Swift model against PyTorch eager and ONNX Runtime (the same PyTorch module exported), same
# network, batch and thread count, one run, one machine.
# Installs PyTorch from PyPI into bench/.venv on first use (about 3 GB with its CUDA libraries;
# never part of `make test`). Usage: bench/model_vs_pytorch.sh [THREADS] [RUNS] [ROUNDS] [heads]
# ("heads": the network with onset and velocity heads, as the bundled weights have it).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-1}
runs=${2:-7}
. bench/torch-venv.sh
swift build -c release >/dev/null
mkdir -p bench/results
# The module is first checked against the parity test's reference (made by the same module).
# ROUNDS rounds, each Swift then the peers: these shared machines drift by 20-30% within minutes,
# so the rows are medians over rounds of runs that sat side by side.
rounds=${3:-3}
heads=()
if [ "${4:-}" = heads ]; then heads=(--heads); elif [ -n "${4:-}" ]; then echo "the 4th argument is 'heads' or nothing" >&2; exit 2; fi
golden_arg=(--golden Tests/ModelTests/Fixtures/reference-small.safetensors)
for r in $(seq 1 "$rounds"); do
  .build/release/transcriber bench --only model --threads "$threads" --runs "$runs" ${heads[@]+"${heads[@]}"} \
    --json "bench/results/swift-$r.json" >/dev/null
  "$venv/bin/python" bench/pytorch_model.py --threads "$threads" --runs "$runs" "${golden_arg[@]}" --onnx ${heads[@]+"${heads[@]}"} \
    > "bench/results/pytorch-$r.json"
done
python3 - "$threads" "$rounds" <<'PY'
import json, statistics, sys
rounds = int(sys.argv[2])
def rows(path, prefix=""):
    return {r["name"][len(prefix):]: r for r in json.load(open(path)) if r["name"].startswith(prefix)}
swift_runs = [rows(f"bench/results/swift-{r}.json") for r in range(1, rounds + 1)]
torch_runs = [rows(f"bench/results/pytorch-{r}.json", "pytorch.") for r in range(1, rounds + 1)]
onnx_runs = [rows(f"bench/results/pytorch-{r}.json", "onnxruntime.") for r in range(1, rounds + 1)]
median = lambda runs, name: statistics.median(run[name]["value"] for run in runs) if all(name in run for run in runs) else None
torch = torch_runs[0]
print(f"threads={sys.argv[1]}, medians of {rounds} rounds   {torch['model.infer.b1']['input']}")
if onnx_runs[0]:
    print(f"             {onnx_runs[0]['model.infer.b1']['input']}")
print(f"{'row':18} {'Swift':>10} {'PyTorch':>10} {'ORT':>10}  {'Swift/PyTorch':>14} {'Swift/ORT':>10}  (speed)")
for name, row in torch.items():
    s, p, o = median(swift_runs, name), median(torch_runs, name), median(onnx_runs, name)
    speed = (lambda peer: peer / s if row["unit"] == "ms" else s / peer)
    ort_cells = f"{o:10.2f}" if o else f"{'':>10}"
    ort_ratio = f"{speed(o):9.2f}x" if o else f"{'':>10}"
    print(f"{name:18} {s:10.2f} {p:10.2f} {ort_cells}  {speed(p):13.2f}x {ort_ratio}  ({row['unit']})")
PY
