#!/usr/bin/env python3
"""Run every fixture in tests/models/ through `meshnn run` and compare with onnxruntime.

    python3 tests/models/check_fixtures.py [--meshnn PATH] [--filter SUBSTR] [--keep]

For each `<name>.onnx` with `<name>.inputs.npz` / `<name>.outputs.npz` beside it, writes
each input as NAME.npy into a temp dir, runs
    meshnn run <name>.onnx --input NAME=NAME.npy ... --out-dir OUT
and compares OUT/<output>.npy with the reference: shape equal and
|out - ref| <= 1e-4 + 1e-4 * |ref| elementwise. Prints one line per model and
`N passed, M failed`; exit status 1 if any failed.

The binary: --meshnn, else $MESHNN, else target/debug/meshnn under the repo root. A path
ending in .py is run with the current Python interpreter.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ATOL = 1e-4
RTOL = 1e-4


def meshnn_cmd(path):
    path = os.path.abspath(path)
    return [sys.executable, path] if path.endswith(".py") else [path]


def safe_name(name):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "x"


def check(cmd, model, timeout, keep):
    base = model[:-len(".onnx")]
    inputs = np.load(base + ".inputs.npz")
    refs = np.load(base + ".outputs.npz")
    tmp = tempfile.mkdtemp(prefix="meshnn_fix_")
    try:
        args = cmd + ["run", model]
        for i, k in enumerate(inputs.files):
            p = os.path.join(tmp, "in%d_%s.npy" % (i, safe_name(k)))
            np.save(p, inputs[k])
            args += ["--input", "%s=%s" % (k, p)]
        out_dir = os.path.join(tmp, "out")
        args += ["--out-dir", out_dir]
        try:
            r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, "timeout after %ds" % timeout
        if r.returncode != 0:
            line = (r.stderr.strip().splitlines() or ["(no stderr)"])[0]
            return False, "exit %d: %s" % (r.returncode, line)
        worst = 0.0
        for k in refs.files:
            ref = refs[k]
            p = os.path.join(out_dir, k + ".npy")
            if not os.path.exists(p):
                return False, "missing output %s" % p
            out = np.load(p)
            if out.shape != ref.shape:
                return False, "%s: shape %s, expected %s" % (k, out.shape, ref.shape)
            if out.dtype != np.float32:
                return False, "%s: dtype %s, expected float32" % (k, out.dtype)
            diff = np.abs(out.astype(np.float64) - ref.astype(np.float64))
            bad = ~(diff <= ATOL + RTOL * np.abs(ref))
            worst = max(worst, float(np.nanmax(diff)) if diff.size else 0.0)
            if bad.any():
                return False, "%s: %d/%d elements off, max |diff| %.3g" % (
                    k, int(bad.sum()), bad.size, float(np.nanmax(diff)))
        return True, "max |diff| %.3g" % worst
    finally:
        if keep:
            print("  kept %s" % tmp)
        else:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--meshnn", default=os.environ.get("MESHNN",
                                                       os.path.join(ROOT, "target/debug/meshnn")))
    ap.add_argument("--filter", default="")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs")
    a = ap.parse_args()
    if not os.path.exists(a.meshnn):
        print("error: meshnn binary not found: %s (build it or pass --meshnn)" % a.meshnn,
              file=sys.stderr)
        return 2
    cmd = meshnn_cmd(a.meshnn)
    models = sorted(m for m in glob.glob(os.path.join(HERE, "*.onnx"))
                    if a.filter in os.path.basename(m))
    passed = failed = 0
    for m in models:
        base = m[:-len(".onnx")]
        name = os.path.basename(base)
        if not (os.path.exists(base + ".inputs.npz") and os.path.exists(base + ".outputs.npz")):
            print("FAIL %-16s no reference data (run make_fixtures.py)" % name)
            failed += 1
            continue
        ok, msg = check(cmd, m, a.timeout, a.keep)
        print("%s %-16s %s" % ("ok  " if ok else "FAIL", name, msg))
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
