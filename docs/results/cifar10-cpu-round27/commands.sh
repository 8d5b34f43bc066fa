#!/bin/sh
# CIFAR-10 round 27 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 26's results folder is gone) rebuild it from round 26's committed export;
#   1. the front's 30-epoch schedule one budget down: ShuffleNetV2 at 50k at SGDM 0.3 for 30 epochs without
#      augmentation (10 epochs alone before), seed 0;
#   2. its validation passed resnet 50k's mean, so `smallnets confirm` trained seeds 1 and 2, and the dry run after
#      it found nothing more to train;
#   3. SGDM 0.3 on the augmentation track at 100k (0.1 alone before): resnet and ShuffleNetV2 with crop+flip for 30
#      epochs, seed 0; both join the augmentation front on one seed, and its confirm dry run wants their seeds 1 and 2
#      (4 runs, left for the next round);
#   4. the exact-vs-JPEG gap of the front runs with model files, the report (plots linked) and the exports.
# Recipe otherwise: 30 epochs, best-validation epoch.
# Step 3 as one sweep file, the same runs (same config hashes; `smallnets sweep --dry-run` on this round's results
# finds them recorded): sweeps/cifar10-cpu-round27-aug-100k.toml.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round27
CPU="--device cpu --threads 2 --progress lines"
TRAIN="--dataset cifar10 --epochs 30 --select best_val --results $RESULTS $CPU"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round26/runs.json.xz --results "$RESULTS"
smallnets train --model shufflenet_v2 --budget 50k --lr 0.3 --seed 0 $TRAIN
smallnets confirm --what front --dataset cifar10 --augment off $CPU --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
smallnets train --model resnet --budget 100k --lr 0.3 --seed 0 --augment $TRAIN
smallnets train --model shufflenet_v2 --budget 100k --lr 0.3 --seed 0 --augment $TRAIN
smallnets confirm --what front --dataset cifar10 --augment on --dry-run --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
