#!/usr/bin/env python3
"""Where a model's frame errors are, on a preprocessed test split (the README's error breakdown).

    scripts/error-profile.py WINDOWS_DIR/test WEIGHTS [--manifest MANIFEST.csv] [--threads 2]

Each recording's windows are put back on one timeline, `transcriber predict --stride 22` gives
the network's probabilities (a frame's mean over the windows holding it), and at a threshold of
0.5 the script reports: frame F1 against the threshold and against hysteresis decoding (so a
decoding change can be judged), errors by distance to the nearest note boundary, false positives
an octave from a sounding note, and - with the corpus manifest - missed frames by instrument
family and by how long the note has already sounded. Needs numpy only.
"""
import argparse
import csv
import glob
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return tensors


def write_safetensors(path, name, array):
    array = np.ascontiguousarray(array, dtype=np.float32)
    header = json.dumps({name: {"dtype": "F32", "shape": list(array.shape),
                                "data_offsets": [0, array.nbytes]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + array.tobytes())


def timeline(path):
    """A chunk file's windows laid back on the recording's frames (windows may overlap at the end)."""
    d = read_safetensors(path)
    frames, targets = d["frames"], d["targets"]
    starts = d["starts"].astype(int) if "starts" in d else np.arange(len(frames)) * frames.shape[1]
    length = starts.max() + frames.shape[1]
    cqt = np.zeros((length, frames.shape[2]), np.float32)
    roll = np.zeros((length, targets.shape[2]), bool)
    for i, s in enumerate(starts):
        cqt[s:s + frames.shape[1]] = frames[i]
        roll[s:s + frames.shape[1]] = targets[i] > 0.5
    return cqt, roll


def hysteresis(p, on=0.5, off=0.35, minimum=2):
    """NoteDecoder's rule: start at `on`, continue while at or above `off`, keep notes of `minimum` frames."""
    y = np.zeros(p.shape, bool)
    for k in range(p.shape[1]):
        start = -1
        for t, v in enumerate(p[:, k]):
            if start < 0:
                if v >= on:
                    start = t
            elif v < off:
                if t - start >= minimum:
                    y[start:t, k] = True
                start = -1
        if start >= 0 and p.shape[0] - start >= minimum:
            y[start:, k] = True
    return y


def f1(pairs):
    tp = sum((y & t).sum() for y, t in pairs)
    fp = sum((y & ~t).sum() for y, t in pairs)
    fn = sum((~y & t).sum() for y, t in pairs)
    exact = sum(((y != t).sum(1) == 0).sum() for y, t in pairs) / sum(len(t) for _, t in pairs)
    return 2 * tp / (2 * tp + fp + fn), exact


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("test", help="a preprocess output's test/ folder")
    parser.add_argument("weights")
    parser.add_argument("--manifest", help="the corpus manifest.csv (for families)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--transcriber", default=os.path.join(HERE, ".build/release/transcriber"))
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.test, "*.safetensors")))
    if not files:
        sys.exit(f"no chunk files in {args.test}: give a `transcriber preprocess` output's test/ folder")
    if not os.access(args.transcriber, os.X_OK):
        sys.exit(f"{args.transcriber} is not there: build it first (swift build -c release)")
    family = {}
    if args.manifest:
        family = {r["id"]: r["family"] for r in csv.DictReader(open(args.manifest))}

    recordings = []
    with tempfile.TemporaryDirectory() as work:
        for path in files:
            rid = os.path.basename(path)[:-len(".safetensors")]
            cqt, roll = timeline(path)
            features, output = os.path.join(work, "cqt.safetensors"), os.path.join(work, "p.safetensors")
            write_safetensors(features, "cqt", cqt)
            run = subprocess.run([args.transcriber, "predict", features, "--weights", args.weights, "-o", output,
                                  "--stride", "22", "--threads", str(args.threads)], capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"transcriber predict failed on {path}: {run.stderr.strip()}")
            p = read_safetensors(output)["probabilities"]
            n = min(len(p), len(roll))
            recordings.append((rid, p[:n], roll[:n]))

    plain = [(p >= 0.5, t) for _, p, t in recordings]
    print(f"{len(recordings)} recordings, {sum(len(t) for _, _, t in recordings)} frames")
    print("frame F1 / exact: threshold 0.5 %.4f / %.4f" % f1(plain))
    for on, off, minimum in [(0.5, 0.35, 2), (0.5, 0.25, 2), (0.5, 0.35, 3)]:
        pairs = [(hysteresis(p, on, off, minimum), t) for _, p, t in recordings]
        print(f"  hysteresis {on}/{off}, {minimum} frames: %.4f / %.4f" % f1(pairs))

    fp_total = fn_total = fp_octave = 0
    near = {"0-2": [0, 0], "3-10": [0, 0], ">10": [0, 0]}
    since = {}
    for rid, p, t in recordings:
        y = p >= 0.5
        fp, fn = y & ~t, ~y & t
        fp_total += fp.sum()
        fn_total += fn.sum()
        octave = np.zeros_like(t)
        octave[:, 12:] |= t[:, :-12]
        octave[:, :-12] |= t[:, 12:]
        fp_octave += (fp & octave).sum()
        # frames to the nearest onset or offset of the same key
        distance = np.full(t.shape, 10 ** 6)
        for k in range(t.shape[1]):
            edges = np.nonzero(np.diff(t[:, k].astype(np.int8)))[0] + 0.5
            if len(edges):
                distance[:, k] = np.floor(np.min(np.abs(np.arange(len(t))[:, None] - edges[None, :]), axis=1))
        for name, (lo, hi) in {"0-2": (0, 2), "3-10": (3, 10), ">10": (11, 10 ** 7)}.items():
            m = (distance >= lo) & (distance <= hi)
            near[name][0] += (fp & m).sum()
            near[name][1] += (fn & m).sum()
        # how long each labelled note has sounded, in frames
        held = np.zeros(t.shape, np.int32)
        held[0] = t[0]
        for i in range(1, len(t)):
            held[i] = np.where(t[i], held[i - 1] + 1, 0)
        fam = family.get(rid, "all")
        for bucket, (lo, hi) in {"<0.5 s": (1, 21), "0.5-2.3 s": (22, 99), ">2.3 s": (100, 10 ** 7)}.items():
            m = t & (held >= lo) & (held <= hi)
            entry = since.setdefault((fam, bucket), [0, 0])
            entry[0] += (m & ~y).sum()
            entry[1] += m.sum()
    print(f"false positives {fp_total}, an octave from a sounding note {fp_octave} ({fp_octave / fp_total:.0%})")
    print(f"missed frames {fn_total}")
    for name, (fp, fn) in near.items():
        print(f"  {name} frames from a note boundary: FP {fp}, FN {fn}")
    print("missed share of labelled frames, by how long the note has sounded:")
    for fam in sorted({f for f, _ in since}):
        cells = []
        for bucket in ["<0.5 s", "0.5-2.3 s", ">2.3 s"]:
            missed, total = since.get((fam, bucket), [0, 0])
            cells.append(f"{bucket} {missed / max(total, 1):.0%} of {total} (missed {missed})")
        print(f"  {fam:12s} " + "; ".join(cells))


if __name__ == "__main__":
    main()
