#!/bin/sh
# Build minescan and minescan-bench (RelWithDebInfo) and run the benchmark:
# the stage table with numpy ratios, then the default recipe and `minescan
# batch` over the 18 tune-split lanes against a numpy script (README.md,
# "Speed"). Arguments go to minescan-bench (--json, --stages-only, ...).
# BUILD_DIR=DIR (default build) chooses the build folder; the benchmark
# lanes are generated once into DIR/bench-data.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target minescan minescan-bench >/dev/null
exec "$build/minescan-bench" "$@"
