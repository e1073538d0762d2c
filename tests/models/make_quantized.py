"""Build the int8 fixtures of issue 13: float fixtures quantised by onnxruntime's own
quantiser (meshnn compiles what the ecosystem produces; it has no calibrator of its own).

Written to tests/models/int8/ (kept apart from the float fixtures, which every float test
walks). For each (name, source, options) below: `quant_pre_process`, then `quantize_static` with
16 seeded calibration inputs (standard normal, like the float fixture's input; MinMax),
per-channel int8 weights; the result `<name>.onnx` gets `<name>.inputs.npz` (the float
fixture's own input, so both can be compared) and `<name>.outputs.npz` (onnxruntime, CPU,
1 thread, running the *quantised* model: the oracle of the int8 kernels).

    cnn32_qdq            QDQ, int8 activations (asymmetric), per-channel int8 weights
    dw_separable_qdq     QDQ, depthwise + pointwise + Clip, int8
    imu_conv1d_qdq_u8    QDQ, uint8 activations (1-D conv, pooling, softmax)
    nonn_k4_qdq          QDQ, the NoNN example (its cut tensors are int8 at both ends)
    torch_cnn_qdq        QDQ of the torch export (exporter naming, folded BN)
    dw_separable_mixed   QDQ with the pointwise conv and Gemm left float (float islands)
    cnn32_qop            QOperator form, standard-domain ops only: QLinearConv,
                         QuantizeLinear / DequantizeLinear (Gemm and GlobalAveragePool stay
                         float: onnxruntime would write its com.microsoft QGemm and
                         QLinearGlobalAveragePool, which are not ONNX operators)
    ds_cnn_qdq           QDQ of the DS-CNN keyword spotter (four 3 x 3 depthwise layers:
                         the depthwise int8 kernel on a real network)

Run from the repository root: python3 tests/models/make_quantized.py [NAME...] (needs
onnxruntime; names: only those fixtures).
"""
import os
import sys
import tempfile

import numpy as np
import onnx
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_fixtures import reference, save_npz  # noqa: E402

INT8 = os.path.join(HERE, "int8")
CALIBRATION_SAMPLES = 16


class SeededInputs(CalibrationDataReader):
    """CALIBRATION_SAMPLES standard-normal inputs shaped like the fixture's input."""

    def __init__(self, inputs, seed):
        rng = np.random.default_rng(seed)
        self.batches = iter([
            {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in inputs.items()}
            for _ in range(CALIBRATION_SAMPLES)
        ])

    def get_next(self):
        return next(self.batches, None)


def node_names(model_path, op_types):
    m = onnx.load(model_path)
    return [n.name for n in m.graph.node if n.op_type in op_types]


# name: (float fixture, activation type, format, op types kept float)
QOPERATOR_STANDARD = ("Conv", "MatMul", "MaxPool")
FIXTURES = {
    "cnn32_qdq": ("cnn32", QuantType.QInt8, QuantFormat.QDQ, ()),
    "dw_separable_qdq": ("dw_separable", QuantType.QInt8, QuantFormat.QDQ, ()),
    "imu_conv1d_qdq_u8": ("imu_conv1d", QuantType.QUInt8, QuantFormat.QDQ, ()),
    "nonn_k4_qdq": ("nonn_k4", QuantType.QInt8, QuantFormat.QDQ, ()),
    "torch_cnn_qdq": ("torch_cnn", QuantType.QInt8, QuantFormat.QDQ, ()),
    "dw_separable_mixed": ("dw_separable", QuantType.QInt8, QuantFormat.QDQ, ("Gemm",)),
    "cnn32_qop": ("cnn32", QuantType.QInt8, QuantFormat.QOperator, ()),
    "ds_cnn_qdq": ("ds_cnn", QuantType.QInt8, QuantFormat.QDQ, ()),
}


def quantise(name, source, activation, fmt, keep_float, seed):
    src = os.path.join(HERE, source + ".onnx")
    inputs = dict(np.load(os.path.join(HERE, source + ".inputs.npz")))
    out = os.path.join(INT8, name + ".onnx")
    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, "pre.onnx")
        quant_pre_process(src, pre)
        quantize_static(pre, out, SeededInputs(inputs, seed), quant_format=fmt,
                        per_channel=True, activation_type=activation,
                        weight_type=QuantType.QInt8,
                        nodes_to_exclude=node_names(pre, keep_float),
                        op_types_to_quantize=(list(QOPERATOR_STANDARD)
                                              if fmt == QuantFormat.QOperator else None))
    m = onnx.load(out)
    onnx.checker.check_model(m, full_check=True)
    with open(out, "wb") as f:  # deterministic bytes
        f.write(m.SerializeToString(deterministic=True))
    save_npz(os.path.join(INT8, name + ".inputs.npz"), inputs)
    save_npz(os.path.join(INT8, name + ".outputs.npz"), reference(out, inputs))
    ops = sorted({n.op_type for n in m.graph.node})
    print("%-20s %7d bytes  ops: %s" % (name, os.path.getsize(out), " ".join(ops)))


def main(only=None):
    """Every fixture, or only those named (each keeps its seed: its index in FIXTURES)."""
    for seed, (name, (source, activation, fmt, keep_float)) in enumerate(FIXTURES.items()):
        if only is None or name in only:
            quantise(name, source, activation, fmt, keep_float, 100 + seed)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
