#!/usr/bin/env bash
# One-step set-up for a fresh Debian 12 machine, as root:
#   bash tools/setup.sh example   install, build, run the bundled example
#   bash tools/setup.sh test      install, build, run the whole test suite
# Both install the Debian packages minescan needs and build it in ./build.
# Optional: MINESCAN_GPRMAX=1 also builds gprMax (PyPI gprMax 4.x, from
# its wheel: about a minute) in build/gprmax-venv, so that the test
# test_gprmax_scenes (label gprmax) makes the gprMax tune scenes
# (datasets/gprmax/make_scenes.py; 7-9 minutes of CPU, cached in
# build/gprmax-scenes) and runs minescan on them; without it that test is
# skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-example}"

packages=(
  build-essential cmake pkg-config git
  ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo
  libhdf5-dev zlib1g-dev libpng-dev libcairo2-dev libjansson-dev libcmocka-dev
  fonts-dejavu-core libpango1.0-dev fonts-khmeros gettext chromium
  python3 python3-numpy python3-scipy python3-h5py python3-venv
  libopenmpi-dev openmpi-bin clang libclang-rt-14-dev
  # llvm-symbolizer: the fuzz check names a crash's frames with it
  llvm
  libsegyio-dev python3-segyio libvkfft-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
echo "== building (build/)"
# minescan-mpi (batch over MPI ranks) and its test come with the main build.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMINESCAN_MPI=ON >/dev/null
cmake --build build -j"$jobs"

if [ "${MINESCAN_GPRMAX:-0}" = 1 ] && [ ! -x build/gprmax-venv/bin/python ]; then
  echo "== building gprMax in build/gprmax-venv (PyPI gprMax 4.x)"
  /usr/bin/python3 -m venv --system-site-packages build/gprmax-venv
  build/gprmax-venv/bin/pip install --quiet "gprMax>=4,<5"
fi

case "$mode" in
example)
  # The build simulated datasets/*.json into build/datasets/*.h5.
  ./build/minescan info build/datasets/example-lane.h5
  echo "== running the default recipe"
  ./build/minescan run build/datasets/example-lane.h5 -o out/example-lane
  echo "== done: open out/example-lane/index.html (heatmap.png, bscan.png, ...)"
  ;;
test)
  # Each CTest gets its own PoCL kernel cache (set in CMakeLists.txt).
  echo "== test suite (build/)"
  start=$(date +%s)
  ctest --test-dir build --output-on-failure -j"$jobs"
  echo "== test suite again under AddressSanitizer and UBSan (build-asan/)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMINESCAN_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
  echo "== fuzzing the recording reader, the recipe and the vendor-format parsers (build-fuzz/)"
  FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash tests/fuzz/run_fuzz.sh
  echo "== all tests passed in $(( $(date +%s) - start )) s"
  ;;
*)
  echo "usage: bash tools/setup.sh example|test" >&2
  exit 2
  ;;
esac
