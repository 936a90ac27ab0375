#!/usr/bin/env bash
# The batch CQT against librosa.cqt, same grid, one thread, one run on one machine.
# Installs librosa into bench/.venv on first use (never part of `make test`).
# Usage: bench/cqt_vs_librosa.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
venv=${LIBROSA_VENV:-${TORCH_VENV:-bench/.venv}}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import librosa" 2>/dev/null; then
  echo "Installing librosa into $venv (first use only)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/fixtures/requirements.txt
fi
swift build -c release >/dev/null
mkdir -p bench/results
.build/release/transcriber bench --only cqt --runs "$runs" --json bench/results/cqt-swift.json >/dev/null
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \
  "$venv/bin/python" bench/librosa_cqt.py "$runs" > bench/results/cqt-librosa.json
python3 - <<'PY'
import json
swift = {r["name"]: r for r in json.load(open("bench/results/cqt-swift.json"))}
librosa = json.load(open("bench/results/cqt-librosa.json"))[0]
s, l = swift["cqt.batch"]["value"], librosa["value"]
print(f"batch CQT of 60 s, one thread: Swift {s:.4f} s ({60/s:.0f}x real time), "
      f"librosa {l:.4f} s ({60/l:.0f}x real time): Swift is {l/s:.1f}x faster")
print(f"streaming: {swift['cqt.stream.hop']['value']:.1f} us per hop (p99 {swift['cqt.stream.hop.p99']['value']:.1f} us)")
PY
