#!/usr/bin/python3
"""The PyTorch side of the Shears training-step benchmark (bench/Shears.Bench runs it).

Times plain training steps exactly as the C# engine's step does them: gather a batch by index, forward,
cross-entropy on the labels, backward, Adam step (lr 1e-3), loss.item(). Weights come from the same ONNX file the
engine trains, loaded into the module its fixture script defines, so both sides do identical work:

  LeNet-5-Caffe (tools/make_fixtures.py) on Fashion-MNIST, batch 100:
    /usr/bin/python3 bench/pytorch_step.py --onnx tests/fixtures/lenet5.onnx --threads 1 --steps 100
  the zoo's vit and bert (tools/make_zoo.py) on their .npz beside the .onnx, every step a reshuffled pass over its
  samples (batch = their count, 64), bert's token arrays repeated along the sequence to --sequence when given:
    /usr/bin/python3 bench/pytorch_step.py --onnx tests/fixtures/zoo/bert.onnx --sequence 128

Prints one JSON line: {"threads", "batch", "steps", "median_ms", "mean_ms", "cpu_ms" (process CPU time per step),
"torch", "first_loss" (the loss of the first `batch` rows in order before any step: the C# side compares it with its own),
"blas" (the BLAS library loaded)}.

Debian's python3-torch calls whatever libblas.so.3 the system has chosen: netlib's reference BLAS unless an optimised
one is installed, which makes its matrix products several times slower than the MKL inside TorchSharp's libtorch (the
zoo's vit step: 110 ms against 19 ms with OpenBLAS). Compare against an optimised BLAS: `apt-get install
libopenblas0-pthread`, or unpack that package (`apt-get download`, `dpkg -x`) and put its openblas-pthread folder on
LD_LIBRARY_PATH for this script only (bench steps --pytorch-blas DIR). OPENBLAS_NUM_THREADS should equal --threads.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_fixtures import LeNet5Caffe, read_idx_gz  # noqa: E402  (the networks the fixture scripts train)
import make_zoo  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist/train-{}-idx{}-ubyte.gz"
ZOO = {"vit": make_zoo.tv_vit, "bert": make_zoo.TinyBert}


def load_onnx_weights(model, path):
    """The ONNX initializers into the module. The exporter folds a 3-D Linear's weight into a transposed MatMul
    constant (onnx::MatMul_<n>, numbered in graph order); those fill the unmatched weights in module order."""
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(path).graph.initializer}
    state = model.state_dict()
    folded = sorted((n for n in weights if n.startswith("onnx::MatMul_")), key=lambda n: int(n.rsplit("_", 1)[1]))
    unmatched = [k for k, v in state.items() if k not in weights or weights[k].shape != v.shape]
    if len(unmatched) != len(folded):
        raise SystemExit(f"{path}: {len(unmatched)} module weights without an initializer, {len(folded)} folded MatMul constants")
    loaded = {k: weights[k] for k in state if k not in unmatched}
    for key, name in zip(unmatched, folded):
        if weights[name].t().shape != state[key].shape:
            raise SystemExit(f"{path}: {name} {tuple(weights[name].shape)} does not fit {key} {tuple(state[key].shape)} transposed")
        loaded[key] = weights[name].t().contiguous()
    model.load_state_dict(loaded)


def without_dropout(model):
    """The export has no Dropout node (all of them are p = 0 here); the engine runs none, so neither does this side."""
    for name, child in model.named_children():
        if isinstance(child, nn.Dropout):
            setattr(model, name, nn.Identity())
        else:
            without_dropout(child)
    return model


def lenet(path):
    model = LeNet5Caffe()
    load_onnx_weights(model, path)
    x = torch.from_numpy(read_idx_gz(DATA.format("images", 3)).astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(read_idx_gz(DATA.format("labels", 1)).astype(np.int64))
    return model, [x], y


def zoo(path, name, sequence):
    model = without_dropout(ZOO[name]())
    load_onnx_weights(model, path)
    with np.load(path[:-len(".onnx")] + ".npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    labels = torch.from_numpy(arrays.pop("labels").astype(np.int64))
    graph_inputs = [i.name for i in onnx.load(path).graph.input]
    inputs = []
    for input_name in graph_inputs:
        array = arrays[input_name]
        if sequence and array.dtype == np.int64:
            array = array[:, np.arange(sequence) % array.shape[1]]
        inputs.append(torch.from_numpy(np.ascontiguousarray(array)))
    return model, inputs, labels


def blas_library():
    """The BLAS shared library this process mapped (netlib's reference BLAS lives in .../blas/, OpenBLAS in .../openblas-*/)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    return ", ".join(sorted(paths))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=None, help="default: 100 for LeNet, every sample for the zoo")
    parser.add_argument("--sequence", type=int, default=0, help="zoo token networks: repeat the tokens to this length")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    name = os.path.basename(args.onnx)[:-len(".onnx")]
    model, inputs, labels = zoo(args.onnx, name, args.sequence) if name in ZOO else lenet(args.onnx)
    batch = args.batch or (len(labels) if name in ZOO else 100)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    with torch.no_grad():
        first_loss = F.cross_entropy(model(*[x[:batch] for x in inputs]), labels[:batch]).item()

    def rows_of(step):
        if name in ZOO:
            return torch.randperm(len(labels))[:batch]
        return order[step * batch:(step + 1) * batch]

    order = torch.randperm(len(labels))
    times = []
    cpu_started = None
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            cpu_started = time.process_time()
        started = time.perf_counter()
        rows = rows_of(step)
        xs, y = [x.index_select(0, rows) for x in inputs], labels.index_select(0, rows)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(*xs), y)
        loss.backward()
        optimizer.step()
        loss.item()
        if step >= args.warmup:
            times.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / args.steps
    print(json.dumps({"threads": args.threads, "batch": batch, "steps": args.steps, "median_ms": float(np.median(times)),
                      "mean_ms": float(np.mean(times)), "cpu_ms": cpu_ms, "torch": torch.__version__, "first_loss": first_loss, "blas": blas_library()}))


if __name__ == "__main__":
    main()
