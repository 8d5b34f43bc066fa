#!/bin/sh
# CIFAR-10 round 18 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 17's results folder is gone) rebuild it from round 17's committed export;
#   1. SGDM's rate from round 17 (0.3, chosen on validation at 10 epochs) with the 25k no-augmentation front's
#      schedule (30 epochs), seed 0, against the front's 75.67 ± 0.25% at 0.1;
#   2. families at 1M, where only resnet had been trained: vgg16_s and resnet18_s at SGDM's default rate (the sweep
#      file), mlp at its rate 0.01 (10 epochs, no augmentation, seed 0, the recipe of rounds 2 and 14-16);
#   3. seeds 1 and 2 of step 1 (its validation, 77.46%, was above the 50k point's, 76.09 ± 0.48% at 0.1);
#   4. the same rate and schedule at 50k and at 10k, 3 seeds each, so the 30-epoch points of the front have both rates;
#   left out for time: the other families at 1M (shufflenet_v2, mobilenet_v2, cct, vit_s, squeezenet, shallow_cnn:
#   40 min to over an hour each here);
#   5. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round18
CPU="--device cpu --threads 2 --progress lines"
RECIPE="--dataset cifar10 --select best_val --results $RESULTS $CPU"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round17/runs.json --results "$RESULTS"
smallnets train --model resnet --budget 25k --lr 0.3 --epochs 30 --seed 0 $RECIPE
smallnets sweep --config sweeps/cifar10-cpu-round18-families-1m.toml --results "$RESULTS" $CPU
smallnets train --model mlp --budget 1M --lr 0.01 --epochs 10 --seed 0 $RECIPE
for SEED in 1 2; do
  smallnets train --model resnet --budget 25k --lr 0.3 --epochs 30 --seed $SEED $RECIPE
done
for SEED in 0 1 2; do
  smallnets train --model resnet --budget 50k --lr 0.3 --epochs 30 --seed $SEED $RECIPE
done
for SEED in 0 1 2; do
  smallnets train --model resnet --budget 10k --lr 0.3 --epochs 30 --seed $SEED $RECIPE
done
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
