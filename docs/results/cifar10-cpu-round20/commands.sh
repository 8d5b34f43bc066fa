#!/bin/sh
# CIFAR-10 round 20 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 19's results folder is gone) rebuild it from round 19's committed export;
#   1. two of the three families left out of 500k in round 16 for time, with the recipe of rounds 2 and 14-18 (no
#      augmentation, 10 epochs, seed 0, best-validation epoch) at the rate each was given at 25k-250k, SGDM 0.01:
#      shallow_cnn and squeezenet (MobileNetV2, over an hour here, is still left out);
#   2. vit_s at 1M with AdamW (its optimizer from 10k up, rounds 4 and 14-16);
#   3. vgg16_s at 1M at SGDM 0.03 beside round 18's 0.1, so its rate is chosen on validation as at 100k-500k;
#   4. shufflenet_v2 at 1M at SGDM's default rate, the strongest family after resnet from 25k to 500k;
#   5. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
# Steps 1-4 as sweep files, the same 5 runs (same config hashes; `smallnets sweep --dry-run` on this round's results
# finds all of them recorded): sweeps/cifar10-cpu-round20-families-500k.toml,
# sweeps/cifar10-cpu-round20-vit-1m.toml, sweeps/cifar10-cpu-round20-vgg-1m-rate.toml,
# sweeps/cifar10-cpu-round20-shufflenet-1m.toml.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round20
CPU="--device cpu --threads 2 --progress lines"
TRAIN="--dataset cifar10 --epochs 10 --select best_val --results $RESULTS $CPU --seed 0"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round19/runs.json --results "$RESULTS"
smallnets train --model shallow_cnn --budget 500k --lr 0.01 $TRAIN
smallnets train --model squeezenet --budget 500k --lr 0.01 $TRAIN
smallnets train --model vit_s --budget 1M --optimizer adamw $TRAIN
smallnets train --model vgg16_s --budget 1M --lr 0.03 $TRAIN
smallnets train --model shufflenet_v2 --budget 1M $TRAIN
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
