"""Partitions of the filter activation network into K students.

* **NoNN**: Louvain communities greedily merged into K disjoint groups
  (``meshnn cluster ADJ.npy -k K --method louvain --json``);
* **resilient**: balanced leading-eigenvector partition into K equal groups
  (``meshnn cluster ADJ.npy -k K --method eigen --balanced --json``) plus redundancy r:
  student s holds groups s, s+1, …, s+r-1 (mod K), so every filter is in exactly r
  students, every student holds r·F/K filters, and losing fewer than r consecutive
  students removes no filter.

The community step runs the ``meshnn`` binary (``--meshnn PATH`` / ``$MESHNN`` / the
wheel's, installed beside this Python by ``pip install .`` / the workspace's
``target/{release,debug}/meshnn`` / ``$PATH``) so the trainer and the compiler share one
implementation.  Only when no binary with a ``cluster`` subcommand is found, a
networkx/numpy fallback is used and this is logged (``source`` = ``"fallback"``).
Torch-free.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger("distill.partition")

REPO = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- modularity helpers
def modularity(adj: np.ndarray, labels) -> float:
    """Newman's weighted modularity Q of a labelling."""
    a = np.asarray(adj, dtype=np.float64)
    labels = np.asarray(labels)
    k = a.sum(axis=1)
    two_m = k.sum()
    if two_m <= 0:
        return 0.0
    same = labels[:, None] == labels[None, :]
    return float(((a - np.outer(k, k) / two_m) * same).sum() / two_m)


def _leading_vector(adj: np.ndarray, nodes: list[int]) -> np.ndarray:
    """Leading eigenvector of the generalised modularity matrix of subgraph ``nodes``."""
    a = np.asarray(adj, dtype=np.float64)
    k = a.sum(axis=1)
    two_m = k.sum() or 1.0
    idx = np.asarray(nodes)
    b = a[np.ix_(idx, idx)] - np.outer(k[idx], k[idx]) / two_m
    b = b - np.diag(b.sum(axis=1))
    vals, vecs = np.linalg.eigh(b)
    v = vecs[:, -1]
    # deterministic sign
    j = int(np.argmax(np.abs(v)))
    return v if v[j] >= 0 else -v


def target_sizes(n: int, k: int) -> list[int]:
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def eigen_balanced(adj: np.ndarray, k: int) -> list[int]:
    """Numpy fallback: recursive balanced leading-eigenvector bisection into k groups whose
    sizes differ by at most one (exactly equal when k divides n)."""
    n = adj.shape[0]
    labels = [0] * n
    nxt = [0]

    def split(nodes: list[int], sizes: list[int]):
        if len(sizes) == 1:
            for i in nodes:
                labels[i] = nxt[0]
            nxt[0] += 1
            return
        half = len(sizes) // 2
        n_left = sum(sizes[:half])
        v = _leading_vector(adj, nodes)
        order = np.argsort(-v, kind="stable")
        left = sorted(nodes[i] for i in order[:n_left])
        right = sorted(nodes[i] for i in order[n_left:])
        split(left, sizes[:half])
        split(right, sizes[half:])

    split(list(range(n)), target_sizes(n, k))
    return labels


def louvain_k(adj: np.ndarray, k: int, seed: int = 0) -> list[int]:
    """networkx fallback for NoNN: Louvain communities, then greedy merging of the pair whose
    merge increases modularity most (decreases it least) until k remain; if Louvain finds
    fewer than k, the largest community is bisected by its leading eigenvector."""
    import networkx as nx

    g = nx.from_numpy_array(np.asarray(adj, dtype=np.float64))
    comms = [sorted(c) for c in nx.community.louvain_communities(g, weight="weight", seed=seed)]
    n = adj.shape[0]

    def labels_of(cs):
        lab = [0] * n
        for c, members in enumerate(cs):
            for i in members:
                lab[i] = c
        return lab

    while len(comms) > k:
        best = None
        for i in range(len(comms)):
            for j in range(i + 1, len(comms)):
                trial = [c for t, c in enumerate(comms) if t not in (i, j)] + [comms[i] + comms[j]]
                q = modularity(adj, labels_of(trial))
                if best is None or q > best[0] + 1e-12:
                    best = (q, i, j)
        _, i, j = best
        merged = sorted(comms[i] + comms[j])
        comms = [c for t, c in enumerate(comms) if t not in (i, j)] + [merged]
    while len(comms) < k:
        comms.sort(key=len, reverse=True)
        big = comms.pop(0)
        if len(big) < 2:
            raise ValueError("cannot split into k non-empty groups")
        v = _leading_vector(adj, big)
        left = [big[i] for i in range(len(big)) if v[i] > 0]
        right = [big[i] for i in range(len(big)) if v[i] <= 0]
        if not left or not right:
            order = np.argsort(-v, kind="stable")
            h = len(big) // 2
            left = [big[i] for i in order[:h]]
            right = [big[i] for i in order[h:]]
        comms += [sorted(left), sorted(right)]
    comms.sort(key=lambda c: c[0])
    return labels_of(comms)


