#!/bin/sh
# Fashion-MNIST round 12 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 11's results folder:
#   0. (only where round 11's results folder is gone) rebuild it from round 11's committed export: 207 runs, without
#      their model files;
#   1. SGDM 0.1 at 500k and 1M for ResNet18_S and MobileNetV2, which had 0.05 alone there, seed 0. Stopped (SIGTERM)
#      after ResNet18_S's two runs, as MobileNetV2 500k's began: this machine ran them at about half the images/s of
#      earlier rounds, and MobileNetV2's two runs would not have left time for the front's seeds. Its killed trial is
#      failed at the next launch and trained again, so this line as written trains MobileNetV2's two runs too;
#   2. SGDM 0.4 at 100k for ResNet, whose best there (the front's) was the highest rate tried, 0.2;
#   3. SGDM 0.8 at 100k for ShuffleNetV2 and 0.4 at 250k for ShuffleNetV2, best at the highest tried (0.4, 0.2);
#   4. SGDM 0.2 at 250k for MobileNetV2, best at the highest tried, 0.1;
#   5. the confirm dry run, then seeds 1 and 2 of the front's new configs, round after round while the choice moved
#      (the confirm run);
#   6. the confirm dry run after it;
#   7. SGDM 0.1 at 500k for MobileNetV2 alone, step 1's first left-out run, in the time left (its own sweep file; step
#      1's sweep takes the recorded run from the database), and the confirm dry run after it;
#   8. the report (plots linked) and the exports.
# Otherwise the recipe of rounds 0-11: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round12
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round11/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round12-500k-1m-0.1.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round12-100k-0.4.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round12-100k-0.8.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round12-250k-0.4.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round12-250k-0.2.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round12-500k-0.1.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
