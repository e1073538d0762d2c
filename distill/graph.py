"""The filter activation network (NoNN §3): nodes are the filters of the teacher's last
convolutional layer; per input, each filter's activation is its spatial mean; the edge
weight between two filters is their co-activation strength over the data set, and only the
strongest edges are kept.  Pure numpy (no torch).

Definition used here (hand-checkable, see tests/test_graph.py):

1. ``a[n, i]`` = spatial-mean activation of filter i on input n (post-ReLU, so ≥ 0);
2. each filter is scaled by its maximum over the data: ``a[:, i] /= max_n a[n, i]``
   (so weak and strong filters are comparable, values in [0, 1]);
3. ``W[i, j] = mean_n a[n, i] * a[n, j]`` for i ≠ j, diagonal 0 (filters that fire hard
   on the same inputs get a large weight);
4. keep the strongest edges: an edge survives if its weight is in the top ``keep`` fraction
   of all off-diagonal weights, or if it is one of the ``min_degree`` strongest edges of
   either endpoint (so no filter becomes isolated).  The result is symmetric.
"""
from __future__ import annotations

import numpy as np


def coactivation(acts: np.ndarray) -> np.ndarray:
    """Dense co-activation matrix (steps 2-3) of spatial-mean activations ``acts`` [N, F]."""
    a = np.asarray(acts, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError("acts must be [N, F]")
    a = np.maximum(a, 0.0)
    peak = a.max(axis=0)
    a = a / np.where(peak > 0, peak, 1.0)
    w = a.T @ a / a.shape[0]
    np.fill_diagonal(w, 0.0)
    return w


def sparsify(w: np.ndarray, keep: float = 0.2, min_degree: int = 1) -> np.ndarray:
    """Keep the strongest edges of a symmetric weight matrix (step 4)."""
    w = np.asarray(w, dtype=np.float64)
    f = w.shape[0]
    iu = np.triu_indices(f, 1)
    vals = w[iu]
    n_keep = max(1, int(round(keep * len(vals))))
    order = np.argsort(-vals, kind="stable")
    mask = np.zeros((f, f), dtype=bool)
    sel = order[:n_keep]
    mask[iu[0][sel], iu[1][sel]] = True
    for i in range(f):
        row = w[i].copy()
        row[i] = -np.inf
        for j in np.argsort(-row, kind="stable")[:min_degree]:
            if w[i, j] > 0:
                mask[min(i, j), max(i, j)] = True
    mask = mask | mask.T
    return np.where(mask, w, 0.0)


def activation_network(acts: np.ndarray, keep: float = 0.2, min_degree: int = 1) -> np.ndarray:
    """Adjacency (float64 [F, F], symmetric, zero diagonal) of the filter activation network."""
    return sparsify(coactivation(acts), keep=keep, min_degree=min_degree)
