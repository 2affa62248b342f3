#!/usr/bin/python3
"""Train and export the small networks and data files the Shears tests use.

Run with Debian's interpreter (python3-torch 1.13, python3-onnx, python3-numpy):

    /usr/bin/python3 tools/make_fixtures.py            # everything (LeNet-5 takes a few minutes)
    /usr/bin/python3 tools/make_fixtures.py --only tiny_mlp tiny_cnn

Reads Fashion-MNIST from the gzipped IDX files of Debian's dataset-fashion-mnist package
(no downloads) and writes into tests/fixtures/:

    tiny_mlp.onnx, tiny_cnn.onnx, lenet5.onnx, mlp.onnx, unsupported_op.onnx (TopK)
    small_resnet.onnx, small_densenet.onnx (trained), small_resnet_opset11.onnx,
    small_densenet_opset17.onnx (the same weights at other opsets),
    resnet18.onnx, mobilenet_v2.onnx (torchvision, random weights, 10 classes, 3x64x64 input)
    fixtures.json                       name -> test accuracy, parameter count, ops, training recipe
    fashion_train_2k-{images-idx3,labels-idx1}-ubyte.gz   first 2000 training samples
    fashion_test_1k-{images-idx3,labels-idx1}-ubyte.gz    first 1000 test samples
    fashion_test_100-inputs.npy (float32, x/255), fashion_test_100-labels.npy (int64)

The Fashion-MNIST networks take float32 [N,1,28,28] pixels scaled to [0,1] (x/255, the service's
default for byte data). Every network is exported with a dynamic batch axis (at opset 13 unless its
name says otherwise) and is seeded so a rerun on the same
machine reproduces the same files.

Debian's python3-torch uses the reference BLAS unless an optimised one is installed; with
libopenblas0-pthread installed (apt-get install libopenblas0-pthread) training is ~20x faster for the
fully connected layers. The whole run takes about 15 minutes on 2 cores.
"""
import argparse
import gzip
import io
import json
import os
import struct
import sys
import time

# One BLAS thread beside torch's own: OpenBLAS's pthreads and torch's OpenMP threads fight on a
# 2-core machine and make training several times slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

DATA_DIR = "/usr/share/datasets/fashion-mnist"
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
OPSET = 13
SEED = 20180101


# ---------------------------------------------------------------- data

def read_idx_gz(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype_code == 0x08, f"{path}: expected unsigned-byte IDX"
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx_gz(path, array):
    """Unsigned-byte IDX, gzipped with a fixed mtime so reruns give identical bytes."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


def load_split(kind):
    images = read_idx_gz(os.path.join(DATA_DIR, f"{kind}-images-idx3-ubyte.gz"))
    labels = read_idx_gz(os.path.join(DATA_DIR, f"{kind}-labels-idx1-ubyte.gz"))
    return images, labels


def to_tensors(images, labels):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# ---------------------------------------------------------------- networks

class TinyMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 32), nn.Linear(32, 16), nn.Linear(16, 10)

    def forward(self, x):
        x = self.flatten(x)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class TinyCnn(nn.Module):
    """Keeps a BatchNormalization node in the export and flattens with view (Shape/Gather/... chain)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.fc1, self.fc2 = nn.Linear(8 * 5 * 5, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)   # 28 -> 26 -> 13
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)             # 13 -> 11 -> 5
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


class LeNet5Caffe(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 20, 5), nn.Conv2d(20, 50, 5)
        self.fc1, self.fc2 = nn.Linear(800, 500), nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)   # 28 -> 24 -> 12
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)   # 12 -> 8 -> 4
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 300), nn.Linear(300, 100), nn.Linear(100, 10)

    def forward(self, x):
        x = self.flatten(x)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class UnsupportedTopK(nn.Module):
    """Keeps the 8 largest of 32 features (torch.topk) of the 7x7-pooled image: exports a TopK node, which Shears does not execute."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(7 * 7, 32)
        self.fc2 = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc2(torch.topk(self.fc1(F.avg_pool2d(x, 4).flatten(1)), 8, dim=1).values)


class BasicBlock(nn.Module):
    """ResNet basic block; a 1x1 convolution shortcut when the shape changes (residual Add couples channels)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class SmallResNet(nn.Module):
    """28x28 ResNet: stem 8, blocks 8 -> 16 (stride 2, 1x1 downsample) -> 32 (stride 2), global pool, fc."""

    def __init__(self):
        super().__init__()
        self.stem, self.bn = nn.Conv2d(1, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8)
        self.blocks = nn.Sequential(BasicBlock(8, 8, 1), BasicBlock(8, 16, 2), BasicBlock(16, 32, 2))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class DenseLayer(nn.Module):
    """BN -> ReLU -> 3x3 conv, output concatenated to the input (Concat offsets channels)."""

    def __init__(self, cin, growth):
        super().__init__()
        self.bn, self.conv = nn.BatchNorm2d(cin), nn.Conv2d(cin, growth, 3, 1, 1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv(F.relu(self.bn(x)))], 1)


