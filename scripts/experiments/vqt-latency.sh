#!/usr/bin/env bash
# Issue 22, question 3 (other front ends), the latency half: how much sooner a variable-Q
# transform's shorter low filters let a note through, per register, and how wide its filters
# become against a semitone. No training: the filter latencies come from the kernel bank
# (`transcriber bench --only cqt.lookahead --gamma G`: half the filter plus the decimation delay,
# causal alignment), the widths from the settings (bandwidth alpha*f + gamma, librosa's VQT).
# Usage: scripts/experiments/vqt-latency.sh [GAMMA ...]   (default: 0 0.5 1 2 5 10 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
gammas=("$@")
[ ${#gammas[@]} -gt 0 ] || gammas=(0 0.5 1 2 5 10 20)
swift build -c release >/dev/null
echo "| gamma (Hz) | latency A0 | A2 | A4 | C6 | filter width at A0 / A2 / A4, in semitones |"
echo "|---|---|---|---|---|---|"
for g in "${gammas[@]}"; do
  rows=$(.build/release/transcriber bench --only cqt.lookahead --gamma "$g" --runs 1 2>/dev/null)
  ms() { echo "$rows" | awk -v n="cqt.lookahead.$1" '$1 == n { printf "%.0f ms", $2 }'; }
  widths=$(python3 -c "
alpha = 2 ** (1 / 48) - 1          # 4 bins per semitone
semitone = 2 ** (1 / 12) - 1
print(' / '.join(f'{(alpha * f + $g) / (semitone * f):.2f}' for f in (27.5, 110.0, 440.0)))")
  echo "| $g | $(ms A0) | $(ms A2) | $(ms A4) | $(ms C6) | $widths |"
done
