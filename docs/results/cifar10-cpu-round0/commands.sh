#!/bin/sh
# CIFAR-10 round 0 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   1. the seed-0 grid: resnet, shallow_cnn, vgg16_s, mlp x 10k/25k/50k, no augmentation, 10 epochs, lr 0.1;
#   2. seeds 1, 2 of that grid's front (shallow_cnn 10k, resnet 10k, resnet 25k; the resnet 50k seeds were stopped
#      to make room for step 3);
#   3. learning-rate steps, because lr 0.1 failed the MLPs and the two-conv shallow CNNs: mlp at 0.01 and 0.03,
#      shallow_cnn at 0.03, then resnet at 0.03 (the same extra try for the families on the front);
#   4. seeds 1, 2 of the new front's points (shallow_cnn 10k at lr 0.03; resnet 50k at lr 0.1 as far as time went);
#   5. the exact-vs-JPEG gap of the front's runs, the report and the exports in this folder.
# Every step skips what the results folder already holds, so the script also resumes after a stop.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round0
CPU="--device cpu --threads 2"
smallnets sweep --config sweeps/cifar10-cpu-round0.toml --results "$RESULTS" $CPU
for mb in "shallow_cnn 10000" "resnet 10000" "resnet 25000"; do
  set -- $mb
  smallnets train --model "$1" --dataset cifar10 --budget "$2" --epochs 10 --select best_val --seeds 1,2 \
    --stack off $CPU --progress lines --results "$RESULTS"
done
for step in mlp-lr shallow-lr resnet-lr; do
  smallnets sweep --config "sweeps/cifar10-cpu-round0-$step.toml" --results "$RESULTS" $CPU
done
smallnets train --model shallow_cnn --dataset cifar10 --budget 10000 --epochs 10 --lr 0.03 --select best_val \
  --seeds 1,2 --stack off $CPU --progress lines --results "$RESULTS"
smallnets train --model resnet --dataset cifar10 --budget 50000 --epochs 10 --select best_val --seeds 1 \
  --stack off $CPU --progress lines --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
