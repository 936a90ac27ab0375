#!/usr/bin/env python3
"""A deeper copy of trained weights that computes exactly what they compute: question 2 of
docs/EXPERIMENTS.md (a larger model) at a fine-tuning budget.
   grow_depth.py IN.safetensors OUT.safetensors --layers N [--seed S]
N is a multiple of IN's n_layers; after each trained block come N/n - 1 new ones. A new block is
pre-LN like the others, with its attention and MLP output projections zero, so it adds nothing
to the residual stream until training moves them (the rest initialised as PyTorch's nn.Linear:
uniform within 1/sqrt(fan_in); layer norms 1 and 0). Every other tensor and metadata key is
copied; n_layers becomes N and grown_from says what was done. Train on with
`transcriber train --n-layers N --load-weights OUT.safetensors`.
Needs numpy and safetensors (fine-tune-variants.sh's model-size variants install them)."""
import argparse
import sys

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

BLOCK = ["ln1.weight", "ln1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.out.weight", "attn.out.bias",
         "ln2.weight", "ln2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"]


def new_block(template, rng):
    """Tensors of a block shaped like `template` (name -> array) that leaves its input unchanged."""
    out = {}
    for name in BLOCK:
        shape = template[name].shape
        if name in ("ln1.weight", "ln2.weight"):
            out[name] = np.ones(shape, np.float32)
        elif name in ("ln1.bias", "ln2.bias") or name.startswith(("attn.out.", "mlp.fc2.")):
            out[name] = np.zeros(shape, np.float32)   # no output: the block adds nothing yet
        else:
            fan_in = template[name.replace(".bias", ".weight")].shape[1]
            bound = 1 / np.sqrt(fan_in)
            out[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--layers", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        tensors = load_file(args.source)
        with safe_open(args.source, "np") as f:
            metadata = dict(f.metadata() or {})
    except Exception as error:  # OSError, or safetensors' own error type for a damaged file
        sys.exit(f"{args.source}: cannot read it as safetensors weights ({error})")
    layers = int(metadata.get("n_layers", "0"))
    if layers < 1 or any(f"blocks.{layers - 1}.{name}" not in tensors for name in BLOCK):
        sys.exit(f"{args.source}: its n_layers ({metadata.get('n_layers')}) does not match its blocks.N tensors")
    if args.layers <= layers or args.layers % layers:
        sys.exit(f"--layers must be a multiple of the weights' {layers} layers, above them (8 or 16 for 4)")
    per = args.layers // layers
    rng = np.random.default_rng(args.seed)
    grown = {name: value for name, value in tensors.items() if not name.startswith("blocks.")}
    for old in range(layers):
        block = {name: tensors[f"blocks.{old}.{name}"] for name in BLOCK}
        for k in range(per):
            source = block if k == 0 else new_block(block, rng)
            for name in BLOCK:
                grown[f"blocks.{old * per + k}.{name}"] = source[name]
    metadata["n_layers"] = str(args.layers)
    metadata["grown_from"] = (f"{args.source}: {layers} trained blocks, each followed by {per - 1} new identity "
                              f"block(s) (output projections zero), seed {args.seed}")
    save_file(grown, args.output, metadata)
    print(f"{args.output}: {args.layers} layers, {sum(v.size for v in grown.values()):,} parameters "
          f"({sum(v.size for v in tensors.values()):,} before)")


if __name__ == "__main__":
    main()
