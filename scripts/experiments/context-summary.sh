#!/usr/bin/env bash
# Question 1's cheap long context for live (docs/EXPERIMENTS.md): the bundled network given a
# summary of everything its recording played before each window (train --context-seconds S: a
# running mean of the CQT frames, time constant S), against a control fine-tuned the same way
# without one.
#   scripts/experiments/context-summary.sh [DATA_DIR] [VARIANT...]
# DATA_DIR is scripts/train-default-weights.sh's (its chunks-8/ windows of stage 8 and the
# fluidr3/, unseen-soundfont/ and live-test/ test splits); variants: control context-30s
# context-10s (default: control context-30s). Resumable: finished epochs, evaluations and bench
# rows are kept.
#
# The budget, the same for each: stage 8's windows (all three training soundfonts, 103,636
# windows), 2 epochs from Models/default.safetensors at lr 5e-5 cosine, batch 8, onsets weighted 3,
# seed 14, validation seed 0 (the context starts at zero: the bundled network exactly).
# best.safetensors (validation note F1) is evaluated on the three held-out sets decoded as `file`
# decodes and as `live` decodes (stride 3, look-ahead 3), and `bench` measures its live cost and
# latency. About 20 minutes of training each on two cores.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${1:-$here/data}
shift || true
variants=("$@")
all=(control context-30s context-10s)
[ ${#variants[@]} -gt 0 ] || variants=(control context-30s)
bin=$here/.build/release/transcriber
exp=$data/experiments/context
make -C "$here" build >/dev/null
[ -d "$data/chunks-8/train" ] || { echo "no $data/chunks-8/train: run scripts/train-default-weights.sh through stage 8 first" >&2; exit 2; }

for variant in "${variants[@]}"; do
  case $variant in
    control) context=0 ;;
    context-30s) context=30 ;;
    context-10s) context=10 ;;
    *) echo "unknown variant '$variant' (${all[*]})" >&2; exit 2 ;;
  esac
  dir=$exp/$variant
  mkdir -p "$dir"
  echo "== $variant: train --context-seconds $context"
  from=(--load-weights "$here/Models/default.safetensors")
  ls "$dir"/run/epoch-*.safetensors >/dev/null 2>&1 && from=(--load-weights dev)
  "$bin" train --data "$data/chunks-8" --run-dir "$dir/run" --epochs 2 --lr 5e-5 --lr-schedule cosine --batch-size 8 \
    --threads 2 --seed 14 --validation-seed 0 --onset-positive-weight 3 --context-seconds "$context" "${from[@]}" \
    2>&1 | stdbuf -oL tr '\r' '\n' | grep --line-buffered -v '^\[' >>"$dir/train.log"
  tail -n 3 "$dir/train.log"
  for set in fluidr3 unseen-soundfont live-test; do
    [ -f "$dir/evaluate-$set.json" ] || "$bin" evaluate --data "$data/$set" --split test --weights "$dir/run/best.safetensors" \
      --threads 2 --json "$dir/evaluate-$set.json" 2>&1 | tr '\r' '\n' | grep -v '^\[' | tail -n 2
    [ -f "$dir/live-$set.json" ] || "$bin" evaluate --data "$data/$set" --split test --weights "$dir/run/best.safetensors" \
      --threads 2 --stride 3 --lookahead 3 --json "$dir/live-$set.json" 2>&1 | tr '\r' '\n' | grep -v '^\[' | tail -n 2
  done
  [ -f "$dir/bench.json" ] || "$bin" bench --only live --weights "$dir/run/best.safetensors" --json "$dir/bench.json" >/dev/null
done
python3 - "$exp" "${variants[@]}" <<'PY'
import json, os, re, sys
root, variants = sys.argv[1], sys.argv[2:]
def load(path):
    try: return json.load(open(path))
    except FileNotFoundError: return None
for decoding, prefix in [("file", "evaluate"), ("live (stride 3, look-ahead 3)", "live")]:
    print(f"\ndecoded as {decoding}:")
    print("| variant | FluidR3 frame F1 | exact | note F1 | TimGM6mb frame F1 | exact | note F1 "
          "| live instruments frame F1 | exact | note F1 | validation note F1 by epoch |")
    print("|---" * 11 + "|")
    for v in variants:
        cells = [v]
        for s in ["fluidr3", "unseen-soundfont", "live-test"]:
            e = load(os.path.join(root, v, f"{prefix}-{s}.json"))
            m = e["metrics"] if e else None
            cells += [f"{m['frame_f1']:.3f}", f"{m['exact_frame_accuracy_k0']:.3f}", f"{m['note_f1']:.3f}"] if m else ["not run"] * 3
        try:
            epochs = [line for line in open(os.path.join(root, v, "train.log")) if line.startswith("epoch ")]
            cells.append(", ".join(re.search(r"note F1 ([0-9.]+)", e).group(1) for e in epochs))
        except FileNotFoundError:
            cells.append("not run")
        print("| " + " | ".join(cells) + " |")
print("\nlargest |context.weight| entry (0 for a network without one):")
import struct, array
for v in variants:
    try:
        f = open(os.path.join(root, v, "run", "best.safetensors"), "rb")
        (n,) = struct.unpack("<Q", f.read(8)); header = json.loads(f.read(n))
        entry = header.get("context.weight")
        if entry is None: print(f"{v}: 0"); continue
        start, end = entry["data_offsets"]; f.seek(8 + n + start)
        values = array.array("f"); values.frombytes(f.read(end - start))
        print(f"{v}: {max(abs(x) for x in values):.4f}")
    except FileNotFoundError:
        print(f"{v}: not run")
print("\nlive cost:")
for v in variants:
    rows = {r["name"]: r for r in (load(os.path.join(root, v, "bench.json")) or [])}
    get = lambda k: f"{rows[k]['value']:.2f}" if k in rows else "none"
    print(f"{v}: ms a live window {get('live.window.trained')}, replay % of a core {get('live.cpu.trained')}, "
          f"latency A2 {get('live.latency.string.A2')} ms, A4 {get('live.latency.string.A4')} ms")
PY
