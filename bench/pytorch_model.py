#!/usr/bin/env python3
"""The network of MODEL.md in PyTorch eager, timed the way `transcriber bench` times the Swift one.

Prints JSON rows (same names as `transcriber bench`, prefixed "pytorch.") so that
bench/model_vs_pytorch.sh can put the two side by side from one run on one machine.
With --golden, first checks that this module reproduces the reference logits, so the
comparison is of the same network. With --onnx, the same module exported to ONNX is timed in
ONNX Runtime as well (rows prefixed "onnxruntime."), after its logits are checked against
PyTorch's.
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, c, n_bins, bins_per_note, d):
        super().__init__()
        ch = 4 * c
        self.conv1 = nn.Conv2d(1, ch, (1, 5), padding=(0, 2))
        self.conv2 = nn.Conv2d(ch, ch, (1, 5), padding=(0, 2))
        self.pool = bins_per_note
        self.proj = nn.Linear(ch * (n_bins // bins_per_note), d)

    def forward(self, x):  # x [B, T, F]
        b, t, f = x.shape
        h = F.relu(self.conv1(x.unsqueeze(1)))
        h = F.relu(self.conv2(h))  # [B, C, T, F]
        h = F.max_pool2d(h, (1, self.pool))  # [B, C, T, N]
        h = h.permute(0, 2, 1, 3).reshape(b, t, -1)  # channel-major per frame
        return self.proj(h)


class Attention(nn.Module):
    def __init__(self, d, heads, head_dim):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.qkv = nn.Linear(d, 3 * heads * head_dim)
        self.out = nn.Linear(heads * head_dim, d)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.head_dim), dim=-1)
        return self.out((att @ v).transpose(1, 2).reshape(b, t, -1))


class MLP(nn.Module):
    def __init__(self, d, ratio):
        super().__init__()
        self.fc1 = nn.Linear(d, ratio * d)
        self.fc2 = nn.Linear(ratio * d, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, d, heads, head_dim, ratio):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attention(d, heads, head_dim)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = MLP(d, ratio)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class Decoder(nn.Module):
    def __init__(self, d, notes):
        super().__init__()
        self.fc1 = nn.Linear(d, d)
        self.fc2 = nn.Linear(d, notes)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Network(nn.Module):
    """outputs: the heads, "frame" first, then "onset" and/or "velocity" (each a Decoder of its own)."""

    def __init__(self, c=3, embed_dim=192, n_layers=4, n_heads=4, head_dim=32, n_notes=88,
                 bins_per_note=4, n_bins=352, mlp_ratio=4, outputs=("frame",)):
        super().__init__()
        self.encoder = Encoder(c, n_bins, bins_per_note, embed_dim)
        self.blocks = nn.ModuleList(Block(embed_dim, n_heads, head_dim, mlp_ratio) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(embed_dim)
        self.decoder = Decoder(embed_dim, n_notes)
        self.outputs = tuple(outputs)
        if "onset" in self.outputs:
            self.onset = Decoder(embed_dim, n_notes)
        if "velocity" in self.outputs:
            self.velocity = Decoder(embed_dim, n_notes)
        self.d = embed_dim

    def positions(self, t):
        i = torch.arange(0, self.d, 2, dtype=torch.float64)
        pos = torch.arange(t, dtype=torch.float64)[:, None] / torch.pow(10000.0, i / self.d)
        pe = torch.zeros(t, self.d, dtype=torch.float64)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos), torch.cos(pos)
        return pe.float()

    def forward(self, x):
        """Frame logits [B, T, K] for a frame-only network, else a dict of every head's logits."""
        h = self.encoder(x) + self.positions(x.shape[1])
        for block in self.blocks:
            h = block(h)
        z = self.ln_f(h)
        if self.outputs == ("frame",):
            return self.decoder(z)
        heads = {"frame": self.decoder, "onset": getattr(self, "onset", None), "velocity": getattr(self, "velocity", None)}
        return {name: heads[name](z) for name in self.outputs}


def loss(logits, targets, onset_weight=1.0, velocity_weight=1.0, onset_positive_weight=1.0):
    """The trainer's loss (MODEL.md): frame BCE + onset_weight x onset BCE (its positive entries
    weighted by onset_positive_weight, BCE's pos_weight) + velocity_weight x the
    squared error of sigmoid(velocity logits) where a velocity target is given (> 0), summed there
    and divided by all B*T*K entries. `logits`, `targets`: dicts by head (or tensors, frame only)."""
    if not isinstance(logits, dict):
        return F.binary_cross_entropy_with_logits(logits, targets)
    total = F.binary_cross_entropy_with_logits(logits["frame"], targets["frame"])
    if "onset" in logits:
        pos_weight = torch.tensor(onset_positive_weight, dtype=logits["onset"].dtype)
        total = total + onset_weight * F.binary_cross_entropy_with_logits(logits["onset"], targets["onset"],
                                                                          pos_weight=pos_weight)
    if "velocity" in logits:
        y = targets["velocity"]
        error = (torch.sigmoid(logits["velocity"]) - y) ** 2 * (y > 0).float()
        total = total + velocity_weight * error.sum() / y.numel()
    return total


