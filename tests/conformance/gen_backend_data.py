#!/usr/bin/env python3
"""Generate the ONNX backend node-test data with the onnx package's own generator.

    python3 tests/conformance/gen_backend_data.py OUTDIR      # e.g. tests/.backend-data

onnx >= 1.22 no longer ships the generated node tests inside its wheel, so we produce them
from `onnx.backend.test.case.node` (about 13 s, ~1 900 cases, ~56 MB):
    OUTDIR/node/test_<name>/model.onnx
    OUTDIR/node/test_<name>/test_data_set_0/{input,output}_N.pb
Idempotent: when OUTDIR/node/.meshnn-generated exists (written last, after a complete run,
with the onnx version) nothing is done. Pass --force to regenerate.
"""
import argparse
import os
import shutil
import sys

MARKER = ".meshnn-generated"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    import onnx
    node_dir = os.path.join(a.outdir, "node")
    marker = os.path.join(node_dir, MARKER)
    if os.path.exists(marker) and not a.force:
        print("%s already populated (%s); skipping" % (node_dir, open(marker).read().strip()))
        return 0
    if os.path.isdir(node_dir):
        shutil.rmtree(node_dir)   # partial or forced: start clean
    import onnx.backend.test.cmd_tools as ct
    import onnx.backend.test.case.node as nt
    # Restrict generation to the node cases (the model-zoo / simple cases need downloads
    # or are not what we test here).
    ct.model_test.collect_testcases = nt.collect_testcases
    ct.generate_data(argparse.Namespace(output=a.outdir))
    n = sum(1 for d in os.listdir(node_dir) if d.startswith("test_"))
    with open(marker, "w") as f:
        f.write("onnx %s, %d cases\n" % (onnx.__version__, n))
    print("generated %d node cases into %s (onnx %s)" % (n, node_dir, onnx.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
