/* libFuzzer target: the recording reader on an HDF5 file image in memory
 * (the core driver), as `minescan run` reads a file, without the disk.
 * Build: CC=clang cmake -S . -B build-fuzz -DMINESCAN_FUZZ=ON; run:
 * tests/fuzz/run_fuzz.sh. */
#include <stddef.h>
#include <stdint.h>

#include "minescan/recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_diag diag;
    ms_diag_init(&diag);
    ms_recording *rec = NULL;
    if (ms_recording_read_image(data, size, "fuzz.h5", &rec, &diag) == 0)
        ms_recording_free(rec);
    ms_diag_free(&diag);
    return 0;
}
