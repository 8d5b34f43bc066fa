#!/bin/sh
# Fashion-MNIST round 16 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 15's results folder:
#   0. (only where round 15's results folder is gone) rebuild it from round 15's committed export: 245 runs, without
#      their model files;
#   1. seeds 1 and 2 of the two front points round 15 left on one seed, MobileNetV2 48.8k at SGDM 0.4 and the CIFAR
#      ResNet 49.7k at 0.2 (confirm; one round settled both: the dry run after it lists nothing);
#   2. SGDM 0.2 at 1M and at 500k for the CIFAR ResNet, whose 0.2 led at every budget from 25k to 250k while 500k and
#      1M had tried only 0.05 (MobileNetV2 100k at 0.2 and ShuffleNetV2 1M at 0.1 were dropped before they ran: at
#      this speed they would not have finished in the session);
#   3. the confirm dry run (ResNet 488.4k at 0.2 had joined the front on seed 0) and its seeds 1 and 2 (confirm), the
#      dry run again, the report (plots linked) and the exports.
# Otherwise the recipe of rounds 0-15: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round16
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round15/runs.json.xz --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round16-resnet-1m-0.2.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round16-resnet-500k-0.2.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
