"""Build tests/models/int8/int_outputs.onnx (issue 13): a quantised model whose graph
outputs are the integer values of QuantizeLinear nodes, as the ONNX helper writes them
(onnxruntime's quantize_static always ends in DequantizeLinear, so it makes none).

    x [1, 3, 8, 8] float32
    xq = QuantizeLinear(x, 0.05, 128 uint8)        uint8 activation
    y  = QuantizeLinear(MaxPool2x2(DequantizeLinear(xq)), 0.05, 128 uint8)
                                                   graph output, uint8: an int8 island
    f  = DequantizeLinear(y)                       graph output, float32 (reads y)
    z  = QuantizeLinear(x * 0.5, scales [0.01, 0.02, 0.04], zero points [0, -10, 5],
                        axis 1)                    graph output, int8, per axis

Every output is exact (max and the float32 division of QuantizeLinear round alike
everywhere), so meshnn must equal onnxruntime value for value. `int_outputs.inputs.npz`
holds a seeded standard-normal x times 3 (so both ends saturate); `int_outputs.outputs.npz`
is onnxruntime (CPU, 1 thread) in the outputs' own types.

Run from the repository root: python3 tests/models/make_int_outputs.py
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_fixtures import save_npz  # noqa: E402

OUT = os.path.join(HERE, "int8", "int_outputs")


def build():
    init = [
        numpy_helper.from_array(np.array(0.05, np.float32), "s_x"),
        numpy_helper.from_array(np.array(128, np.uint8), "zp_x"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(np.array([0.01, 0.02, 0.04], np.float32), "s_z"),
        numpy_helper.from_array(np.array([0, -10, 5], np.int8), "zp_z"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s_x", "zp_x"], ["xq"], name="q_x"),
        helper.make_node("DequantizeLinear", ["xq", "s_x", "zp_x"], ["xd"], name="dq_x"),
        helper.make_node("MaxPool", ["xd"], ["p"], name="pool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("QuantizeLinear", ["p", "s_x", "zp_x"], ["y"], name="q_y"),
        helper.make_node("DequantizeLinear", ["y", "s_x", "zp_x"], ["f"], name="dq_y"),
        helper.make_node("Mul", ["x", "half"], ["m"], name="mul"),
        helper.make_node("QuantizeLinear", ["m", "s_z", "zp_z"], ["z"], name="q_z", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "int_outputs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 3, 4, 4]),
         helper.make_tensor_value_info("f", TensorProto.FLOAT, [1, 3, 4, 4]),
         helper.make_tensor_value_info("z", TensorProto.INT8, [1, 3, 8, 8])],
        init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="meshnn tests/models/make_int_outputs.py")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    model = build()
    onnx.save(model, OUT + ".onnx")
    x = (np.random.default_rng(13).standard_normal((1, 3, 8, 8)) * 3).astype(np.float32)
    x[0, 0, 0, :4] = [0.025, -0.075, 0.125, np.float32(0.01 * 2.5)]  # ties of x / scale
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(OUT + ".onnx", so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = dict(zip(names, sess.run(names, {"x": x})))
    # numpy's own account of the same arithmetic (float32 division, half to even)
    s_z = np.array([0.01, 0.02, 0.04], np.float32).reshape(1, 3, 1, 1)
    zp_z = np.array([0, -10, 5], np.float32).reshape(1, 3, 1, 1)
    z = np.clip(np.rint((x * np.float32(0.5)) / s_z) + zp_z, -128, 127).astype(np.int8)
    xq = np.clip(np.rint(x / np.float32(0.05)) + 128, 0, 255)
    y = xq.reshape(1, 3, 4, 2, 4, 2).max(axis=(3, 5)).astype(np.uint8)
    assert np.array_equal(outs["z"], z) and np.array_equal(outs["y"], y)
    save_npz(OUT + ".inputs.npz", {"x": x})
    save_npz(OUT + ".outputs.npz", outs)
    for n, v in outs.items():
        print(n, v.dtype, v.shape, v.min(), v.max())


if __name__ == "__main__":
    main()
