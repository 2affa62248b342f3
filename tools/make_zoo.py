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
import math
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


# ---------------------------------------------------------------- the zoo: torchvision at small configurations

def tv_vit(num_layers=2, hidden_dim=64, mlp_dim=128):
    from torchvision.models.vision_transformer import VisionTransformer
    return VisionTransformer(image_size=32, patch_size=8, num_layers=num_layers, num_heads=4, hidden_dim=hidden_dim, mlp_dim=mlp_dim,
                             num_classes=10)


def tv_swin():
    from torchvision.models.swin_transformer import SwinTransformer
    return SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10)


def tv_convnext():
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    return ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, 64, 1), CNBlockConfig(64, None, 1)], num_classes=10)


def tv_efficientnet():
    from torchvision.models.efficientnet import EfficientNet, MBConvConfig
    setting = [MBConvConfig(1, 3, 1, 16, 8, 1), MBConvConfig(4, 3, 2, 8, 16, 1), MBConvConfig(4, 5, 2, 16, 24, 1),
               MBConvConfig(4, 3, 2, 24, 32, 1)]
    return EfficientNet(setting, dropout=0.2, num_classes=10, last_channel=128)


def tv_regnet():
    from torchvision.models.regnet import BlockParams, RegNet
    return RegNet(BlockParams.from_init_params(depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25),
                  num_classes=10, stem_width=16)


class SmallResNeXt(nn.Module):
    """torchvision's ResNet bottleneck with 4 groups (ResNeXt), at widths 16-32-64 instead of 64-...-2048."""

    def __init__(self, groups=4, base_width=16):
        super().__init__()
        from torchvision.models.resnet import Bottleneck
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        layers, inplanes = [], 16
        for planes, stride in [(8, 1), (16, 2), (32, 2)]:
            downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))
            layers.append(Bottleneck(inplanes, planes, stride, downsample, groups=groups, base_width=base_width))
            inplanes = planes * 4
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(inplanes, 10)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.layers(self.stem(x)), 1), 1))


def tv_shufflenet_v2():
    from torchvision.models.shufflenetv2 import ShuffleNetV2
    return ShuffleNetV2([2, 2, 2], [8, 16, 32, 64, 128], num_classes=10)


def tv_mobilenet_v3():
    import torchvision
    return torchvision.models.mobilenet_v3_small(width_mult=0.25, num_classes=10)


def small_mobilenet_v3_features():
    import torchvision
    features = torchvision.models.mobilenet_v3_small(width_mult=0.25).features
    stages = [0] + [i for i, block in enumerate(features) if getattr(block, "_is_cn", False)] + [len(features) - 1]
    return features, stages


class SegmentationOutput(nn.Module):
    """torchvision's segmentation models return a dict; the export wants the "out" tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def tv_lraspp():
    from torchvision.models._utils import IntermediateLayerGetter
    from torchvision.models.segmentation.lraspp import LRASPP
    features, stages = small_mobilenet_v3_features()
    low, high = stages[-4], stages[-1]
    backbone = IntermediateLayerGetter(features, return_layers={str(low): "low", str(high): "high"})
    return SegmentationOutput(LRASPP(backbone, features[low].out_channels, features[high].out_channels, num_classes=4,
                                     inter_channels=32))


def tv_deeplabv3():
    from torchvision.models._utils import IntermediateLayerGetter
    from torchvision.models.segmentation.deeplabv3 import ASPP, DeepLabV3
    features, stages = small_mobilenet_v3_features()
    high = stages[-1]
    backbone = IntermediateLayerGetter(features, return_layers={str(high): "out"})
    head = nn.Sequential(ASPP(features[high].out_channels, [2, 4], out_channels=16), nn.Conv2d(16, 16, 3, padding=1, bias=False),
                         nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, 4, 1))
    return SegmentationOutput(DeepLabV3(backbone, head))


# ---------------------------------------------------------------- the zoo: written here

class BertLayer(nn.Module):
    """Post-norm transformer layer as in BERT: Q, K, V projections split into heads, additive mask, GELU MLP."""

    def __init__(self, width, heads, hidden):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)
        self.attention_output, self.attention_norm = nn.Linear(width, width), nn.LayerNorm(width, eps=1e-12)
        self.intermediate, self.output, self.output_norm = nn.Linear(width, hidden), nn.Linear(hidden, width), nn.LayerNorm(width, eps=1e-12)

    def split_heads(self, x):
        n, t, width = x.shape
        return x.view(n, t, self.heads, width // self.heads).permute(0, 2, 1, 3)

    def forward(self, x, mask_bias):
        q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + mask_bias
        context = (scores.softmax(-1) @ v).permute(0, 2, 1, 3).flatten(2)
        x = self.attention_norm(x + self.attention_output(context))
        return self.output_norm(x + self.output(F.gelu(self.intermediate(x))))


class TinyBert(nn.Module):
    """BERT-style encoder: token + position embeddings (128 positions: bench heads times it at 128 tokens), 2 layers of
    4 heads, classifier on the first token."""

    def __init__(self, vocabulary=100, width=32, heads=4, hidden=64, layers=2, max_length=128, classes=4):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocabulary, width), nn.Embedding(max_length, width)
        self.norm = nn.LayerNorm(width, eps=1e-12)
        self.layers = nn.ModuleList([BertLayer(width, heads, hidden) for _ in range(layers)])
        self.pooler, self.classifier = nn.Linear(width, width), nn.Linear(width, classes)

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.norm(self.tokens(input_ids) + self.positions(positions))
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        for layer in self.layers:
            x = layer(x, mask_bias)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


class ConvBnSilu(nn.Sequential):
    def __init__(self, cin, cout, kernel=1, stride=1):
        super().__init__(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class Bottleneck(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1, self.conv2 = ConvBnSilu(channels, channels, 3), ConvBnSilu(channels, channels, 3)

    def forward(self, x):
        return x + self.conv2(self.conv1(x))


class C2f(nn.Module):
    """YOLOv8's C2f: a 1x1 conv split in two halves (Split), bottlenecks on the second, all concatenated."""

    def __init__(self, cin, cout, blocks=1, shortcut=True):
        super().__init__()
        self.hidden = cout // 2
        self.conv1 = ConvBnSilu(cin, 2 * self.hidden)
        self.blocks = nn.ModuleList([Bottleneck(self.hidden) if shortcut else nn.Sequential(
            ConvBnSilu(self.hidden, self.hidden, 3), ConvBnSilu(self.hidden, self.hidden, 3)) for _ in range(blocks)])
        self.conv2 = ConvBnSilu((2 + blocks) * self.hidden, cout)

    def forward(self, x):
        parts = list(self.conv1(x).split((self.hidden, self.hidden), 1))
        for block in self.blocks:
            parts.append(block(parts[-1]))
        return self.conv2(torch.cat(parts, 1))


