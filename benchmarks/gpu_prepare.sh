#!/bin/sh
# Before a GPU session, on this machine: pack what the GPU machine needs into parts that each fit one device call,
# and print the calls to make. Two things stand in the way of the plain recipe (split the data in two, carry each):
#   - a call carries at most 64 MiB, the working tree included, and the tree (docs/results holds every round's
#     report; superseded rounds shed their CSV and SVG copies) grows with each round (it prints its size), so two
#     56 MiB parts of CIFAR-10 do not fit beside it: the part size here is what the tree leaves free (3 calls up to
#     a 25 MiB tree, then 4);
#   - the GPU image has PyTorch, numpy, matplotlib, rich and PyYAML but not Optuna, SQLAlchemy, pytorch-optimizer
#     or platformdirs, without which `smallnets train` does not even import (no registry can be reached there):
#     their wheels, for the image's Python 3.12, travel with the last part, and gpu_round.sh installs them.
# It also writes the code revision, which the GPU machine cannot ask git for (no .git travels), so every run
# recorded there carries it (SMALLNETS_GIT_REV).
#
#   sh benchmarks/gpu_prepare.sh [DATA_FILE]     (default ../shared/data/cifar10_jpeg_lossy.npz.xz)
#
# Output: .transfer/part1 ... partN (git-ignored), the last one with rebuild.sh, wheels/ and REVISION.
set -eu
cd "$(git rev-parse --show-toplevel)"
DATA=${1:-../shared/data/cifar10_jpeg_lossy.npz.xz}
MIB=1048576
LIMIT=$((64 * MIB))
MARGIN=$((1 * MIB))  # files a session adds before its calls (notes, a sweep file)
# The versions the project is tested with here; the GPU image's own packages (torch, numpy, ...) are not carried.
WHEELS="optuna==5.1.0 alembic==1.20.1 colorlog==6.12.0 SQLAlchemy==2.1.9 Mako==1.4.3 pytorch_optimizer==4.1.0
platformdirs==4.14.9"

[ -f "$DATA" ] || { echo "gpu_prepare: data file $DATA not found" >&2; exit 2; }
tree_bytes() {  # what travels with every call: tracked files and untracked ones git does not ignore
  { git ls-files -z; git ls-files -z --others --exclude-standard; } | xargs -0 -r stat -c %s 2>/dev/null \
    | awk '{s += $1} END {print s + 0}'
}

wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
# shellcheck disable=SC2086
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "$wheels" $WHEELS 2>&1 | grep -v "^WARNING: Location" || true
[ "$(ls "$wheels" | wc -l)" -eq "$(echo $WHEELS | wc -w)" ] \
  || { echo "gpu_prepare: expected $(echo $WHEELS | wc -w) wheels, got: $(ls "$wheels")" >&2; exit 1; }
wheel_bytes=$(du -sb "$wheels" | cut -f1)

tree=$(tree_bytes)
part_mib=$(( (LIMIT - tree - MARGIN) / MIB ))
[ "$part_mib" -ge 8 ] || { echo "gpu_prepare: the working tree ($tree bytes) leaves under 8 MiB a call" >&2; exit 1; }
MAX_MIB=$part_mib ../shared/tools/split-for-transfer "$DATA" >/dev/null
last=$(ls -d .transfer/part* | sort -V | tail -1)
# The wheels go with the last part, the smallest; a part of its own if they do not fit there.
if [ $(( $(du -sb "$last" | cut -f1) + wheel_bytes + tree + MARGIN )) -gt "$LIMIT" ]; then
  n=$(( $(ls -d .transfer/part* | wc -l) + 1 ))
  mkdir ".transfer/part$n" && mv "$last/rebuild.sh" "$last/SHA256SUMS" ".transfer/part$n/"
  last=.transfer/part$n
fi
mkdir "$last/wheels" && cp "$wheels"/*.whl "$last/wheels/"
rev=$(git rev-parse HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] || rev="$rev+dirty"
echo "$rev" > "$last/REVISION"

parts=$(ls -d .transfer/part* | sort -V)
count=$(echo "$parts" | wc -l)
echo "working tree $((tree / 1024)) KiB; data in parts of at most $part_mib MiB; $count device calls, back to back"
echo "(the machine keeps files only while warm, 30 s after a call; a reply with warm: false means start again):"
i=0
for p in $parts; do
  i=$((i + 1))
  size=$(( ($(du -sb "$p" | cut -f1) + tree) / MIB ))
  if [ "$i" -eq 1 ]; then cmd="mkdir -p /root/data && cp -r $p/* /root/data/"; else cmd="cp -r $p/* /root/data/"; fi
  [ "$i" -eq "$count" ] && cmd="$cmd && sh benchmarks/gpu_round.sh /root/data single"
  echo "  call $i: carry [\"$p\"] ($size MiB with the tree)  command: $cmd"
done
echo "then, while warm: sh benchmarks/gpu_round.sh /root/data sweep (or stacked, campaign NAME); give_back last"
