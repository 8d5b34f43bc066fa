#!/bin/sh
# CIFAR-10 round 10 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 9's results folder is gone) rebuild it from round 9's committed export;
#   1. schedule or augmentation: resnet 10k and 25k for 30 epochs WITHOUT augmentation, the round-9 recipe otherwise
#      (SGDM lr 0.1 cosine, best-validation epoch), 3 seeds each (sweeps/cifar10-cpu-round10-schedule.toml);
#   2. the augmentation track's shallow CNN at a tuned rate: shallow_cnn 10k with crop+flip, 30 epochs, SGDM lr 0.03
#      (the rate that made it the no-augmentation front at 10k), 3 seeds; and shallow_cnn 25k, which sat at chance
#      at lr 0.1 in round 9, at lr 0.03, 1 seed;
#   3. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round10
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round9/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round10-schedule.toml --results "$RESULTS" $CPU
smallnets train --model shallow_cnn --dataset cifar10 --augment --budget 10000 --epochs 30 --lr 0.03 \
  --select best_val --seeds 0,1,2 --results "$RESULTS" $CPU
smallnets train --model shallow_cnn --dataset cifar10 --augment --budget 25000 --epochs 30 --lr 0.03 \
  --select best_val --seed 0 --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
