#!/bin/sh
# CIFAR-10 round 1 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run,
# into a copy of round 0's results folder (round 0's 33 runs stay in the report; same config hashes are not re-run):
#   1. the third seed of round 0's 50k front point (resnet depth 8 width 13, lr 0.1);
#   2. the optimizer comparison at equal tuning effort on shallow_cnn 10k (round 0's 10k front point): sgdm, adam,
#      adamw, adabound at 0.1x, 0.3x, 1x, 3x their default rate; then 10x for all four, because Adam, AdamW and
#      AdaBound were best at 3x; then 30x and 100x for adam only, because it was best at 10x and again at 30x (each
#      optimizer's grid must bracket its best; at 100x adam collapsed);
#   3. vgg16_s at lr 0.03, the 0.3x step the other families got in round 0;
#   4. seeds 1, 2 of each optimizer's validation-best rate (sgdm 0.03 has them from round 0);
#   5. a first look at the augmentation track: resnet 25k and 50k with crop+flip, one seed;
#   6. the exact-vs-JPEG gap of the front's runs, the report and the exports in this folder.
# Every step skips what the results folder already holds, so the script also resumes after a stop.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}   # round 0's folder (docs/results/cifar10-cpu-round0/commands.sh)
OUT=docs/results/cifar10-cpu-round1
CPU="--device cpu --threads 2"
TRAIN="smallnets train --model shallow_cnn --dataset cifar10 --budget 10000 --epochs 10 --select best_val \
  --stack off $CPU --progress lines --results $RESULTS"
smallnets train --model resnet --dataset cifar10 --budget 50000 --epochs 10 --select best_val --seeds 2 \
  --stack off $CPU --progress lines --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round1-optimizers.toml --results "$RESULTS" $CPU --progress lines
smallnets sweep --config sweeps/cifar10-cpu-round1-vgg-lr.toml --results "$RESULTS" $CPU --progress lines
smallnets sweep --config sweeps/cifar10-cpu-round1-optimizers-10x.toml --results "$RESULTS" $CPU --progress lines
$TRAIN --optimizer adam --lr 0.03 --seeds 0
$TRAIN --optimizer adamw --lr 0.003 --seeds 1,2
$TRAIN --optimizer adabound --lr 0.003 --seeds 1,2
$TRAIN --optimizer adam --lr 0.1 --seeds 0
$TRAIN --optimizer adam --lr 0.03 --seeds 1,2
smallnets sweep --config sweeps/cifar10-cpu-round1-aug.toml --results "$RESULTS" $CPU --progress lines
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
