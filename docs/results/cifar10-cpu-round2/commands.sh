#!/bin/sh
# CIFAR-10 round 2 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run,
# into a copy of round 1's results folder (rounds 0 and 1's 65 runs stay in the report; nothing is re-run):
#   1. the 100k budget for resnet (the family on the front at 25k and 50k), seed 0;
#   2. the six families rounds 0 and 1 left out, at 50k, seed 0 (sweeps/cifar10-cpu-round2-families.toml); its
#      last, mobilenet_v2, was stopped at epoch 5 of 10 when time ran out (not recorded; this line resumes it);
#   3. squeezenet 50k again at lr 0.01, because at the default 0.1 it stayed at chance (10%) for all 10 epochs;
#   4. the exact-vs-JPEG gap of the front's runs (as run, measured before step 3; squeezenet is not on the front, so
#      the gap is the same), the report and the exports in this folder.
# Every step skips what the results folder already holds, so the script also resumes after a stop. Not yet run
# (the session's time ran out): `smallnets confirm --seeds 3 --results "$RESULTS" $CPU`, which would give the new
# 100k front point (and the augmentation track's 1-seed points) their seeds 1 and 2.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}   # round 1's folder (docs/results/cifar10-cpu-round1/commands.sh)
OUT=docs/results/cifar10-cpu-round2
CPU="--device cpu --threads 2 --progress lines"
smallnets train --model resnet --dataset cifar10 --budget 100000 --epochs 10 --select best_val --seeds 0 \
  --stack off $CPU --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round2-families.toml --results "$RESULTS" $CPU
smallnets train --model squeezenet --dataset cifar10 --budget 50000 --epochs 10 --select best_val --lr 0.01 \
  --seeds 0 --stack off $CPU --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
