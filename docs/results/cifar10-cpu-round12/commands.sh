#!/bin/sh
# CIFAR-10 round 12 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 11's results folder is gone) rebuild it from round 11's committed export;
#   1. seeds 1-2 of the augmentation track's 250k front point (resnet, crop+flip, 30 epochs; round 8 trained seed 0):
#      `confirm` picks every config on that track's front up to 250k that is short of 3 seeds, here that one alone;
#   2. a first look at Cutout (new here: --cutout N beside crop+flip), one seed each, at the augmentation track's
#      100k and 25k points with their recipe otherwise unchanged (30 epochs, SGDM lr 0.1, best-validation epoch):
#      16 (DeVries & Taylor's CIFAR-10 size) at both, then 8 at 25k, after 16 left both models underfitting;
#   3. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round12
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round11/runs.json --results "$RESULTS"
smallnets confirm --what front --augment on --dataset cifar10 --max-params 250k --seeds 3 --results "$RESULTS" $CPU
smallnets train --model resnet --dataset cifar10 --budget 100k --augment --cutout 16 --epochs 30 --select best_val \
  --seed 0 --results "$RESULTS" $CPU
smallnets train --model resnet --dataset cifar10 --budget 25k --augment --cutout 16 --epochs 30 --select best_val \
  --seed 0 --results "$RESULTS" $CPU
smallnets train --model resnet --dataset cifar10 --budget 25k --augment --cutout 8 --epochs 30 --select best_val \
  --seed 0 --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
# the Cutout probes are not on the front (lower validation accuracy), so they are named; run ids as they were here
smallnets jpeg-gap --results "$RESULTS" --device cpu --runs 127,128,129 > "$OUT/jpeg-gap-cutout.txt"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
