#!/bin/sh
# Fashion-MNIST round 7 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
#   0. (only where round 6's results folder is gone) rebuild it from round 6's committed export;
#   1. three of the six families Fashion-MNIST had not had, VGG16_S, ResNet18_S and ShuffleNetV2, at every budget from
#      10k to 1M with the recipe of rounds 0-6 (SGDM 0.05, 5 epochs, no augmentation, best-validation epoch, seed 0);
#   2. seeds 1 and 2 of the front's new points (smallnets confirm: ResNet18_S 10k, 25k, 500k, 1M, ShuffleNetV2 25k,
#      50k);
#   3. the other three from the smallest budget, as far as the session allowed: MobileNetV2 (same recipe) and ViT_S
#      and CCT with AdamW at its default rate (1e-3; their optimizer on CIFAR-10, where it beat SGDM on validation at
#      50k), at 10k, 25k and 50k;
#   4. the front's seeds again (MobileNetV2 50k joined it);
#   5. the report and the exports in this folder.
# Steps 1 and 3 as sweep files, the same runs (same config hashes; a dry run finds them recorded):
# sweeps/fashion-mnist-cpu-round7-convnets.toml, sweeps/fashion-mnist-cpu-round7-small.toml,
# sweeps/fashion-mnist-cpu-round7-transformers.toml.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round7
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round6/runs.json.xz --results "$RESULTS"
TRAIN="--dataset fashion_mnist --epochs 5 --select best_val --results $RESULTS $CPU --seed 0"
for model in vgg16_s resnet18_s; do
  for budget in 10k 25k 50k 100k 250k 500k 1M; do
    smallnets train --model $model --budget $budget --lr 0.05 $TRAIN
  done
done
for budget in 10k 25k 100k 50k 250k 500k 1M; do
  smallnets train --model shufflenet_v2 --budget $budget --lr 0.05 $TRAIN
done
smallnets confirm --what front --dataset fashion_mnist --results "$RESULTS" $CPU
for budget in 10k 25k 50k; do
  smallnets train --model mobilenet_v2 --budget $budget --lr 0.05 $TRAIN
  smallnets train --model vit_s --budget $budget --optimizer adamw $TRAIN
  smallnets train --model cct --budget $budget --optimizer adamw $TRAIN
done
smallnets confirm --what front --dataset fashion_mnist --results "$RESULTS" $CPU
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
