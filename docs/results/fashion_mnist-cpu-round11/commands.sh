#!/bin/sh
# Fashion-MNIST round 11 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 10's results folder; each rate step chosen on validation from the step before it:
#   0. (only where round 10's results folder is gone) rebuild it from round 10's committed export: 189 runs, without
#      their model files;
#   1. SGDM 0.2 at 100k for the three families whose best rate there was 0.1, the highest tried (ResNet, ShuffleNetV2,
#      ResNet18_S), seed 0;
#   2. SGDM 0.1 at 250k for the five deep convolutional families, which had 0.05 alone there, seed 0;
#   3. SGDM 0.4 at 100k for the two whose best was still the highest tried, 0.2 (ShuffleNetV2, ResNet18_S);
#   4. SGDM 0.2 at 250k for ResNet18_S and ShuffleNetV2, best at 0.1 there;
#   5. seeds 1 and 2 of the front's new configs, round after round while the choice moved (the confirm run);
#   6. the confirm dry run after it, the report (plots linked) and the exports.
# Otherwise the recipe of rounds 0-10: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round11
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round10/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round11-100k-0.2.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round11-250k-0.1.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round11-100k-0.4.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round11-250k-0.2.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
