#!/bin/sh
# CIFAR-10 round 21 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 20's results folder is gone) rebuild it from round 20's committed export (runs.json when this
#      ran; kept as runs.json.xz since 17e46bf, the same file compressed, so the line below names that);
#   1. count the recorded runs' MACs again (`smallnets runs --recount`): the ViT and CCT runs recorded before 3ce7315
#      counted no attention matmuls on a CPU;
#   2. mobilenet_v2 at 500k, the last family without a 500k point, with the recipe of the other 500k family points
#      (no augmentation, 10 epochs, seed 0, best-validation epoch) at its rate at 10k-250k, SGDM 0.1;
#   3. at 1M with the same recipe: cct (AdamW, its optimizer from 10k up) and squeezenet (SGDM 0.01, its rate at
#      25k-500k);
#   4. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
# Steps 2-3 as sweep files, the same runs (same config hashes; `smallnets sweep --dry-run` on this round's results
# finds all of them recorded): sweeps/cifar10-cpu-round21-mobilenet-500k.toml, sweeps/cifar10-cpu-round21-cct-1m.toml,
# sweeps/cifar10-cpu-round21-squeezenet-1m.toml.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round21
CPU="--device cpu --threads 2 --progress lines"
TRAIN="--dataset cifar10 --epochs 10 --select best_val --results $RESULTS $CPU --seed 0"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round20/runs.json.xz --results "$RESULTS"
smallnets runs --recount --results "$RESULTS"
smallnets train --model mobilenet_v2 --budget 500k $TRAIN
smallnets train --model cct --budget 1M --optimizer adamw $TRAIN
smallnets train --model squeezenet --budget 1M --lr 0.01 $TRAIN
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