# ---------------------------------------------------------------- meshnn binary
def wheel_meshnn() -> str:
    """Where the meshnn wheel installs its binary: the scripts folder of this Python's
    environment (a venv's bin/, or the interpreter's)."""
    return os.path.join(sysconfig.get_path("scripts"), "meshnn")


def find_meshnn(explicit: str | None = None) -> str | None:
    """Path of a meshnn binary that has the ``cluster`` subcommand, or None."""
    cands = []
    if explicit:
        cands.append(explicit)
    if os.environ.get("MESHNN"):
        cands.append(os.environ["MESHNN"])
    # the meshnn that `pip install .` (the maturin wheel) put beside this Python
    cands.append(wheel_meshnn())
    for sub in ("release", "debug"):
        cands.append(str(REPO / "target" / sub / "meshnn"))
    w = shutil.which("meshnn")
    if w:
        cands.append(w)
    for c in cands:
        if not (os.path.isfile(c) and os.access(c, os.X_OK)):
            continue
        try:
            r = subprocess.run([c, "cluster", "--help"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0 and "--method" in (r.stdout + r.stderr):
            return c
        log.info("meshnn at %s has no usable `cluster` subcommand", c)
    return None


def meshnn_cluster(binary: str, adj: np.ndarray, k: int, method: str, balanced: bool) -> dict:
    with tempfile.TemporaryDirectory() as td:
        p = os.path.join(td, "adj.npy")
        np.save(p, np.asarray(adj, dtype=np.float64))
        cmd = [binary, "cluster", p, "-k", str(k), "--method", method, "--json"]
        if balanced:
            cmd.insert(-1, "--balanced")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")
        return json.loads(r.stdout)


def cluster(adj: np.ndarray, k: int, method: str, balanced: bool = False,
            meshnn: str | None = None, seed: int = 0) -> dict:
    """Community step: ``{"labels", "communities", "modularity", "source", "command"}``."""
    binary = find_meshnn(meshnn)
    if binary:
        out = meshnn_cluster(binary, adj, k, method, balanced)
        out["source"] = "meshnn"
        out["binary"] = binary
        out["command"] = (f"meshnn cluster ADJ.npy -k {k} --method {method}"
                          + (" --balanced" if balanced else "") + " --json")
        log.info("community step by %s (%s)", binary, out["command"])
    else:
        log.warning("meshnn binary with `cluster` not found (pass --meshnn or set $MESHNN); "
                    "USING THE networkx/numpy FALLBACK for method=%s", method)
        if method == "eigen":
            # the fallback always bisects to balanced sizes (the only eigen use here)
            labels = eigen_balanced(adj, k)
            cmd = "fallback: numpy balanced leading-eigenvector bisection"
        elif method == "louvain":
            labels = louvain_k(adj, k, seed=seed)
            cmd = f"fallback: networkx louvain_communities(seed={seed}) + greedy merge"
        else:
            raise ValueError(method)
        comms = [sorted(i for i, l in enumerate(labels) if l == c) for c in sorted(set(labels))]
        out = {"labels": labels, "communities": comms,
               "modularity": modularity(adj, labels), "source": "fallback", "command": cmd}
    out["labels"] = [int(x) for x in out["labels"]]
    return out


# ---------------------------------------------------------------- student assignments
def nonn_assignment(labels) -> dict:
    """NoNN: student s owns community s.  Returns ``{"groups", "students"}`` where
    ``groups[g]`` are the filter indices of group g and ``students[s]`` the group ids
    student s computes (one group each)."""
    groups = [sorted(i for i, l in enumerate(labels) if l == c) for c in sorted(set(labels))]
    return {"groups": groups, "students": [[g] for g in range(len(groups))], "r": 1}


def resilient_assignment(labels, r: int = 2) -> dict:
    """Resilient: K balanced groups, student s computes groups s, s+1, …, s+r-1 (mod K)."""
    groups = [sorted(i for i, l in enumerate(labels) if l == c) for c in sorted(set(labels))]
    k = len(groups)
    if not 1 <= r <= k:
        raise ValueError("need 1 <= r <= K")
    return {"groups": groups, "students": [[(s + j) % k for j in range(r)] for s in range(k)],
            "r": r}


def student_filters(assign: dict) -> list[list[int]]:
    """Teacher filter indices each student reproduces, in its channel order."""
    return [[f for g in gs for f in assign["groups"][g]] for gs in assign["students"]]


def check_assignment(assign: dict, n_filters: int, disjoint: bool, equal: bool, r: int):
    """Raises AssertionError unless the invariants hold (used by tests and at run time)."""
    groups = assign["groups"]
    allf = sorted(f for g in groups for f in g)
    assert allf == list(range(n_filters)), "groups must cover every filter exactly once"
    per = student_filters(assign)
    count = np.zeros(n_filters, dtype=int)
    for fs in per:
        assert len(set(fs)) == len(fs), "a student holds a filter twice"
        for f in fs:
            count[f] += 1
    assert (count == r).all(), f"every filter must be in exactly {r} students"
    if disjoint:
        assert r == 1
    if equal:
        sizes = {len(fs) for fs in per}
        assert len(sizes) == 1, f"students must hold equal filter counts, got {sorted(sizes)}"
