"""A float model with the int8 islands the fixtures of tests/models/int8 lack (Add and Mul
of two activations, MatMul with a constant B, Concat of differently scaled inputs, ReLU
and Clip fused into the requantisation, GlobalAveragePool, Softmax), quantised by
onnxruntime's quantize_static (QDQ, per-channel int8 weights, int8 activations) and run
by onnxruntime: writes DIR/model.onnx, DIR/inputs.npz and DIR/outputs.npz (the oracle).
With `relu_clip`, the model is a QDQ graph written by hand instead, so that its ReLU (after
a Conv) and its Clip (alone between a DequantizeLinear and a QuantizeLinear) stay, with
zero points that make both clamps bite; onnxruntime runs it likewise.

    python3 compiler/tests/common/int8_islands_case.py DIR [relu_clip]
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_static)

rng = np.random.default_rng(13)


def const(name, shape, scale=0.3):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def float_model():
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv_a", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu_a"),
        helper.make_node("Conv", ["x", "w2", "b2"], ["c2"], name="conv_b", pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"], name="clip_b"),
        helper.make_node("Add", ["r1", "r2"], ["s"], name="add"),
        helper.make_node("Mul", ["s", "r2"], ["m"], name="mul"),
        helper.make_node("Concat", ["m", "r1"], ["cat"], name="concat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "wm"], ["mm"], name="matmul"),
        helper.make_node("Softmax", ["mm"], ["y"], name="softmax", axis=-1),
    ]
    inits = [const("w1", [6, 3, 3, 3]), const("b1", [6], 0.1), const("w2", [6, 3, 3, 3]),
             const("b2", [6], 0.1), const("wm", [12, 5], 1.0),
             numpy_helper.from_array(np.array(-0.5, np.float32), "lo"),
             numpy_helper.from_array(np.array(1.5, np.float32), "hi")]
    graph = helper.make_graph(nodes, "int8_islands",
                              [helper.make_tensor_value_info("x", TP.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TP.FLOAT, [1, 5])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


class Reader(CalibrationDataReader):
    def __init__(self):
        self.batches = iter([{"x": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)}
                             for _ in range(16)])

    def get_next(self):
        return next(self.batches, None)


def qdq(x, y, scale, zp, k):
    """x -> QuantizeLinear -> DequantizeLinear -> y with its own scale and zero point."""
    inits = [numpy_helper.from_array(np.array(scale, np.float32), f"s{k}"),
             numpy_helper.from_array(np.array(zp, np.int8), f"z{k}")]
    nodes = [helper.make_node("QuantizeLinear", [x, f"s{k}", f"z{k}"], [f"q{k}"], name=f"Q{k}"),
             helper.make_node("DequantizeLinear", [f"q{k}", f"s{k}", f"z{k}"], [y],
                              name=f"DQ{k}")]
    return nodes, inits


def relu_clip_model():
    sx = 0.03
    w = (rng.standard_normal((6, 3, 3, 3)) * 0.3).astype(np.float32)
    sw = (np.abs(w).reshape(6, -1).max(1) / 127).astype(np.float32)
    wq = np.round(w / sw[:, None, None, None]).astype(np.int8)
    b = (rng.standard_normal(6) * 0.1).astype(np.float32)
    sb = (np.float32(sx) * sw).astype(np.float32)
    bq = np.round(b / sb).astype(np.int32)
    inits = [numpy_helper.from_array(wq, "wq"), numpy_helper.from_array(sw, "sw"),
             numpy_helper.from_array(np.zeros(6, np.int8), "zw"),
             numpy_helper.from_array(bq, "bq"), numpy_helper.from_array(sb, "sb"),
             numpy_helper.from_array(np.zeros(6, np.int32), "zb"),
             numpy_helper.from_array(np.array(-0.2, np.float32), "lo"),
             numpy_helper.from_array(np.array(0.6, np.float32), "hi")]
    nodes = [helper.make_node("DequantizeLinear", ["wq", "sw", "zw"], ["w"], name="DQw", axis=0),
             helper.make_node("DequantizeLinear", ["bq", "sb", "zb"], ["b"], name="DQb", axis=0)]
    for n, i in [qdq("x", "xd", sx, 3, 0)]:
        nodes += n
        inits += i
    nodes += [helper.make_node("Conv", ["xd", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
              helper.make_node("Relu", ["c"], ["r"], name="relu")]
    n, i = qdq("r", "rd", 0.05, -20, 1)
    nodes += n + [helper.make_node("MaxPool", ["rd"], ["p"], name="pool", kernel_shape=[2, 2],
                                   strides=[2, 2])]
    inits += i
    n, i = qdq("p", "pd", 0.05, -20, 2)
    nodes += n + [helper.make_node("Clip", ["pd", "lo", "hi"], ["cl"], name="clip")]
    inits += i
    n, i = qdq("cl", "y", 0.01, 10, 3)
    nodes += n
    inits += i
    graph = helper.make_graph(nodes, "relu_clip",
                              [helper.make_tensor_value_info("x", TP.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TP.FLOAT, [1, 6, 4, 4])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def main(out, case):
    os.makedirs(out, exist_ok=True)
    model = os.path.join(out, "model.onnx")
    if case == "relu_clip":
        onnx.save(relu_clip_model(), model)
    else:
        fp = os.path.join(out, "float.onnx")
        onnx.save(float_model(), fp)
        quantize_static(fp, model, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"x": x})[0]
    np.savez(os.path.join(out, "inputs.npz"), x=x)
    np.savez(os.path.join(out, "outputs.npz"), y=y)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "islands")
