#!/bin/sh
# CIFAR-10 round 28 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 27's results folder is gone) rebuild it from round 27's committed export;
#   1. the augmentation front's two 1-seed points from round 27 (resnet 97.4k and ShuffleNetV2 95.2k, crop+flip,
#      SGDM 0.3, 30 epochs): `smallnets confirm` trains their seeds 1 and 2;
#   2. the confirm dry runs of both tracks after it;
#   3. the exact-vs-JPEG gap of the front runs with model files, the report (plots linked) and the exports.
# Recipe otherwise: 30 epochs, best-validation epoch. No new configuration, so no sweep file: the confirm runs are
# round 27's configurations (sweeps/cifar10-cpu-round27-aug-100k.toml) with seeds 1 and 2.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round28
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round27/runs.json.xz --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment on $CPU --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment on --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
