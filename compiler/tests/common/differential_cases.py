#!/usr/bin/env python3
"""ONNX backend node-test cases for compiler/tests/differential.rs (folded vs C).

    differential_cases.py gen OUTDIR
        For every node-test case (from the installed onnx package's own case generators,
        as tests/conformance/gen_backend_data.py uses them) of an op in OPS that is one
        float32 node at the op's current opset, write
            OUTDIR/<case>/folded.onnx    data inputs as initialisers (meshnn folds it)
            OUTDIR/<case>/runtime.onnx   data inputs as graph inputs (C computes it)
        and list the case names in OUTDIR/cases.txt.
    differential_cases.py combine OUTDIR NAME CASE...
        Merge the runtime models of the given cases into OUTDIR/NAME.onnx (tensor
        names prefixed with "c<i>/", i the case's position in the list: short names keep
        the generated harness's usage line short) and their inputs into
        OUTDIR/NAME_inputs.npz, so that one C build computes them all.
Only the onnx and numpy packages are used (tests/requirements.txt).
"""
import importlib
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

# ONNX op -> its node-test module: the ops ir/eval.rs folds that a C kernel also runs.
OPS = {
    "Relu": "relu", "LeakyRelu": "leakyrelu", "Clip": "clip", "Sigmoid": "sigmoid",
    "Tanh": "tanh", "HardSigmoid": "hardsigmoid", "HardSwish": "hardswish",
    "Softmax": "softmax", "LogSoftmax": "logsoftmax", "ReduceMean": "reducemean",
    "ReduceMax": "reducemax", "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div",
    "Sum": "sum", "Mean": "mean", "Pow": "pow", "Sqrt": "sqrt",
    "ReduceSum": "reducesum", "ReduceMin": "reducemin", "ReduceProd": "reduceprod",
    "ReduceSumSquare": "reducesumsquare", "ReduceL1": "reducel1", "ReduceL2": "reducel2",
    "ReduceLogSum": "reduce_log_sum", "ReduceLogSumExp": "reduce_log_sum_exp",
    "LayerNormalization": "layernormalization",
    "InstanceNormalization": "instance_normalization",
    "GroupNormalization": "groupnormalization", "BatchNormalization": "batch_normalization",
    "MatMul": "matmul", "Gemm": "gemm",
    # sliding windows: folded by ir/eval/window.rs, run by the conv and pool kernels
    "Conv": "conv", "MaxPool": "maxpool", "AveragePool": "averagepool",
    "GlobalAveragePool": "globalaveragepool", "GlobalMaxPool": "globalmaxpool",
    # data movement (exact): the strided copy and gather against eval.rs's index maps
    "Transpose": "transpose", "Concat": "concat", "Gather": "gather", "Pad": "pad",
    "Slice": "slice", "Expand": "expand", "Split": "split",
    # recurrent layers: X is data; W, R, B, initial states and peepholes stay initialisers
    "RNN": "rnn", "GRU": "gru", "LSTM": "lstm",
    # element-wise math
    "Erf": "erf", "Reciprocal": "reciprocal", "Neg": "neg", "Abs": "abs", "Exp": "exp",
    "Log": "log", "Sin": "sin", "Cos": "cos", "Floor": "floor", "Ceil": "ceil",
    "Round": "round", "Sign": "sign", "Softplus": "softplus", "Mish": "mish", "Gelu": "gelu",
    "Elu": "elu", "Selu": "selu", "Softsign": "softsign", "Mod": "mod", "Min": "min",
    "Max": "max",
}
# Opsets older than the current one whose float semantics are the current ones (the node
# tests of these ops still use them): ReduceMax/ReduceMin 20 only added bool and 8-bit types.
SINCE = {"ReduceMax": 18, "ReduceMin": 18}
# Ops whose every input is data; the others take data as input 0 only (the rest, such
# as axes, pads or Clip's bounds, stay initialisers in both models).
ALL_DATA = {"Add", "Sub", "Mul", "Div", "Pow", "Sum", "Mean", "Concat", "MatMul", "Gemm",
            "Mod", "Min", "Max"}


