#!/bin/sh
# CIFAR-10 round 25 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 24's results folder is gone) rebuild it from round 24's committed export;
#   1. round 23's learning-rate search carried to the other strong families at the front's largest budgets:
#      ShuffleNetV2 and ResNet18_S at 500k and 1M at SGDM 0.3 (0.1 alone before, while 0.3 had added 2.7 and 2.5
#      validation points at 250k);
#   2. resnet 100k at SGDM 1.0, to bracket its rate from above (0.3 had beaten 0.1 by 1.3 points over 3 seeds);
#   3. `smallnets confirm --dry-run` for the no-augmentation front: 0 runs (no new run joined it);
#   4. ResNet18_S 500k at SGDM 1.0, to bracket its 0.3 from above (0.3 was the top of the rates tried there), then
#      the dry run again (0 runs);
#   5. the exact-vs-JPEG gap of the front runs with model files, the report (plots linked) and the exports.
# Recipe of rounds 2 and 14-24 otherwise: no augmentation, 10 epochs, best-validation epoch, seed 0.
# Step 1 as one sweep file, the same runs (same config hashes; `smallnets sweep --dry-run` on this round's results
# finds all 4 recorded): sweeps/cifar10-cpu-round25-families-0.3.toml.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round25
CPU="--device cpu --threads 2 --progress lines"
TRAIN="--dataset cifar10 --epochs 10 --select best_val --results $RESULTS $CPU"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round24/runs.json.xz --results "$RESULTS"
run() { smallnets train --model "$1" --budget "$2" --lr "$3" --seed "${4:-0}" $TRAIN; }
run shufflenet_v2 500k 0.3
run resnet18_s 500k 0.3
run resnet 100k 1.0
run shufflenet_v2 1M 0.3
run resnet18_s 1M 0.3
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
run resnet18_s 500k 1.0
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
