#!/bin/sh
# Fashion-MNIST round 4 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
#   0. (only where round 3's results folder is gone) rebuild it from round 3's committed export;
#   1. seeds 1 and 2 of the 500k front point (resnet 488,413), which `confirm` finds short of 3;
#   2. the report and the exports in this folder.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round4
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round3/runs.json --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --augment off --seeds 3 --stack off --results "$RESULTS" $CPU
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
