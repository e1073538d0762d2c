"""A float model with the int8 islands the fixtures of tests/models/int8 lack (Add and Mul
of two activations, MatMul with a constant B, Concat of differently scaled inputs, ReLU
and Clip fused into the requantisation, GlobalAveragePool, Softmax), quantised by
onnxruntime's quantize_static (QDQ, per-channel int8 weights, int8 activations) and run
by onnxruntime: writes DIR/model.onnx, DIR/inputs.npz and DIR/outputs.npz (the oracle).

    python3 compiler/tests/common/int8_islands_case.py DIR
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


def main(out):
    os.makedirs(out, exist_ok=True)
    fp = os.path.join(out, "float.onnx")
    onnx.save(float_model(), fp)
    model = os.path.join(out, "model.onnx")
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
    main(sys.argv[1])
