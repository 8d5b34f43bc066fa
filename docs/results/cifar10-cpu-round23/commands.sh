#!/bin/sh
# CIFAR-10 round 23 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 22's results folder is gone) rebuild it from round 22's committed export;
#   1. round 22's learning-rate search carried to 100k: ResNet18_S, ShuffleNetV2, resnet and MobileNetV2 had run at
#      SGDM 0.1 alone there at 10 epochs (VGG16_S also at 0.03), while round 22 had found all but VGG16_S best at 0.3
#      at 10k-50k. SGDM 0.3 for those four, 0.01 for VGG16_S (best at 0.03, to bracket it below);
#   2. seeds 1 and 2 at 100k of ShuffleNetV2 and resnet at 0.3 (both best there on seed 0), the two leading families,
#      to compare them on 3 seeds each;
#   3. the same at 250k: SGDM 0.3 for ResNet18_S, ShuffleNetV2 and resnet, 0.01 for VGG16_S (MobileNetV2's 0.3 at 100k
#      ran before these);
#   4. seeds 1 and 2 of the front's new point (`smallnets confirm`): resnet 250k at 0.3 (81.20 validation on seed 0)
#      passed the 30-epoch resnet 100k (80.27) and rejoined the front; then seeds 1 and 2 of ShuffleNetV2 250k at 0.3,
#      0.4 validation points behind it on seed 0;
#   5. SGDM 1.0 at 100k, to bracket 0.3 above, as far as the session's time allowed: ShuffleNetV2 and ResNet18_S
#      (resnet's and MobileNetV2's 1.0 at 100k did not fit, nor MobileNetV2 250k at 0.3);
#   6. the exact-vs-JPEG gap of the front runs, the report (plots linked) and the exports.
# Recipe of rounds 2 and 14-22 otherwise: no augmentation, 10 epochs, best-validation epoch, seed 0.
# Steps 1-5 as sweep files, the same runs (same config hashes; `smallnets sweep --dry-run` on this round's results
# finds all of them recorded; confirm's two runs are not in them): sweeps/cifar10-cpu-round23-100k-0.3.toml,
# sweeps/cifar10-cpu-round23-vgg-0.01.toml, sweeps/cifar10-cpu-round23-100k-seeds.toml,
# sweeps/cifar10-cpu-round23-250k-0.3.toml, sweeps/cifar10-cpu-round23-250k-seeds.toml,
# sweeps/cifar10-cpu-round23-100k-1.0.toml.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round23
CPU="--device cpu --threads 2 --progress lines"
TRAIN="--dataset cifar10 --epochs 10 --select best_val --results $RESULTS $CPU"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round22/runs.json.xz --results "$RESULTS"
run() { smallnets train --model "$1" --budget "$2" --lr "$3" --seed "${4:-0}" $TRAIN; }
run resnet18_s 100k 0.3
run shufflenet_v2 100k 0.3
run vgg16_s 100k 0.01
run resnet 100k 0.3
for seed in 1 2; do run shufflenet_v2 100k 0.3 $seed; run resnet 100k 0.3 $seed; done
run mobilenet_v2 100k 0.3
run resnet18_s 250k 0.3
run vgg16_s 250k 0.01
run shufflenet_v2 250k 0.3
run resnet 250k 0.3
smallnets confirm --what front --dataset cifar10 --results "$RESULTS" $CPU
for seed in 1 2; do run shufflenet_v2 250k 0.3 $seed; done
for m in shufflenet_v2 resnet18_s; do run $m 100k 1.0; done
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt" 2> "$OUT/jpeg-gap-not-measured.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
