#!/bin/sh
# Fashion-MNIST round 9 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
# a learning-rate search at 10k-50k for the five deep convolutional families (ResNet18_S, VGG16_S, ShuffleNetV2,
# MobileNetV2, ResNet), run at SGDM 0.05 alone in rounds 0-8, where the shallow CNN took the front at 0.01 in
# round 8. Each step's rates follow from the previous step's validation accuracy (never test):
#   0. (only where round 8's results folder is gone) rebuild it from round 8's committed export;
#   1. the deep families at 0.01, 10k and 25k: it lost to 0.05 in 9 of 10 runs;
#   2. the shallow CNN at 0.003 at 25k (below its 0.01);
#   3. the deep families at 0.1 at 25k: it beat 0.05 for all five;
#   4. ResNet18_S at 0.01 at 50k (planned before step 3's answer; the other 50k runs at 0.01 were dropped);
#   5. the deep families at 0.1 at 50k (it beat 0.05 for ShuffleNetV2 alone), the shallow CNN at 0.003 at 50k;
#   6. the deep families at 0.2 at 25k, then 0.1 at 10k for them and the shallow CNN (0.1 beat 0.05 for all five deep
#      families; the shallow CNN diverged);
#   7. ShuffleNetV2 at 0.2 at 50k, VGG16_S at 0.01 at 50k (MobileNetV2 and ResNet at 50k have no rate below 0.05);
#   8. the deep families at 0.2 at 10k, and 0.4 at 25k for the three whose best rate there was still the highest;
#   9. 0.4 at 10k for the three whose best rate there was still the highest (0.2);
#  10. seeds 1 and 2 of the front's new points (smallnets confirm: two rounds, 16 runs, until the front held still);
#  11. 0.8 for the four points still best at the highest rate tried (0.4): ResNet18_S at 10k and 25k, ShuffleNetV2
#      and MobileNetV2 at 10k (it lost at all four, so every rate is bracketed above and the front is unchanged);
#  12. the report and the exports in this folder (step 11 ran after a first report and export, which this replaced).
# Otherwise the recipe of rounds 0-8: cosine schedule, 5 epochs, no augmentation, best-validation epoch, seed 0.
# Steps 1-9 and 11 as sweep files, the same runs (same config hashes; a dry run finds them recorded):
# sweeps/fashion-mnist-cpu-round9-*.toml (eleven files, one per rate and set of runs).
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round9
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round8/runs.json.xz --results "$RESULTS"
TRAIN="--dataset fashion_mnist --epochs 5 --select best_val --results $RESULTS $CPU --seed 0"
DEEP="resnet18_s vgg16_s shufflenet_v2 mobilenet_v2 resnet"
for budget in 10k 25k; do
  for model in $DEEP; do smallnets train --model $model --budget $budget --lr 0.01 $TRAIN; done
done
smallnets train --model shallow_cnn --budget 25k --lr 0.003 $TRAIN
for model in $DEEP; do smallnets train --model $model --budget 25k --lr 0.1 $TRAIN; done
smallnets train --model resnet18_s --budget 50k --lr 0.01 $TRAIN
for model in $DEEP; do smallnets train --model $model --budget 50k --lr 0.1 $TRAIN; done
smallnets train --model shallow_cnn --budget 50k --lr 0.003 $TRAIN
for model in $DEEP; do smallnets train --model $model --budget 25k --lr 0.2 $TRAIN; done
for model in $DEEP shallow_cnn; do smallnets train --model $model --budget 10k --lr 0.1 $TRAIN; done
smallnets train --model shufflenet_v2 --budget 50k --lr 0.2 $TRAIN
smallnets train --model vgg16_s --budget 50k --lr 0.01 $TRAIN
for model in $DEEP; do smallnets train --model $model --budget 10k --lr 0.2 $TRAIN; done
for model in resnet18_s shufflenet_v2 resnet; do smallnets train --model $model --budget 25k --lr 0.4 $TRAIN; done
for model in resnet18_s shufflenet_v2 mobilenet_v2; do smallnets train --model $model --budget 10k --lr 0.4 $TRAIN; done
smallnets confirm --what front --dataset fashion_mnist --results "$RESULTS" $CPU
smallnets train --model resnet18_s --budget 10k --lr 0.8 $TRAIN
smallnets train --model resnet18_s --budget 25k --lr 0.8 $TRAIN
for model in shufflenet_v2 mobilenet_v2; do smallnets train --model $model --budget 10k --lr 0.8 $TRAIN; done
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
