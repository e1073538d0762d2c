#!/usr/bin/env python3
"""Generate meshnn's ONNX test fixtures and their onnxruntime reference data.

    python3 tests/models/make_fixtures.py            # writes into tests/models/

Everything is deterministic: weights and inputs come from numpy.random.default_rng(0)
(one generator, consumed in a fixed order), node/tensor names are fixed, the models carry
no timestamps, and the .npz archives are written with a fixed zip date (see `save_npz`).
Running it twice gives byte-identical files.

For each model `<name>.onnx` it writes
    <name>.inputs.npz   one float32 array per graph input, key = ONNX input name
    <name>.outputs.npz  onnxruntime's result per graph output, key = ONNX output name

It also (re)computes reference data for the models exported from PyTorch
(`TORCH_FIXTURES`: torch_cnn.onnx, ...) that exist (the models themselves come from
make_torch_fixture.py, which needs torch), and prints a table of
parameters and MACs per model.
"""
import os
import sys
import zipfile
import io

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

HERE = os.path.dirname(os.path.abspath(__file__))
IR_VERSION = 8  # opset 13..17 models; accepted by every onnx / onnxruntime in use


class Builder:
    """Tiny graph builder: keeps nodes, initialisers and a shared RNG."""

    def __init__(self, name, rng):
        self.name = name
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.inputs = []
        self.outputs = []

    def input(self, name, shape):
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def output(self, name, shape):
        self.outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))

    def init(self, name, arr):
        arr = np.asarray(arr, dtype=np.float32)
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def node(self, op, inputs, output, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=name, **attrs))
        return output

    # --- layers -------------------------------------------------------------
    def conv(self, x, name, cin, cout, k, group=1, out=None, bias=True, **attrs):
        ks = list(k) if isinstance(k, (list, tuple)) else [k, k]
        fan_in = (cin // group) * int(np.prod(ks))
        w = self.rng.standard_normal((cout, cin // group, *ks)) * np.sqrt(2.0 / fan_in)
        ins = [x, self.init(name + "_W", w)]
        if bias:
            ins.append(self.init(name + "_B", self.rng.standard_normal(cout) * 0.05))
        return self.node("Conv", ins, out or name + "_out", name, kernel_shape=ks,
                         group=group, **attrs)

    def bn(self, x, name, c, out=None):
        scale = self.init(name + "_scale", 1.0 + 0.1 * self.rng.standard_normal(c))
        bias = self.init(name + "_bias", 0.1 * self.rng.standard_normal(c))
        mean = self.init(name + "_mean", 0.1 * self.rng.standard_normal(c))
        var = self.init(name + "_var", self.rng.uniform(0.5, 1.5, c))
        return self.node("BatchNormalization", [x, scale, bias, mean, var],
                         out or name + "_out", name, epsilon=1e-5)

    def gemm(self, x, name, k, n, out=None, trans_b=1):
        w = self.rng.standard_normal((n, k) if trans_b else (k, n)) * np.sqrt(2.0 / k)
        b = self.rng.standard_normal(n) * 0.05
        return self.node("Gemm", [x, self.init(name + "_W", w), self.init(name + "_B", b)],
                         out or name + "_out", name, transB=trans_b)

    def model(self, opset=13):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs,
                                  initializer=self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="meshnn-fixtures", producer_version="1")
        m.ir_version = IR_VERSION
        onnx.checker.check_model(m, full_check=True)
        return m


# --- models -------------------------------------------------------------------

def cnn_bn_residual(rng):
    b = Builder("cnn_bn_residual", rng)
    x = b.input("input", [1, 3, 32, 32])
    h = b.conv(x, "conv1", 3, 8, 3, pads=[1, 1, 1, 1])
    h = b.bn(h, "bn1", 8)
    r = b.node("Relu", [h], "relu1_out", "relu1")
    h = b.conv(r, "conv2", 8, 8, 3, pads=[1, 1, 1, 1])
    h = b.bn(h, "bn2", 8)
    h = b.node("Add", [h, r], "residual_out", "residual_add")
    h = b.node("Relu", [h], "relu2_out", "relu2")
    h = b.node("MaxPool", [h], "pool_out", "maxpool", kernel_shape=[2, 2], strides=[2, 2])
    h = b.node("GlobalAveragePool", [h], "gap_out", "gap")
    h = b.node("Flatten", [h], "flat_out", "flatten", axis=1)
    h = b.gemm(h, "fc", 8, 10)
    b.node("Softmax", [h], "probs", "softmax", axis=-1)
    b.output("probs", [1, 10])
    return b.model(13)


def dw_separable(rng):
    b = Builder("dw_separable", rng)
    x = b.input("input", [1, 8, 16, 16])
    lo = b.init("relu6_min", np.array(0.0))
    hi = b.init("relu6_max", np.array(6.0))
    h = b.conv(x, "dw_conv", 8, 8, 3, group=8, pads=[1, 1, 1, 1])
    h = b.bn(h, "dw_bn", 8)
    h = b.node("Clip", [h, lo, hi], "dw_relu6_out", "dw_relu6")
    h = b.conv(h, "pw_conv", 8, 16, 1)
    h = b.bn(h, "pw_bn", 16)
    h = b.node("Clip", [h, lo, hi], "pw_relu6_out", "pw_relu6")
    h = b.node("AveragePool", [h], "pool_out", "avgpool", kernel_shape=[4, 4], strides=[4, 4])
    h = b.node("Flatten", [h], "flat_out", "flatten", axis=1)
    b.gemm(h, "fc", 16 * 4 * 4, 10, out="logits")
    b.output("logits", [1, 10])
    return b.model(13)


def mlp(rng):
    b = Builder("mlp", rng)
    x = b.input("input", [1, 64])
    h = b.gemm(x, "fc1", 64, 32, trans_b=1)
    h = b.node("Relu", [h], "relu1_out", "relu1")
    h = b.gemm(h, "fc2", 32, 16, trans_b=0)
    h = b.node("LeakyRelu", [h], "lrelu_out", "leaky_relu", alpha=0.1)
    h = b.gemm(h, "fc3", 16, 10, trans_b=1)
    b.node("LogSoftmax", [h], "log_probs", "log_softmax", axis=1)
    b.output("log_probs", [1, 10])
    return b.model(13)


def imu_conv1d(rng):
    b = Builder("imu_conv1d", rng)
    x = b.input("imu", [1, 6, 128])
    h = b.conv(x, "conv1", 6, 16, [5], strides=[2])                # -> 1x16x62
    h = b.node("Relu", [h], "relu1_out", "relu1")
    h = b.conv(h, "conv2", 16, 16, [3], dilations=[2])             # -> 1x16x58
    h = b.node("Relu", [h], "relu2_out", "relu2")
    h = b.node("MaxPool", [h], "pool_out", "maxpool", kernel_shape=[2], strides=[2])  # 29
    h = b.node("GlobalAveragePool", [h], "gap_out", "gap")         # -> 1x16x1
    h = b.node("Flatten", [h], "flat_out", "flatten", axis=1)
    h = b.gemm(h, "fc", 16, 6)
    b.node("Softmax", [h], "probs", "softmax", axis=-1)
    b.output("probs", [1, 6])
    return b.model(13)


def two_input(rng):
    """Two sensor inputs; opset 17 (the one fixture above opset 13)."""
    b = Builder("two_input", rng)
    feats = []
    for site in ("wrist", "chest"):
        x = b.input("imu_" + site, [1, 6, 64])
        h = b.conv(x, site + "_conv", 6, 8, [3], pads=[1, 1])
        h = b.node("Relu", [h], site + "_relu_out", site + "_relu")
        feats.append(b.node("GlobalAveragePool", [h], site + "_feat", site + "_gap"))
    h = b.node("Concat", feats, "concat_out", "concat", axis=1)     # 1x16x1
    h = b.node("Flatten", [h], "flat_out", "flatten", axis=1)
    h = b.gemm(h, "fc", 16, 4)
    b.node("Softmax", [h], "probs", "softmax", axis=-1)
    b.output("probs", [1, 4])
    return b.model(17)


def nonn_k4(rng, k=4):
    """NoNN-shaped: K disjoint student branches over the same input, fused by a Gemm."""
    b = Builder("nonn_k4", rng)
    x = b.input("input", [1, 1, 28, 28])
    feats = []
    for s in range(k):
        p = "s%d_" % s
        h = b.conv(x, p + "conv1", 1, 8, 3, pads=[1, 1, 1, 1])                 # 8x28x28
        h = b.node("Relu", [h], p + "relu1", p + "relu1_op")
        h = b.node("MaxPool", [h], p + "pool1", p + "pool1_op",
                   kernel_shape=[2, 2], strides=[2, 2])                           # 8x14x14
        h = b.conv(h, p + "conv2", 8, 16, 3, pads=[1, 1, 1, 1])                # 16x14x14
        h = b.node("Relu", [h], p + "relu2", p + "relu2_op")
        h = b.conv(h, p + "conv3", 16, 16, 3, pads=[1, 1, 1, 1], strides=[2, 2])  # 16x7x7
        h = b.node("Relu", [h], p + "relu3", p + "relu3_op")
        h = b.node("GlobalAveragePool", [h], p + "gap", p + "gap_op")
        feats.append(b.node("Flatten", [h], p + "feat", p + "flatten", axis=1))  # 1x16
    h = b.node("Concat", feats, "teacher_feat", "concat", axis=1)               # 1x64
    h = b.gemm(h, "fc", 16 * k, 10)
    b.node("Softmax", [h], "probs", "softmax", axis=-1)
    b.output("probs", [1, 10])
    return b.model(13)


def cnn32(rng):
    """Plain 5-conv CNN, ~29 M MACs, for benchmarks."""
    b = Builder("cnn32", rng)
    x = b.input("input", [1, 3, 32, 32])
    h = x
    plan = [(3, 32, False), (32, 32, True), (32, 64, False), (64, 64, True), (64, 128, False)]
    for i, (cin, cout, pool) in enumerate(plan, 1):
        h = b.conv(h, "conv%d" % i, cin, cout, 3, pads=[1, 1, 1, 1])
        h = b.node("Relu", [h], "relu%d_out" % i, "relu%d" % i)
        if pool:
            h = b.node("MaxPool", [h], "pool%d_out" % i, "pool%d" % i,
                       kernel_shape=[2, 2], strides=[2, 2])
    h = b.node("GlobalAveragePool", [h], "gap_out", "gap")
    h = b.node("Flatten", [h], "flat_out", "flatten", axis=1)
    b.gemm(h, "fc", 128, 10, out="logits")
    b.output("logits", [1, 10])
    return b.model(13)


MODELS = [cnn_bn_residual, dw_separable, mlp, imu_conv1d, two_input, nonn_k4, cnn32]


# --- helpers --------------------------------------------------------------------

def save_npz(path, arrays):
    """np.savez with a fixed zip timestamp and member order, so the bytes are stable."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue())
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def stats(model):
    """(parameters, MACs) from shape-inferred static shapes."""
    m = shape_inference.infer_shapes(model, data_prop=True)  # data_prop: Reshape plumbing
    shapes = {}
    for vi in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    inits = {t.name: list(t.dims) for t in m.graph.initializer}
    shapes.update(inits)
    params = int(sum(np.prod(d) for d in inits.values()))
    macs = 0
    for n in m.graph.node:
        if n.op_type == "Conv":
            w = shapes[n.input[1]]
            macs += int(np.prod(shapes[n.output[0]])) * int(np.prod(w[1:]))
        elif n.op_type in ("Gemm", "MatMul"):
            w = shapes[n.input[1]]  # K from the weight: [K, N], or [N, K] with transB
            tb = [x.i for x in n.attribute if x.name == "transB"]
            k = w[-1] if (tb and tb[0]) else w[-2]
            macs += int(np.prod(shapes[n.output[0]])) * k
    return params, macs


def reference(model_path, inputs):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, inputs)
    return {n: np.asarray(o, dtype=np.float32) for n, o in zip(names, outs)}


def make_inputs(model, rng):
    arrays = {}
    init_names = {t.name for t in model.graph.initializer}
    for vi in model.graph.input:
        if vi.name in init_names:
            continue
        shape = [d.dim_value if d.dim_value > 0 else 1 for d in vi.type.tensor_type.shape.dim]
        arrays[vi.name] = rng.standard_normal(shape).astype(np.float32)
    return arrays


def write_reference(name, model, rng):
    path = os.path.join(HERE, name + ".onnx")
    inputs = make_inputs(model, rng)
    outputs = reference(path, inputs)
    save_npz(os.path.join(HERE, name + ".inputs.npz"), inputs)
    save_npz(os.path.join(HERE, name + ".outputs.npz"), outputs)
    return inputs, outputs


# Models exported by make_torch_fixture.py (they need torch), each with the seed of its input.
TORCH_FIXTURES = {
    "torch_cnn": 1,
    "mlp_ln_gelu_op13": 2,
    "mlp_ln_gelu_op18": 3,
    "transformer_op14": 4,
    "transformer_op18": 5,
    "deepconvlstm": 6,
    "deepconvgru": 7,
    "conv3d": 8,
    "ds_cnn": 9,
    "mobilenet_v2_035": 10,
    "mbv3_block_op13": 11,
    "mbv3_block_op18": 12,
}


def main():
    rng = np.random.default_rng(0)
    rows = []
    for fn in MODELS:
        model = fn(rng)
        name = model.graph.name
        path = os.path.join(HERE, name + ".onnx")
        with open(path, "wb") as f:
            f.write(model.SerializeToString(deterministic=True))
        write_reference(name, model, rng)
        rows.append((name, model.opset_import[0].version) + stats(model)
                    + (os.path.getsize(path),))
    for name, seed in TORCH_FIXTURES.items():
        torch_path = os.path.join(HERE, name + ".onnx")
        if not os.path.exists(torch_path):
            print("note: %s.onnx absent (run make_torch_fixture.py first)" % name,
                  file=sys.stderr)
            continue
        model = onnx.load(torch_path)
        onnx.checker.check_model(model, full_check=True)
        # a generator per model, so adding/removing a torch model never shifts the others
        write_reference(name, model, np.random.default_rng(seed))
        rows.append((name, model.opset_import[0].version) + stats(model)
                    + (os.path.getsize(torch_path),))
    print("%-18s %5s %10s %12s %10s" % ("model", "opset", "params", "MACs", "bytes"))
    for r in rows:
        print("%-18s %5d %10d %12d %10d" % r)


if __name__ == "__main__":
    main()
