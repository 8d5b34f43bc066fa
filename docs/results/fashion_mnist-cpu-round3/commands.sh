#!/bin/sh
# Fashion-MNIST round 3 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
#   0. (only where round 2's results folder is gone) rebuild it from round 2's committed export;
#   1. seeds 1 and 2 of the 250k front point (resnet 242,469), which `confirm` finds short of 3;
#   2. the front one budget further: resnet and mlp at 500k, seed 0 (sweeps/fashion-mnist-cpu-round3-500k.toml);
#   3. the report and the exports in this folder.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round3
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round2/runs.json --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --augment off --seeds 3 --stack off --results "$RESULTS" $CPU
smallnets sweep --config sweeps/fashion-mnist-cpu-round3-500k.toml --results "$RESULTS" $CPU
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
