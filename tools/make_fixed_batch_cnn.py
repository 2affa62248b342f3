#!/usr/bin/python3
"""tests/fixtures/fixed_batch_cnn.onnx: a small CNN exported as torch.onnx.export does by default, without dynamic_axes.

Its input and output have batch 1 and x.view(x.size(0), -1) is folded into the constant Reshape target [1, 784]; Shears
makes such a batch dynamic where the graph allows (src/Domain/Onnx/FixedBatch.cs). Untrained, seeded weights.

    /usr/bin/python3 tools/make_fixed_batch_cnn.py
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "fixed_batch_cnn.onnx")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(16 * 7 * 7, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


if __name__ == "__main__":
    torch.manual_seed(7)
    torch.onnx.export(Net().eval(), torch.randn(1, 1, 28, 28), OUT, input_names=["input"], output_names=["logits"], opset_version=13)
