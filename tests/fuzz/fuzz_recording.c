/* libFuzzer target: the recording reader on an HDF5 file image in memory
 * (the core driver), as `minescan run` reads a file, without the disk.
 * Build: CC=clang cmake -S . -B build-fuzz -DMINESCAN_FUZZ=ON; run:
 * tests/fuzz/run_fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "minescan/recording.h"

/* The reader refuses claims beyond the run's memory budget; the fuzzer
 * stops a run at 1 GB (-rss_limit_mb), so the budget is set below that:
 * a small file claiming a large dataset filled by HDF5's fill value is a
 * clear error, not an allocation the fuzzer counts as running out. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("MINESCAN_MEMORY_MB", "256", 1);
    return 0;
}

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
