/* Batch processing of many recordings, unattended. Worker processes (one
 * per job) take the inputs one after another and keep one runner each
 * (OpenCL context and built programs), created in the worker after the
 * fork, never in the parent. A file that crashes libhdf5, runs out of
 * memory or stalls takes down only its worker: the parent, which watches
 * each worker's current input and progress in shared memory, fails that
 * input with the reason and starts a fresh worker for the rest. */
#ifndef MINESCAN_BATCH_H
#define MINESCAN_BATCH_H

#include <stddef.h>

#include "runner/process.h"
#include "runner/runner.h"

#define MS_BATCH_DEFAULT_STALL_S 300.0

typedef struct ms_batch_options {
    ms_process_options process;
    ms_device_choice device;
    int force;         /* reprocess inputs whose outputs are current */
    int jobs;          /* inputs processed at once (1 = one after another) */
    /* Give up on an input that shows no progress (reading a block, ending
     * a stage) for this long: libhdf5 loops forever on some corrupt files.
     * 0 = MS_BATCH_DEFAULT_STALL_S. */
    double timeout_s;
    int quiet;
} ms_batch_options;

typedef struct ms_batch_totals {
    size_t ok, skipped, failed;
} ms_batch_totals;

/* Process `inputs` into OUTDIR/<name>/ and write OUTDIR/batch.csv and
 * batch.json. Returns 0 when the batch ran (look at totals.failed), or a
 * negative ms_err when it could not (output folder not writable). */
int ms_batch_run(const char *const *inputs, size_t n_inputs,
                 const char *outdir, const ms_batch_options *opt,
                 ms_batch_totals *totals);

#endif
