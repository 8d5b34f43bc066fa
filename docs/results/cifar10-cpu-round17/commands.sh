#!/bin/sh
# CIFAR-10 round 17 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 16's results folder is gone) rebuild it from round 16's committed export;
#   1. the optimizer comparison at equal tuning effort at a second size: resnet 25k (the no-augmentation front's
#      point), SGDM, Adam, AdamW and AdaBound at the same five multiples of their default rate (the sweep file), seed 0;
#   2. each optimizer whose best rate (on validation) was the top of its grid got the next multiple, until its best
#      was bracketed (round 1's rule): Adam, AdamW and AdaBound 30x (3e-2), then AdamW 100x (0.1);
#   3. seeds 1 and 2 of each optimizer's chosen rate (`smallnets confirm`, optimizers only, configs of at most 25k
#      parameters, so nothing else is trained);
#   4. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
# The sweep ran in three launches (the first interrupted, the third to finish the point the first left failed) and
# confirm in two (the first before the comparison held the recipe equal, 39f930e): one launch of each does the same.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round17
CPU="--device cpu --threads 2 --progress lines"
TRAIN="--model resnet --budget 25k --dataset cifar10 --epochs 10 --select best_val --seed 0 --results $RESULTS $CPU"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round16/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round17-optimizers-25k.toml --results "$RESULTS" $CPU
smallnets train --optimizer adam --lr 0.03 $TRAIN
smallnets train --optimizer adamw --lr 0.03 $TRAIN
smallnets train --optimizer adabound --lr 0.03 $TRAIN
smallnets train --optimizer adamw --lr 0.1 $TRAIN
smallnets confirm --what optimizers --dataset cifar10 --augment off --max-params 25k --seeds 3 --max-rounds 1 --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
