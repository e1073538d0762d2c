"""Torch-dependent (skipped cleanly without torch/onnx/onnxruntime): ONNX export round
trip of tiny untrained NoNN and resilient models."""
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from distill import export as E  # noqa: E402
from distill.tests.tiny import export_checked, tiny  # noqa: E402


@pytest.mark.parametrize("resilient", [False, True])
@pytest.mark.parametrize("dim", [1, 2])
def test_roundtrip(tmp_path, resilient, dim):
    p = str(tmp_path / "m.onnx")
    export_checked(tiny(resilient, dim), dim, p, samples=3)
    means = E.mean_nodes(p)
    if resilient:
        assert len(means) == 4 and all(len(n.input) == 2 for n in means)
    else:
        assert not means


def test_masked_matches_unmasked_when_all_present():
    m = tiny(True)
    x = torch.randn(5, 1, 28, 28)
    with torch.no_grad():
        a = m(x)
        b = m(x, torch.ones(5, 4))
    assert torch.allclose(a, b, atol=1e-6)


def test_resilient_missing_copy_uses_the_other():
    m = tiny(True)
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        feats = [f for f, _ in m.student_outputs(x)]
        mask = torch.tensor([[0.0, 1, 1, 1]] * 2)
        got = m.aggregate(feats, mask)
        # group 0 is held by students 0 and 3; with student 0 missing it is student 3's copy
        # group 1 by students 0 and 1: only student 1's copy counts
        assert [c[0] for c in m.copies[0]] == [0, 3] and [c[0] for c in m.copies[1]] == [0, 1]
        parts = []
        for g, cps in enumerate(m.copies):
            present = [c for c in cps if c[0] != 0]
            parts.append(sum(feats[s][:, u:v] for s, u, v in present) / len(present))
        ref = m.classifier(torch.cat(parts, 1))
    assert torch.allclose(got, ref, atol=1e-6)


def test_allowed_ops_rejects_unknown(tmp_path):
    import onnx
    from onnx import helper, TensorProto
    g = helper.make_graph([helper.make_node("Erf", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    p = str(tmp_path / "bad.onnx")
    onnx.save(helper.make_model(g), p)
    with pytest.raises(AssertionError):
        E.check_ops(p)
