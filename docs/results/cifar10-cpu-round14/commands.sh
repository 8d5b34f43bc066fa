#!/bin/sh
# CIFAR-10 round 14 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 13's results folder is gone) rebuild it from round 13's committed export;
#   1. seeds 1-2 of the no-augmentation front's 1M point (resnet depth 14 width 38, 10 epochs, round 13's seed 0),
#      so every point of that track's front rests on 3 seeds;
#   2. the families measured so far only at 50k, now at 10k (no augmentation, 10 epochs, seed 0, best-validation
#      epoch): resnet18_s, mobilenet_v2 and shufflenet_v2 at SGDM's default rate (the sweep file), squeezenet at
#      SGDM lr 0.01 (it stays at chance at 0.1), cct and vit_s with AdamW (their better optimizer at 50k);
#   3. `confirm` again: resnet18_s 9k (9,005 parameters, fewer than shallow_cnn's 9,187) joined the front at step 2
#      with 1 seed, so it gets seeds 1-2;
#   4. resnet18_s, mobilenet_v2 and shufflenet_v2 at 25k (the sweep file), squeezenet (SGDM 0.01) and cct (AdamW)
#      at 25k (vit_s left out for time);
#   5. the exact-vs-JPEG gap of the front runs whose model files are here, the report and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round14
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round13/runs.json --results "$RESULTS"
smallnets confirm --what front --augment off --dataset cifar10 --seeds 3 --results "$RESULTS" $CPU
smallnets sweep --config sweeps/cifar10-cpu-round14-families-10k.toml --results "$RESULTS" $CPU
smallnets train --model squeezenet --dataset cifar10 --budget 10k --lr 0.01 --epochs 10 --select best_val --seed 0 \
  --results "$RESULTS" $CPU
smallnets train --model cct --dataset cifar10 --budget 10k --optimizer adamw --epochs 10 --select best_val --seed 0 \
  --results "$RESULTS" $CPU
smallnets train --model vit_s --dataset cifar10 --budget 10k --optimizer adamw --epochs 10 --select best_val --seed 0 \
  --results "$RESULTS" $CPU
smallnets confirm --what front --augment off --dataset cifar10 --seeds 3 --results "$RESULTS" $CPU
smallnets sweep --config sweeps/cifar10-cpu-round14-families-25k.toml --results "$RESULTS" $CPU
smallnets train --model squeezenet --dataset cifar10 --budget 25k --lr 0.01 --epochs 10 --select best_val --seed 0 \
  --results "$RESULTS" $CPU
smallnets train --model cct --dataset cifar10 --budget 25k --optimizer adamw --epochs 10 --select best_val --seed 0 \
  --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
