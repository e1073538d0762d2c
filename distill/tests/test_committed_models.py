"""The committed distilled models (tests/models/<dataset>_<variant>_k<K>.onnx): ≤ 1 MB,
only meshnn-supported ops, K disjoint student branches, one Mean per filter group for the
resilient variants (late fusion: one Mean over the K students' logits, the model's output),
and onnxruntime reproduces the stored reference output.  Needs onnx and
onnxruntime (not torch); skipped when they are missing."""
import glob
import os
import re

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from distill import export as E  # noqa: E402

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "models")
PAT = re.compile(r"^(mnist|gesture|basicmotions)_(.+)_k(\d+)\.onnx$")
FILES = sorted(f for f in glob.glob(os.path.join(MODELS, "*.onnx"))
               if PAT.match(os.path.basename(f)))


@pytest.mark.skipif(not FILES, reason="no distilled models committed")
@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f) for f in FILES])
def test_committed_model(path):
    ds, variant, k = PAT.match(os.path.basename(path)).groups()
    k = int(k)
    assert os.path.getsize(path) <= E.MAX_BYTES
    m = onnx.load(path)
    onnx.checker.check_model(m)
    assert m.opset_import[0].version >= 13
    E.check_ops(path)
    assert len(E.student_branches(path)) == k
    means = E.mean_nodes(path)
    if "latefusion" in variant:
        assert len(means) == 1 and len(means[0].input) == k
        assert means[0].output[0] == m.graph.output[0].name
        prod = {o: n for n in m.graph.node for o in n.output}
        assert all(prod[t].op_type == "Gemm" for t in means[0].input)  # one head per student
    elif variant.startswith("resilient"):
        assert len(means) == k and all(len(n.input) == 2 for n in means)
    else:
        assert not means
    base = path[:-len(".onnx")]
    x = np.load(base + ".inputs.npz")["input"]
    ref = np.load(base + ".outputs.npz")["logits"]
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x})[0]
    assert np.abs(got - ref).max() <= 1e-5
    test = np.load(os.path.join(MODELS, f"{ds}_test.npz"))
    assert test["x"].dtype == np.float32 and tuple(test["x"].shape[1:]) == tuple(x.shape[1:])
