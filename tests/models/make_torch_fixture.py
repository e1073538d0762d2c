#!/usr/bin/env python3
"""Export the fixtures that come from PyTorch, with its legacy (TorchScript) ONNX exporter.

    python3 -m pip install torch          # PyPI; a few minutes; only needed to regenerate
    python3 tests/models/make_torch_fixture.py [NAME ...]
    python3 tests/models/make_fixtures.py  # (re)writes every <name>.inputs/outputs.npz

The committed .onnx files are what CI uses; torch is not a test requirement.

Every model is exported with dynamo=False (the legacy exporter, which emits the shape
plumbing real exported models carry: Shape -> Gather -> Unsqueeze -> Concat -> Reshape, and
for attention the Mod/Sqrt/Div arithmetic on shapes that meshnn must fold). The batch axis
is exported dynamic (otherwise even the legacy exporter folds the plumbing into Constants)
and then pinned back to 1 in the saved model. Each model is seeded with its own
torch.manual_seed, so regenerating one never changes another.

Models (see README.md for what each exercises):
  torch_cnn               Conv/BN/MaxPool/Gemm CNN, opset 13
  mlp_ln_gelu_op13        MLP with nn.LayerNorm + nn.GELU; LayerNorm decomposed (opset 13)
  mlp_ln_gelu_op18        the same model at opset 18 (LayerNormalization)
  transformer_op14        nn.TransformerEncoderLayer(d_model 32, 2 heads), seq 16, opset 14
  transformer_op18        the same model at opset 18
  deepconvlstm            Conv1d stack + 2-layer LSTM on a [1, 6, 128] IMU window
  deepconvgru             the same with a 2-layer GRU
  conv3d                  a small 3-D CNN on a [1, 1, 8, 16, 16] volume
  ds_cnn                  DS-CNN keyword spotter (Hello Edge, small) on [1, 1, 49, 10] MFCCs
  mobilenet_v2_035        torchvision's MobileNetV2 layers, width 0.35, 96x96, 10 classes
  mbv3_block_op13         MobileNetV3-style blocks (HardSwish, SE with HardSigmoid, SiLU),
                          opset 13: HardSwish exported as x * HardSigmoid(x)
  mbv3_block_op18         the same model at opset 18 (HardSwish)
"""
import os
import sys

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

    def prepare(self):
        with torch.no_grad():
            self.bn1.running_mean.uniform_(-0.2, 0.2)
            self.bn1.running_var.uniform_(0.5, 1.5)
            self.bn1.weight.uniform_(0.8, 1.2)
            self.bn1.bias.uniform_(-0.1, 0.1)


class MlpLayerNormGelu(nn.Module):
    """A feature MLP as wearable teams train them: Linear -> LayerNorm -> GELU, twice."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.ln1 = nn.LayerNorm(64)
        self.fc2 = nn.Linear(64, 32)
        self.ln2 = nn.LayerNorm(32)
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        x = nn.functional.gelu(self.ln1(self.fc1(x)))
        x = nn.functional.gelu(self.ln2(self.fc2(x)), approximate="tanh")
        return self.head(x)

    def prepare(self):
        with torch.no_grad():
            for ln in (self.ln1, self.ln2):
                ln.weight.uniform_(0.8, 1.2)
                ln.bias.uniform_(-0.1, 0.1)


class TinyTransformer(nn.Module):
    """IMU window [1, 16, 6] -> Linear embedding -> one TransformerEncoderLayer -> mean -> head."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(6, 32)
        self.encoder = nn.TransformerEncoderLayer(d_model=32, nhead=2, dim_feedforward=64,
                                                  dropout=0.0, batch_first=True)
        self.head = nn.Linear(32, 6)

    def forward(self, x):
        x = self.encoder(self.embed(x))
        return self.head(x.mean(dim=1))

    def prepare(self):
        pass


