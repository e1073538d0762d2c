#!/usr/bin/env python3
"""Write the LayerNorm decomposition PyTorch exports at opset 13 (ReduceMean, Sub, Pow,
ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta) as OUT_DIR/layernorm.onnx, twice in a
row (over the last axis with gamma/beta, then over the last two axes without them), with
onnxruntime's outputs for a random input (layernorm.inputs.npz / layernorm.outputs.npz).
Used by compiler/tests/fuse_layernorm.rs."""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def layer_norm(nodes, inits, x, out, axes, tag, gamma=None, beta=None):
    """Append the decomposition of LayerNorm(x) over `axes` writing `out`."""
    t = lambda n: f"{tag}_{n}"
    nodes += [
        helper.make_node("ReduceMean", [x], [t("m")], axes=axes, keepdims=1),
        helper.make_node("Sub", [x, t("m")], [t("d")]),
        helper.make_node("Pow", [t("d"), t("two")], [t("p")]),
        helper.make_node("ReduceMean", [t("p")], [t("v")], axes=axes, keepdims=1),
        helper.make_node("Add", [t("v"), t("eps")], [t("a")]),
        helper.make_node("Sqrt", [t("a")], [t("s")]),
        helper.make_node("Div", [t("d"), t("s")], [t("y") if gamma is not None else out]),
    ]
    inits += [
        numpy_helper.from_array(np.array(2.0, np.float32), t("two")),
        numpy_helper.from_array(np.array(1e-5, np.float32), t("eps")),
    ]
    if gamma is not None:
        inits += [numpy_helper.from_array(gamma, t("gamma")),
                  numpy_helper.from_array(beta, t("beta"))]
        nodes += [
            helper.make_node("Mul", [t("y"), t("gamma")], [t("ym")]),
            helper.make_node("Add", [t("ym"), t("beta")], [out]),
        ]


def main(out_dir):
    rng = np.random.default_rng(7)
    shape = [2, 3, 8]
    nodes, inits = [], []
    gamma = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    beta = rng.uniform(-1, 1, 8).astype(np.float32)
    layer_norm(nodes, inits, "x", "h", [-1], "ln1", gamma, beta)
    layer_norm(nodes, inits, "h", "y", [-2, -1], "ln2")
    graph = helper.make_graph(
        nodes, "layernorm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    path = os.path.join(out_dir, "layernorm.onnx")
    onnx.save(model, path)
    x = rng.normal(0, 2, shape).astype(np.float32)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {"x": x})
    np.savez(os.path.join(out_dir, "layernorm.inputs.npz"), x=x)
    np.savez(os.path.join(out_dir, "layernorm.outputs.npz"), y=y)


if __name__ == "__main__":
    main(sys.argv[1])
