"""Tiny untrained distilled models for the export tests (needs torch): build one, export it
to ONNX and check the round trip."""
import numpy as np
import torch

from distill import export as E
from distill import partition as P
from distill.models import Distilled


def tiny(resilient, dim=2, k=4, n_filters=8, seed=0, fusion="concat"):
    """K students over ``n_filters`` teacher filters (filter i in group i mod K), widths
    (4, 8), with non-trivial BatchNorm statistics so that folding is exercised."""
    torch.manual_seed(seed)
    labels = [i % k for i in range(n_filters)]
    assign = P.resilient_assignment(labels, 2) if resilient else P.nonn_assignment(labels)
    m = Distilled(dim, 1 if dim == 2 else 6, 10, assign, widths=(4, 8), resilient=resilient,
                  fusion=fusion)
    for mod in m.modules():
        if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)
    return m.eval()


def export_checked(m, dim, path, samples, k=4):
    """Export ``m`` to ``path``; onnxruntime within 1e-5 of torch on ``samples`` random
    inputs, only meshnn-supported ops, K student branches. Returns the branches."""
    shape = (1, 1, 28, 28) if dim == 2 else (1, 6, 100)
    E.export_onnx(m, shape, path)
    xs = np.random.default_rng(0).standard_normal((samples,) + shape[1:]).astype(np.float32)
    assert E.verify(m, path, xs) <= 1e-5
    E.check_ops(path)
    branches = E.student_branches(path)
    assert len(branches) == k
    return branches
