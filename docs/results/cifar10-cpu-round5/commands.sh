#!/bin/sh
# CIFAR-10 round 5 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. the results folder rebuilt from round 4's committed export (the machine that held rounds 0-4's folder was
#      gone): `runs --import` puts the 85 runs back under their ids, and their report is identical to round 4's;
#   1. seeds 1 and 2 of round 4's AdamW runs of ViT and CCT at 50k (sweeps/cifar10-cpu-round5-transformers-seeds.toml);
#   2. the no-augmentation front at 250k: resnet, seed 0 (sweeps/cifar10-cpu-round5-250k.toml);
#   3. the exact-vs-JPEG gap of the front runs whose model files are here (the imported runs have none: their gaps
#      are in round 3's jpeg-gap.txt), the report and the exports in this folder.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round5
CPU="--device cpu --threads 2 --progress lines"
smallnets runs --import docs/results/cifar10-cpu-round4/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round5-transformers-seeds.toml --results "$RESULTS" $CPU
smallnets sweep --config sweeps/cifar10-cpu-round5-250k.toml --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
