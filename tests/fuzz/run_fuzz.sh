#!/usr/bin/env bash
# Fuzz the recording reader, the recipe parser and the vendor header parsers (fuzz_formats) briefly with libFuzzer
# (clang, -fsanitize=fuzzer,address) in build-fuzz/, and fail only on a
# crash whose top frame (past the sanitizer's and libc's) is minescan's
# own code. Crashes, timeouts and OOMs inside libhdf5 are reported and
# kept in build-fuzz/fuzz/TARGET/artifacts/, not failed: batch contains
# them in a worker process (tests/fuzz/test_fuzz_contained.py replays the
# samples kept in tests/fuzz/hdf5-crash/).
#   FUZZ_SECONDS=60 (per target)  FUZZ_TARGETS="recording recipe formats"
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$(pwd)
secs="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-recording recipe formats}"
build=build-fuzz

echo "== building the fuzz targets ($build/, clang)"
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMINESCAN_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' $targets) \
  >/dev/null

work="$build/fuzz"
mkdir -p "$work"
minescan=""
[ -x build/minescan ] && minescan=build/minescan
/usr/bin/python3 tests/fuzz/make_seeds.py "$work/seeds" $minescan

# Name the frames of a crash: without a symbolizer every stack is
# addresses, and a crash in minescan's code could not be told from one in
# libFuzzer's. Debian's clang brings /usr/lib/llvm-N/bin/llvm-symbolizer
# but puts `llvm-symbolizer` on the PATH only with the llvm package.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in "$(command -v llvm-symbolizer || true)" \
           /usr/lib/llvm-*/bin/llvm-symbolizer; do
    if [ -n "$s" ] && [ -x "$s" ]; then
      export ASAN_SYMBOLIZER_PATH="$s"
      break
    fi
  done
fi
echo "   symbolizer: ${ASAN_SYMBOLIZER_PATH:-none found (stacks are addresses)}"

status=0
for t in $targets; do
  dir="$work/$t"
  rm -rf "$dir/artifacts"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  echo "== fuzz_$t for ${secs} s"
  # leaks are not looked for here (libhdf5 keeps memory on error paths);
  # ASan runs the suite with leak checks.
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    "$build/fuzz_$t" -max_total_time="$secs" -fork=1 -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -timeout=3 -rss_limit_mb=1024 \
    -max_len=65536 -artifact_prefix="$dir/artifacts/" \
    "$dir/corpus" "$work/seeds/$t" "tests/fuzz/regress/$t" \
    >"$dir/log.txt" 2>&1 || true
  runs=$(grep -oE '^#[0-9]+' "$dir/log.txt" | tail -1 | tr -d '#' || true)
  echo "   executions: ${runs:-0}; corpus: $(ls "$dir/corpus" | wc -l) inputs"
  for a in "$dir"/artifacts/*; do
    [ -e "$a" ] || continue
    kind=$(basename "$a" | cut -d- -f1)
    trace=$(ASAN_OPTIONS=detect_leaks=0 timeout 30 "$build/fuzz_$t" -timeout=10 -rss_limit_mb=2048 "$a" 2>&1 || true)
    # the first frame that is not the sanitizer runtime, libc or libFuzzer;
    # nor the sanitizer's interceptor of a libc call (strdup, memcpy: a
    # frame of the fuzz binary named like libc, with no source file), whose
    # caller is the one that passed the bad pointer
    top=$(printf '%s\n' "$trace" | grep -E '^ +#[0-9]+ ' \
          | grep -vE 'compiler-rt|libclang_rt|/sanitizer_common/|/asan/|libc\.so|libc-|csu/|sysdeps/|in (__interceptor_|__asan|__sanitizer|fuzzer::|malloc |calloc |realloc |free |operator new)' \
          | grep -vE "in (str[a-z]*|mem[a-z]*|wcs[a-z]*|[a-z]*printf|[a-z]*scanf|ato[a-z]+|qsort|bsearch|main) \([^ ]*/fuzz_$t\+0x" \
          | head -1 || true)
    if printf '%s' "$top" | grep -q "$src/\(pipeline\|tests\)/"; then
      echo "   MINESCAN $kind: $a"
      echo "     $top"
      status=1
    elif printf '%s' "$top" | grep -q "/fuzz_$t+0x"; then
      # a frame of the fuzz binary with no name: libFuzzer's own code or
      # minescan's, which the symbolizer did not resolve; not counted as
      # minescan's, but not said to be outside it either
      echo "   unplaced ($kind, no symbols for the top frame): $a"
      echo "     $top"
    else
      echo "   outside minescan ($kind): $a"
      echo "     ${top:-(no stack: a timeout or out of memory)}"
    fi
  done
done
[ $status -eq 0 ] && echo "== fuzzing: no crash in minescan's code" \
  || echo "== fuzzing: crashes in minescan's code (above)"
exit $status
