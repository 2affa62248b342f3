#!/usr/bin/python3
"""Export the architectures people bring to an ONNX pruner, small enough to commit, and their data.

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14, python3-onnx, python3-numpy):

    /usr/bin/python3 tools/make_zoo.py                 # everything (about a minute on 2 cores)
    /usr/bin/python3 tools/make_zoo.py --only vit_tiny yolo_tiny
    /usr/bin/python3 tools/make_zoo.py --list

Two task networks for label-free (distillation) pruning go to tests/fixtures/ with an .npz dataset
each (named arrays, one per graph input, no labels, no pickles) and a note in fixtures.json under
"taskNetworks":

    two_input_regression.onnx  image float [N,1,28,28] + side float [N,8] -> regression [N,4]
    token_encoder.onnx         input_ids int64 [N,T] + attention_mask int64 [N,T] -> embedding [N,16]

The zoo goes to tests/fixtures/zoo/: <name>.onnx, <name>.npz (a few dozen samples named like the
graph's inputs) and zoo.json (inputs, outputs, opset, params, ops, file size per network). Shapes
and widths are shrunk so each file stays well under 1 MB; the point is the graph's structure
(operators, coupling), not accuracy, so zoo weights are the seeded random initialisation.

Every export has a dynamic batch axis (token networks also a dynamic sequence axis) and is checked
with onnx.checker; every network is built after torch.manual_seed(SEED) so a rerun on the same
machine reproduces the same files. No file is downloaded.
"""
import argparse
import gzip
import io
import json
import os
import struct
import sys
import zipfile

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

FIXTURES = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
ZOO = os.path.join(FIXTURES, "zoo")
OPSET = 13
SEED = 20180101


# ---------------------------------------------------------------- task networks (issue 14)

class TwoInputRegression(nn.Module):
    """A conv branch over the image, concatenated with the side vector, into an MLP with 4 outputs."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 8, 3, padding=1), nn.Conv2d(8, 16, 3, padding=1)
        self.side = nn.Linear(8, 16)
        self.fc1, self.fc2 = nn.Linear(16 * 7 * 7 + 16, 32), nn.Linear(32, 4)

    def forward(self, image, side):
        x = F.max_pool2d(F.relu(self.conv1(image)), 2)      # 28 -> 14
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)          # 14 -> 7
        x = torch.cat([torch.flatten(x, 1), F.relu(self.side(side))], 1)
        return self.fc2(F.relu(self.fc1(x)))


class TokenEncoder(nn.Module):
    """Embedding, mean over the tokens the mask keeps, MLP to a 16-wide embedding."""

    def __init__(self, vocabulary=100, width=32):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, width)
        self.fc1, self.fc2 = nn.Linear(width, 64), nn.Linear(64, 16)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.unsqueeze(-1).to(torch.float32)
        pooled = (self.embedding(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.fc2(F.relu(self.fc1(pooled)))


def fashion_images(count):
    """The first training images of the committed Fashion-MNIST subset, float32 [count,1,28,28] in [0,1]."""
    with gzip.open(os.path.join(FIXTURES, "fashion_train_2k-images-idx3-ubyte.gz"), "rb") as f:
        raw = f.read()
    _, _, ndim = struct.unpack(">HBB", raw[:4])
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    images = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    return (images[:count].astype(np.float32) / 255.0).reshape(count, 1, 28, 28)


def two_input_regression_data(count, generator):
    image = fashion_images(count)
    side = generator.standard_normal((count, 8)).astype(np.float32)
    return {"image": image, "side": side}


def two_input_regression_targets(data):
    """What the network is briefly trained to predict: image brightness and spread, two side-vector sums."""
    image, side = torch.from_numpy(data["image"]), torch.from_numpy(data["side"])
    flat = image.flatten(1)
    return torch.stack([flat.mean(1), flat.std(1), side[:, :4].sum(1), (side[:, 4:] ** 2).mean(1)], 1)


def token_data(count, generator, length=16, vocabulary=100):
    """Token ids padded with 0 after a random length of 3..length; the mask marks the real tokens."""
    lengths = generator.integers(3, length + 1, size=count)
    mask = (np.arange(length)[None, :] < lengths[:, None]).astype(np.int64)
    ids = generator.integers(1, vocabulary, size=(count, length)).astype(np.int64) * mask
    return {"input_ids": ids, "attention_mask": mask}


def token_encoder_targets(data):
    """A fixed random projection of the bag of tokens, so the briefly trained encoder is not random."""
    bag = F.one_hot(torch.from_numpy(data["input_ids"]), 100).float() * torch.from_numpy(data["attention_mask"]).unsqueeze(-1)
    bag = bag.sum(1) / bag.sum((1, 2)).unsqueeze(1)
    return bag @ torch.randn(100, 16, generator=torch.Generator().manual_seed(SEED))


def fit(model, data, targets, steps=300, batch=50, lr=3e-3):
    """A brief Adam run on mean squared error, so the task networks compute something of their data."""
    names = list(data)
    tensors = [torch.from_numpy(data[n]) for n in names]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(targets), (batch,), generator=generator)
        optimizer.zero_grad()
        loss = F.mse_loss(model(*[t[idx] for t in tensors]), targets[idx])
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return F.mse_loss(model(*tensors), targets).item() / targets.var().item()


# ---------------------------------------------------------------- export

def write_npz(path, arrays):
    """numpy's savez_compressed layout (one deflated .npy per array) with a fixed timestamp, so reruns give identical bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


