#!/bin/sh
# CIFAR-10 round 26 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 25's results folder is gone) rebuild it from round 25's committed export;
#   1. the front's 30-epoch schedule for resnet's nearest rival: ShuffleNetV2 at 100k at SGDM 0.3 for 30 epochs
#      without augmentation (10 epochs alone before, where it had not fitted the training set), seed 0;
#   2. its validation (80.30%) passed resnet 100k's mean (80.27%), so `smallnets confirm` trained seeds 1 and 2, and
#      the dry run after it found nothing more to train (ShuffleNetV2 95.2k joins the front below resnet 97.4k);
#   3. ResNet18_S 100k at SGDM 0.3 for 30 epochs without augmentation;
#   4. the exact-vs-JPEG gap of the front runs with model files, the report (plots linked) and the exports.
# ShuffleNetV2 100k with crop+flip for 30 epochs was started after step 1 and stopped in its second epoch to give its
# time to step 2; it is not in the results and is not listed here.
# Recipe otherwise: no augmentation, 30 epochs, best-validation epoch.
# Step 1 as one sweep file, the same run (same config hash; `smallnets sweep --dry-run` on this round's results finds
# it recorded): sweeps/cifar10-cpu-round26-shufflenet-30ep.toml.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round26
CPU="--device cpu --threads 2 --progress lines"
TRAIN="--dataset cifar10 --epochs 30 --select best_val --results $RESULTS $CPU"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round25/runs.json.xz --results "$RESULTS"
smallnets train --model shufflenet_v2 --budget 100k --lr 0.3 --seed 0 $TRAIN
smallnets confirm --what front --dataset cifar10 --augment off $CPU --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
smallnets train --model resnet18_s --budget 100k --lr 0.3 --seed 0 $TRAIN
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
