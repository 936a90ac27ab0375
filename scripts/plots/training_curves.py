#!/usr/bin/env python3
"""Training curves of one run or of several stages: training and validation loss, validation
frame F1 and note F1, per epoch, read from the history a checkpoint carries
(RUN/epoch-NNNN.safetensors, the newest holds every epoch). Stages given in order continue each
other's epochs.

Usage: scripts/plots/training_curves.py OUT.png [LABEL=]CHECKPOINT ...
Needs matplotlib (pip install matplotlib, or apt install python3-matplotlib)."""
import json
import math
import struct
import sys


def history(path):
    """The `history` metadata of a safetensors file: a list of epoch summaries."""
    try:
        with open(path, "rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            if size > 100_000_000:
                raise ValueError("header size")
            header = json.loads(f.read(size))
    except OSError as error:
        sys.exit(f"cannot read {path}: {error.strerror}")
    except (struct.error, ValueError, UnicodeDecodeError):
        sys.exit(f"{path} is not a safetensors file (its header does not parse)")
    meta = header.get("__metadata__", {})
    if "history" not in meta:
        sys.exit(f"{path} holds no training history: give an epoch checkpoint (RUN/epoch-NNNN.safetensors), "
                 "not weights.safetensors or best.safetensors")
    return json.loads(meta["history"])


def number(value):
    """NaN is stored as the string "nan" (a run without validation)."""
    return float("nan") if value in (None, "nan") else float(value)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out, runs = sys.argv[1], sys.argv[2:]
    fig, (loss_ax, f1_ax) = plt.subplots(1, 2, figsize=(11, 4))
    offset = 0
    for i, run in enumerate(runs):
        label, _, path = run.rpartition("=") if "=" in run else (f"stage {i + 1}", "", run)
        epochs = history(path)
        x = [offset + e["epoch"] for e in epochs]
        colour = f"C{i}"
        loss_ax.plot(x, [number(e["trainLoss"]) for e in epochs], "-o", color=colour, label=f"{label}: training")
        loss_ax.plot(x, [number(e["validationLoss"]) for e in epochs], "--s", color=colour, label=f"{label}: validation")
        f1_ax.plot(x, [number(e["validationF1"]) for e in epochs], "-o", color=colour, label=f"{label}: frame F1")
        notes = [number(e.get("validationNoteF1")) for e in epochs]
        if not all(math.isnan(v) for v in notes):
            f1_ax.plot(x, notes, "--s", color=colour, label=f"{label}: note F1")
        offset = x[-1]
        if i + 1 < len(runs):
            for ax in (loss_ax, f1_ax):
                ax.axvline(offset + 0.5, color="grey", lw=0.5)
    loss_ax.set(xlabel="epoch", ylabel="loss (frame + weighted onset and velocity terms)", title="Loss")
    f1_ax.set(xlabel="epoch", ylabel="F1 on the validation split", title="Validation F1")
    for ax in (loss_ax, f1_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