class DeepConvRecurrent(nn.Module):
    """DeepConvLSTM-style HAR model: Conv1d stack over a [1, 6, 128] window, then a 2-layer
    LSTM (or GRU) over time, then a classifier on the last step."""

    def __init__(self, cell):
        super().__init__()
        self.conv1 = nn.Conv1d(6, 16, 5, padding=2)
        self.conv2 = nn.Conv1d(16, 16, 5, stride=2, padding=2)
        self.conv3 = nn.Conv1d(16, 16, 5, stride=2, padding=2)   # 32 steps left
        self.rnn = cell(16, 24, num_layers=2)
        self.head = nn.Linear(24, 6)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = torch.relu(self.conv3(x))          # [B, 16, 32]
        x = x.permute(2, 0, 1)                 # [T, B, C]: the default (seq-first) layout
        y, _ = self.rnn(x)
        return self.head(y[-1])

    def prepare(self):
        pass


class Conv3dNet(nn.Module):
    """A small volumetric CNN: [1, 1, 8, 16, 16] -> two Conv3d, MaxPool3d, AvgPool3d -> head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool3d(2)
        self.conv2 = nn.Conv3d(4, 8, 3, padding=1, stride=(1, 2, 2))
        self.avg = nn.AvgPool3d((2, 2, 2))
        self.head = nn.Linear(8 * 2 * 2 * 2, 5)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))     # 4 x 4 x 8 x 8
        x = torch.relu(self.conv2(x))                 # 8 x 4 x 4 x 4
        x = self.avg(x)                               # 8 x 2 x 2 x 2
        return self.head(x.flatten(1))

    def prepare(self):
        pass


class DsCnn(nn.Module):
    """DS-CNN keyword spotter ("Hello Edge", Zhang et al. 2017, the small model of ARM's
    ML-KWS): Conv 10x4 stride 2 -> 4 x (depthwise 3x3 + pointwise 1x1, BN + ReLU each) ->
    average pool -> 12 classes, on 49 frames x 10 MFCCs."""

    def __init__(self):
        super().__init__()
        c = 64
        layers = [nn.Conv2d(1, c, (10, 4), stride=2, padding=(5, 1)), nn.BatchNorm2d(c),
                  nn.ReLU()]
        for _ in range(4):
            layers += [nn.Conv2d(c, c, 3, padding=1, groups=c), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.Conv2d(c, c, 1), nn.BatchNorm2d(c), nn.ReLU()]
        self.features = nn.Sequential(*layers)   # 64 x 25 x 5
        self.pool = nn.AvgPool2d((25, 5))
        self.head = nn.Linear(c, 12)

    def forward(self, x):
        return self.head(self.pool(self.features(x)).flatten(1))

    def prepare(self):
        randomise_batchnorm(self)


def make_divisible(v, divisor=8):
    """torchvision's _make_divisible: round to a multiple of 8, never down by more than 10 %."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def conv_bn(c_in, c_out, k, stride=1, groups=1, act=nn.ReLU6):
    layers = [nn.Conv2d(c_in, c_out, k, stride, (k - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(c_out)]
    return layers + ([act()] if act else [])


class InvertedResidual(nn.Module):
    def __init__(self, c_in, c_out, stride, expand):
        super().__init__()
        hidden = int(round(c_in * expand))
        layers = conv_bn(c_in, hidden, 1) if expand != 1 else []
        layers += conv_bn(hidden, hidden, 3, stride, hidden) + conv_bn(hidden, c_out, 1, act=None)
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10), layer for layer
    (torchvision is not needed to regenerate): the inverted-residual settings, the
    _make_divisible channel rounding, ReLU6, and the 1280-channel last layer."""

    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, width=0.35, classes=10):
        super().__init__()
        c_in = make_divisible(32 * width)
        layers = conv_bn(3, c_in, 3, 2)
        for t, c, n, s in self.SETTINGS:
            c_out = make_divisible(c * width)
            for i in range(n):
                layers.append(InvertedResidual(c_in, c_out, s if i == 0 else 1, t))
                c_in = c_out
        layers += conv_bn(c_in, 1280, 1)
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(1280, classes)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.head(x.flatten(1))

    def prepare(self):
        randomise_batchnorm(self)


class SqueezeExcite(nn.Module):
    def __init__(self, c, squeeze):
        super().__init__()
        self.fc1 = nn.Conv2d(c, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, c, 1)

    def forward(self, x):
        s = nn.functional.adaptive_avg_pool2d(x, 1)
        s = nn.functional.hardsigmoid(self.fc2(torch.relu(self.fc1(s))))
        return x * s


class Mbv3Blocks(nn.Module):
    """The activations MobileNetV3 and EfficientNet use, in their blocks: a HardSwish stem,
    a depthwise block with squeeze-and-excitation (HardSigmoid gate), a SiLU block."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(*conv_bn(3, 16, 3, 2, act=nn.Hardswish))
        self.expand = nn.Sequential(*conv_bn(16, 48, 1, act=nn.Hardswish))
        self.dw = nn.Sequential(*conv_bn(48, 48, 5, 2, 48, act=nn.Hardswish))
        self.se = SqueezeExcite(48, 16)
        self.project = nn.Sequential(*conv_bn(48, 24, 1, act=None))
        self.silu = nn.Sequential(*conv_bn(24, 32, 3, 1, act=nn.SiLU),
                                  *conv_bn(32, 32, 3, 1, 32, act=nn.SiLU))
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        x = self.project(self.se(self.dw(self.expand(self.stem(x)))))
        x = self.silu(x)
        return self.head(nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))

    def prepare(self):
        randomise_batchnorm(self)


