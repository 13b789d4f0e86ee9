/* libFuzzer target: the vendor header parsers (GSSI DZT with its .DZG,
 * Sensors & Software DT1 + HD, MALA rd3/rd7 + rad, SEG-Y) on memory
 * buffers, as `minescan import` calls them after reading the files. The
 * input's layout is in fuzz_formats_input.h; seeds come from
 * tests/fuzz/make_seeds.py. See fuzz_recording.c for building. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_formats_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_fuzz_formats_one(data, size, "fuzz");
    return 0;
}
