#!/bin/sh
# CIFAR-10 round 34 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 33's results folder is gone) rebuild it from round 33's committed export;
#   1. seeds 1 and 2 of resnet 250k without augmentation at 30 epochs (SGDM 0.3): round 33's sweep file relaunched;
#      it resumes the study and trains only the seeds missing (seed 1, then seed 2, which had been stopped after its
#      first epoch in session 40 and resumed from that epoch's checkpoint);
#   2. the confirm dry runs of both tracks after it;
#   3. the exact-vs-JPEG gap of the front runs with model files (text and JSON from one evaluation), the report
#      (plots linked) and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round34
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round33/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round33-resnet-250k.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment on --dry-run --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json-out "$OUT/jpeg-gap.json" > "$OUT/jpeg-gap.txt" \
    2> "$OUT/jpeg-gap-not-measured.txt"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
