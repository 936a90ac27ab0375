#!/usr/bin/env python3
"""A context-summary network with its context switched off: a copy of the weights whose
context.weight is all zeros, so it reads every window as if nothing came before. Evaluating the
copy beside the original measures how much the network leans on the summary.
   scripts/experiments/zero_context.py IN.safetensors OUT.safetensors"""
import json
import struct
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: zero_context.py IN.safetensors OUT.safetensors")
    data = bytearray(open(sys.argv[1], "rb").read())
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    entry = header.get("context.weight")
    if entry is None:
        sys.exit(f"{sys.argv[1]} has no context.weight: it is not a network with a context summary")
    start, end = entry["data_offsets"]
    base = 8 + length
    data[base + start:base + end] = bytes(end - start)
    open(sys.argv[2], "wb").write(data)


if __name__ == "__main__":
    main()
