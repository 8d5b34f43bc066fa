#!/bin/sh
# Fashion-MNIST round 1 (issue 6), 2-core CPU: seeds 1 and 2 of the round-0 front's configs and of the collapsed
# SqueezeNet 50k point, into the round-0 results folder (seed 0 of each is round 0's run; same config hash).
# Then the report and exports in this folder. Wall time 3,140 s on the 2-core CPU (torch 2.13.0+cpu).
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}   # the folder round 0's sweep wrote (sweeps/fashion-mnist-cpu-round0.toml)
for mb in "mlp 10k" "resnet 10k" "resnet 50k" "resnet 100k" "squeezenet 50k"; do
  set -- $mb
  smallnets train --model "$1" --budget "$2" --dataset fashion_mnist --epochs 5 --lr 0.05 --select best_val \
    --seeds 1,2 --stack off --threads 2 --progress lines --results "$RESULTS"
done
OUT=docs/results/fashion_mnist-cpu-round1
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