class SmallDenseNet(nn.Module):
    """DenseNet-style: BatchNormalization before convolutions stays a node in the export."""

    def __init__(self, growth=8):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, 1, 1, bias=False)
        self.block1 = nn.Sequential(*[DenseLayer(8 + i * growth, growth) for i in range(3)])
        self.transition_bn, self.transition = nn.BatchNorm2d(32), nn.Conv2d(32, 16, 1, bias=False)
        self.block2 = nn.Sequential(*[DenseLayer(16 + i * growth, growth) for i in range(3)])
        self.final_bn, self.fc = nn.BatchNorm2d(40), nn.Linear(40, 10)

    def forward(self, x):
        x = self.block1(F.max_pool2d(self.stem(x), 2))                                   # 14x14
        x = F.avg_pool2d(self.transition(F.relu(self.transition_bn(x))), 2)              # 7x7
        x = F.relu(self.final_bn(self.block2(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def torchvision_resnet18():
    import torchvision
    return torchvision.models.resnet18(num_classes=10)


def torchvision_mobilenet_v2():
    import torchvision
    return torchvision.models.mobilenet_v2(num_classes=10)


class Recipe:
    def __init__(self, constructor, epochs=0, lr=1e-3, keep_batchnorm=False, input_shape=(1, 28, 28), opset=OPSET):
        self.constructor, self.epochs, self.lr = constructor, epochs, lr
        self.keep_batchnorm, self.input_shape, self.opset = keep_batchnorm, input_shape, opset

    @property
    def trains(self):
        return self.epochs > 0


# Untrained networks (epochs 0) keep their seeded random initialisation.
RECIPES = {
    "tiny_mlp": Recipe(TinyMlp, epochs=1),
    "tiny_cnn": Recipe(TinyCnn, epochs=1, keep_batchnorm=True),
    "lenet5": Recipe(LeNet5Caffe, epochs=12),
    "mlp": Recipe(Mlp, epochs=15),
    "unsupported_op": Recipe(UnsupportedTopK),
    "small_resnet": Recipe(SmallResNet, epochs=4),
    "small_densenet": Recipe(SmallDenseNet, epochs=2),
    # The same graphs as PyTorch exports them at the ends of the opset range Shears accepts.
    "small_resnet_opset11": Recipe(SmallResNet, opset=11),
    "small_densenet_opset17": Recipe(SmallDenseNet, opset=17),
    "resnet18": Recipe(torchvision_resnet18, input_shape=(3, 64, 64)),
    "mobilenet_v2": Recipe(torchvision_mobilenet_v2, input_shape=(3, 64, 64)),
}


# ---------------------------------------------------------------- training

def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), batch):
            correct += (model(x[start:start + batch]).argmax(1) == y[start:start + batch]).sum().item()
    return correct / len(x)


def train(model, epochs, lr, train_xy, test_xy, name):
    x, y = train_xy
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    # Cut the step size for the last third so long runs settle instead of bouncing.
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, (2 * epochs) // 3), gamma=0.3)
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(epochs):
        model.train()
        started = time.time()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), 100):
            idx = order[start:start + 100]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        scheduler.step()
        accuracy = evaluate(model, *test_xy)
        print(f"  {name} epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}, "
              f"test accuracy {accuracy:.4f} ({time.time() - started:.0f}s)", flush=True)


# ---------------------------------------------------------------- export

def export(model, path, recipe):
    model.eval()
    dummy = torch.zeros(1, *recipe.input_shape)
    extra = {}
    if recipe.keep_batchnorm:
        # EVAL mode runs the eval peephole pass that folds BN into the Conv; PRESERVE on a model in
        # eval mode skips that pass and exports an inference-mode BatchNormalization node.
        extra = {"training": torch.onnx.TrainingMode.PRESERVE, "do_constant_folding": False}
    torch.onnx.export(model, dummy, path, opset_version=recipe.opset, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, **extra)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    return proto


