#!/usr/bin/env bash
# The Swift model against PyTorch eager and ONNX Runtime (the same PyTorch module exported), same
# network, batch and thread count, one run, one machine.
# Installs PyTorch from PyPI into bench/.venv on first use (about 3 GB with its CUDA libraries;
# never part of `make test`). Usage: bench/model_vs_pytorch.sh [THREADS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-1}
runs=${2:-7}
. bench/torch-venv.sh
swift build -c release >/dev/null
mkdir -p bench/results
# The module is first checked against the parity test's reference (made by the same module).
golden_arg=(--golden Tests/ModelTests/Fixtures/reference-small.safetensors)
.build/release/transcriber bench --only model --threads "$threads" --runs "$runs" --json bench/results/swift.json >/dev/null
"$venv/bin/python" bench/pytorch_model.py --threads "$threads" --runs "$runs" "${golden_arg[@]}" --onnx > bench/results/pytorch.json
python3 - "$threads" <<'PY'
import json, sys
swift = {r["name"]: r for r in json.load(open("bench/results/swift.json"))}
peers = json.load(open("bench/results/pytorch.json"))
torch = {r["name"][len("pytorch."):]: r for r in peers if r["name"].startswith("pytorch.")}
onnx = {r["name"][len("onnxruntime."):]: r for r in peers if r["name"].startswith("onnxruntime.")}
print(f"threads={sys.argv[1]}   {torch['model.infer.b1']['input']}")
if onnx:
    print(f"             {onnx['model.infer.b1']['input']}")
print(f"{'row':18} {'Swift':>10} {'PyTorch':>10} {'ORT':>10}  {'Swift/PyTorch':>14} {'Swift/ORT':>10}  (speed)")
for name, row in torch.items():
    s, p = swift[name]["value"], row["value"]
    speed = (lambda peer: peer / s if row["unit"] == "ms" else s / peer)
    o = onnx.get(name, {}).get("value")
    ort_cells = f"{o:10.2f}" if o else f"{'':>10}"
    ort_ratio = f"{speed(o):9.2f}x" if o else f"{'':>10}"
    print(f"{name:18} {s:10.2f} {p:10.2f} {ort_cells}  {speed(p):13.2f}x {ort_ratio}  ({row['unit']})")
PY
