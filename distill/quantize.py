"""int8 QDQ versions of the distilled models (issue 13, point 4), made by onnxruntime's own
quantiser: meshnn has no calibrator, it compiles what the ecosystem produces.

For a float model ``<dataset>_<variant>_k<K>.onnx``: ``quant_pre_process`` (shape
inference), then ``quantize_static`` in QDQ format with per-channel int8 weights and int8
activations, MinMax calibration over a fixed set of *training* samples (the first
``calib_samples`` of the training split, which ``data.load`` draws with a fixed seed: the
same samples on every run). Written, with deterministic bytes, as
``<dataset>_<variant>_k<K>_qdq.onnx`` plus

* ``.inputs.npz`` / ``.outputs.npz``: the first test sample and onnxruntime's output of the
  *quantised* model (tests/models' fixture layout),
* ``.test_outputs.npz``: ``logits`` [N, classes], onnxruntime's output of the quantised model
  for every test sample (CPU, 1 thread): the oracle meshnn's int8 build is checked against.

``summary`` measures test-set accuracy of float and int8 under onnxruntime and the top-1
agreement between them.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from . import export as E

# Calibration: the first N training samples (MNIST: 256 of the 4 000; BasicMotions: all 40).
CALIB_SAMPLES = 256
# Op types left float (excluded from quantisation, so they run as float islands between
# int8 ones): meshnn has no int8 kernel yet for the resilient models' Slices of the
# students' vectors and their Mean of copies (quantised, `meshnn inspect` refuses them per
# node and names nodes_to_exclude). NoNN models have neither.
KEEP_FLOAT = ("Slice", "Mean")
SUFFIX = "_qdq"


class TrainingSamples:
    """A ``CalibrationDataReader`` over ``x`` (one sample per batch, batch dimension 1)."""

    def __init__(self, x, input_name="input"):
        self.items = iter([{input_name: np.ascontiguousarray(s[None], dtype=np.float32)}
                           for s in x])

    def get_next(self):
        return next(self.items, None)


def calibration_set(x_train, n=CALIB_SAMPLES):
    """The fixed calibration samples: the first ``n`` of the training split."""
    return np.asarray(x_train[:n], dtype=np.float32)


def quantised_path(float_path, out_dir=None):
    base = os.path.basename(float_path)[:-len(".onnx")] + SUFFIX + ".onnx"
    return os.path.join(out_dir or os.path.dirname(float_path), base)


def quantise(float_path, out_path, x_calib, keep_float=KEEP_FLOAT):
    """QDQ int8 model of ``float_path`` calibrated on ``x_calib``, the nodes of the op types
    ``keep_float`` left float; returns ``out_path``."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(TrainingSamples, CalibrationDataReader):
        pass

    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, "pre.onnx")
        quant_pre_process(float_path, pre)
        excluded = [n.name for n in onnx.load(pre).graph.node if n.op_type in keep_float]
        quantize_static(pre, out_path, Reader(x_calib), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QInt8,
                        weight_type=QuantType.QInt8, nodes_to_exclude=excluded)
    m = onnx.load(out_path)
    onnx.checker.check_model(m, full_check=True)
    with open(out_path, "wb") as f:  # deterministic bytes
        f.write(m.SerializeToString(deterministic=True))
    return out_path


