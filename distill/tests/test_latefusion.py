"""Late fusion (per-student heads, the hub averages the logits that arrived): ONNX export
(one ``Mean`` over the K students' logits), masked semantics, and — when a meshnn binary is
found — equality with meshnn's firmware under every pattern of lost devices."""
import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from distill import export as E  # noqa: E402
from distill.tests.tiny import export_checked, tiny  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def tiny_late(resilient=True, dim=2, k=4, n_filters=8, seed=0):
    return tiny(resilient, dim, k=k, n_filters=n_filters, seed=seed, fusion="late")


def _producers(g):
    return {o: n for n in g.node for o in n.output}


@pytest.mark.parametrize("resilient", [False, True])
@pytest.mark.parametrize("dim", [1, 2])
def test_late_fusion_roundtrip_one_mean_over_k_logits(tmp_path, resilient, dim):
    p = str(tmp_path / "late.onnx")
    branches = export_checked(tiny_late(resilient, dim), dim, p, samples=5)
    g = onnx.load(p).graph
    means = E.mean_nodes(p)
    assert len(means) == 1 and len(means[0].input) == 4
    assert means[0].output[0] == g.output[0].name  # the Mean is the model's output
    # each input of the Mean is one student's head (Gemm) fed only by that student's branch
    prod = _producers(g)
    gap = [n.output[0] for n in g.node if n.op_type == "GlobalAveragePool"]
    for k, t in enumerate(means[0].input):
        n = prod[t]
        assert n.op_type == "Gemm"
        seen, stack = set(), [n.input[0]]
        while stack:
            u = stack.pop()
            if u in seen:
                continue
            seen.add(u)
            if u in prod:
                stack.extend(prod[u].input)
        hit = [i for i, o in enumerate(gap) if o in seen]
        assert hit == [k], f"Mean input {k} depends on students {hit}"


def test_late_fusion_masked_semantics():
    m = tiny_late(True)
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        feats = [f for f, _ in m.student_outputs(x)]
        heads = [h(f) for h, f in zip(m.heads, feats)]
        assert torch.allclose(m(x), m(x, torch.ones(3, 4)), atol=1e-6)
        assert torch.allclose(m(x), sum(heads) / 4, atol=1e-6)
        mask = torch.tensor([[1.0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
        got = m.aggregate(feats, mask)
        assert torch.allclose(got[0], (heads[0][0] + heads[2][0]) / 2, atol=1e-6)
        assert torch.allclose(got[1], heads[3][1], atol=1e-6)
        assert torch.equal(got[2], torch.zeros(10))  # every student lost: zeros


def _meshnn():
    for c in (os.environ.get("MESHNN"), REPO / "target" / "release" / "meshnn",
              REPO / "target" / "debug" / "meshnn", shutil.which("meshnn")):
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return str(c)
    return None


def test_late_fusion_equals_meshnn_firmware_under_every_loss_pattern(tmp_path):
    """Every subset of lost students through ``meshnn simulate --loss-model patterns`` (one
    student per remote device, the hub only averages) gives the same predictions as the
    masked PyTorch model: labels = the loss-free prediction, so each pattern's score is the
    agreement, compared sample-exactly (≤ 1 sample for float rounding ties)."""
    mesh = _meshnn()
    if mesh is None:
        pytest.skip("no meshnn binary (set MESHNN or build target/release/meshnn)")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler for meshnn simulate")
    K = 4
    # 16 features per student (> 10 logits), so the partition runs each head beside its
    # student and sends logits, as for the real K = 8 models (checked below)
    m = tiny_late(True, k=K, n_filters=32, seed=1)
    x = np.random.default_rng(2).uniform(0, 1, (60, 1, 28, 28)).astype(np.float32)
    x = x * (np.random.default_rng(3).uniform(0, 1, (60, 1, 1, 1)) > 0.5)  # two brightnesses
    x = np.ascontiguousarray(x + np.linspace(0, 1, 60, dtype=np.float32)[:, None, None, None])
    xt = torch.from_numpy(x)
    with torch.no_grad():  # untrained heads on standardised features, so predictions vary
        feats = [f for f, _ in m.student_outputs(xt)]
        for h, f in zip(m.heads, feats):
            w = torch.randn(h.weight.shape) / (f.std(0) + 1e-3)
            h.weight.copy_(w)
            h.bias.copy_(-(w * f.mean(0)).sum(1))
        y = m(xt).argmax(1).numpy().astype(np.int64)
    p = str(tmp_path / "late.onnx")
    E.export_onnx(m, (1, 1, 28, 28), p)
    assert len(set(y.tolist())) >= 3, "degenerate test model: predictions do not vary"
    E.save_npz(str(tmp_path / "d.npz"), x=x, y=y)
    devs = "".join(f'[[device]]\nname = "s{i}"\ntarget = "nrf52840"\ninputs = ["input"]\n\n'
                   for i in range(K))
    (tmp_path / "deploy.toml").write_text(
        '[link]\nprofile = "ble"\n\n' + devs +
        '[[device]]\nname = "hub"\ntarget = "stm32l476"\ninputs = ["input"]\noutputs = true\n')
    part = json.loads(subprocess.run(
        [mesh, "partition", p, "--deploy", str(tmp_path / "deploy.toml"), "--json"],
        check=True, capture_output=True, text=True).stdout)
    student_of, on_hub = {}, set()
    for d in part["devices"]:
        ks = {int(n.split(f"/model/{w}.")[1].split("/")[0])
              for n in d["nodes"] for w in ("students", "heads") if f"/model/{w}." in n}
        heads = {int(n.split("/model/heads.")[1].split("/")[0])
                 for n in d["nodes"] if "/model/heads." in n}
        assert heads == ks, f"{d['name']}: heads {heads} not beside their students {ks}"
        if d["hub"]:
            on_hub |= ks  # the partition may run a student on the hub: never lost
        else:
            assert len(ks) <= 1, f"device {d['name']} runs students {ks}"
            if ks:
                student_of[d["name"]] = ks.pop()
    assert sorted(list(student_of.values()) + sorted(on_hub)) == list(range(K))
    assert len(student_of) >= K - 1
    out = json.loads(subprocess.run(
        [mesh, "simulate", p, "--deploy", str(tmp_path / "deploy.toml"),
         "--data", str(tmp_path / "d.npz"), "--loss-model", "patterns", "--loss", "0.5",
         "--json", "--build-dir", str(tmp_path / "sim")],
        check=True, capture_output=True, text=True).stdout)
    assert sorted(out["devices"]) == sorted(student_of)
    assert len(out["patterns"]) == 2 ** len(student_of)
    n = len(y)
    worst, refs = 0, []
    for pat in out["patterns"]:
        mask = torch.ones(n, K)
        for d in pat["lost"]:
            mask[:, student_of[d]] = 0.0
        with torch.no_grad():
            pred = m.aggregate(feats, mask).argmax(1).numpy()
        ref = float((pred == y).mean())
        refs.append(ref)
        worst = max(worst, abs(pat["score"] - ref) * n)
    assert len(set(refs)) >= 4, "degenerate test: loss patterns barely change the predictions"
    assert worst <= 1.0, f"meshnn and PyTorch differ by {worst} samples in some pattern"
