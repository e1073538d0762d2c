"""``python -m distill patterns``: meshnn's device-loss evaluation of a committed model equals
the PyTorch evaluation stored when it was trained, and a deployment on which a lost device
is not one lost student is refused.  Needs a meshnn binary (skipped without one) and the
committed gesture models; no torch."""
import json
from pathlib import Path

import pytest

from distill import partition as P
from distill import patterns as PT

REPO = Path(__file__).resolve().parents[2]
BINARY = P.find_meshnn(None)
pytestmark = pytest.mark.skipif(BINARY is None, reason="no meshnn binary with `cluster`")


def gesture_results():
    return json.loads((REPO / "distill" / "results" / "gesture.json").read_text())


@pytest.mark.parametrize("variant", ["nonn_k4", "resilient_failout_k4",
                                     "resilient_latefusion_failout_k4"])
def test_meshnn_patterns_equal_the_pytorch_evaluation(variant):
    res = gesture_results()
    pytorch = {k: res["variants"][variant][k] for k in ("by_lost", "expected")}
    mp = PT.measure_one(BINARY, res, variant)
    assert [b["patterns"] for b in mp["by_lost"]] == [1, 4, 6, 4, 1]
    assert mp["max_diff_vs_pytorch"] == PT.max_difference(pytorch, mp)
    assert mp["max_diff_vs_pytorch"] < 1e-6, mp
    assert mp["by_lost"][4]["mean"] == pytest.approx(0.1)  # all lost: the classifier's bias


def test_a_student_split_onto_the_hub_is_refused(tmp_path):
    deploy = REPO / "examples" / "nonn_wearables" / "deploy_k4.toml"
    model = "tests/models/gesture_nonn_k4.onnx"
    PT.check_one_student_per_device(BINARY, model, str(deploy), 4)
    strict = tmp_path / "strict.toml"
    strict.write_text(deploy.read_text().replace("balance_tolerance = 1.0",
                                                 "balance_tolerance = 0.5"))
    with pytest.raises(RuntimeError, match="one whole student per wearable"):
        PT.check_one_student_per_device(BINARY, model, str(strict), 4)


def test_max_difference_covers_every_number_both_report():
    a = {"by_lost": [{"mean": 0.9, "worst": 0.9}, {"mean": 0.8, "worst": 0.7}],
         "expected": {"0.0": 0.9, "0.1": 0.85, "0.5": 0.8}}
    b = {"by_lost": [{"mean": 0.9, "worst": 0.9}, {"mean": 0.8, "worst": 0.65}],
         "expected": {"0.1": 0.85, "0.5": 0.81}}
    assert PT.max_difference(a, b) == pytest.approx(0.05)
    b["expected"]["0.5"] = 0.9
    assert PT.max_difference(a, b) == pytest.approx(0.1)
