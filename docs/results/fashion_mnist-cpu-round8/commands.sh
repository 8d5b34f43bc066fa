#!/bin/sh
# Fashion-MNIST round 8 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
#   0. (only where round 7's results folder is gone) rebuild it from round 7's committed export;
#   1. the budgets round 7 left to MobileNetV2, ViT_S and CCT, 100k to 1M, interleaved from the smallest budget:
#      MobileNetV2 with the recipe of rounds 0-7 (SGDM 0.05, 5 epochs, no augmentation, best-validation epoch, seed 0),
#      ViT_S and CCT with AdamW at its default rate (1e-3), as in round 7;
#   2. seeds 1 and 2 of the front's new point (smallnets confirm: MobileNetV2 1M);
#   3. the shallow CNN at SGDM 0.01 (its best rate on CIFAR-10 from 25k up; round 6 ran it at 0.05) from 10k to
#      500k;
#   4. the front's seeds again (the shallow CNN at 0.01 took 25k and 50k);
#   5. the shallow CNN 1M at 0.01 (the session's checks left time for it; it stays off the front);
#   6. the report and the exports in this folder.
# Steps 1 and 3 as sweep files, the same runs (same config hashes; a dry run finds them recorded):
# sweeps/fashion-mnist-cpu-round8-small.toml, sweeps/fashion-mnist-cpu-round8-transformers.toml,
# sweeps/fashion-mnist-cpu-round8-shallow-rate.toml.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round8
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round7/runs.json.xz --results "$RESULTS"
TRAIN="--dataset fashion_mnist --epochs 5 --select best_val --results $RESULTS $CPU --seed 0"
smallnets train --model mobilenet_v2 --budget 100k --lr 0.05 $TRAIN
smallnets train --model vit_s --budget 100k --optimizer adamw $TRAIN
smallnets train --model cct --budget 100k --optimizer adamw $TRAIN
smallnets train --model mobilenet_v2 --budget 250k --lr 0.05 $TRAIN
smallnets train --model vit_s --budget 250k --optimizer adamw $TRAIN
smallnets train --model cct --budget 250k --optimizer adamw $TRAIN
smallnets train --model cct --budget 500k --optimizer adamw $TRAIN
smallnets train --model vit_s --budget 500k --optimizer adamw $TRAIN
smallnets train --model mobilenet_v2 --budget 500k --lr 0.05 $TRAIN
smallnets train --model cct --budget 1M --optimizer adamw $TRAIN
smallnets train --model vit_s --budget 1M --optimizer adamw $TRAIN
smallnets train --model mobilenet_v2 --budget 1M --lr 0.05 $TRAIN
smallnets confirm --what front --dataset fashion_mnist --results "$RESULTS" $CPU
for budget in 10k 25k 50k 100k 250k 500k; do
  smallnets train --model shallow_cnn --budget $budget --lr 0.01 $TRAIN
done
smallnets confirm --what front --dataset fashion_mnist --results "$RESULTS" $CPU
smallnets train --model shallow_cnn --budget 1M --lr 0.01 $TRAIN
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