def check_golden(path):
    from safetensors import safe_open
    from safetensors.torch import load_file
    tensors = load_file(path)
    with safe_open(path, framework="pt") as f:
        config = json.loads(f.metadata()["config"])
    net = Network(**{k: config[k] for k in ("c", "embed_dim", "n_layers", "n_heads", "head_dim", "n_notes",
                                            "bins_per_note", "n_bins", "mlp_ratio")})
    net.load_state_dict({k[len("param."):]: v for k, v in tensors.items() if k.startswith("param.")})
    with torch.no_grad():
        logits = net(tensors["input.x"])
    ref = tensors["output.logits"]
    error = ((logits - ref).abs().max() / ref.abs().max()).item()
    if error > 1e-4:
        raise SystemExit(f"this PyTorch module does not reproduce the golden logits (relative error {error})")
    return error


def median_time(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def onnx_rows(net, threads, runs):
    """The eval-mode module exported to ONNX (batch axis dynamic) and run in ONNX Runtime with
    `threads` intra-op threads, sequential execution, all graph optimisations: the inference rows."""
    import tempfile

    import numpy as np
    import onnxruntime as ort

    path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    x = torch.randn(1, 43, 352)
    import contextlib
    import sys

    class Heads(nn.Module):
        """The network with its heads' logits as a tuple, frame first: one ONNX output each."""
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            out = self.net(x)
            return tuple(out[name] for name in self.net.outputs) if isinstance(out, dict) else out

    names = list(net.outputs)
    with contextlib.redirect_stdout(sys.stderr):   # the exporter reports its steps on stdout; the rows go there
        torch.onnx.export(Heads(net), x, path, input_names=["x"], output_names=names,
                          dynamic_axes={"x": {0: "batch"}, **{name: {0: "batch"} for name in names}}, opset_version=17)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    probe = torch.randn(4, 43, 352)
    reference = net(probe)
    reference = reference["frame"] if isinstance(reference, dict) else reference
    error = float(np.abs(session.run(None, {"x": probe.numpy()})[0] - reference.numpy()).max())
    described = f"ONNX Runtime {ort.__version__}, the same module exported (opset 17; logits within {error:.1e} of PyTorch's)"
    rows = []
    for batch in (1, 32):
        feed = {"x": np.random.default_rng(0).standard_normal((batch, 43, 352), dtype=np.float32)}
        count = runs * 10 if batch == 1 else runs
        t = median_time(lambda: session.run(None, feed), count)
        if batch == 1:
            rows.append(dict(name="onnxruntime.model.infer.b1", value=t * 1000, unit="ms", threads=threads,
                             input=described, runs=count))
        else:
            rows.append(dict(name="onnxruntime.model.infer.b32", value=batch / t, unit="windows/s", threads=threads,
                             input=described, runs=count))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--golden", help="reference-default.safetensors, to check the module first")
    parser.add_argument("--onnx", action="store_true", help="also time the module exported to ONNX in ONNX Runtime")
    parser.add_argument("--heads", action="store_true",
                        help="onset and velocity heads beside the frame head, as the bundled weights have them")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    outputs = ("frame", "onset", "velocity") if args.heads else ("frame",)
    described = f"PyTorch {torch.__version__} eager, default model, heads: {', '.join(outputs)}, T=43, F=352"
    if args.golden:
        error = check_golden(args.golden)
        described += f" (matches golden logits to {error:.1e})"
    net = Network(outputs=outputs)
    net.eval()
    with torch.no_grad():
        for batch in (1, 32):
            x = torch.randn(batch, 43, 352)
            runs = args.runs * 10 if batch == 1 else args.runs
            t = median_time(lambda: net(x), runs)
            if batch == 1:
                rows.append(dict(name="pytorch.model.infer.b1", value=t * 1000, unit="ms", threads=args.threads,
                                 input=described, runs=runs))
            else:
                rows.append(dict(name="pytorch.model.infer.b32", value=batch / t, unit="windows/s",
                                 threads=args.threads, input=described, runs=runs))
        if args.onnx:
            rows += onnx_rows(net, args.threads, args.runs)
    net.train()
    optimizer = torch.optim.Adam(net.parameters(), lr=5e-4)
    for batch in (8, 32):
        x = torch.randn(batch, 43, 352)
        y = (torch.rand(batch, 43, 88) < 0.2).float()
        # Every head trains, as in `transcriber bench --heads`: onsets on a twentieth of the
        # sounding entries, velocities on all of them.
        targets = y if not args.heads else {
            "frame": y, "onset": y * (torch.rand(batch, 43, 88) < 0.05).float(),
            "velocity": y * (0.1 + 0.9 * torch.rand(batch, 43, 88))}

        def step():
            optimizer.zero_grad(set_to_none=False)
            loss_value = loss(net(x), targets)
            loss_value.backward()
            optimizer.step()

        t = median_time(step, args.runs)
        rows.append(dict(name=f"pytorch.model.train.b{batch}", value=batch / t, unit="windows/s",
                         threads=args.threads, input=described, runs=args.runs))
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
