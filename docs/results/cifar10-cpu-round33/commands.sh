#!/bin/sh
# CIFAR-10 round 33 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 32's results folder is gone) rebuild it from round 32's committed export;
#   1. resnet 250k without augmentation at the front's 30 epochs (SGDM 0.3; 10 epochs alone before), from
#      sweeps/cifar10-cpu-round33-resnet-250k.toml: the sweep was stopped once seed 0 was recorded (seeds 1 and 2 did
#      not fit the session). Run as is, it trains all three seeds; a relaunch resumes the study and trains only what
#      is missing;
#   2. the confirm dry runs of both tracks after it;
#   3. the exact-vs-JPEG gap of the front runs with model files (text and JSON from one evaluation), the report
#      (plots linked) and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round33
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round32/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round33-resnet-250k.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment on --dry-run --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json-out "$OUT/jpeg-gap.json" > "$OUT/jpeg-gap.txt" \
    2> "$OUT/jpeg-gap-not-measured.txt"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
