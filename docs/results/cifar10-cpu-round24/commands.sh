#!/bin/sh
# CIFAR-10 round 24 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 23's results folder is gone) rebuild it from round 23's committed export;
#   1. round 23's learning-rate search carried to the front's largest budgets: resnet 500k at SGDM 0.3 (0.1 alone
#      before, while 0.3 had added 0.7 and 1.2 validation points at 100k and 250k);
#   2. seeds 1 and 2 of it (`smallnets confirm`): its seed-0 validation, 81.18, passed resnet 250k at 0.3's mean
#      (81.06), the front's point below it;
#   3. resnet 1M at SGDM 0.3, the same question at the front's largest budget;
#   4. the exact-vs-JPEG gap of the new front runs, the report (plots linked) and the exports.
# Recipe of rounds 2 and 14-23 otherwise: no augmentation, 10 epochs, best-validation epoch, seed 0.
# Steps 1 and 3 as one sweep file, the same runs (same config hashes; `smallnets sweep --dry-run` on this round's
# results finds both recorded; confirm's two runs are not in it): sweeps/cifar10-cpu-round24-resnet-0.3.toml.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round24
CPU="--device cpu --threads 2 --progress lines"
TRAIN="--dataset cifar10 --epochs 10 --select best_val --results $RESULTS $CPU"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round23/runs.json.xz --results "$RESULTS"
run() { smallnets train --model "$1" --budget "$2" --lr "$3" --seed "${4:-0}" $TRAIN; }
run resnet 500k 0.3
smallnets confirm --what front --dataset cifar10 --results "$RESULTS" $CPU
run resnet 1M 0.3
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
