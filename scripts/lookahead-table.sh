#!/usr/bin/env bash
# The README's "Latency and accuracy" table: what each frame of look-ahead buys, measured with
# `transcriber evaluate` at live's stride (6) on a MusicNet-layout test split. evaluate decodes
# exactly as replay/live do with the same --stride and --lookahead (a test holds them to the
# same notes), so these are the numbers of a live session, without waiting for real time.
#   scripts/lookahead-table.sh DATA WEIGHTS [LOOKAHEAD...]    (default 0 2 4 8 21)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${TRANSCRIBER:-$here/.build/release/transcriber}
data=${1:?usage: scripts/lookahead-table.sh DATA WEIGHTS [LOOKAHEAD...]}
weights=${2:?usage: scripts/lookahead-table.sh DATA WEIGHTS [LOOKAHEAD...]}
shift 2
aheads=("$@")
[ ${#aheads[@]} -gt 0 ] || aheads=(0 2 4 8 21)
stride=6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| look-ahead | added latency | note F1 (onsets) | with offsets | frame F1 | exact frames |"
echo "|---|---|---|---|---|---|"
for ahead in "${aheads[@]}"; do
  [ $((stride + ahead)) -le 43 ] || { echo "skipping look-ahead $ahead: stride $stride plus look-ahead must fit a window (43)" >&2; continue; }
  "$bin" evaluate --data "$data" --weights "$weights" --stride "$stride" --lookahead "$ahead" --threads 2 \
    --json "$work/$ahead.json" >/dev/null 2>"$work/$ahead.err" || { cat "$work/$ahead.err" >&2; exit 1; }
  python3 - "$work/$ahead.json" "$ahead" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
ahead = int(sys.argv[2])
print(f"| {ahead} frames | {ahead * 512 / 22050 * 1000:.0f} ms | {m['note_f1']:.3f} | {m['note_with_offset_f1']:.3f} "
      f"| {m['frame_f1']:.3f} | {m['exact_frame_accuracy_k0']:.3f} |")
EOF
done
n=$(ls "$data"/test_labels/*.csv | wc -l)
echo
echo "($n recordings of $data/test, weights $(basename "$weights"), stride $stride)"
