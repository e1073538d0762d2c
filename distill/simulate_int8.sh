#!/bin/sh
# int8 vs float through meshnn simulate on the K-device wearables deployments
cd "$(dirname "$0")/.."
for ds in mnist basicmotions; do for v in nonn nonn_failout resilient resilient_failout; do for k in 4 8; do
  dep=examples/nonn_wearables/deploy.toml; [ $k = 8 ] && dep=examples/nonn_wearables/deploy_k8.toml
  for m in tests/models/${ds}_${v}_k$k.onnx tests/models/int8/distilled/${ds}_${v}_k${k}_qdq.onnx; do
    r=$(nice ./target/release/meshnn simulate $m --deploy $dep --data tests/models/${ds}_test.npz --loss 0,0.3 --loss-model dropout --seed 1 2>&1 | awk '$1=="0.000"{a=$2} $1=="0.300"{b=$2; c=$4} END{print a, b, c}')
    echo "$(basename $m .onnx) $r"
  done
done; done; done
