"""meshnn's own device-loss evaluation of the committed models (``python -m distill patterns``).

For every exported model in ``distill/results/<dataset>.json``, runs
``meshnn simulate MODEL --deploy DEPLOY --data <dataset>_test.npz --loss-model patterns --json``
on a deployment where each student runs on its own wearable and the hub senses nothing
(``examples/nonn_wearables/deploy_k{K}.toml``), so a lost device is a lost student, exactly the
event PyTorch's ``failure_table`` evaluates.  meshnn's numbers (every test sample under every
subset of lost devices, through the generated firmware and its fallbacks) are stored beside
PyTorch's as ``meshnn_patterns``, with the largest difference between the two; RESULTS.md's
per-pattern and expected-accuracy tables print meshnn's numbers.
"""
from __future__ import annotations

import json
import logging
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import partition as P

log = logging.getLogger("distill.patterns")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEPLOY = "examples/nonn_wearables/deploy_k{K}.toml"
P_LOSS = ("0.1", "0.2", "0.3", "0.5")


def meshnn_json(cmd):
    """Run a meshnn command with ``--json`` from the repository root: its parsed output."""
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def simulate_patterns(meshnn, model, deploy, data):
    """``meshnn simulate --loss-model patterns --json`` of one model: the parsed JSON, and
    the command as RESULTS.md prints it (``meshnn`` for the binary's path)."""
    args = ["simulate", model, "--deploy", deploy, "--data", data,
            "--loss-model", "patterns", "--loss", ",".join(P_LOSS), "--json"]
    return meshnn_json([meshnn, *args]), " ".join(["meshnn", *args])


STUDENT = re.compile(r"/students\.(\d+)/")


def check_one_student_per_device(meshnn, model, deploy, K):
    """``meshnn partition --json``: every student runs whole on its own wearable and none on
    the hub, so that losing a device is losing one student (what PyTorch evaluates)."""
    where = {}
    placed = meshnn_json([meshnn, "partition", model, "--deploy", deploy, "--json"])
    for dev in placed["devices"]:
        for node in dev["nodes"]:
            m = STUDENT.search(node)
            if m:
                where.setdefault(int(m.group(1)), set()).add((dev["name"], dev["hub"]))
    bad = {k: sorted(n for n, _ in v) for k, v in where.items()
           if len(v) != 1 or next(iter(v))[1]}
    devices = [next(iter(v))[0] for v in where.values()]
    if bad or len(where) != K or len(set(devices)) != K:
        raise RuntimeError(f"{model} on {deploy}: the students do not run one whole student "
                           f"per wearable (student -> devices {dict(sorted(where.items()))}); "
                           "a lost device would not be one lost student. Check the "
                           "deployment's [partition] balance_tolerance and budgets.")


def summary(sim, command):
    """meshnn's JSON in the shape of ``train.failure_table``'s ``by_lost``/``expected``."""
    return {"command": command, "devices": sim["devices"], "hub": sim["hub"],
            "samples": sim["samples"],
            "by_lost": [{"lost": b["lost"], "patterns": b["patterns"],
                         "mean": b["mean_score"], "worst": b["worst_score"]}
                        for b in sim["by_lost"]],
            "expected": {f"{e['p']}": e["score"] for e in sim["expected"]}}


def max_difference(entry, mp):
    """Largest |meshnn − PyTorch| over the mean and worst accuracy by number lost and the
    expected accuracies both report (fractions)."""
    diffs = [abs(a[k] - b[k]) for a, b in zip(entry["by_lost"], mp["by_lost"])
             for k in ("mean", "worst")]
    diffs += [abs(entry["expected"][p] - mp["expected"][p])
              for p in mp["expected"] if p in entry["expected"]]
    return max(diffs)


def measure(results_dir=None, meshnn=None, datasets=None, jobs=1):
    """Add ``meshnn_patterns`` to every exported variant of the results JSON files, running
    ``jobs`` simulations at a time."""
    binary = P.find_meshnn(meshnn)
    if binary is None:
        raise SystemExit("distill patterns: no meshnn binary found (build it with "
                         "`cargo build --release`, `pip install .`, or pass --meshnn PATH)")
    results_dir = Path(results_dir) if results_dir else HERE / "results"
    files = {}
    for path in sorted(results_dir.glob("*.json")):
        res = json.loads(path.read_text())
        if not datasets or res["dataset"] in datasets:
            files[path] = res
    todo = [(path, vname) for path, res in files.items()
            for vname, entry in sorted(res["variants"].items()) if "onnx" in entry]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        done = ex.map(lambda t: measure_one(binary, files[t[0]], t[1]), todo)
        for (path, _), _ in zip(todo, done):
            path.write_text(json.dumps(files[path], indent=1))
    return results_dir


def measure_one(binary, res, vname):
    """meshnn's patterns of one exported variant, stored in its results entry."""
    name, entry = res["dataset"], res["variants"][vname]
    data = str(Path(entry["onnx"]).parent / f"{name}_test.npz")  # written beside the models
    deploy = DEPLOY.format(K=entry["K"])
    check_one_student_per_device(binary, entry["onnx"], deploy, entry["K"])
    sim, command = simulate_patterns(binary, entry["onnx"], deploy, data)
    mp = summary(sim, command)
    mp["max_diff_vs_pytorch"] = max_difference(entry, mp)
    entry["meshnn_patterns"] = mp
    log.info("%s %s: meshnn loss-free %.4f, E(0.5) %.4f; max |meshnn - PyTorch| %.2f pp",
             name, vname, mp["by_lost"][0]["mean"], mp["expected"]["0.5"],
             100 * mp["max_diff_vs_pytorch"])
    return mp
