#!/usr/bin/env python3
"""A harmonic-stacked copy of trained weights that computes exactly what they compute: question 3
of docs/EXPERIMENTS.md (harmonic stacking) at the fine-tuning budget.
   grow_harmonics.py IN.safetensors OUT.safetensors [--harmonics 0.5,1,2,3,4,5]
conv1's weight [C, 1, 1, k] becomes [C, H, 1, k]: harmonic 1's channel keeps the trained taps and
every other channel starts at zero, so the network reads the stacked input and ignores all but
the plain CQT until training moves those taps (their gradients do not depend on them). Every
other tensor and metadata key is copied; `harmonics` is set and grown_from says what was done.
Train on with `transcriber train --harmonics LIST --load-weights OUT.safetensors`.
Needs numpy and safetensors (fine-tune-variants.sh installs them)."""
import argparse
import sys

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--harmonics", default="0.5,1,2,3,4,5")
    args = parser.parse_args()
    try:
        harmonics = [float(h) for h in args.harmonics.split(",")]
    except ValueError:
        sys.exit(f"--harmonics is a list of positive numbers such as 0.5,1,2,3,4,5; '{args.harmonics}' is not")
    if 1.0 not in harmonics or min(harmonics) <= 0 or len(set(harmonics)) != len(harmonics):
        sys.exit(f"--harmonics must be positive, each once, and include 1 (the trained taps' channel); it is {args.harmonics}")
    try:
        tensors = load_file(args.source)
        with safe_open(args.source, "np") as f:
            metadata = dict(f.metadata() or {})
    except Exception as error:  # OSError, or safetensors' own error type for a damaged file
        sys.exit(f"{args.source}: cannot read it as safetensors weights ({error})")
    taps = tensors.get("encoder.conv1.weight")
    if taps is None or taps.ndim != 4 or taps.shape[1] != 1 or metadata.get("harmonics", "1") not in ("1", "1.0"):
        sys.exit(f"{args.source}: not a plain-input network (conv1's weight is "
                 f"{None if taps is None else list(taps.shape)}, harmonics {metadata.get('harmonics')})")
    grown = np.zeros((taps.shape[0], len(harmonics), 1, taps.shape[3]), np.float32)
    grown[:, harmonics.index(1.0)] = taps[:, 0]
    tensors["encoder.conv1.weight"] = grown
    metadata["harmonics"] = ",".join(str(h) for h in harmonics)
    metadata["grown_from"] = f"{args.source}: conv1 reads harmonics {metadata['harmonics']}, the new channels' taps zero"
    save_file(tensors, args.output, metadata)
    print(f"{args.output}: conv1 {list(taps.shape)} -> {list(grown.shape)}, harmonics {metadata['harmonics']}")


if __name__ == "__main__":
    main()
