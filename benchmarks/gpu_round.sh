#!/bin/sh
# Everything this project wants measured on the GPU machine, in one device call (results under $OUT).
# Data first (two calls, see DEVELOPERS guide): .transfer/part1 then part2 into /root/data, rebuild.sh.
# Then:  sh benchmarks/gpu_round.sh /root/data
set -u
DATA=${1:-/root/data}
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export SMALLNETS_DATA="$DATA" SMALLNETS_CACHE=/tmp/smallnets-cache PYTHONUNBUFFERED=1
python3 -m pip install -q --no-deps --no-index -e . 2>/dev/null || export PYTHONPATH="$PWD:${PYTHONPATH:-}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/device.txt"
python3 -m pytest -q tests/test_cuda.py 2>&1 | tail -5 | tee "$OUT/cuda_tests.txt"
# Reference: ResNet-20, 30 epochs, crop+flip, plain GPU-resident bf16 loop: 86.7% test, 33 s on the H100.
python3 -m smallnets.cli train --model resnet --dataset cifar10 --epochs 30 --augment --results "$OUT/res" \
  --progress lines 2>&1 | tail -6 | tee "$OUT/resnet20.txt"
python3 -m smallnets.cli train --model resnet --dataset cifar10 --epochs 30 --augment --results "$OUT/res" \
  --compile reduce-overhead --batch-size 512 --lr 0.4 --warmup-epochs 2 2>&1 | tail -6 | tee "$OUT/resnet20_fast.txt"
python3 benchmarks/train_throughput.py --budget 100k --images 45000 --device cuda --compile 2>&1 | tail -5 \
  | tee "$OUT/train_throughput.txt"
# Horizontal batching: 8 seeds as one stacked model vs one after another (then with CUDA graphs).
python3 benchmarks/stacked_throughput.py --device cuda --budget 100k --seeds 8 --epochs 5 --augment 2>&1 | tail -5 \
  | tee "$OUT/stacked_throughput.txt"
python3 benchmarks/stacked_throughput.py --device cuda --budget 100k --seeds 8 --epochs 5 --augment \
  --compile reduce-overhead 2>&1 | tail -5 | tee "$OUT/stacked_throughput_compiled.txt"
python3 benchmarks/sweep_throughput.py --device cuda --runs 32 --seeds 4 --epochs 10 2>&1 | tail -8 \
  | tee "$OUT/sweep_throughput.txt"
