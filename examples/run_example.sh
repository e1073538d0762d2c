#!/usr/bin/env bash
# The bundled example: inspect, compile and run the NoNN-shaped fixture model on this
# computer, then compare meshnn's output with onnxruntime's.
set -euo pipefail
cd "$(dirname "$0")/.."
MESHNN=${MESHNN:-target/release/meshnn}
MODEL=tests/models/nonn_k4.onnx
OUT=out/example

"$MESHNN" inspect "$MODEL"
"$MESHNN" compile "$MODEL" --out "$OUT/c"
python3 - "$MODEL" "$OUT" <<'PY'
import sys, os, numpy as np
model, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
x = np.random.default_rng(7).standard_normal((1, 1, 28, 28)).astype(np.float32)
np.save(os.path.join(out, "input.npy"), x)
PY
"$MESHNN" run "$MODEL" --input input="$OUT/input.npy" --out-dir "$OUT/result"
python3 - "$MODEL" "$OUT" <<'PY'
import sys, os, numpy as np, onnxruntime as ort
model, out = sys.argv[1], sys.argv[2]
x = np.load(os.path.join(out, "input.npy"))
so = ort.SessionOptions(); so.intra_op_num_threads = 1
ref = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
got = np.load(os.path.join(out, "result", "probs.npy"))
print("meshnn     :", np.array2string(got.ravel(), precision=4))
print("onnxruntime:", np.array2string(ref.ravel(), precision=4))
print("max |diff| = %.2e" % np.abs(got - ref).max())
assert np.allclose(got, ref, rtol=1e-4, atol=1e-5), "mismatch"
PY
