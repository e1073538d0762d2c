"""ONNX export of a distilled model and its checks (onnxruntime equality, allowed ops,
disjoint student branches, size)."""
from __future__ import annotations

import io
import os
import zipfile

import numpy as np

# meshnn's importer (SUPPORTED_OPS.md)
ALLOWED_OPS = frozenset("""Conv Gemm MatMul Add Sub Mul Div Relu LeakyRelu Clip Sigmoid Tanh
HardSigmoid HardSwish MaxPool AveragePool GlobalAveragePool GlobalMaxPool BatchNormalization
Flatten Reshape Transpose Squeeze Unsqueeze Concat Split Slice Gather Mean Sum Softmax
LogSoftmax ReduceMean ReduceMax Pad Identity Dropout Constant Shape Cast ConstantOfShape
Expand Range""".split())

MAX_BYTES = 1 << 20


def export_onnx(model, input_shape, path, opset=13):
    import torch
    from .models import ExportWrapper

    model.eval()
    wrapper = ExportWrapper(model).eval()
    x = torch.zeros(input_shape, dtype=torch.float32)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.onnx.export(wrapper, (x,), path, dynamo=False, opset_version=opset,
                      input_names=["input"], output_names=["logits"], do_constant_folding=True)
    return path


def ops_used(path):
    import onnx
    return sorted({n.op_type for n in onnx.load(path).graph.node})


def check_ops(path):
    bad = [o for o in ops_used(path) if o not in ALLOWED_OPS]
    if bad:
        raise AssertionError(f"{path}: ops not supported by meshnn: {bad}")


def student_branches(path):
    """Ancestor node sets of each GlobalAveragePool (one per student).  Returns a list of
    sets of node indices; raises if two branches share a node (only the graph input may be
    shared)."""
    import onnx

    g = onnx.load(path).graph
    producer = {}
    for i, n in enumerate(g.node):
        for o in n.output:
            producer[o] = i
    branches = []
    for i, n in enumerate(g.node):
        if n.op_type != "GlobalAveragePool":
            continue
        seen, stack = {i}, list(n.input)
        while stack:
            t = stack.pop()
            j = producer.get(t)
            if j is not None and j not in seen:
                seen.add(j)
                stack.extend(g.node[j].input)
        branches.append(seen)
    for a in range(len(branches)):
        for b in range(a + 1, len(branches)):
            shared = branches[a] & branches[b]
            if shared:
                raise AssertionError(f"student branches {a} and {b} share nodes {sorted(shared)}")
    return branches


def mean_nodes(path):
    import onnx
    return [n for n in onnx.load(path).graph.node if n.op_type == "Mean"]


def verify(model, path, xs, tol=1e-5):
    """Runs every sample of ``xs`` (batch 1 each) through onnxruntime and PyTorch; returns
    the max |diff| and raises when it exceeds ``tol`` · max(1, max |logit|) (float32
    rounding grows with the logits' scale: the [16, 32] students' logits reach ≈ 30)."""
    import onnxruntime as ort
    import torch

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    model.eval()
    worst, scale = 0.0, 1.0
    with torch.no_grad():
        for x in xs:
            x = np.asarray(x, dtype=np.float32)[None]
            ref = model(torch.from_numpy(x)).numpy()
            got = sess.run(None, {"input": x})[0]
            worst = max(worst, float(np.abs(ref - got).max()))
            scale = max(scale, float(np.abs(ref).max()))
    if worst > tol * scale:
        raise AssertionError(f"{path}: onnxruntime vs torch max |diff| {worst:g} > "
                             f"{tol:g} x {scale:g}")
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        raise AssertionError(f"{path}: {size} bytes > 1 MB")
    return worst


def save_npz(path, **arrays):
    """np.savez with a fixed zip timestamp (regenerating gives identical bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in arrays.items():
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(v))
            info = zipfile.ZipInfo(k + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, buf.getvalue())


def write_reference(path_onnx, x1):
    """``<name>.inputs.npz`` / ``<name>.outputs.npz`` in tests/models' fixture layout."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path_onnx, so, providers=["CPUExecutionProvider"])
    x1 = np.asarray(x1, dtype=np.float32)
    y = sess.run(None, {"input": x1})[0]
    base = path_onnx[:-len(".onnx")]
    save_npz(base + ".inputs.npz", input=x1)
    save_npz(base + ".outputs.npz", logits=y.astype(np.float32))
