#!/usr/bin/env python3
"""The from-scratch table of docs/EXPERIMENTS.md from learning-curves.sh's outputs: per run, its
size, data and input, its last epoch's training and validation loss, both held-out splits (frame
F1, exact frames, note F1), and from bench.json its live cost and latency. A run whose evaluation
or bench rows are missing is listed with what is missing.
   scripts/experiments/curves-table.py EXPERIMENTS_DIR RUN...   (RUN as learning-curves.sh's, -eN for EPOCHS=N, -seedN for SEED=N)"""
import json
import os
import re
import sys

SIZES = {"4": "4 layers", "8": "8 layers", "4x2": "4 layers, 1.5x wide", "4x4": "4 layers, 2x wide"}
INPUTS = {"cqt": "CQT", "stft": "log-STFT", "mel": "log-mel", "stacked": "CQT, 6 harmonics stacked",
          "2s": "CQT, 2 s windows", "4s": "CQT, 4 s windows", "8s": "CQT, 8 s windows",
          "context": "CQT and a context summary (30 s)"}


def load(path):
    try:
        return json.load(open(path))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, KeyError) as error:
        sys.exit(f"{path}: not the JSON that evaluate or bench writes ({error})")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: curves-table.py EXPERIMENTS_DIR RUN...")
    root, runs = sys.argv[1], sys.argv[2:]
    print("| network | data | input | parameters | train loss | validation loss | FluidR3 frame F1 | exact | note F1 "
          "| TimGM6mb frame F1 | exact | note F1 | live ms/window | live latency A2 / A4 (ms) | training min |")
    print("|---" * 15 + "|")
    for name in runs:
        d = os.path.join(root, f"scratch-{name}")
        base, epochs, seed = re.fullmatch(r"(.*?)(?:-e(\d+))?(?:-seed(\d+))?", name).groups()
        size, fraction, *front = base.split("-", 2)
        params = last = None
        minutes = 0.0
        try:
            for line in open(os.path.join(d, "train.log")):
                m = re.match(r"training ([\d,]+) parameters on (\d+) windows", line)
                if m:
                    params = m.group(1)
                m = re.match(r"epoch \d+: train loss ([\d.]+), validation loss ([\d.]+),.*, ((?:\d+:)?\d+:\d+)\s*$", line)
                if m:
                    last = (m.group(1), m.group(2))
                    seconds = 0
                    for part in m.group(3).split(":"):
                        seconds = seconds * 60 + int(part)
                    minutes += seconds / 60
        except FileNotFoundError:
            pass
        cells = [SIZES.get(size, size) + (f", {epochs} epochs" if epochs else "") + (f", seed {seed}" if seed else ""), fraction, INPUTS.get(front[0] if front else "cqt", front[0] if front else "cqt"), params or "not run"]
        cells += list(last) if last else ["not run"] * 2
        for split in ["fluidr3", "unseen-soundfont"]:
            e = load(os.path.join(d, f"evaluate-{split}.json"))
            if e is None:
                cells += ["not run"] * 3
                continue
            m = e["metrics"]
            cells += [f"{m['frame_f1']:.3f}", f"{m['exact_frame_accuracy_k0']:.3f}", f"{m['note_f1']:.3f}"]
        rows = {r["name"]: r for r in (load(os.path.join(d, "bench.json")) or [])}
        window = rows.get("live.window.trained")
        cells.append(f"{window['value']:.1f}" if window else "not run")
        a2, a4 = rows.get("live.latency.string.A2"), rows.get("live.latency.string.A4")
        cells.append(" / ".join(f"{r['value']:.0f}" if r else "none heard" for r in (a2, a4)) if rows else "not run")
        cells.append(f"{minutes:.0f}" if minutes else "not run")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
