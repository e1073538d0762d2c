#!/usr/bin/env python3
"""Stand-in for `meshnn run`, backed by onnxruntime, to test the Python harnesses.

Implements only the contract the harnesses use:
    fake_meshnn_ort.py run MODEL.onnx --input NAME=FILE.npy [...] --out-dir DIR
writes DIR/<output name>.npy (float32) per graph output and exits 0; on any error it prints
one line on stderr and exits 1. Any other subcommand (e.g. `ops`) exits 2, like a CLI
that does not know it. FAKE_MESHNN_NOISE=X adds X to every output element, to check
that the harnesses do report mismatches.

    python3 tests/models/check_fixtures.py --meshnn tests/conformance/fake_meshnn_ort.py
    python3 tests/conformance/run_conformance.py --meshnn tests/conformance/fake_meshnn_ort.py
"""
import argparse
import os
import sys

import numpy as np


def main():
    if len(sys.argv) < 2 or sys.argv[1] != "run":
        print("error: unknown subcommand (fake meshnn only implements `run`)", file=sys.stderr)
        return 2
    ap = argparse.ArgumentParser(prog="fake_meshnn_ort.py run")
    ap.add_argument("model")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--out-dir", required=True)
    args = ap.parse_args(sys.argv[2:])
    try:
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.log_severity_level = 3
        try:
            sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
        except Exception as e:
            if "NOT_IMPLEMENTED" not in str(e):
                raise
            # onnxruntime dropped kernels for pre-opset-7 operator versions (the
            # pytorch-converted / pytorch-operator cases use opset 6); upgrade and retry.
            import onnx
            from onnx import version_converter
            m = version_converter.convert_version(onnx.load(args.model), 13)
            sess = ort.InferenceSession(m.SerializeToString(), so,
                                        providers=["CPUExecutionProvider"])
        feeds = {}
        for spec in args.input:
            name, _, path = spec.partition("=")
            feeds[name] = np.load(path)
        names = [o.name for o in sess.get_outputs()]
        outs = sess.run(names, feeds)
        os.makedirs(args.out_dir, exist_ok=True)
        noise = float(os.environ.get("FAKE_MESHNN_NOISE", "0"))
        for n, o in zip(names, outs):
            if noise:  # self-test of the harnesses: they must report these as failures
                o = np.asarray(o, dtype=np.float32) + np.float32(noise)
            np.save(os.path.join(args.out_dir, n + ".npy"), np.asarray(o, dtype=np.float32))
    except Exception as e:  # one-line error, like the real CLI
        print("error: " + " ".join(str(e).split())[:300], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