class Sppf(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1, self.conv2 = ConvBnSilu(cin, cin // 2), ConvBnSilu(cin // 2 * 4, cout)
        self.pool = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        x = self.conv1(x)
        y1 = self.pool(x)
        y2 = self.pool(y1)
        return self.conv2(torch.cat([x, y1, y2, self.pool(y2)], 1))


class DecoupledHead(nn.Module):
    """Per scale a box branch (4 x reg_max distances) and a class branch; no DFL decoding, no NMS."""

    def __init__(self, channels, classes=4, reg_max=4):
        super().__init__()
        box, cls = max(16, channels[0] // 4, 4 * reg_max), max(channels[0], classes)
        self.box = nn.ModuleList([nn.Sequential(ConvBnSilu(c, box, 3), ConvBnSilu(box, box, 3), nn.Conv2d(box, 4 * reg_max, 1)) for c in channels])
        self.cls = nn.ModuleList([nn.Sequential(ConvBnSilu(c, cls, 3), ConvBnSilu(cls, cls, 3), nn.Conv2d(cls, classes, 1)) for c in channels])

    def forward(self, features):
        outputs = [torch.cat([box(x), cls(x)], 1) for x, box, cls in zip(features, self.box, self.cls)]
        return torch.cat([o.flatten(2) for o in outputs], 2)


class TinyYolo(nn.Module):
    """YOLOv8n-style detector at widths 8-16-24-32: backbone with C2f and SPPF, upsample + Concat neck (FPN + PAN)."""

    def __init__(self, widths=(8, 16, 24, 32), classes=4):
        super().__init__()
        w0, w1, w2, w3 = widths
        self.stem = ConvBnSilu(3, w0, 3, 2)                                        # /2
        self.stage1 = nn.Sequential(ConvBnSilu(w0, w1, 3, 2), C2f(w1, w1, 1))        # /4
        self.stage2 = nn.Sequential(ConvBnSilu(w1, w2, 3, 2), C2f(w2, w2, 1))        # /8  -> P3
        self.stage3 = nn.Sequential(ConvBnSilu(w2, w3, 3, 2), C2f(w3, w3, 1))        # /16 -> P4
        self.stage4 = nn.Sequential(ConvBnSilu(w3, w3, 3, 2), C2f(w3, w3, 1), Sppf(w3, w3))  # /32 -> P5
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.top_down4, self.top_down3 = C2f(2 * w3, w3, 1, False), C2f(w3 + w2, w2, 1, False)
        self.down3, self.bottom_up4 = ConvBnSilu(w2, w2, 3, 2), C2f(w2 + w3, w3, 1, False)
        self.down4, self.bottom_up5 = ConvBnSilu(w3, w3, 3, 2), C2f(2 * w3, w3, 1, False)
        self.head = DecoupledHead((w2, w3, w3), classes)

    def forward(self, x):
        p3 = self.stage2(self.stage1(self.stem(x)))
        p4 = self.stage3(p3)
        p5 = self.stage4(p4)
        n4 = self.top_down4(torch.cat([self.up(p5), p4], 1))
        n3 = self.top_down3(torch.cat([self.up(n4), p3], 1))
        n4 = self.bottom_up4(torch.cat([self.down3(n3), n4], 1))
        n5 = self.bottom_up5(torch.cat([self.down4(n4), p5], 1))
        return self.head([n3, n4, n5])


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class TinyUNet(nn.Module):
    """UNet with two levels: max-pool down, ConvTranspose up, skip connections concatenated."""

    def __init__(self, widths=(8, 16, 32), classes=3):
        super().__init__()
        w0, w1, w2 = widths
        self.enc0, self.enc1, self.bottom = DoubleConv(1, w0), DoubleConv(w0, w1), DoubleConv(w1, w2)
        self.up1, self.dec1 = nn.ConvTranspose2d(w2, w1, 2, 2), DoubleConv(2 * w1, w1)
        self.up0, self.dec0 = nn.ConvTranspose2d(w1, w0, 2, 2), DoubleConv(2 * w0, w0)
        self.out = nn.Conv2d(w0, classes, 1)

    def forward(self, x):
        e0 = self.enc0(x)
        e1 = self.enc1(F.max_pool2d(e0, 2))
        b = self.bottom(F.max_pool2d(e1, 2))
        d1 = self.dec1(torch.cat([self.up1(b), e1], 1))
        return self.out(self.dec0(torch.cat([self.up0(d1), e0], 1)))


class TextCnn(nn.Module):
    """Kim's TextCNN: embedding, 1-D convolutions of widths 3, 4, 5, max over time, classifier."""

    def __init__(self, vocabulary=100, width=32, filters=16, classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, width)
        self.convs = nn.ModuleList([nn.Conv1d(width, filters, k) for k in (3, 4, 5)])
        self.fc = nn.Linear(3 * filters, classes)

    def forward(self, input_ids):
        x = self.embedding(input_ids).transpose(1, 2)
        return self.fc(torch.cat([F.relu(conv(x)).amax(2) for conv in self.convs], 1))


class Audio1d(nn.Module):
    """Raw-waveform classifier (M5-style): strided 1-D conv, BN, ReLU, 1-D max pooling, global average, linear."""

    def __init__(self, widths=(16, 16, 32, 32), classes=10):
        super().__init__()
        layers, cin = [], 1
        for i, w in enumerate(widths):
            layers += [nn.Conv1d(cin, w, 32 if i == 0 else 3, 8 if i == 0 else 1, bias=False), nn.BatchNorm1d(w), nn.ReLU(), nn.MaxPool1d(2)]
            cin = w
        self.features, self.fc = nn.Sequential(*layers), nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool1d(self.features(x), 1), 1))


class Video3d(nn.Module):
    """C3D-style clip classifier: 3-D convolutions, BN, ReLU, 3-D max pooling, global average, linear."""

    def __init__(self, widths=(8, 16, 32), classes=10):
        super().__init__()
        layers, cin = [], 3
        for i, w in enumerate(widths):
            layers += [nn.Conv3d(cin, w, 3, padding=1, bias=False), nn.BatchNorm3d(w), nn.ReLU(),
                       nn.MaxPool3d((1, 2, 2) if i == 0 else 2)]
            cin = w
        self.features, self.fc = nn.Sequential(*layers), nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool3d(self.features(x), 1), 1))


