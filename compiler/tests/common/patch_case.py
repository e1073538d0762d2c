#!/usr/bin/env python3
"""Write OUT_DIR/patch_chain.onnx: a chain of spatially local layers on an odd-sized image,
chosen so that patch-based execution must get every border right (padding that reaches
past the image on both sides, stride 2 on odd sizes, dilation, a 5x5 window, a Sigmoid
whose value at 0 is not 0, a per-channel constant, max pooling without padding), with a
Conv + global pool head after it, and onnxruntime's outputs for a seeded random input
(patch_chain.inputs.npz / patch_chain.outputs.npz); and OUT_DIR/patch_nrf.onnx, a small
image CNN whose first layers need 147 KB layer by layer (more than an nRF52832's 64 KB of
RAM) but little run patch by patch, with its inputs and outputs likewise. Used by
compiler/tests/patch.rs and compiler/tests/firmware.rs."""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(16)


def weights(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.3, name)


def main(out_dir):
    nodes, inits = [], []
    # (out channels, in channels per group, kernel, stride, dilation, pads, group)
    convs = [
        (6, 3, 3, 2, 1, [1, 1, 1, 1], 1),
        (6, 1, 3, 1, 2, [2, 2, 2, 2], 6),
        (8, 6, 5, 1, 1, [2, 1, 2, 3], 1),
    ]
    x = "x"
    for i, (co, ci, k, s, d, pads, g) in enumerate(convs):
        inits += [weights(f"w{i}", co, ci, k, k), weights(f"b{i}", co)]
        nodes.append(helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], kernel_shape=[k, k],
                                      strides=[s, s], dilations=[d, d], pads=pads, group=g))
        x = f"c{i}"
        if i == 0:
            nodes.append(helper.make_node("Sigmoid", [x], ["sig"]))
            inits.append(numpy_helper.from_array(
                rng.standard_normal((6, 1, 1)).astype(np.float32), "shift"))
            nodes.append(helper.make_node("Add", ["sig", "shift"], ["shifted"]))
            x = "shifted"
    nodes.append(helper.make_node("MaxPool", [x], ["pool"], kernel_shape=[2, 2], strides=[2, 2]))
    nodes.append(helper.make_node("Relu", ["pool"], ["r"]))
    inits += [weights("wh", 4, 8, 1, 1)]
    nodes.append(helper.make_node("Conv", ["r", "wh"], ["h"], kernel_shape=[1, 1]))
    nodes.append(helper.make_node("GlobalAveragePool", ["h"], ["y"]))
    graph = helper.make_graph(
        nodes, "patch_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 45, 37])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    path = os.path.join(out_dir, "patch_chain.onnx")
    onnx.save(model, path)
    xv = rng.standard_normal((1, 3, 45, 37)).astype(np.float32)
    (yv,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": xv})
    np.savez(os.path.join(out_dir, "patch_chain.inputs.npz"), x=xv)
    np.savez(os.path.join(out_dir, "patch_chain.outputs.npz"), y=yv)


def nrf(out_dir):
    """x [1, 1, 64, 64] -> Conv 3x3 (8) + Relu -> MaxPool 2 -> Conv 3x3 stride 2 (16) + Relu
    -> GlobalAveragePool -> Flatten -> Gemm (5)."""
    inits = [weights("w0", 8, 1, 3, 3), weights("b0", 8), weights("w1", 16, 8, 3, 3),
             weights("b1", 16), weights("wg", 5, 16), weights("bg", 5)]
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w0", "b0"], ["c0"], "conv0", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("Relu", ["c0"], ["r0"], "relu0"),
        n("MaxPool", ["r0"], ["p0"], "pool0", kernel_shape=[2, 2], strides=[2, 2]),
        n("Conv", ["p0", "w1", "b1"], ["c1"], "conv1", kernel_shape=[3, 3], strides=[2, 2],
          pads=[1, 1, 1, 1]),
        n("Relu", ["c1"], ["r1"], "relu1"),
        n("GlobalAveragePool", ["r1"], ["g"], "gap"),
        n("Flatten", ["g"], ["f"], "flatten"),
        n("Gemm", ["f", "wg", "bg"], ["y"], "fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "patch_nrf",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    path = os.path.join(out_dir, "patch_nrf.onnx")
    onnx.save(model, path)
    xv = rng.standard_normal((1, 1, 64, 64)).astype(np.float32)
    (yv,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": xv})
    np.savez(os.path.join(out_dir, "patch_nrf.inputs.npz"), x=xv)
    np.savez(os.path.join(out_dir, "patch_nrf.outputs.npz"), y=yv)


if __name__ == "__main__":
    main(sys.argv[1])
    nrf(sys.argv[1])