class Entry:
    def __init__(self, constructor, data, outputs, directory=ZOO, opset=OPSET, sequence_axis=False,
                 targets=None, samples=64, note=""):
        self.constructor, self.data, self.outputs, self.directory = constructor, data, outputs, directory
        self.opset, self.sequence_axis, self.targets, self.samples, self.note = opset, sequence_axis, targets, samples, note


TASK_NETWORKS = {
    "two_input_regression": Entry(TwoInputRegression, two_input_regression_data, ["regression"], FIXTURES,
                                  targets=two_input_regression_targets, samples=400,
                                  note="regression, no labels; trained 300 Adam steps on brightness, spread and side sums"),
    "token_encoder": Entry(TokenEncoder, token_data, ["embedding"], FIXTURES, sequence_axis=True,
                           targets=token_encoder_targets, samples=400,
                           note="sentence-embedding style, no labels; ids padded with 0 after 3..16 tokens; "
                                "trained 300 Adam steps on a random projection of the bag of tokens"),
}


def export(name, entry):
    torch.manual_seed(SEED)
    model = entry.constructor()
    generator = np.random.default_rng(SEED)
    data = entry.data(entry.samples, generator)
    relative_error = None
    if entry.targets is not None:
        relative_error = fit(model, data, entry.targets(data))
    model.eval()
    inputs = list(data)
    example = tuple(torch.from_numpy(data[n][:2]) for n in inputs)
    axes = {n: ({0: "N", 1: "T"} if entry.sequence_axis and data[n].ndim == 2 else {0: "N"}) for n in inputs}
    axes.update({o: {0: "N"} for o in entry.outputs})
    path = os.path.join(entry.directory, f"{name}.onnx")
    torch.onnx.export(model, example, path, opset_version=entry.opset, input_names=inputs,
                      output_names=entry.outputs, dynamic_axes=axes)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    write_npz(os.path.join(entry.directory, f"{name}.npz"), data)
    ops = []
    for node in proto.graph.node:
        if node.op_type not in ops:
            ops.append(node.op_type)
    facts = {
        "file": f"{name}.onnx",
        "dataset": f"{name}.npz",
        "samples": entry.samples,
        "inputs": {n: {"dtype": str(data[n].dtype), "shape": ["N", *(["T"] if axes[n].get(1) else []),
                                                                  *data[n].shape[1 + len(axes[n]) - 1:]]}
                   for n in inputs},
        "outputs": entry.outputs,
        "opset": entry.opset,
        "params": sum(p.numel() for p in model.parameters()),
        "ops": ops,
        "bytes": os.path.getsize(path),
    }
    if relative_error is not None:
        facts["trainedMseOverTargetVariance"] = round(relative_error, 4)
    if entry.note:
        facts["note"] = entry.note
    print(f"{name}: {facts}", flush=True)
    return facts


def update_manifest(path, section, facts, extra=None):
    manifest = {}
    if os.path.exists(path):
        with open(path) as f:
            manifest = json.load(f)
    manifest.update(extra or {})
    manifest.setdefault(section, {}).update(facts)
    manifest[section] = dict(sorted(manifest[section].items()))
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def main():
    everything = {**TASK_NETWORKS}
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(everything), help="networks to (re)make; default all")
    parser.add_argument("--list", action="store_true", help="print the network names and stop")
    args = parser.parse_args()
    if args.list:
        print("\n".join(everything))
        return
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(ZOO, exist_ok=True)
    chosen = [n for n in everything if n in set(args.only or everything)]
    task = {n: export(n, TASK_NETWORKS[n]) for n in chosen if n in TASK_NETWORKS}
    if task:
        update_manifest(os.path.join(FIXTURES, "fixtures.json"), "taskNetworks", task)
    print(f"wrote {FIXTURES}", file=sys.stderr)


if __name__ == "__main__":
    main()
