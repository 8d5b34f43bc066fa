#!/bin/sh
# Fashion-MNIST round 2 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
#   0. the results folder rebuilt from round 1's committed export (22 runs, their ids kept);
#   1. budgets 25k and 250k for resnet, shallow_cnn and mlp, round 0-1's recipe (sweeps/fashion-mnist-cpu-round2.toml);
#   2. seeds 1 and 2 of the new 25k front point (resnet 24,628; the 250k point keeps 1 seed: about 14 min a seed);
#   3. the report and the exports in this folder.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round2
smallnets runs --import docs/results/fashion_mnist-cpu-round1/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round2.toml --results "$RESULTS" --device cpu --threads 2 --progress lines
smallnets train --model resnet --budget 25k --dataset fashion_mnist --epochs 5 --lr 0.05 --select best_val \
  --seeds 1,2 --stack off --device cpu --threads 2 --progress lines --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
