"""Torch-free: the pip-installed meshnn (`pip install .` at the repo root builds the CLI with
maturin). It is the `meshnn` of this Python's environment, reports the crate's version, and
distill's community step runs it by default.

When the wheel is not installed the test skips, except under `MESHNN_REQUIRE_WHEEL=1`
(set by `.ci/run`, after `scripts/setup.sh` installed it), where that is a failure."""
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from distill import partition as P

REPO = Path(__file__).resolve().parents[2]


def crate_version() -> str:
    text = (REPO / "compiler" / "Cargo.toml").read_text()
    return re.search(r'^version = "([^"]+)"', text, re.M).group(1)


def test_community_step_runs_the_pip_installed_meshnn(monkeypatch):
    wheel = P.wheel_meshnn()
    if not os.path.isfile(wheel):
        if os.environ.get("MESHNN_REQUIRE_WHEEL") == "1":
            pytest.fail(f"meshnn is not pip-installed at {wheel} (run `pip install .`)")
        pytest.skip("meshnn is not pip-installed (`python3 -m pip install .`)")
    v = subprocess.run([wheel, "--version"], capture_output=True, text=True, timeout=30)
    assert v.returncode == 0 and v.stdout.strip() == f"meshnn {crate_version()}", v

    monkeypatch.delenv("MESHNN", raising=False)
    assert P.find_meshnn() == wheel
    # two dense blocks joined by one light edge: the balanced split must find them
    adj = np.zeros((8, 8))
    for block in (range(0, 4), range(4, 8)):
        for i in block:
            for j in block:
                if i != j:
                    adj[i, j] = 1.0
    adj[3, 4] = adj[4, 3] = 0.1
    res = P.cluster(adj, 2, "eigen", balanced=True)
    assert res["source"] == "meshnn" and res["binary"] == wheel
    assert sorted(map(sorted, res["communities"])) == [[0, 1, 2, 3], [4, 5, 6, 7]]
