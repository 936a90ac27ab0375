#!/usr/bin/env bash
# The Swift model against PyTorch eager, same network, batch and thread count, one run, one machine.
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
"$venv/bin/python" bench/pytorch_model.py --threads "$threads" --runs "$runs" "${golden_arg[@]}" > bench/results/pytorch.json
python3 - "$threads" <<'PY'
import json, sys
swift = {r["name"]: r for r in json.load(open("bench/results/swift.json"))}
torch = {r["name"][len("pytorch."):]: r for r in json.load(open("bench/results/pytorch.json"))}
print(f"threads={sys.argv[1]}   {torch['model.infer.b1']['input']}")
print(f"{'row':18} {'Swift':>12} {'PyTorch':>12}  {'Swift/PyTorch speed':>20}")
for name, row in torch.items():
    s, p = swift[name]["value"], row["value"]
    speed = p / s if row["unit"] == "ms" else s / p
    print(f"{name:18} {s:12.2f} {p:12.2f}  {speed:19.2f}x  ({row['unit']})")
PY
