#!/usr/bin/env python3
"""Generate large synthetic ONNX models for meshnn's scale benchmarks (issue 17, section 2).

Nothing generated here is committed: `scripts/bench_scale.sh` writes the models to a
temporary folder and times meshnn on them.

  chain N   x -> Tanh -> Neg -> Tanh -> ... (N nodes in one line), 16 floats per tensor
  tree N    a binary fan-out tree to N/3 leaves (each node Neg or Tanh of its parent),
            then a binary Add reduction of the leaves back to one output; nodes are
            written breadth first, so thousands of tensors are live at once unless the
            scheduler reorders them
  mlp N     N MatMul/Relu/Add nodes: residual blocks y = x + Relu(x @ W_i) with W_i a
            distinct 16x16 weight per block (so flash and MACs spread over devices)
  deploy K  prints a deploy.toml with K `host` devices that all sense `x`, the last the hub

usage: gen_scale_models.py chain|tree|mlp N OUT.onnx
       gen_scale_models.py deploy K > deploy.toml
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WIDTH = 16


def model(nodes, inits, out_name, name):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, WIDTH])
    y = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, [1, WIDTH])
    graph = helper.make_graph(nodes, name, [x], [y], initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def chain(n):
    nodes, prev = [], "x"
    for i in range(n):
        op = "Tanh" if i % 2 == 0 else "Neg"
        out = f"t{i}"
        nodes.append(helper.make_node(op, [prev], [out], name=f"n{i}"))
        prev = out
    return model(nodes, [], prev, f"chain{n}")


def tree(n):
    """Fan out breadth first to about n/3 leaves (two unary children per split), then
    reduce the leaves pairwise with Add, breadth first: about n nodes in all."""
    leaves = max(2, n // 3)
    nodes, level, k = [], ["x"], 0
    while len(level) < leaves:
        t = level.pop(0)
        for op in ("Neg", "Tanh"):
            out = f"f{k}"
            nodes.append(helper.make_node(op, [t], [out], name=f"fan{k}"))
            level.append(out)
            k += 1
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            out = f"r{k}"
            nodes.append(helper.make_node("Add", [level[i], level[i + 1]], [out], name=f"add{k}"))
            nxt.append(out)
            k += 1
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return model(nodes, [], level[0], f"tree{n}")


def mlp(n):
    rng = np.random.default_rng(0)
    nodes, inits, prev = [], [], "x"
    for b in range(max(1, n // 3)):
        w = (rng.standard_normal((WIDTH, WIDTH)) * 0.05).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{b}"))
        nodes.append(helper.make_node("MatMul", [prev, f"w{b}"], [f"m{b}"], name=f"mm{b}"))
        nodes.append(helper.make_node("Relu", [f"m{b}"], [f"r{b}"], name=f"relu{b}"))
        nodes.append(helper.make_node("Add", [prev, f"r{b}"], [f"y{b}"], name=f"add{b}"))
        prev = f"y{b}"
    return model(nodes, inits, prev, f"mlp{n}")


def deploy(k):
    lines = []
    for d in range(k):
        lines += ["[[device]]", f'name = "d{d}"', 'target = "host"', 'inputs = ["x"]']
        if d == k - 1:
            lines.append("outputs = true")
        lines.append("")
    return "\n".join(lines)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "deploy":
        print(deploy(int(sys.argv[2])))
        return
    if len(sys.argv) != 4 or sys.argv[1] not in ("chain", "tree", "mlp"):
        sys.exit(__doc__)
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    m = {"chain": chain, "tree": tree, "mlp": mlp}[kind](n)
    onnx.save(m, out)
    print(f"{out}: {len(m.graph.node)} nodes")


if __name__ == "__main__":
    main()
