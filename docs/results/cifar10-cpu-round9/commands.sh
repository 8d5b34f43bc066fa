#!/bin/sh
# CIFAR-10 round 9 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 8's results folder is gone, as it was here) rebuild it from round 8's committed export;
#   1. the augmentation track's small end with the push's recipe (crop+flip, 30 epochs, SGDM lr 0.1 cosine,
#      best-validation epoch), seed 0: shallow_cnn and resnet at 10k and 25k
#      (sweeps/cifar10-cpu-round9-aug-small.toml);
#   2. seeds 1-2 of the three configs that step 1 put on the track's front (shallow_cnn 10k, resnet 10k and 25k),
#      with the reproduce commands `smallnets frontier` prints, plus --seeds 1,2;
#   3. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round9
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round8/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round9-aug-small.toml --results "$RESULTS" $CPU
for model_budget in "shallow_cnn 10000" "resnet 10000" "resnet 25000"; do
  set -- $model_budget
  smallnets train --model "$1" --dataset cifar10 --augment --budget "$2" --select best_val --seeds 1,2 \
    --results "$RESULTS" $CPU
done
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
