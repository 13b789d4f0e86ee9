#!/bin/sh
# Generate the benchmark lanes: every scenario here for every seed of a split.
# Usage: datasets/benchmark/generate.sh BINARY OUTDIR [tune|report|all]
#   tune    seeds 1-3     (tune detectors and thresholds on these only)
#   report  seeds 101-103 (report figures on these only; never tune on them)
#   all     both (default)
# Writes OUTDIR/SPLIT/SCENARIO-sSEED.h5. The split seeds are part of the
# frozen benchmark definition (README.md); do not change them.
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 BINARY OUTDIR [tune|report|all]" >&2
    exit 2
fi
bin=$1
out=$2
split=${3:-all}
here=$(cd "$(dirname "$0")" && pwd)
case $split in
tune) splits="tune" ;;
report) splits="report" ;;
all) splits="tune report" ;;
*) echo "$0: split must be tune, report or all, not '$split'" >&2; exit 2 ;;
esac
for s in $splits; do
    if [ "$s" = tune ]; then seeds="1 2 3"; else seeds="101 102 103"; fi
    mkdir -p "$out/$s"
    for scenario in "$here"/*.json; do
        name=$(basename "$scenario" .json)
        for seed in $seeds; do
            "$bin" simulate --scenario "$scenario" --seed "$seed" \
                -o "$out/$s/$name-s$seed.h5" --quiet
        done
    done
done
