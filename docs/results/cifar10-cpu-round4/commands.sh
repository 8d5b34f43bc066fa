#!/bin/sh
# CIFAR-10 round 4 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run,
# into the results folder of rounds 2-3 (their 83 runs stay in the report; nothing is re-run):
#   1. ViT and CCT at 50k with AdamW (1e-3, 1-epoch warm-up), 10 epochs, no augmentation, seed 0
#      (sweeps/cifar10-cpu-round4-transformers.toml): round 2 trained them with SGDM only;
#   2. the exact-vs-JPEG gap of the fronts' runs (the fronts did not change: the same 21 runs as round 3), the report
#      and the exports in this folder.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}   # round 2's folder (docs/results/cifar10-cpu-round2/commands.sh)
OUT=docs/results/cifar10-cpu-round4
CPU="--device cpu --threads 2 --progress lines"
smallnets sweep --config sweeps/cifar10-cpu-round4-transformers.toml --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
