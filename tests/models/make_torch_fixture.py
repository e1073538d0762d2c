#!/usr/bin/env python3
"""Export `torch_cnn.onnx` with PyTorch's legacy (TorchScript) ONNX exporter.

    python3 -m pip install torch          # PyPI; ~2 min; only needed to regenerate
    python3 tests/models/make_torch_fixture.py
    python3 tests/models/make_fixtures.py  # (re)writes torch_cnn.inputs/outputs.npz too

The committed torch_cnn.onnx is what CI uses; torch is not a test requirement.
The model flattens with `x.view(x.size(0), -1)`, so the exporter emits the
Shape -> Gather -> Unsqueeze -> Concat -> Reshape plumbing real exported models carry
(meshnn must fold it to a static shape). dynamo=False selects the legacy exporter
(the dynamo exporter resolves the shape statically and emits no plumbing). The batch axis
is exported dynamic (otherwise even the legacy exporter folds Shape/Gather into Constants)
and then pinned back to 1 in the saved model.
Seeded with torch.manual_seed(0); BatchNorm running stats are set to non-trivial values.
"""
import os

import torch
import torch.nn as nn
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))


class TorchCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, stride=2)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))     # 8x16x16
        x = self.pool(x)                             # 8x8x8
        x = torch.relu(self.conv2(x))                # 16x4x4
        x = x.view(x.size(0), -1)                    # Shape/Gather/Unsqueeze/Concat/Reshape
        x = torch.relu(self.fc1(x))
        return torch.softmax(self.fc2(x), dim=1)


def main():
    torch.manual_seed(0)
    m = TorchCNN()
    with torch.no_grad():
        m.bn1.running_mean.uniform_(-0.2, 0.2)
        m.bn1.running_var.uniform_(0.5, 1.5)
        m.bn1.weight.uniform_(0.8, 1.2)
        m.bn1.bias.uniform_(-0.1, 0.1)
    m.eval()
    x = torch.randn(1, 3, 16, 16)
    path = os.path.join(HERE, "torch_cnn.onnx")
    torch.onnx.export(m, (x,), path, dynamo=False, opset_version=13,
                      input_names=["input"], output_names=["probs"],
                      do_constant_folding=True, dynamic_axes={"input": {0: "batch"},
                                                              "probs": {0: "batch"}})
    model = onnx.load(path)
    # The batch axis was exported as dynamic only so that the exporter keeps the shape
    # plumbing (with a static shape it folds Shape/Gather into a Constant). Pin it back
    # to 1: the fixture is a static-shape model that still carries the plumbing.
    for vi in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        for d in vi.type.tensor_type.shape.dim:
            if d.HasField("dim_param"):
                d.dim_value = 1
    model.producer_version = ""   # keep bytes independent of the torch version
    onnx.checker.check_model(model, full_check=True)
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    print("wrote %s: ops %s" % (path, sorted({n.op_type for n in model.graph.node})))


if __name__ == "__main__":
    main()