def randomise_batchnorm(model):
    """Statistics as a trained network has them, so folding BatchNorm is exercised."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.8, 1.2)
                m.bias.uniform_(-0.1, 0.1)


# name -> (seed, module factory, example input shape, opset, input name, output name)
MODELS = {
    "torch_cnn": (0, TorchCNN, (1, 3, 16, 16), 13, "input", "probs"),
    "mlp_ln_gelu_op13": (2, MlpLayerNormGelu, (1, 64), 13, "input", "logits"),
    "mlp_ln_gelu_op18": (2, MlpLayerNormGelu, (1, 64), 18, "input", "logits"),
    "transformer_op14": (3, TinyTransformer, (1, 16, 6), 14, "imu", "logits"),
    "transformer_op18": (3, TinyTransformer, (1, 16, 6), 18, "imu", "logits"),
    "deepconvlstm": (4, lambda: DeepConvRecurrent(nn.LSTM), (1, 6, 128), 13, "imu", "logits"),
    "deepconvgru": (5, lambda: DeepConvRecurrent(nn.GRU), (1, 6, 128), 13, "imu", "logits"),
    "conv3d": (6, Conv3dNet, (1, 1, 8, 16, 16), 13, "volume", "logits"),
    "ds_cnn": (7, DsCnn, (1, 1, 49, 10), 13, "mfcc", "logits"),
    "mobilenet_v2_035": (8, MobileNetV2, (1, 3, 96, 96), 13, "image", "logits"),
    "mbv3_block_op13": (9, Mbv3Blocks, (1, 3, 32, 32), 13, "image", "logits"),
    "mbv3_block_op18": (9, Mbv3Blocks, (1, 3, 32, 32), 18, "image", "logits"),
}


def pin_batch(model):
    """The batch axis was exported as dynamic only so that the exporter keeps the shape
    plumbing. Pin it back to 1: the fixture is a static-shape model that still carries it."""
    for vi in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        for d in vi.type.tensor_type.shape.dim:
            if d.HasField("dim_param"):
                d.dim_value = 1


def export(name):
    seed, make, shape, opset, in_name, out_name = MODELS[name]
    torch.manual_seed(seed)
    m = make()
    m.prepare()
    m.eval()
    x = torch.randn(*shape)
    path = os.path.join(HERE, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(m, (x,), path, dynamo=False, opset_version=opset,
                          input_names=[in_name], output_names=[out_name],
                          do_constant_folding=True,
                          dynamic_axes={in_name: {0: "batch"}, out_name: {0: "batch"}})
    model = onnx.load(path)
    pin_batch(model)
    model.producer_version = ""   # keep bytes independent of the torch version
    onnx.checker.check_model(model, full_check=True)
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    print("wrote %s: opset %d, ops %s" % (path, opset, sorted({n.op_type for n in model.graph.node})))


def main():
    # nn.TransformerEncoderLayer's inference fast path is one fused aten op that no ONNX
    # exporter translates; the exported graph must be the layer's plain operators.
    torch.backends.mha.set_fastpath_enabled(False)
    names = sys.argv[1:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit("unknown model(s) %s; known: %s" % (unknown, ", ".join(MODELS)))
    for name in names:
        export(name)


if __name__ == "__main__":
    main()
