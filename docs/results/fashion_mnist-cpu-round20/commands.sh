#!/bin/sh
# Fashion-MNIST round 20 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 19's results folder:
#   0. (only where round 19's results folder is gone) rebuild it from round 19's committed export: 316 runs, without
#      their model files;
#   1. AdamW's rate search at 25k for the four other convolutional families near the front, at 3x, 10x, 30x and 100x
#      its default (3e-3 to 0.1; ResNet18_S's 3e-2 run, from round 19, is taken from the database);
#   2. AdamW at 0.1 on the ResNet 50k, to bracket round 19's 3e-2 there;
#   3. the shallow CNN, best at the bottom of step 1's grid (3e-3), at 1x, 3x and 10x at 10k, 25k and 50k (the 25k
#      runs at 3x and 10x are step 1's), then a dry run of the optimizers' confirm up to 25k: 18 runs;
#   4. the shallow CNN at 3e-2 at 10k and 50k, where 1e-2 was the top of step 3's grid, and a dry run of the front's
#      confirm;
#   5. seeds 1 and 2 of the two configs that joined the front on seed 0 (the shallow CNN at 25k and 50k; confirm,
#      front, one round), then a dry run: the 25k choice moved to 1e-2 (its seed 0 above 3e-3's 3-seed mean);
#   6. seeds 1 and 2 of each optimizer's chosen rate up to 24,500 parameters (confirm, optimizers, one round),
#      between dry runs: the bound leaves out MobileNetV2 25k (24,986 parameters; about 9 minutes a run here), for
#      time; then a dry run of the front's confirm;
#   7. the front's confirm again (one round: the shallow CNN 25k at 1e-2), then a dry run;
#   8. (once the steps above were written up) AdamW for the shallow CNN at 100k, 1x, 3x and 10x its default, then a
#      dry run of the front's confirm;
#   9. seeds 1 and 2 of MobileNetV2 25k at AdamW 1e-2, which step 6 left out (confirm, optimizers, MobileNetV2 from
#      20k to 25k parameters, one round), then dry runs of that and of the front's confirm;
#  10. the report (plots linked) and the exports of all runs.
# Otherwise the recipe of rounds 0-19: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round20
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round19/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round20-adamw-25k-families.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round20-adamw-50k-0.1.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round20-shallow-cnn-adamw.toml $CPU --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --max-params 25k --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round20-shallow-cnn-adamw-0.03.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --seeds 3 --max-rounds 1 $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --max-params 24500 --dry-run --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --max-params 24500 --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --max-params 24500 --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --seeds 3 --max-rounds 1 $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round20-shallow-cnn-adamw-100k.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
MOBILE="--family mobilenet_v2 --min-params 20k --max-params 25k"
smallnets confirm --what optimizers --dataset fashion_mnist $MOBILE --seeds 3 --max-rounds 1 $CPU --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $MOBILE --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