class EinsumAttentionLayer(nn.Module):
    """Pre-norm transformer layer whose attention is written with einsum (exports Einsum), as sentence encoders often are."""

    def __init__(self, width, heads, hidden):
        super().__init__()
        self.heads = heads
        self.norm1, self.qkv, self.proj = nn.LayerNorm(width), nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.norm2, self.fc1, self.fc2 = nn.LayerNorm(width), nn.Linear(width, hidden), nn.Linear(hidden, width)

    def forward(self, x, mask_bias):
        n, t, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(n, t, 3, self.heads, width // self.heads).unbind(2)
        scores = torch.einsum("nqhd,nkhd->nhqk", q, k) / math.sqrt(width // self.heads) + mask_bias
        context = torch.einsum("nhqk,nkhd->nqhd", scores.softmax(-1), v).reshape(n, t, width)
        x = x + self.proj(context)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class SentenceEncoder(nn.Module):
    """Sentence-embedding encoder: embeddings, 2 pre-norm einsum-attention layers, masked mean pool -> [N,32]."""

    def __init__(self, vocabulary=100, width=32, heads=4, hidden=64, layers=2, max_length=64):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocabulary, width), nn.Embedding(max_length, width)
        self.layers = nn.ModuleList([EinsumAttentionLayer(width, heads, hidden) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.tokens(input_ids) + self.positions(positions)
        mask = attention_mask.to(torch.float32)
        mask_bias = (1.0 - mask[:, None, None, :]) * -10000.0
        for layer in self.layers:
            x = layer(x, mask_bias)
        x = self.norm(x) * mask.unsqueeze(-1)
        return x.sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)


class AudioGru(nn.Module):
    """Conv front end, a GRU over time (held fixed by a pruner), MLP on its last state: the convs and fc1 stay prunable."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv1d(1, 16, 32, 8, bias=False), nn.BatchNorm1d(16)
        self.conv2, self.bn2 = nn.Conv1d(16, 16, 3, bias=False), nn.BatchNorm1d(16)
        self.gru = nn.GRU(16, 32, batch_first=True)
        self.fc1, self.fc2 = nn.Linear(32, 32), nn.Linear(32, classes)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool1d(F.relu(self.bn2(self.conv2(x))), 2)
        _, state = self.gru(x.transpose(1, 2))
        return self.fc2(F.relu(self.fc1(state[-1])))


class LstmText(nn.Module):
    """Text classifier on a bidirectional LSTM (held fixed by a pruner): embedding, a per-token MLP, BiLSTM, mean over
    time, MLP; the per-token MLP's hidden units and fc1's units prune around the LSTM."""

    def __init__(self, vocabulary=100, width=24, token_hidden=96, hidden=16, classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, width)
        self.token_mlp = nn.Sequential(nn.Linear(width, token_hidden), nn.ReLU(), nn.Linear(token_hidden, width))
        self.lstm = nn.LSTM(width, hidden, batch_first=True, bidirectional=True)
        self.fc1, self.fc2 = nn.Linear(2 * hidden, 32), nn.Linear(32, classes)

    def forward(self, input_ids):
        states, _ = self.lstm(self.token_mlp(self.embedding(input_ids)))
        return self.fc2(F.relu(self.fc1(states.mean(1))))


class DualEncoder(nn.Module):
    """CLIP-style dual encoder: an image tower and a text tower, each ending in F.normalize (ReduceL2); two outputs."""

    def __init__(self, vocabulary=100, width=24):
        super().__init__()
        self.image = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                   nn.Flatten(), nn.Linear(32, width))
        self.tokens = nn.Embedding(vocabulary, width)
        self.text = nn.Sequential(nn.Linear(width, 64), nn.GELU(), nn.Linear(64, width))

    def forward(self, image, input_ids):
        return F.normalize(self.image(image), dim=-1), F.normalize(self.text(self.tokens(input_ids).mean(1)), dim=-1)


class GptBlock(nn.Module):
    """A GPT-2 block: pre-norm, fused c_attn split in three, a causal mask, tanh-GELU MLP. The mask is GPT-2's own (a
    uint8 lower-triangular buffer sliced to the length, cast to bool, Where to the most negative float) or, with
    trilu, torch.triu over a tensor of -inf (ONNX Trilu)."""

    def __init__(self, width, heads, longest, trilu):
        super().__init__()
        self.heads, self.trilu = heads, trilu
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.c_attn, self.c_proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.c_fc, self.mlp_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
        self.register_buffer("bias", torch.tril(torch.ones(longest, longest, dtype=torch.uint8)).view(1, 1, longest, longest))

    def attention(self, x):
        n, t, d = x.shape
        q, k, v = [y.view(n, t, self.heads, d // self.heads).transpose(1, 2) for y in self.c_attn(x).split(d, dim=2)]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        if self.trilu:
            scores = scores + torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        else:
            scores = torch.where(self.bias[:, :, :t, :t].bool(), scores, torch.tensor(torch.finfo(scores.dtype).min))
        return self.c_proj(torch.matmul(scores.softmax(-1), v).transpose(1, 2).contiguous().view(n, t, d))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(nn.Module):
    """GPT-2-style decoder: token + position embeddings, a block with GPT-2's mask buffer and one with Trilu, final
    LayerNorm, and the LM head tied to the token embedding (a MatMul with its transpose)."""

    def __init__(self, vocabulary=100, width=32, heads=4, longest=64):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocabulary, width), nn.Embedding(longest, width)
        self.blocks = nn.ModuleList([GptBlock(width, heads, longest, trilu) for trilu in (False, True)])
        self.ln_f = nn.LayerNorm(width)

    def forward(self, input_ids):
        x = self.wte(input_ids) + self.wpe(torch.arange(input_ids.shape[1]).unsqueeze(0))
        for block in self.blocks:
            x = block(x)
        return torch.matmul(self.ln_f(x), self.wte.weight.t())


class RmsNorm(nn.Module):
    """T5's LayerNorm: no mean, no bias; 1/sqrt written as torch.rsqrt or as torch.reciprocal (ONNX Reciprocal)."""

    def __init__(self, width, reciprocal):
        super().__init__()
        self.weight, self.reciprocal = nn.Parameter(torch.ones(width)), reciprocal

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True) + 1e-6
        return self.weight * (x * (torch.reciprocal(torch.sqrt(variance)) if self.reciprocal else torch.rsqrt(variance)))


