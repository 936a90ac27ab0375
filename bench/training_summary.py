#!/usr/bin/env python3
"""The table both training comparisons print (bench/training_vs_pytorch.sh, bench/training_budget_vs_pytorch.sh):
the Swift run's epochs, time and last loss read from its progress log, PyTorch's from its JSON, and both
runs' test scores from bench/pytorch_train.py, which scored them with the same code.

    training_summary.py OUT     (OUT holds swift.log, swift-scored.json and pytorch.json)
"""
import json
import re
import sys


def swift_epochs(log_path):
    """(loss, seconds) of each finished epoch in `transcriber train`'s progress log."""
    log = open(log_path).read().replace("\r", "\n")
    found = re.findall(r"epoch (\d+): train loss ([\d.]+).*?, (\S+)\n", log)
    if not found:
        raise SystemExit(f"{log_path} has no finished epoch: see the end of that log for what went wrong")
    return [(float(loss), sum(float(p) * 60 ** i for i, p in enumerate(reversed(clock.split(":")))))
            for _, loss, clock in found]


def main():
    out = sys.argv[1]
    torch = json.load(open(f"{out}/pytorch.json"))
    swift = json.load(open(f"{out}/swift-scored.json"))
    epochs = swift_epochs(f"{out}/swift.log")
    windows = torch["train_windows"]
    rows = [("swift", len(epochs), sum(s for _, s in epochs), epochs[-1][0], swift),
            ("pytorch", len(torch["epochs"]), torch["train_seconds"], torch["epochs"][-1]["train_loss"], torch)]
    print(f"{'':8} {'epochs':>6} {'train s':>7} {'windows/s':>9} {'last loss':>9} "
          f"{'frame P':>7} {'frame R':>7} {'frame F1':>8} {'exact':>6}")
    for name, count, seconds, loss, r in rows:
        print(f"{name:8} {count:6d} {seconds:7.0f} {windows * count / seconds:9.1f} {loss:9.4f} "
              f"{r['frame_precision']:7.4f} {r['frame_recall']:7.4f} {r['frame_f1']:8.4f} {r['exact_frame_accuracy_k0']:6.3f}")
    print(f"(train s: the epochs alone. {torch['test_windows']} test windows, unshifted, threshold 0.5, both scored by "
          f"bench/pytorch_train.py; PyTorch {torch['torch']}; Swift's own test metrics: {out}/swift.txt)")


if __name__ == "__main__":
    main()
