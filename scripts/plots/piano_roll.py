#!/usr/bin/env python3
"""A piano roll of a reference against a transcription, with the errors coloured: notes found
(green: labelled and transcribed), missed (red: labelled only) and extra (blue: transcribed
only), frame by frame at 10 ms; transcribed onsets as black ticks.

Usage: scripts/plots/piano_roll.py OUT.png LABELS.csv TRANSCRIPTION.csv [--start S] [--seconds N]
LABELS: MusicNet's CSV (start_time,end_time,...,note,...; times in samples at 44.1 kHz).
TRANSCRIPTION: `transcriber file --csv` (onset,offset,pitch,... in seconds).
Needs matplotlib and numpy (pip install matplotlib, or apt install python3-matplotlib)."""
import argparse
import csv

RATE = 44100
STEP = 0.01


def read(path, columns, row):
    """The rows of a CSV through `row`, or an error that names the file and what it should hold."""
    try:
        with open(path, newline="") as f:
            return [row(r) for r in csv.DictReader(f)]
    except OSError as error:
        raise SystemExit(f"cannot read {path}: {error.strerror}")
    except (KeyError, ValueError, TypeError):
        raise SystemExit(f"{path} is not the CSV expected here: it needs the columns {', '.join(columns)} with numbers")


def labels(path):
    return read(path, ("start_time", "end_time", "note"),
                lambda r: (int(r["start_time"]) / RATE, int(r["end_time"]) / RATE, int(r["note"])))


def transcription(path):
    return read(path, ("onset", "offset", "pitch"), lambda r: (float(r["onset"]), float(r["offset"]), int(r["pitch"])))


def roll(notes, start, frames, low, np):
    grid = np.zeros((128, frames), dtype=bool)
    for on, off, pitch in notes:
        a, b = int(round((on - start) / STEP)), int(round((off - start) / STEP))
        a, b = max(a, 0), min(b, frames)
        if a < b:
            grid[pitch, a:b] = True
    return grid


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("labels")
    parser.add_argument("transcription")
    parser.add_argument("--start", type=float, default=0.0, help="first second shown")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds shown")
    parser.add_argument("--title", default=None)
    args = parser.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    import numpy as np

    reference, predicted = labels(args.labels), transcription(args.transcription)
    frames = int(round(args.seconds / STEP))
    ref = roll(reference, args.start, frames, 0, np)
    pred = roll(predicted, args.start, frames, 0, np)
    # 0 silence, 1 found, 2 missed, 3 extra
    image = np.zeros(ref.shape, dtype=int)
    image[ref & pred] = 1
    image[ref & ~pred] = 2
    image[~ref & pred] = 3
    used = np.where(ref.any(axis=1) | pred.any(axis=1))[0]
    if used.size == 0:
        raise SystemExit("no notes in that stretch: choose another --start")
    low, high = max(used.min() - 2, 0), min(used.max() + 3, 128)
    colours = ListedColormap(["white", "#2ca02c", "#d62728", "#1f77b4"])
    fig, ax = plt.subplots(figsize=(12, 5))
    ax.imshow(image[low:high], aspect="auto", origin="lower", interpolation="nearest", cmap=colours, vmin=0, vmax=3,
              extent=(args.start, args.start + args.seconds, low - 0.5, high - 0.5))
    onsets = [(on, p) for on, _, p in predicted if args.start <= on < args.start + args.seconds and low <= p < high]
    if onsets:
        ax.scatter([o for o, _ in onsets], [p for _, p in onsets], marker="|", color="black", s=30, linewidths=1)
    found, missed, extra = (image == 1).sum(), (image == 2).sum(), (image == 3).sum()
    summary = (f"10 ms cells: {found} of {found + missed} labelled found ({found / max(found + missed, 1):.0%}), "
               f"{extra} extra")
    ax.set(xlabel="seconds", ylabel="MIDI pitch", title=f"{args.title}\n{summary}" if args.title else summary)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ("#2ca02c", "#d62728", "#1f77b4")]
    ax.legend(handles + [plt.Line2D([], [], color="black", marker="|", ls="")],
              ["found", "missed (labelled only)", "extra (transcribed only)", "transcribed onset"],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
