#!/bin/sh
# Generate every dataset recording from its scenario file.
# Usage: datasets/generate.sh BINARY OUTDIR
#   BINARY  the minescan program (e.g. build/minescan)
#   OUTDIR  where the .h5 files go (created if missing)
# Each datasets/NAME.json becomes OUTDIR/NAME.h5 (datasets/course/NAME.json:
# OUTDIR/course/NAME.h5); the seed is in the file, so
# the output is the same every time.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 BINARY OUTDIR" >&2
    exit 2
fi
bin=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for scenario in "$here"/*.json; do
    name=$(basename "$scenario" .json)
    "$bin" simulate --scenario "$scenario" -o "$out/$name.h5"
done
# The bundled course (course/*.json) into OUTDIR/course/.
mkdir -p "$out/course"
for scenario in "$here"/course/*.json; do
    name=$(basename "$scenario" .json)
    "$bin" simulate --scenario "$scenario" -o "$out/course/$name.h5"
done
