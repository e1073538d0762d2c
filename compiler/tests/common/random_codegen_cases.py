"""Random valid models and deployments for compiler/tests/hostile_codegen.rs.

Usage: random_codegen_cases.py OUT_DIR SEED N. Writes N cases (model, deploy.toml, input
and expected output .npy files) and OUT_DIR/cases.json describing them. Names mix C
keywords, upper case, punctuation, leading digits and long names; shapes, activations,
device counts, MTU, deadline and strategy are drawn at random within meshnn's limits.
"""
import json, os, random, sys
import numpy as np
from onnx import helper, TensorProto as TP, save

NAMES = ["int", "INT", "for", "errno", "true", "default", "x", "a b", "0start", "k/v",
         "while", "Static", "q" * 300, "sensor-1", "register", "stdin"]
OUTS = ["return", "double", "out", "unix", "bool", "case", "probs"]
DEVICES = ["wrist", "ankle", "ear", "chest", "node_7", "int", "for"]
ACTS = {"Relu": lambda v: np.maximum(v, 0), "Sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "Tanh": np.tanh}


def case(rng, out, i):
    d = os.path.join(out, f"c{i}")
    os.makedirs(d)
    width = rng.randint(1, 9)
    ins = rng.sample(NAMES, rng.randint(1, 4))
    outs = rng.sample(OUTS, rng.randint(1, 2))
    vi = lambda n: helper.make_tensor_value_info(n, TP.FLOAT, [1, width])
    data = {n: np.asarray(np.random.default_rng(i).standard_normal((1, width)), np.float32) + k
            for k, n in enumerate(ins)}
    nodes, total = [], "sum_all"
    nodes.append(helper.make_node("Sum", ins, [total]))
    acc = sum(data[n].astype(np.float64) for n in ins)
    expected = {}
    for o in outs:
        act = rng.choice(sorted(ACTS))
        nodes.append(helper.make_node(act, [total], [o]))
        expected[o] = ACTS[act](acc).astype(np.float32)
    graph = helper.make_graph(nodes, f"g{i}", [vi(n) for n in ins], [vi(o) for o in outs])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(d, "model.onnx"))
    devs = rng.sample(DEVICES, rng.randint(1, 3))
    strategy = rng.choice(["modularity", "layer", "single"])
    lines = ["[link]", f"mtu_bytes = {rng.randint(32, 512)}",
             f"deadline_us = {rng.randint(1000, 2**31 - 1)}", "",
             "[partition]", f'strategy = "{strategy}"', ""]
    for k, name in enumerate(devs):
        sensed = ", ".join(json.dumps(n) for n in ins)
        lines += ["[[device]]", f'name = "{name}"', 'target = "stm32l476"',
                  f"inputs = [{sensed}]", f"outputs = {'true' if k == len(devs) - 1 else 'false'}", ""]
    with open(os.path.join(d, "deploy.toml"), "w") as f:
        f.write("\n".join(lines))
    inputs = []
    for k, n in enumerate(ins):
        p = os.path.join(d, f"in{k}.npy")
        np.save(p, data[n])
        inputs.append([n, p])
    outputs = []
    for k, o in enumerate(outs):
        p = os.path.join(d, f"want{k}.npy")
        np.save(p, expected[o])
        outputs.append([o, p])
    return {"dir": d, "inputs": inputs, "outputs": outputs}


def main():
    out, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    cases = [case(rng, out, i) for i in range(n)]
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f)


main()
