#!/usr/bin/env python3
"""The learning-curve table of docs/EXPERIMENTS.md from learning-curves.sh's outputs: per run,
its size, data and front end, its last epoch's training and validation loss, and both held-out splits.
   scripts/experiments/curves-table.py EXPERIMENTS_DIR RUN..."""
import json
import os
import re
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: curves-table.py EXPERIMENTS_DIR RUN...")
    root, runs = sys.argv[1], sys.argv[2:]
    print("| layers | data | front end | parameters | training windows | train loss | validation loss | FluidR3 frame F1 | note F1 "
          "| TimGM6mb frame F1 | note F1 | training min |")
    print("|---" * 12 + "|")
    for name in runs:
        d = os.path.join(root, f"scratch-{name}")
        layers, fraction, *front = name.split("-", 2)
        params = windows = last = None
        minutes = 0.0
        try:
            for line in open(os.path.join(d, "train.log")):
                m = re.match(r"training ([\d,]+) parameters on (\d+) windows", line)
                if m:
                    params, windows = m.group(1), m.group(2)
                m = re.match(r"epoch \d+: train loss ([\d.]+), validation loss ([\d.]+),.*, ((?:\d+:)?\d+:\d+)\s*$", line)
                if m:
                    last = (m.group(1), m.group(2))
                    seconds = 0
                    for part in m.group(3).split(":"):
                        seconds = seconds * 60 + int(part)
                    minutes += seconds / 60
        except FileNotFoundError:
            pass
        cells = [layers, fraction, front[0] if front else "cqt", params or "not run", windows or "not run"]
        cells += list(last) if last else ["not run"] * 2
        for split in ["fluidr3", "unseen-soundfont"]:
            try:
                m = json.load(open(os.path.join(d, f"evaluate-{split}.json")))["metrics"]
                cells += [f"{m['frame_f1']:.3f}", f"{m['note_f1']:.3f}"]
            except FileNotFoundError:
                cells += ["not run"] * 2
            except (json.JSONDecodeError, KeyError) as error:
                sys.exit(f"{d}/evaluate-{split}.json: not what evaluate writes ({error})")
        cells.append(f"{minutes:.0f}" if minutes else "not run")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