def op_types(proto):
    seen = []
    for node in proto.graph.node:
        if node.op_type not in seen:
            seen.append(node.op_type)
    return seen


def make_network(name, train_xy, test_xy, test_1k_xy):
    recipe = RECIPES[name]
    base = name.split("_opset")[0]
    torch.manual_seed(SEED)
    model = recipe.constructor()
    started = time.time()
    if recipe.trains:
        train(model, recipe.epochs, recipe.lr, train_xy, test_xy, name)
    elif base != name and base in RECIPES and RECIPES[base].trains:
        # An opset variant exports the trained weights of its base network.
        model.load_state_dict(TRAINED[base])
    path = os.path.join(OUT_DIR, f"{name}.onnx")
    proto = export(model, path, recipe)
    TRAINED[name] = model.state_dict()
    ops = op_types(proto)
    if recipe.keep_batchnorm and "BatchNormalization" not in ops:
        sys.exit(f"{name}: export folded BatchNormalization away; ops: {ops}")
    evaluated = recipe.trains or name != base
    entry = {
        "file": f"{name}.onnx",
        "inputShape": list(recipe.input_shape),
        "opset": recipe.opset,
        "params": sum(p.numel() for p in model.parameters()),
        "ops": ops,
        "testAccuracy": round(evaluate(model, *test_xy), 4) if evaluated else None,
        "testAccuracy1k": round(evaluate(model, *test_1k_xy), 4) if evaluated else None,
        "trainingEpochs": recipe.epochs,
        "optimizer": f"adam lr={recipe.lr}" if recipe.trains else None,
    }
    print(f"{name}: {entry} in {time.time() - started:.0f}s", flush=True)
    return entry


TRAINED = {}


# ---------------------------------------------------------------- data fixtures

def make_data_files(train_images, train_labels, test_images, test_labels):
    write_idx_gz(os.path.join(OUT_DIR, "fashion_train_2k-images-idx3-ubyte.gz"), train_images[:2000])
    write_idx_gz(os.path.join(OUT_DIR, "fashion_train_2k-labels-idx1-ubyte.gz"), train_labels[:2000])
    write_idx_gz(os.path.join(OUT_DIR, "fashion_test_1k-images-idx3-ubyte.gz"), test_images[:1000])
    write_idx_gz(os.path.join(OUT_DIR, "fashion_test_1k-labels-idx1-ubyte.gz"), test_labels[:1000])
    np.save(os.path.join(OUT_DIR, "fashion_test_100-inputs.npy"),
            (test_images[:100].astype(np.float32) / 255.0).reshape(100, 1, 28, 28))
    np.save(os.path.join(OUT_DIR, "fashion_test_100-labels.npy"), test_labels[:100].astype(np.int64))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(RECIPES), help="networks to (re)make; default all")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core machine)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)

    train_images, train_labels = load_split("train")
    test_images, test_labels = load_split("t10k")
    make_data_files(train_images, train_labels, test_images, test_labels)
    train_xy, test_xy = to_tensors(train_images, train_labels), to_tensors(test_images, test_labels)
    test_1k_xy = (test_xy[0][:1000], test_xy[1][:1000])

    manifest_path = os.path.join(OUT_DIR, "fixtures.json")
    manifest = {"networks": {}}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    for moved in ("inputShape", "opset"):  # now recorded per network
        manifest.pop(moved, None)
    manifest.update({
        "inputScaling": "x/255",
        "seed": SEED,
        "torch": torch.__version__,
        "data": {
            "source": "Debian dataset-fashion-mnist (train 60000, test 10000)",
            "train2k": ["fashion_train_2k-images-idx3-ubyte.gz", "fashion_train_2k-labels-idx1-ubyte.gz"],
            "test1k": ["fashion_test_1k-images-idx3-ubyte.gz", "fashion_test_1k-labels-idx1-ubyte.gz"],
            "test100Npy": ["fashion_test_100-inputs.npy", "fashion_test_100-labels.npy"],
        },
    })
    chosen = set(args.only or RECIPES)
    # An opset variant needs its base network's trained weights from the same run.
    chosen |= {name.split("_opset")[0] for name in chosen}
    for name in [name for name in RECIPES if name in chosen]:
        manifest["networks"][name] = make_network(name, train_xy, test_xy, test_1k_xy)
    manifest["networks"] = dict(sorted(manifest["networks"].items()))
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT_DIR)}")


if __name__ == "__main__":
    main()
