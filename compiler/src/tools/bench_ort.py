"""Time onnxruntime (one thread, sequential) on a model, for `meshnn bench`.

usage: python3 bench_ort.py MODEL RUNS WARMUP NAME=FILE.npy...
Prints one JSON object: median/min microseconds per session.run for the model, the same
for an Identity model with the same inputs (the Python call overhead), and the versions.
"""
import json
import sys
import time


def main():
    try:
        import numpy as np
        import onnx
        import onnxruntime as ort
        from onnx import helper
    except ImportError as e:
        print(json.dumps({"error": f"python3 cannot import {e.name}: pip install onnxruntime onnx numpy"}))
        return
    model, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    feeds = {}
    for arg in sys.argv[4:]:
        name, path = arg.split("=", 1)
        feeds[name] = np.load(path)

    def session(m):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        return ort.InferenceSession(m, so, providers=["CPUExecutionProvider"])

    def timed(s):
        for _ in range(warmup):
            s.run(None, feeds)
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter_ns()
            s.run(None, feeds)
            ts.append((time.perf_counter_ns() - t0) / 1e3)
        ts.sort()
        return float(np.median(ts)), ts[0]

    # Identity model over the same inputs: what a session.run costs with no work.
    ins = [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, list(a.shape)) for n, a in feeds.items()]
    outs = [helper.make_tensor_value_info(n + "_out", onnx.TensorProto.FLOAT, list(a.shape)) for n, a in feeds.items()]
    nodes = [helper.make_node("Identity", [n], [n + "_out"]) for n in feeds]
    ident = helper.make_model(helper.make_graph(nodes, "identity", ins, outs),
                              opset_imports=[helper.make_opsetid("", 13)])
    ident.ir_version = 8
    med_id, min_id = timed(session(ident.SerializeToString()))
    med, mn = timed(session(model))
    print(json.dumps({"median_us": med, "min_us": mn, "overhead_median_us": med_id,
                      "overhead_min_us": min_id, "onnxruntime": ort.__version__}))


main()
