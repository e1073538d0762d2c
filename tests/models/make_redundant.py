"""Build tests/models/redundant_mean.onnx: a tiny model with redundant copies averaged by
an ONNX Mean (the resilient-partitioning pattern), for the fault-tolerance tests.

    x [1, 8] -> three branches a, b, c: Relu(Gemm(x, W_k, b_k)) [1, 4]
    y = Mean(a, b, c)          (the hub averages the copies that arrive)
    z = Relu(b)                (a received tensor used directly: shows its fallback)

Run from the repository root: python3 tests/models/make_redundant.py (seeded).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(0)
inits, nodes = [], []
for k in "abc":
    w = rng.standard_normal((8, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32) * 0.1
    inits += [numpy_helper.from_array(w, "W_" + k), numpy_helper.from_array(b, "B_" + k)]
    nodes += [
        helper.make_node("Gemm", ["x", "W_" + k, "B_" + k], ["g_" + k], name="gemm_" + k),
        helper.make_node("Relu", ["g_" + k], [k], name="relu_" + k),
    ]
nodes += [
    helper.make_node("Mean", ["a", "b", "c"], ["y"], name="mean"),
    helper.make_node("Relu", ["b"], ["z"], name="use_b"),
]
graph = helper.make_graph(
    nodes, "redundant_mean",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4]),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4])],
    inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="meshnn-tests")
onnx.checker.check_model(model)
onnx.save(model, os.path.join(HERE, "redundant_mean.onnx"))
