#!/usr/bin/env python3
"""The Swift trainer's recipe in PyTorch eager, on the same preprocessed windows, to compare what
each reaches in the same number of epochs and how long each takes (bench/training_vs_pytorch.sh), or in
the same wall-clock budget (bench/training_budget_vs_pytorch.sh).

The recipe is `transcriber train`'s: the network of MODEL.md (bench/pytorch_model.py), PyTorch's
default initialisation with the output bias at the logit of the targets' base rate, Adam (0.9,
0.999, 1e-8), batch 8, binary cross-entropy averaged over every (window, frame, note), the cosine
schedule (2% linear warm-up, half cosine down to a twentieth), and every window read shifted by a
random number of frames within its recording each epoch. With --score it trains nothing and
scores a weights file (the Swift run's) on the test windows with the same code.

    pytorch_train.py --data WINDOWS --epochs 4 --lr 8e-4 --threads 1 --out torch.safetensors
    pytorch_train.py --data WINDOWS --score runs/x/weights.safetensors
"""
import argparse
import glob
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import load_file
from safetensors.torch import save_file

from pytorch_model import Network


def read_split(folder):
    """Every chunk file of a split: its frames and targets as [frames, F] and [frames, K], and the
    (file, window, largest shift) of each window (a window can be shifted into the next one only
    when that one starts where it ends, as ChunkStore.maxShift)."""
    frames, targets, windows = [], [], []
    paths = sorted(glob.glob(os.path.join(folder, "*.safetensors")))
    if not paths:
        raise SystemExit(f"no chunk files in {folder}: run `transcriber preprocess` first")
    for index, path in enumerate(paths):
        tensors = load_file(path)
        x, y = tensors["frames"], tensors["targets"]
        count, t = x.shape[0], x.shape[1]
        starts = tensors.get("starts")
        for w in range(count):
            adjacent = starts is not None and w + 1 < count and int(starts[w + 1]) == int(starts[w]) + t
            windows.append((index, w, t - 1 if adjacent else 0))
        frames.append(x.reshape(count * t, -1))
        targets.append(y.reshape(count * t, -1))
    return frames, targets, windows, t


def factor(progress):
    """LearningRateSchedule.cosine.factor(at:)."""
    p = min(max(progress, 0.0), 1.0)
    decay = 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p))
    return decay * max(p / 0.02, 0.01) if p < 0.02 else decay


def score(net, folder):
    """Frame P/R/F1 (micro, threshold 0.5) and exact frame accuracy (no wrong note in the frame)
    over every test window, unshifted."""
    frames, targets, windows, t = read_split(folder)
    tp = fp = fn = exact = total = 0
    net.eval()
    with torch.no_grad():
        for start in range(0, len(windows), 32):
            chunk = windows[start:start + 32]
            x = np.stack([frames[f][w * t:(w + 1) * t] for f, w, _ in chunk])
            y = np.stack([targets[f][w * t:(w + 1) * t] for f, w, _ in chunk]) > 0.5
            p = torch.sigmoid(net(torch.from_numpy(x))).numpy() > 0.5
            tp += int((p & y).sum())
            fp += int((p & ~y).sum())
            fn += int((~p & y).sum())
            exact += int((p == y).all(axis=2).sum())
            total += p.shape[0] * p.shape[1]
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"frame_precision": precision, "frame_recall": recall,
            "frame_f1": 2 * precision * recall / max(precision + recall, 1e-12),
            "exact_frame_accuracy_k0": exact / max(total, 1), "test_windows": len(windows)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="a preprocess output folder (train/, test/)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=8e-4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="where the trained weights go (safetensors, the Swift names)")
    parser.add_argument("--score", help="score this weights file on the test windows instead of training")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    net = Network()
    result = {"threads": args.threads, "torch": torch.__version__}

    if args.score:
        tensors = load_file(args.score)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
        result.update(weights=args.score)
    else:
        frames, targets, windows, t = read_split(os.path.join(args.data, "train"))
        ones = sum(float(y.sum()) for y in targets)
        rate = ones / sum(y.size for y in targets)
        with torch.no_grad():
            net.decoder.fc2.bias.fill_(math.log(rate / (1 - rate)))
        optimizer = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
        rng = np.random.default_rng(args.seed)
        batches = math.ceil(len(windows) / args.batch_size)
        epochs = []
        net.train()
        for epoch in range(args.epochs):
            order = rng.permutation(len(windows))
            shifts = [int(rng.integers(0, windows[i][2] + 1)) for i in order]
            start, loss_sum = time.perf_counter(), 0.0
            for b in range(batches):
                pick = range(b * args.batch_size, min((b + 1) * args.batch_size, len(windows)))
                x = np.stack([frames[windows[order[i]][0]][(windows[order[i]][1] * t + shifts[i]):][:t] for i in pick])
                y = np.stack([targets[windows[order[i]][0]][(windows[order[i]][1] * t + shifts[i]):][:t] for i in pick])
                for group in optimizer.param_groups:
                    group["lr"] = args.lr * factor((epoch + b / batches) / args.epochs)
                optimizer.zero_grad(set_to_none=False)
                loss = F.binary_cross_entropy_with_logits(net(torch.from_numpy(x)), torch.from_numpy(y))
                loss.backward()
                optimizer.step()
                loss_sum += loss.item() * len(pick)
            seconds = time.perf_counter() - start
            epochs.append({"epoch": epoch + 1, "train_loss": loss_sum / len(windows), "seconds": seconds,
                           "windows_per_second": len(windows) / seconds})
            print(f"pytorch epoch {epoch + 1}: train loss {loss_sum / len(windows):.4f}, "
                  f"{len(windows) / seconds:.0f} windows/s, {seconds:.0f} s", flush=True)
        result.update(train_windows=len(windows), epochs=epochs, lr=args.lr, batch_size=args.batch_size,
                      train_seconds=sum(e["seconds"] for e in epochs))
        if args.out:
            save_file({k: v.contiguous() for k, v in net.state_dict().items()}, args.out)
    result.update(score(net, os.path.join(args.data, "test")))
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
