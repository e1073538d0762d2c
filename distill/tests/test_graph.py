"""Torch-free: the co-activation graph on a tiny hand-checkable activation set."""
import numpy as np

from distill.graph import activation_network, coactivation, sparsify


def test_coactivation_by_hand():
    # 4 inputs x 3 filters. filter 0 and 1 fire together, filter 2 fires alone.
    acts = np.array([[2.0, 1.0, 0.0],
                     [2.0, 1.0, 0.0],
                     [0.0, 0.0, 4.0],
                     [0.0, 0.0, 4.0]])
    w = coactivation(acts)
    # scaled by per-filter max: a = [[1,1,0],[1,1,0],[0,0,1],[0,0,1]]
    # W01 = (1+1)/4 = 0.5; W02 = W12 = 0
    expect = np.array([[0, 0.5, 0], [0.5, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(w, expect)


def test_coactivation_partial_overlap():
    acts = np.array([[1.0, 1.0, 0.5],
                     [1.0, 0.0, 1.0]])
    w = coactivation(acts)
    # a = [[1,1,.5],[1,0,1]]: W01 = 1/2, W02 = (0.5+1)/2 = 0.75, W12 = 0.5/2 = 0.25
    np.testing.assert_allclose(w[0, 1], 0.5)
    np.testing.assert_allclose(w[0, 2], 0.75)
    np.testing.assert_allclose(w[1, 2], 0.25)
    assert np.allclose(w, w.T) and np.all(np.diag(w) == 0)


def test_sparsify_keeps_strongest_and_no_isolated():
    w = np.array([[0, 5, 1, 0.1],
                  [5, 0, 2, 0.2],
                  [1, 2, 0, 0.3],
                  [0.1, 0.2, 0.3, 0]], dtype=float)
    s = sparsify(w, keep=1 / 6, min_degree=0)  # 6 edges, keep 1: (0,1)
    assert s[0, 1] == 5 and s[1, 0] == 5 and np.count_nonzero(s) == 2
    s = sparsify(w, keep=1 / 6, min_degree=1)  # + each node's strongest edge
    kept = {(i, j) for i in range(4) for j in range(i + 1, 4) if s[i, j] > 0}
    assert kept == {(0, 1), (1, 2), (2, 3)}
    assert np.allclose(s, s.T)


def test_activation_network_shape():
    rng = np.random.default_rng(0)
    adj = activation_network(rng.random((50, 16)), keep=0.3)
    assert adj.shape == (16, 16) and np.allclose(adj, adj.T)
    assert (adj.sum(axis=1) > 0).all()
