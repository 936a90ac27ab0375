#!/usr/bin/env python3
"""librosa.cqt on the transcriber's grid, timed on 60 s of audio, one thread.

Prints a JSON row like `transcriber bench`'s cqt.batch (name librosa.cqt.batch). Run by
bench/cqt_vs_librosa.sh, which sets the thread count to 1 for numpy/numba/BLAS first.
"""
import json
import statistics
import sys
import time

import librosa
import numpy as np

SR, HOP, BPN = 22050, 512, 4
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
t = np.arange(60 * SR) / SR
rng = np.random.default_rng(0)
y = (0.1 * np.sin(2 * np.pi * 110 * t) + 0.1 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.sin(2 * np.pi * 1760 * t)
     + rng.uniform(-0.01, 0.01, len(t))).astype(np.float32)
y[::11025] += 0.5
fmin = librosa.midi_to_hz(21) * 2 ** (-(BPN - 1) / 2 / (12 * BPN))


def run():
    return np.log(np.abs(librosa.cqt(y, sr=SR, hop_length=HOP, fmin=fmin, n_bins=88 * BPN,
                                     bins_per_octave=12 * BPN)) + 1e-4)


run()  # filters are cached after the first call, as ours are built once
samples = []
for _ in range(runs):
    start = time.perf_counter()
    run()
    samples.append(time.perf_counter() - start)
value = statistics.median(samples)
print(json.dumps([{"name": "librosa.cqt.batch", "value": value, "unit": "s", "threads": 1,
                   "input": f"60 s at 22050 Hz, librosa {librosa.__version__}, same grid", "runs": runs,
                   "note": f"{60 / value:.0f}x real time"}]))
