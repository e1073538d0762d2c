"""Brute force for `simulate --loss-model patterns`, independent of meshnn's simulator:
for each pattern (a list of lost link tensors), replace those tensors by zeros (the
receivers' default fallback) in the ONNX graph and run onnxruntime on every sample.
A lost quantised tensor (int8 / uint8, as a quantised model sends its cut tensors) reads
its zero point instead: the integer meaning 0.0, the zero of the integer domain.
A `Mean` over redundant copies averages only the copies that arrived, as failout training
does (distill/models.py): its inputs that are a lost tensor, or are computed from one
lost tensor alone with constants (initializers, Constant nodes), whatever the nodes on
the way compute (Slice, DequantizeLinear, a late-fusion head's Gemm, ...), are dropped,
unless every input is lost.

usage: patterns_brute_force.py MODEL.onnx DATA.npz PATTERNS.json
  PATTERNS.json: a list of patterns, each a list of tensor names.
Prints a JSON list: for each pattern, the top-1 class (first maximum of the first
output) of every sample.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper, shape_inference


def tensor_shapes(model):
    """Shape and numpy dtype of every tensor shape inference knows."""
    inferred = shape_inference.infer_shapes(model)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
        shapes[vi.name] = (dims, dtype)
    return shapes


def zero_point(model, name):
    """The zero point of quantised tensor `name`: that of the QuantizeLinear it comes
    from, through single-input nodes (MaxPool, Flatten, ... keep the quantisation)."""
    producer = {o: n for n in model.graph.node for o in n.output}
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    n = producer.get(name)
    while n is not None and n.op_type != "QuantizeLinear":
        n = producer.get(n.input[0]) if n.input else None
    if n is None or len(n.input) < 3:
        return 0
    return int(np.asarray(init[n.input[2]]).reshape(-1)[0])


def zeroed(model, lost, shapes):
    """A copy of `model` whose consumers of each tensor in `lost` read zeros instead
    (a quantised tensor: its zero point)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    lost_copies_left_out_of_means(m, lost)
    for name in lost:
        zero = name + "__lost"
        dims, dtype = shapes[name]
        fill = zero_point(model, name) if np.issubdtype(dtype, np.integer) else 0
        arr = np.full(dims, fill, dtype=dtype)
        m.graph.initializer.append(numpy_helper.from_array(arr, zero))
        for node in m.graph.node:
            for i, x in enumerate(node.input):
                if x == name:
                    node.input[i] = zero
    return m




def lost_copies_left_out_of_means(m, lost):
    """Drop from every Mean the inputs that are lost or computed from one lost tensor
    alone (every other input of the nodes on the way a constant)."""
    const = {i.name for i in m.graph.initializer}
    const.update(o for n in m.graph.node if n.op_type == "Constant" for o in n.output)
    derived = set(lost)
    for node in m.graph.node:  # ONNX graphs are topologically sorted
        live = [x for x in node.input if x and x not in const]
        if len(live) == 1 and live[0] in derived:
            derived.update(node.output)
    for node in m.graph.node:
        if node.op_type != "Mean":
            continue
        kept = [x for x in node.input if x not in derived]
        if kept and len(kept) < len(node.input):
            del node.input[:]
            node.input.extend(kept)


def top1(model, x):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0].name
    out = sess.get_outputs()[0].name
    return [int(np.argmax(sess.run([out], {inp: x[s : s + 1]})[0].reshape(-1))) for s in range(len(x))]


def main():
    model = onnx.load(sys.argv[1])
    x = np.load(sys.argv[2])["x"].astype(np.float32)
    patterns = json.load(open(sys.argv[3]))
    shapes = tensor_shapes(model)
    print(json.dumps([top1(zeroed(model, lost, shapes), x) for lost in patterns]))


if __name__ == "__main__":
    main()
