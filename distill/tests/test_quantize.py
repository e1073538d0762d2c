"""The int8 QDQ versions of the distilled models (``python -m distill quantize``): made by
onnxruntime's quantiser with the options issue 13 names, deterministic, and the committed
ones carry onnxruntime's own outputs.  Needs onnx and onnxruntime (not torch)."""
import glob
import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from distill import quantize as Q  # noqa: E402

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "models")
INT8 = os.path.join(MODELS, "int8", "distilled")
FLOAT = sorted(f for ds in ("mnist", "gesture", "basicmotions")
               for f in Q.committed_models(MODELS, ds))


def test_every_committed_model_has_its_int8_version():
    assert len(FLOAT) == 23  # MNIST 10 (K = 4, 8), gesture 5 (K = 4), BasicMotions 8
    have = sorted(glob.glob(os.path.join(INT8, "*" + Q.SUFFIX + ".onnx")))
    assert sorted(os.path.basename(Q.quantised_path(f, INT8)) for f in FLOAT) == \
        sorted(os.path.basename(h) for h in have)


@pytest.mark.parametrize("path", FLOAT, ids=[os.path.basename(f) for f in FLOAT])
def test_committed_int8_model(path):
    q = Q.quantised_path(path, INT8)
    m = onnx.load(q)
    onnx.checker.check_model(m)
    ops = {n.op_type for n in m.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    inits = {t.name: t for t in m.graph.initializer}
    # per-channel int8 weights: every Conv's weight is a DequantizeLinear of an int8
    # initialiser with one scale per output channel
    producer = {o: n for n in m.graph.node for o in n.output}
    convs = [n for n in m.graph.node if n.op_type == "Conv"]
    assert convs
    for c in convs:
        dq = producer[c.input[1]]
        assert dq.op_type == "DequantizeLinear"
        w = inits[dq.input[0]]
        assert w.data_type == onnx.TensorProto.INT8
        assert onnx.numpy_helper.to_array(inits[dq.input[1]]).shape == (w.dims[0],)
    # the stored oracle is what onnxruntime computes (first 20 test samples)
    ds = os.path.basename(path).split("_")[0]
    x = np.load(os.path.join(MODELS, f"{ds}_test.npz"))["x"][:20]
    want = np.load(q[:-len(".onnx")] + ".test_outputs.npz")["logits"]
    assert want.shape[0] == len(np.load(os.path.join(MODELS, f"{ds}_test.npz"))["y"])
    np.testing.assert_array_equal(Q.logits(q, x), want[:20])


def test_quantise_is_deterministic(tmp_path):
    src = os.path.join(MODELS, "basicmotions_resilient_k4.onnx")
    x = np.load(os.path.join(MODELS, "basicmotions_test.npz"))["x"][:8]
    a = Q.quantise(src, str(tmp_path / "a.onnx"), x)
    b = Q.quantise(src, str(tmp_path / "b.onnx"), x)
    assert open(a, "rb").read() == open(b, "rb").read()
