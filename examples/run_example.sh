#!/usr/bin/env bash
# The bundled example: a NoNN-shaped model (4 student branches + classifier) on four
# wearables (examples/nonn_wearables/deploy.toml). Partition it, generate the per-device
# C, run all devices on this computer over a loss-free simulated link, and compare the
# result with onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."
MESHNN=${MESHNN:-target/release/meshnn}
MODEL=tests/models/nonn_k4.onnx
DEPLOY=examples/nonn_wearables/deploy.toml
OUT=out/example

"$MESHNN" partition "$MODEL" --deploy "$DEPLOY"
"$MESHNN" compile "$MODEL" --deploy "$DEPLOY" --out "$OUT/c"
python3 - "$OUT" <<'PY'
import sys, os, numpy as np
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
x = np.random.default_rng(7).standard_normal((1, 1, 28, 28)).astype(np.float32)
np.save(os.path.join(out, "input.npy"), x)
PY
"$MESHNN" run "$MODEL" --deploy "$DEPLOY" --input input="$OUT/input.npy" --out-dir "$OUT/result"
python3 - "$MODEL" "$OUT" <<'PY'
import sys, os, numpy as np, onnxruntime as ort
model, out = sys.argv[1], sys.argv[2]
x = np.load(os.path.join(out, "input.npy"))
so = ort.SessionOptions(); so.intra_op_num_threads = 1
ref = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
got = np.load(os.path.join(out, "result", "probs.npy"))
print("meshnn (4 devices):", np.array2string(got.ravel(), precision=4))
print("onnxruntime       :", np.array2string(ref.ravel(), precision=4))
print("max |diff| = %.2e" % np.abs(got - ref).max())
assert np.allclose(got, ref, rtol=1e-4, atol=1e-5), "mismatch"
print("OK: generated C in %s/c (one folder per device, plus host/)" % out)
PY
