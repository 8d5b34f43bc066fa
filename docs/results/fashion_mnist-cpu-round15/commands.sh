#!/bin/sh
# Fashion-MNIST round 15 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 14's results folder:
#   0. (only where round 14's results folder is gone) rebuild it from round 14's committed export: 230 runs, without
#      their model files;
#   1. seeds 1 and 2 of MobileNetV2 48.8k at SGDM 0.2, the front point round 14 left on one seed (confirm);
#   2. SGDM 0.2 at 50k for the CIFAR ResNet, whose 0.2 won at 25k and 100k; 0.02 at 100k and 250k and 0.005 at 500k
#      for VGG16_S, whose lower rates won at 500k and 1M; 0.2 at 250k for the CIFAR ResNet; 0.4 at 50k for
#      MobileNetV2, whose 0.2 held on 3 seeds in step 1;
#   3. SGDM 0.4 at 50k for the CIFAR ResNet, whose 0.2 led in step 2, and 0.01 at 100k and 250k for VGG16_S, whose
#      0.02 led in step 2;
#   4. the confirm dry run (ResNet at 50k and 250k and MobileNetV2 at 50k had joined the front on seed 0), then one
#      round of seeds 1 and 2 for ResNet's two (--family resnet --max-rounds 1: MobileNetV2 50k's 0.4, level with
#      its 0.2 at +0.05, left on one seed for lack of time), and the dry run again;
#   5. the report (plots linked) and the exports.
# Otherwise the recipe of rounds 0-14: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round15
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round14/runs.json.xz --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round15-resnet-50k-0.2.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round15-vgg16s-100k-250k-0.02.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round15-vgg16s-500k-0.005.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round15-resnet-250k-0.2.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round15-mobilenet-50k-0.4.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round15-resnet-50k-0.4.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round15-vgg16s-100k-250k-0.01.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --family resnet --max-rounds 1 $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
