#!/bin/sh
# int8 vs float through meshnn simulate on the K-device wearables deployments
# (examples/nonn_wearables/deploy_k{4,8}.toml: one student per wearable, the hub senses
# nothing). Prints per model: accuracy loss-free, accuracy and agreement with the loss-free
# run at dropout 0.3 (seed 1). MESHNN overrides the binary.
cd "$(dirname "$0")/.."
MESHNN=${MESHNN:-./target/release/meshnn}
for f in tests/models/mnist_*_k[48].onnx tests/models/gesture_*_k[48].onnx tests/models/basicmotions_*_k[48].onnx; do
  b=$(basename "$f" .onnx); ds=${b%%_*}; k=${b##*_k}
  dep=examples/nonn_wearables/deploy_k$k.toml
  for m in "$f" tests/models/int8/distilled/${b}_qdq.onnx; do
    r=$(nice "$MESHNN" simulate "$m" --deploy "$dep" --data "tests/models/${ds}_test.npz" --loss 0,0.3 --loss-model dropout --seed 1 2>&1 | awk '$1=="0.000"{a=$2} $1=="0.300"{b=$2; c=$4} END{print a, b, c}')
    echo "$(basename "$m" .onnx) $r"
  done
done
