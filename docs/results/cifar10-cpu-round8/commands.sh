#!/bin/sh
# CIFAR-10 round 8 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 7's results folder is gone) rebuild it from round 7's committed export;
#   1. resnet 250k with crop+flip for 30 epochs, seed 0 (sweeps/cifar10-cpu-round8-aug-250k.toml): the recipe that
#      took 100k to 83.25 ± 0.39% in round 3, one budget further;
#   2. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round8
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round7/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round8-aug-250k.toml --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
