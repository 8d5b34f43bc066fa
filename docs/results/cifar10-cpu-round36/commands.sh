#!/bin/sh
# CIFAR-10 round 36 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 35's results folder is gone) rebuild it from round 35's committed export: 323 runs (ids up to
#      325), without their model files;
#   1. the shallow CNN without augmentation at 1M, 10 epochs, SGDM 0.01, seed 0: run 326, the last family and budget
#      of the grid without a point;
#   2. the confirm dry runs of both tracks after it;
#   3. the exact-vs-JPEG gap of the new run (`--runs`: the front's model files went with an earlier session's results
#      folder; round 34's jpeg-gap files hold the front's), the report (plots linked) and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round36
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round35/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round36-shallow-1m.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment on --dry-run --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --runs 326 --device cpu --json-out "$OUT/jpeg-gap.json" > "$OUT/jpeg-gap.txt"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
