#!/usr/bin/python3
"""The PyTorch side of the Shears training-step benchmark (bench/Shears.Bench runs it).

Times plain training steps of LeNet-5-Caffe on Fashion-MNIST exactly as the C# engine's step does
them: gather a batch of 100 by index, forward, cross-entropy, backward, Adam step, loss.item().
Weights come from the same ONNX file the engine trains, so both sides do identical work.

    /usr/bin/python3 bench/pytorch_step.py --onnx tests/fixtures/lenet5.onnx --threads 1 --steps 100

Prints one JSON line: {"threads", "batch", "steps", "median_ms", "mean_ms", "cpu_ms" (process CPU time per step), "torch"}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_fixtures import LeNet5Caffe, read_idx_gz  # noqa: E402  (the network the fixture script trains)

DATA = "/usr/share/datasets/fashion-mnist/train-{}-idx{}-ubyte.gz"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    model = LeNet5Caffe()
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(args.onnx).graph.initializer}
    model.load_state_dict({k: weights[k] for k in model.state_dict()})
    x_all = torch.from_numpy(read_idx_gz(DATA.format("images", 3)).astype(np.float32) / 255.0).unsqueeze(1)
    y_all = torch.from_numpy(read_idx_gz(DATA.format("labels", 1)).astype(np.int64))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x_all))
    model.train()

    times = []
    cpu_started = None
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            cpu_started = time.process_time()
        started = time.perf_counter()
        rows = order[step * args.batch:(step + 1) * args.batch]
        x, y = x_all.index_select(0, rows), y_all.index_select(0, rows)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()
        if step >= args.warmup:
            times.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / args.steps
    print(json.dumps({"threads": args.threads, "batch": args.batch, "steps": args.steps,
                      "median_ms": float(np.median(times)), "mean_ms": float(np.mean(times)), "cpu_ms": cpu_ms, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