class T5Layer(nn.Module):
    """A T5 encoder layer: RMSNorm, attention without scaling plus a position bias, RMSNorm, ReLU MLP, no biases. The
    first layer computes the bias from log-spaced relative-position buckets (Abs, Less, Log, Min, Where) and shares it."""

    def __init__(self, width, heads, hidden, reciprocal, buckets=None):
        super().__init__()
        self.heads = heads
        self.norm_1, self.norm_2 = RmsNorm(width, reciprocal), RmsNorm(width, reciprocal)
        self.q, self.k, self.v, self.o = [nn.Linear(width, width, bias=False) for _ in range(4)]
        self.wi, self.wo = nn.Linear(width, hidden, bias=False), nn.Linear(hidden, width, bias=False)
        self.relative = nn.Embedding(buckets, heads) if buckets else None

    def bucket(self, length, buckets=16, longest=128):
        relative = torch.arange(length)[None, :] - torch.arange(length)[:, None]
        exact = buckets // 4
        distance = torch.abs(relative)
        far = exact + (torch.log(distance.float() / exact) / math.log(longest / exact) * (buckets // 2 - exact)).to(torch.long)
        far = torch.min(far, torch.full_like(far, buckets // 2 - 1))
        return (relative > 0).to(torch.long) * (buckets // 2) + torch.where(distance < exact, distance, far)

    def forward(self, x, bias):
        n, t, d = x.shape
        y = self.norm_1(x)
        q, k, v = [f(y).view(n, t, self.heads, d // self.heads).transpose(1, 2) for f in (self.q, self.k, self.v)]
        if self.relative is not None:
            bias = self.relative(self.bucket(t)).permute(2, 0, 1).unsqueeze(0) + bias
        scores = torch.matmul(q, k.transpose(-1, -2)) + bias
        x = x + self.o(torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(n, t, d))
        return x + self.wo(F.relu(self.wi(self.norm_2(x)))), bias


class T5Encoder(nn.Module):
    """T5-style encoder over token ids and a mask: 2 layers (rsqrt, then Reciprocal RMSNorm), masked mean, classifier."""

    def __init__(self, vocabulary=100, width=32, heads=4, hidden=64, classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, width)
        self.layers = nn.ModuleList([T5Layer(width, heads, hidden, False, buckets=16), T5Layer(width, heads, hidden, True)])
        self.norm, self.head = RmsNorm(width, False), nn.Linear(width, classes)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.to(torch.float32)
        x, bias = self.embedding(input_ids), (1.0 - mask[:, None, None, :]) * -1e4
        for layer in self.layers:
            x, bias = layer(x, bias)
        x = self.norm(x) * mask.unsqueeze(-1)
        return self.head(x.sum(1) / mask.sum(1, keepdim=True))


class Espcn(nn.Module):
    """ESPCN super-resolution: 5x5 and 3x3 convs with tanh, a conv to 9 channels, PixelShuffle(3) (ONNX DepthToSpace)."""

    def __init__(self, scale=3):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.Tanh(), nn.Conv2d(32, 16, 3, padding=1), nn.Tanh(),
                                  nn.Conv2d(16, scale * scale, 3, padding=1), nn.PixelShuffle(scale))

    def forward(self, x):
        return torch.sigmoid(self.body(x))


class ConformerConv(nn.Module):
    """The Conformer convolution module: LayerNorm, pointwise Conv1d to twice the width, GLU over the channels (Split,
    Sigmoid, Mul), depthwise Conv1d, BatchNorm, SiLU, pointwise Conv1d."""

    def __init__(self, width, kernel=7):
        super().__init__()
        self.norm, self.pointwise_1 = nn.LayerNorm(width), nn.Conv1d(width, 2 * width, 1)
        self.depthwise = nn.Conv1d(width, width, kernel, padding=kernel // 2, groups=width)
        self.batch_norm, self.pointwise_2 = nn.BatchNorm1d(width), nn.Conv1d(width, width, 1)

    def forward(self, x):
        y = F.glu(self.pointwise_1(self.norm(x).transpose(1, 2)), dim=1)
        return self.pointwise_2(F.silu(self.batch_norm(self.depthwise(y)))).transpose(1, 2)


class Conformer(nn.Module):
    """One Conformer block over [N, 24, 20] features: half-step FFN, nn.MultiheadAttention, the convolution module,
    half-step FFN, LayerNorm; mean over time, 6 classes."""

    def __init__(self, features=20, width=32, heads=4, classes=6):
        super().__init__()
        self.input = nn.Linear(features, width)
        self.ffn_1, self.ffn_2 = [nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 4 * width), nn.SiLU(), nn.Linear(4 * width, width))
                                  for _ in range(2)]
        self.attention_norm, self.attention = nn.LayerNorm(width), nn.MultiheadAttention(width, heads, batch_first=True)
        self.convolution, self.norm, self.head = ConformerConv(width), nn.LayerNorm(width), nn.Linear(width, classes)

    def forward(self, features):
        x = self.input(features)
        x = x + 0.5 * self.ffn_1(x)
        y = self.attention_norm(x)
        x = x + self.attention(y, y, y, need_weights=False)[0]
        x = x + self.convolution(x)
        return self.head(self.norm(x + 0.5 * self.ffn_2(x)).mean(1))


class WideAndDeep(nn.Module):
    """Tabular click model with five inputs: dense and extra floats, a user and an item id ([N] int64), three category
    ids ([N, 3], embeddings averaged); a wide linear part on the dense floats plus a deep MLP on everything."""

    def __init__(self):
        super().__init__()
        self.user, self.item, self.category = nn.Embedding(50, 8), nn.Embedding(40, 8), nn.Embedding(20, 4)
        self.wide = nn.Linear(6, 1)
        self.deep = nn.Sequential(nn.Linear(8 + 8 + 4 + 6 + 3, 48), nn.ReLU(), nn.Linear(48, 24), nn.ReLU(), nn.Linear(24, 1))

    def forward(self, dense, extra, user, item, categories):
        deep = torch.cat([self.user(user), self.item(item), self.category(categories).mean(1), dense, extra], 1)
        return torch.sigmoid(self.wide(dense) + self.deep(deep))


class NormsAndActivations(nn.Module):
    """A small CNN that uses the normalisations and activations issue 15 lists: GroupNorm (exported before opset 18 as
    Reshape, InstanceNormalization, Reshape, Mul, Add), InstanceNorm, PReLU, Mish (Softplus, Tanh, Mul), Softplus, ELU,
    SELU, and global max pooling beside global average pooling (a MaxPool over the whole map)."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1, self.norm1, self.act1 = nn.Conv2d(3, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.PReLU(16)
        self.conv2, self.norm2 = nn.Conv2d(16, 16, 3, padding=1), nn.InstanceNorm2d(16, affine=True)
        self.conv3, self.conv4 = nn.Conv2d(16, 32, 3, 2, 1), nn.Conv2d(32, 32, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(64, 32), nn.Linear(32, classes)

    def forward(self, x):
        x = self.act1(self.norm1(self.conv1(x)))
        x = F.mish(self.norm2(self.conv2(x)))
        x = F.elu(self.conv3(x))
        x = F.selu(self.conv4(x))
        pooled = torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], 1).flatten(1)
        return self.fc2(F.softplus(self.fc1(pooled)))


# ---------------------------------------------------------------- the zoo's data

def fashion_labels(count):
    with gzip.open(os.path.join(FIXTURES, "fashion_train_2k-labels-idx1-ubyte.gz"), "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=8)[:count].astype(np.int64)


def fashion_rgb(size):
    """Fashion-MNIST images upscaled (nearest) to size x size on three channels, with their class labels."""
    def make(count, generator):
        image = fashion_images(count)
        index = np.arange(size) * 28 // size
        image = image[:, :, index][:, :, :, index]
        return {"input": np.repeat(image, 3, axis=1), "labels": fashion_labels(count)}
    return make


def fashion_gray(count, generator):
    """Fashion-MNIST images padded to 32x32 (two levels of 2x pooling need a multiple of 4)."""
    return {"input": np.pad(fashion_images(count), ((0, 0), (0, 0), (2, 2), (2, 2)))}


def fashion_detection(count, generator):
    return {"input": fashion_rgb(64)(count, generator)["input"]}


def fashion_segmentation(count, generator):
    return {"input": fashion_rgb(32)(count, generator)["input"]}


def tone_clips(count, generator, length=1024, classes=10):
    """Noisy sine tones whose frequency (one of ten) is the label."""
    labels = generator.integers(0, classes, size=count)
    t = np.arange(length) / 8000.0
    phase = generator.uniform(0, 2 * np.pi, size=(count, 1))
    waves = np.sin(2 * np.pi * (200.0 + 150.0 * labels[:, None]) * t[None, :] + phase)
    waves += 0.3 * generator.standard_normal((count, length))
    return {"input": waves.astype(np.float32)[:, None, :], "labels": labels.astype(np.int64)}


def drifting_clips(count, generator, frames=8, size=32):
    """Fashion-MNIST images drifting right one pixel a frame over a dark background; the label is the garment."""
    images = np.pad(fashion_images(count), ((0, 0), (0, 0), (2, 2), (2, 2)))
    clips = np.stack([np.roll(images, shift, axis=3) for shift in range(frames)], axis=2)
    return {"input": np.repeat(clips, 3, axis=1).astype(np.float32), "labels": fashion_labels(count)}


def token_classes(count, generator, length=16):
    """Token sequences labelled by which quarter of the vocabulary their first real token falls in."""
    data = token_data(count, generator, length)
    data["labels"] = (data["input_ids"][:, 0] // 25).astype(np.int64)
    return data


def tone_features(count, generator, frames=24, bands=20, classes=6):
    """Noise over [frames, bands] whose label's band is raised: what a Conformer's filterbank input looks like, no more."""
    labels = generator.integers(0, classes, size=count)
    features = generator.standard_normal((count, frames, bands)).astype(np.float32)
    features[np.arange(count), :, labels] += 1.5
    return {"features": features, "labels": labels.astype(np.int64)}


def tabular(count, generator):
    return {"dense": generator.standard_normal((count, 6)).astype(np.float32), "extra": generator.random((count, 3)).astype(np.float32),
            "user": generator.integers(0, 50, count).astype(np.int64), "item": generator.integers(0, 40, count).astype(np.int64),
            "categories": generator.integers(0, 20, (count, 3)).astype(np.int64)}


def token_ids_only(count, generator):
    data = token_classes(count, generator, length=24)
    return {"input_ids": data["input_ids"], "labels": data["labels"]}


# ---------------------------------------------------------------- export

def image_and_tokens(count, generator):
    """Fashion-MNIST images (3x32x32) beside unrelated token ids: a dual encoder's two towers, no labels."""
    return {"image": fashion_rgb(32)(count, generator)["input"], "input_ids": token_ids_only(count, generator)["input_ids"]}


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
    """How to make one network: its constructor, data, output names, and how it is trained before export.

    targets: a function of the data giving regression targets (the task networks: fit() on the stored samples).
    training: for the zoo, "labels" (cross-entropy on the class labels), "segmentation" (per-pixel cross-entropy
    on the image's brightness bands), "calibrate" (batch-norm statistics only) or None (seeded random weights);
    the zoo trains on TRAINING_SAMPLES further samples and stores the next `samples` as its .npz.
    """

    def __init__(self, constructor, data, outputs, directory=ZOO, opset=OPSET, sequence_axis=False,
                 targets=None, samples=64, note="", training=None):
        self.constructor, self.data, self.outputs, self.directory = constructor, data, outputs, directory
        self.opset, self.sequence_axis, self.targets, self.samples, self.note = opset, sequence_axis, targets, samples, note
        self.training = training


ZOO_NETWORKS = {
    "vit": Entry(tv_vit, fashion_rgb(32), ["logits"], training="labels", note="torchvision VisionTransformer: 32x32, patch 8, 2 layers, 4 heads, width 64, MLP 128"),
    "convnext": Entry(tv_convnext, fashion_rgb(32), ["logits"], training="labels", opset=17,
                      note="torchvision ConvNeXt: stages 16-32-64, one block each; opset 17 (LayerNormalization)"),
    "efficientnet": Entry(tv_efficientnet, fashion_rgb(32), ["logits"], training="labels", note="torchvision EfficientNet: 4 MBConv stages with squeeze-and-excitation, 8-32 wide"),
    "regnet": Entry(tv_regnet, fashion_rgb(32), ["logits"], training="labels", note="torchvision RegNet (Y-style, SE): depth 4, group width 8"),
    "resnext": Entry(SmallResNeXt, fashion_rgb(32), ["logits"], training="labels", note="torchvision ResNet Bottleneck with 4 groups, widths 16-32-64 (ResNeXt)"),
    "shufflenet_v2": Entry(tv_shufflenet_v2, fashion_rgb(32), ["logits"], training="labels", note="torchvision ShuffleNetV2: repeats 2-2-2, channels 8-16-32-64-128"),
    "mobilenet_v3": Entry(tv_mobilenet_v3, fashion_rgb(32), ["logits"], training="labels", note="torchvision mobilenet_v3_small, width 0.25 (hard-swish, SE)"),
    "lraspp": Entry(tv_lraspp, fashion_segmentation, ["masks"], training="segmentation", note="torchvision LRASPP on mobilenet_v3_small features (width 0.25), 4 classes, 32x32"),
    "deeplabv3": Entry(tv_deeplabv3, fashion_segmentation, ["masks"], training="segmentation", note="torchvision DeepLabV3 (ASPP rates 2-4, 16 wide) on mobilenet_v3_small features, 4 classes"),
    "bert": Entry(TinyBert, token_classes, ["logits"], training="labels", sequence_axis=True,
                  note="BERT-style encoder: token + position embeddings (up to 128 tokens), 2 post-norm layers, 4 heads of 8, GELU MLP 64, 4 classes"),
    "sentence_encoder": Entry(SentenceEncoder, lambda count, generator: token_data(count, generator), ["embedding"], opset=17, sequence_axis=True,
                              note="sentence-embedding encoder: 2 pre-norm layers, attention written with einsum (Einsum), opset 17 "
                                   "(LayerNormalization), masked mean pool to [N,32]; no labels"),
    "audio_gru": Entry(AudioGru, tone_clips, ["logits"], training="labels", note="Conv1d front end, GRU over time (to be held fixed), MLP; 1024 samples, 10 tones"),
    "norms_activations": Entry(NormsAndActivations, fashion_rgb(32), ["logits"], training="labels",
                               note="GroupNorm, InstanceNorm, PReLU, Mish, Softplus, ELU, SELU, global max + average pooling in a small CNN"),
    "yolo": Entry(TinyYolo, fashion_detection, ["predictions"], training="calibrate",
                  note="YOLOv8n-style: Conv-BN-SiLU, C2f (Split), SPPF, upsample + Concat neck, decoupled head, no DFL/NMS; 64x64 in, [N,20,84] out"),
    "unet": Entry(TinyUNet, fashion_gray, ["masks"], training="segmentation", note="UNet: two levels, max-pool down, ConvTranspose up, Concat skips; 1x32x32 in, 3 classes"),
    "textcnn": Entry(TextCnn, token_ids_only, ["logits"], training="labels", sequence_axis=True, note="TextCNN: embedding 32, Conv1d 3/4/5 x 16, max over time (ReduceMax)"),
    "vit_opset11": Entry(lambda: tv_vit(num_layers=1, hidden_dim=32, mlp_dim=64), fashion_rgb(32), ["logits"], training="labels", opset=11,
                         note="the ViT at opset 11 (Softmax over its axis and every axis after it, Unsqueeze axes as attributes): 1 layer, width 32"),
    "lstm_text": Entry(LstmText, token_ids_only, ["logits"], training="labels", sequence_axis=True,
                       note="embedding 24, per-token MLP 96, bidirectional LSTM 16 (to be held fixed, about half the FLOPs), mean over time, MLP; 4 classes"),
    "dual_encoder": Entry(DualEncoder, image_and_tokens, ["image_embedding", "text_embedding"],
                          note="CLIP-style: conv image tower and embedding + MLP text tower, each F.normalize'd (ReduceL2); two outputs, no labels"),
    "audio1d": Entry(Audio1d, tone_clips, ["logits"], training="labels", note="M5-style waveform classifier: Conv1d + BN + ReLU + MaxPool1d x4, 1024 samples, 10 tones"),
    "video3d": Entry(Video3d, drifting_clips, ["logits"], training="labels", note="C3D-style: Conv3d + BN + ReLU + MaxPool3d x3; 3x8x32x32 clips"),
    "swin": Entry(tv_swin, fashion_rgb(32), ["logits"], training="labels",
                  note="torchvision SwinTransformer: patch 4, embed 16, depths 2-2, heads 2-4, window 4 (shifted windows: the mask "
                       "filled by ScatterND, pads from Mod, BOOL constants)"),
    "conformer": Entry(Conformer, tone_features, ["logits"], training="labels",
                       note="one Conformer block: half-step FFNs, nn.MultiheadAttention, pointwise Conv1d, GLU, depthwise Conv1d, BatchNorm, SiLU; "
                            "[N,24,20] features, 6 classes"),
    "wide_deep": Entry(WideAndDeep, tabular, ["click"],
                       note="Wide & Deep click model: five inputs (two float, [N] user and item ids, [N,3] category ids), one sigmoid output; no labels"),
    "gpt2": Entry(Gpt2, lambda count, generator: {"input_ids": token_data(count, generator)["input_ids"]}, ["logits"], opset=14, sequence_axis=True,
                  note="GPT-2-style decoder: 2 pre-norm blocks of 4 heads, causal mask from a uint8 buffer (Where) and from Trilu, "
                       "LM head tied to the token embedding; [N,T,100] logits, no labels"),
    "t5_encoder": Entry(T5Encoder, token_classes, ["logits"], training="labels", sequence_axis=True,
                        note="T5-style encoder: RMSNorm (rsqrt and Reciprocal), relative-position buckets (Abs, Less, Log, Min, Where), "
                             "unscaled attention, ReLU MLP, masked mean, 4 classes"),
    "espcn": Entry(Espcn, lambda count, generator: {"input": fashion_images(count)}, ["upscaled"],
                   note="ESPCN super-resolution: 28x28 Fashion-MNIST to 84x84 through PixelShuffle(3) (DepthToSpace); no labels"),
}


TASK_NETWORKS = {
    "two_input_regression": Entry(TwoInputRegression, two_input_regression_data, ["regression"], FIXTURES,
                                  targets=two_input_regression_targets, samples=400,
                                  note="regression, no labels; trained 300 Adam steps on brightness, spread and side sums"),
    "token_encoder": Entry(TokenEncoder, token_data, ["embedding"], FIXTURES, sequence_axis=True,
                           targets=token_encoder_targets, samples=400,
                           note="sentence-embedding style, no labels; ids padded with 0 after 3..16 tokens; "
                                "trained 300 Adam steps on a random projection of the bag of tokens"),
}


TRAINING_SAMPLES, TRAINING_STEPS, TRAINING_BATCH = 512, 150, 32


def brightness_bands(image, classes):
    """Per-pixel class of an image batch: its brightness (mean over channels) cut into equal bands."""
    return (image.mean(1) * classes).long().clamp(0, classes - 1)


def train_briefly(model, data, training):
    """A short Adam run (or, for "calibrate", batch-norm statistics only) on the samples before the stored ones.

    Returns the figure to record: held-out accuracy (classifiers), pixel accuracy (segmenters) or None."""
    names = [n for n in data if n != "labels"]
    tensors = {n: torch.from_numpy(data[n]) for n in data}
    train_rows, held_rows = torch.arange(TRAINING_SAMPLES), torch.arange(TRAINING_SAMPLES, len(tensors[names[0]]))
    generator = torch.Generator().manual_seed(SEED)

    def batch(rows):
        return [tensors[n][rows] for n in names]

    def loss_of(outputs, rows):
        if training == "labels":
            return F.cross_entropy(outputs, tensors["labels"][rows])
        return F.cross_entropy(outputs, brightness_bands(tensors[names[0]][rows], outputs.shape[1]))

    def calibrate_batch_norm():
        """Running statistics as the average over 20 batches (torchvision's MobileNetV3 moves them by 1% a step)."""
        norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None
        model.train()
        with torch.no_grad():
            for _ in range(20):
                model(*batch(torch.randint(0, TRAINING_SAMPLES, (TRAINING_BATCH,), generator=generator)))
        model.eval()

    if training != "calibrate":
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(TRAINING_STEPS):
            rows = torch.randint(0, TRAINING_SAMPLES, (TRAINING_BATCH,), generator=generator)
            optimizer.zero_grad()
            loss_of(model(*batch(rows)), rows).backward()
            optimizer.step()
    calibrate_batch_norm()
    if training == "calibrate":
        return None
    with torch.no_grad():
        outputs = model(*batch(held_rows))
    if training == "labels":
        return round((outputs.argmax(1) == tensors["labels"][held_rows]).float().mean().item(), 4)
    return round((outputs.argmax(1) == brightness_bands(tensors[names[0]][held_rows], outputs.shape[1])).float().mean().item(), 4)


def export(name, entry):
    torch.manual_seed(SEED)
    model = entry.constructor()
    generator = np.random.default_rng(SEED)
    relative_error = held_out = None
    if entry.training is not None:
        data = entry.data(TRAINING_SAMPLES + entry.samples, generator)
        held_out = train_briefly(model, data, entry.training)
        data = {n: a[TRAINING_SAMPLES:] for n, a in data.items()}
    else:
        data = entry.data(entry.samples, generator)
    if entry.targets is not None:
        relative_error = fit(model, data, entry.targets(data))
    model.eval()
    inputs = [n for n in data if n != "labels"]
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
        "labels": "labels" in data,
        "opset": entry.opset,
        "params": sum(p.numel() for p in model.parameters()),
        "ops": ops,
        "bytes": os.path.getsize(path),
    }
    if relative_error is not None:
        facts["trainedMseOverTargetVariance"] = round(relative_error, 4)
    if entry.training is not None:
        facts["training"] = ("" if entry.training == "calibrate" else
                             f"{TRAINING_STEPS} Adam steps (lr 1e-3, batch {TRAINING_BATCH}) on {TRAINING_SAMPLES} other samples, "
                             + ("cross-entropy on the labels; " if entry.training == "labels" else "per-pixel cross-entropy on brightness bands; ")) \
            + f"batch-norm statistics averaged over 20 batches of {TRAINING_BATCH}"
    if held_out is not None:
        facts["heldOutAccuracy" if entry.training == "labels" else "heldOutPixelAccuracy"] = held_out
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
    everything = {**ZOO_NETWORKS, **TASK_NETWORKS}
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
    zoo = {n: export(n, ZOO_NETWORKS[n]) for n in chosen if n in ZOO_NETWORKS}
    if zoo:
        update_manifest(os.path.join(ZOO, "zoo.json"), "networks", zoo, {"seed": SEED, "torch": torch.__version__, "maker": "tools/make_zoo.py"})
    print(f"wrote {FIXTURES}", file=sys.stderr)


if __name__ == "__main__":
    main()