def node_cases():
    import onnx.backend.test.case.node as nt
    for mod in sorted(set(OPS.values())):
        importlib.import_module("onnx.backend.test.case.node." + mod)  # runs its exports
    for case in nt._NodeTestCases:
        nodes = case.model.graph.node
        if len(nodes) != 1 or nodes[0].op_type not in OPS or nodes[0].domain:
            continue
        node = nodes[0]
        opset = {o.domain: o.version for o in case.model.opset_import}.get("", 0)
        if opset < SINCE.get(node.op_type, onnx.defs.get_schema(node.op_type).since_version):
            continue  # an older opset: its semantics may differ
        try:
            inputs, outputs = ([np.asarray(a) for a in v] for v in case.data_sets[0])
        except (TypeError, ValueError):
            continue  # not plain arrays (sequences, optionals)
        if "" in node.input or not all(o.dtype == np.float32 for o in outputs):
            continue
        data = [i for i in range(len(inputs)) if node.op_type in ALL_DATA or i == 0]
        if not all(inputs[i].dtype == np.float32 and inputs[i].size > 0 for i in data):
            continue
        yield case, node, list(inputs), data


def write_case(outdir, case, node, inputs, data):
    d = os.path.join(outdir, case.name)
    os.makedirs(d, exist_ok=True)
    g = case.model.graph
    vi = {v.name: v for v in list(g.input) + list(g.output)}
    for variant in ("folded", "runtime"):
        graph_inputs, inits = [], []
        for i, (name, arr) in enumerate(zip(node.input, inputs)):
            if variant == "runtime" and i in data:
                graph_inputs.append(vi[name])
            else:
                inits.append(numpy_helper.from_array(arr, name))
        graph = helper.make_graph([node], case.name, graph_inputs,
                                  [vi[o] for o in node.output if o], inits)  # "": omitted
        model = helper.make_model(graph, opset_imports=case.model.opset_import,
                                  ir_version=case.model.ir_version)
        onnx.save(model, os.path.join(d, variant + ".onnx"))
    np.savez(os.path.join(d, "inputs.npz"),
             **{node.input[i]: inputs[i] for i in data})


def gen(outdir):
    os.makedirs(outdir, exist_ok=True)
    names = []
    for case, node, inputs, data in node_cases():
        write_case(outdir, case, node, inputs, data)
        names.append(case.name)
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print("%d cases" % len(names))


def combine(outdir, out_name, names):
    nodes, inputs, outputs, inits, arrays = [], [], [], [], {}
    opset, ir = 0, 0
    for i, name in enumerate(names):
        m = onnx.load(os.path.join(outdir, name, "runtime.onnx"))
        p = "c%d/" % i
        for v in list(m.graph.input) + list(m.graph.output):
            v.name = p + v.name
        for t in m.graph.initializer:
            t.name = p + t.name
        for n in m.graph.node:
            n.name = p + (n.name or "node")
            n.input[:] = [p + i for i in n.input]
            n.output[:] = [p + o for o in n.output]
        nodes += m.graph.node
        inputs += m.graph.input
        # The inputs are outputs too, so that every buffer lives to the end: the memory
        # plan then meets its lower bound at once (interleaved lifetimes of ~100
        # unrelated nodes would send the packer into its long local search).
        outputs += list(m.graph.output) + list(m.graph.input)
        inits += m.graph.initializer
        opset = max(opset, max(o.version for o in m.opset_import if not o.domain))
        ir = max(ir, m.ir_version)
        with np.load(os.path.join(outdir, name, "inputs.npz")) as z:
            arrays.update({p + k: z[k] for k in z.files})
    graph = helper.make_graph(nodes, "differential", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_operatorsetid("", opset)],
                              ir_version=ir)
    onnx.save(model, os.path.join(outdir, out_name + ".onnx"))
    np.savez(os.path.join(outdir, out_name + "_inputs.npz"), **arrays)


if __name__ == "__main__":
    if sys.argv[1:2] == ["gen"] and len(sys.argv) == 3:
        gen(sys.argv[2])
    elif sys.argv[1:2] == ["combine"] and len(sys.argv) >= 4:
        combine(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)
