#!/bin/sh
# CIFAR-10 round 13 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 12's results folder is gone) rebuild it from round 12's committed export;
#   1. the no-augmentation front's last budget, 1M: resnet (depth 14, width 38, 966,464 parameters), 10 epochs,
#      SGDM lr 0.1 cosine, best-validation epoch, the recipe of that track's 100k-500k points; seed 0
#      (`smallnets confirm --what front --augment off --seeds 3` adds seeds 1-2: about 2 hours here, not yet run);
#   2. Cutout 8x8 at the augmentation track's 100k point (round 12 measured 16 there, and 8 and 16 at 25k), one seed;
#   3. the no-augmentation 100k point at 30 epochs instead of 10 (as rounds 10-11 did for 10k-50k), one seed;
#   4. the exact-vs-JPEG gap of the front runs whose model files are here, and of the two probes (named: they are
#      not on the front; run ids as they were here), the report and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round13
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round12/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round13-1m.toml --results "$RESULTS" $CPU
smallnets train --model resnet --dataset cifar10 --budget 100k --augment --cutout 8 --epochs 30 --select best_val \
  --seed 0 --results "$RESULTS" $CPU
smallnets train --model resnet --dataset cifar10 --budget 100k --epochs 30 --select best_val \
  --seed 0 --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets jpeg-gap --results "$RESULTS" --device cpu --runs 131,132 > "$OUT/jpeg-gap-probes.txt"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