def session(path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def logits(path, x):
    """onnxruntime's output for every sample of ``x`` (batch 1 each): [N, classes]."""
    sess = session(path)
    return np.concatenate([sess.run(None, {"input": np.ascontiguousarray(s[None])})[0]
                           for s in np.asarray(x, dtype=np.float32)]).astype(np.float32)


def write_test_outputs(q_path, x_test):
    """The fixture files of a quantised model; returns its test-set logits."""
    base = q_path[:-len(".onnx")]
    E.write_reference(q_path, x_test[:1])
    y = logits(q_path, x_test)
    E.save_npz(base + ".test_outputs.npz", logits=y)
    return y


def summary(float_path, q_path, y_q, x_test, y_test, n_calib):
    """Accuracy of float and int8 under onnxruntime, their top-1 agreement, sizes."""
    y_f = logits(float_path, x_test)
    top_f, top_q = y_f.argmax(1), y_q.argmax(1)
    return {"file": q_path, "bytes": os.path.getsize(q_path),
            "float_bytes": os.path.getsize(float_path), "calib_samples": int(n_calib),
            "ops": E.ops_used(q_path),
            "acc_float_ort": float((top_f == y_test).mean()),
            "acc_int8_ort": float((top_q == y_test).mean()),
            "top1_agreement_ort": float((top_f == top_q).mean())}


def quantise_all(float_paths, x_train, x_test, y_test, out_dir=None, n_calib=CALIB_SAMPLES,
                 log=print):
    """Quantise every model of ``float_paths``; returns {float file name: summary}."""
    x_calib = calibration_set(x_train, n_calib)
    out = {}
    for fp in float_paths:
        qp = quantise(fp, quantised_path(fp, out_dir), x_calib)
        y_q = write_test_outputs(qp, x_test)
        s = summary(fp, qp, y_q, x_test, y_test, len(x_calib))
        log("%s: %d bytes (float %d), accuracy float %.1f %% / int8 %.1f %% (onnxruntime), "
            "top-1 agreement %.1f %%" % (qp, s["bytes"], s["float_bytes"],
                                         100 * s["acc_float_ort"], 100 * s["acc_int8_ort"],
                                         100 * s["top1_agreement_ort"]))
        out[os.path.basename(fp)] = s
    return out


# --------------------------------------------------------------- meshnn, one device
def meshnn_logits(meshnn, model_path, x, work):
    """meshnn's output for every sample of ``x``: ``meshnn compile`` (one device), the
    generated host harness built with its Makefile, run once per sample (raw float32 files,
    the harness's interface). Returns [N, classes]."""
    import subprocess

    out = os.path.join(work, "build")
    subprocess.run([meshnn, "compile", model_path, "--out", out], check=True,
                   capture_output=True, text=True)
    subprocess.run(["make", "-s", "-C", os.path.join(out, "host")], check=True,
                   capture_output=True, text=True)
    exe = os.path.join(out, "host", "model_run")
    x_bin, y_bin = os.path.join(work, "x.bin"), os.path.join(work, "y.bin")
    ys = []
    for s in np.asarray(x, dtype="<f4"):
        s.tofile(x_bin)
        subprocess.run([exe, x_bin, y_bin], check=True, capture_output=True)
        ys.append(np.fromfile(y_bin, dtype="<f4"))
    return np.stack(ys)


def meshnn_accuracy(meshnn, float_path, q_path, x_test, y_test):
    """Test-set accuracy of the float and the int8 model compiled by meshnn for one device,
    and their top-1 agreement."""
    with tempfile.TemporaryDirectory() as tmp:
        yf = meshnn_logits(meshnn, float_path, x_test, os.path.join(tmp, "f"))
        yq = meshnn_logits(meshnn, q_path, x_test, os.path.join(tmp, "q"))
    return {"acc_float_meshnn": float((yf.argmax(1) == y_test).mean()),
            "acc_int8_meshnn": float((yq.argmax(1) == y_test).mean()),
            "top1_agreement_meshnn": float((yf.argmax(1) == yq.argmax(1)).mean()),
            "meshnn": meshnn}


# --------------------------------------------------------------- committed models
def committed_models(models_dir, dataset):
    """The float distilled models of ``dataset`` in ``models_dir``, sorted."""
    import glob
    import re

    pat = re.compile(r"^%s_(.+)_k(\d+)\.onnx$" % re.escape(dataset))
    return sorted(f for f in glob.glob(os.path.join(models_dir, dataset + "_*.onnx"))
                  if pat.match(os.path.basename(f)) and SUFFIX + ".onnx" not in f)


def merge_results(res_path, dataset, summaries):
    """Store each summary as ``variants[<variant>_k<K>]["int8"]`` of the results JSON."""
    import json

    if not os.path.exists(res_path):
        return
    with open(res_path) as f:
        res = json.load(f)
    for fname, s in summaries.items():
        vname = fname[len(dataset) + 1:-len(".onnx")]
        if vname in res.get("variants", {}):
            res["variants"][vname]["int8"] = s
    with open(res_path, "w") as f:
        json.dump(res, f, indent=1)


def quantize_committed(datasets, models=None, out=None, results=None, n_calib=None,
                       meshnn=None):
    """``python -m distill quantize``: the int8 versions of already-trained models."""
    from . import data as D

    repo = Path(__file__).resolve().parent.parent
    models = models or str(repo / "tests" / "models")
    out = out or str(repo / "tests" / "models" / "int8" / "distilled")
    for name in datasets:
        ds = D.load(name)
        paths = committed_models(models, name)
        if not paths:
            raise SystemExit(f"no {name}_<variant>_k<K>.onnx in {models}")
        summaries = quantise_all(paths, ds.x_train, ds.x_test, ds.y_test, out_dir=out,
                                 n_calib=n_calib or CALIB_SAMPLES)
        for fp, s in zip(paths, summaries.values()):
            s["file"] = _rel(s["file"], repo)
            if meshnn:
                s.update(meshnn_accuracy(meshnn, fp, quantised_path(fp, out), ds.x_test,
                                         ds.y_test))
                print("  meshnn: float %.1f %%, int8 %.1f %%, agreement %.1f %%" % (
                    100 * s["acc_float_meshnn"], 100 * s["acc_int8_meshnn"],
                    100 * s["top1_agreement_meshnn"]))
        if results:
            merge_results(os.path.join(results, f"{name}.json"), name, summaries)


def _rel(path, repo):
    p = Path(path).resolve()
    try:
        return str(p.relative_to(repo))
    except ValueError:
        return str(p)
