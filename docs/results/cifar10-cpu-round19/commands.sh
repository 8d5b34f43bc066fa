#!/bin/sh
# CIFAR-10 round 19 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 18's results folder is gone) rebuild it from round 18's committed export;
#   1. SGDM 0.3 (round 17's rate, chosen on validation) at 100k without augmentation, 30 epochs, 3 seeds: the point
#      left the front in round 18 (10 epochs at 0.1) and had not had the higher rate;
#   2. the same rate on the augmentation track (crop+flip, 30 epochs), seed 0, at 25k, 10k and 50k, against that
#      track's points at 0.1 (3 seeds each);
#   3. seeds 1 and 2 of each step-2 point whose validation beat the 0.1 point's mean (all three did: 10k 71.96
#      against 71.59, 25k 78.74 against 77.55, 50k 80.88 against 80.16);
#   4. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
# Steps 1-3 as sweep files, the same 12 runs (same config hashes; `smallnets sweep --dry-run` on this round's
# results finds all of them recorded): sweeps/cifar10-cpu-round19-100k-rate.toml, sweeps/cifar10-cpu-round19-aug-rate.toml.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round19
CPU="--device cpu --threads 2 --progress lines"
RECIPE="--dataset cifar10 --select best_val --results $RESULTS $CPU"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round18/runs.json --results "$RESULTS"
for SEED in 0 1 2; do
  smallnets train --model resnet --budget 100k --lr 0.3 --epochs 30 --seed $SEED $RECIPE
done
for BUDGET in 25k 10k 50k; do
  smallnets train --model resnet --budget $BUDGET --lr 0.3 --epochs 30 --augment --seed 0 $RECIPE
done
for BUDGET in 10k 25k 50k; do
  for SEED in 1 2; do
    smallnets train --model resnet --budget $BUDGET --lr 0.3 --epochs 30 --augment --seed $SEED $RECIPE
  done
done
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
