"""Build tests/models/latefusion_k4.onnx: a tiny late-fusion model whose hub runs the
students' heads, for the device-loss tests (compiler/tests/simulate.rs).

    input [1, 1, 28, 28] -> four students k: f_k = Flatten(GlobalAveragePool(Relu(Conv_k(input))))  [1, 3]
    l_k = Gemm(f_k, H_k, c_k)   [1, 10]   (student k's head: 3 features -> 10 logits)
    logits = Mean(l_0, l_1, l_2, l_3)      (late fusion: the average of the students' logits)

A student's feature vector (12 bytes) is smaller than its logits (40 bytes), so the
partitioner runs every head on the hub: a lost student's head then reads the zero
fallback and outputs its bias c_k, which the Mean must leave out (as failout training
leaves out that student's logits), not average in.

Run from the repository root: python3 tests/models/make_latefusion.py (seeded).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(14)
inits, nodes, logits = [], [], []
for k in range(4):
    s = f"s{k}"
    w = rng.standard_normal((3, 1, 3, 3)).astype(np.float32)
    b = (rng.standard_normal(3) * 0.1).astype(np.float32)
    h = rng.standard_normal((3, 10)).astype(np.float32)
    c = rng.standard_normal(10).astype(np.float32)
    inits += [numpy_helper.from_array(a, f"{s}_{n}") for a, n in ((w, "W"), (b, "B"), (h, "H"), (c, "C"))]
    nodes += [
        helper.make_node("Conv", ["input", f"{s}_W", f"{s}_B"], [f"{s}_conv"], name=f"{s}_conv",
                         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", [f"{s}_conv"], [f"{s}_relu"], name=f"{s}_relu"),
        helper.make_node("GlobalAveragePool", [f"{s}_relu"], [f"{s}_gap"], name=f"{s}_gap"),
        helper.make_node("Flatten", [f"{s}_gap"], [f"{s}_features"], name=f"{s}_flatten"),
        helper.make_node("Gemm", [f"{s}_features", f"{s}_H", f"{s}_C"], [f"{s}_logits"], name=f"{s}_head"),
    ]
    logits.append(f"{s}_logits")
nodes.append(helper.make_node("Mean", logits, ["logits"], name="late_fusion"))
graph = helper.make_graph(
    nodes, "latefusion_k4",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 28, 28])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
    inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="meshnn-tests")
onnx.checker.check_model(model)
onnx.save(model, os.path.join(HERE, "latefusion_k4.onnx"))
