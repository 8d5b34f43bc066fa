#!/bin/sh
# Fashion-MNIST round 5 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
#   0. (only where round 4's results folder is gone) rebuild it from round 4's committed export;
#   1. the 1M budget, resnet and mlp, seed 0 (the sweep file; the recipe of rounds 0-4);
#   2. seeds 1 and 2 of the 1M front point (resnet 965,780), which `confirm` finds short of 3;
#   3. the report and the exports in this folder.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round5
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round4/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round5-1m.toml --results "$RESULTS" $CPU
smallnets confirm --what front --dataset fashion_mnist --augment off --seeds 3 --stack off --results "$RESULTS" $CPU
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
