#!/usr/bin/env python3
"""The table of docs/EXPERIMENTS.md from fine-tune-variants.sh's outputs: per variant, both
held-out splits (frame F1, exact frames, note F1), parameters, live cost and latency.
   scripts/experiments/variants-table.py EXPERIMENTS_DIR VARIANT...
A variant whose evaluation or bench rows are missing is listed with what is missing."""
import json
import os
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as error:
        sys.exit(f"{path}: not the JSON that evaluate or bench writes ({error})")


def training_minutes(log_path):
    """Sum of the epochs' mm:ss (or h:mm:ss) times in train.log's epoch lines."""
    total = 0.0
    try:
        for line in open(log_path):
            m = re.match(r"\s*epoch \d+:.*, ((?:\d+:)?\d+:\d+)\s*$", line)
            if m:
                parts = [int(p) for p in m.group(1).split(":")]
                seconds = 0
                for p in parts:
                    seconds = seconds * 60 + p
                total += seconds / 60
    except FileNotFoundError:
        return None
    return total or None


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: variants-table.py EXPERIMENTS_DIR VARIANT...")
    root, variants = sys.argv[1], sys.argv[2:]
    print("| variant | FluidR3 frame F1 | exact | note F1 | TimGM6mb frame F1 | exact | note F1 "
          "| parameters | live ms/window | replay % of a core | live latency A2 / A4 (ms) | training min |")
    print("|---" * 12 + "|")
    for variant in variants:
        d = os.path.join(root, variant)
        cells = [variant]
        for split in ["fluidr3", "unseen-soundfont"]:
            e = load(os.path.join(d, f"evaluate-{split}.json"))
            if e is None:
                cells += ["not run"] * 3
                continue
            m = e["metrics"]
            cells += [f"{m['frame_f1']:.3f}", f"{m['exact_frame_accuracy_k0']:.3f}", f"{m['note_f1']:.3f}"]
        rows = {r["name"]: r for r in (load(os.path.join(d, "bench.json")) or [])}
        window = rows.get("live.window.trained")
        params = re.search(r"(\d+) parameters", window["input"]).group(1) if window else None
        cells.append(f"{int(params):,}" if params else "not run")
        cells.append(f"{window['value']:.2f}" if window else "not run")
        cpu = rows.get("live.cpu.trained")
        cells.append(f"{cpu['value']:.1f}" if cpu else "not run")
        a2, a4 = rows.get("live.latency.string.A2"), rows.get("live.latency.string.A4")
        cells.append(" / ".join(f"{r['value']:.0f}" if r else "none heard" for r in (a2, a4)) if rows else "not run")
        minutes = training_minutes(os.path.join(d, "train.log"))
        cells.append(f"{minutes:.0f}" if minutes else "not run")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
