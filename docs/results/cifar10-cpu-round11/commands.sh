#!/bin/sh
# CIFAR-10 round 11 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 10's results folder is gone) rebuild it from round 10's committed export;
#   1. the rest of the no-augmentation small end at 30 epochs: shallow_cnn 10k at SGDM lr 0.03 (its tuned rate), 3
#      seeds, and resnet 50k (SGDM lr 0.1), seed 0, then its seeds 1-2 (it landed on the front); round 10 trained
#      resnet 10k and 25k the same way;
#   2. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round11
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round10/runs.json --results "$RESULTS"
smallnets train --model shallow_cnn --dataset cifar10 --budget 10000 --epochs 30 --lr 0.03 --select best_val \
  --seeds 0,1,2 --results "$RESULTS" $CPU
smallnets train --model resnet --dataset cifar10 --budget 50000 --epochs 30 --select best_val --seed 0 \
  --results "$RESULTS" $CPU
smallnets train --model resnet --dataset cifar10 --budget 50000 --epochs 30 --select best_val --seeds 1,2 \
  --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
