#!/bin/sh
# Fashion-MNIST round 10 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
#   0. (only where round 9's results folder is gone, as it was for this round) rebuild it from round 9's committed
#      export: 184 runs, without their model files;
#   1. SGDM 0.1 at 100k for the five deep convolutional families (ResNet18_S, VGG16_S, ShuffleNetV2, MobileNetV2,
#      ResNet), which had 0.05 alone above 50k, seed 0, after 565e6fd (one-channel batches plain NCHW on a CPU; before
#      it this sweep hung in its first run on this AVX2 machine);
#   2. the confirm dry run of the front after it;
#   3. the report (plots linked) and the exports.
# Otherwise the recipe of rounds 0-9: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round10
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round9/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round10-100k-0.1.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
