/* Batch processing of many recordings, unattended. Worker processes (one
 * per job) take the inputs one after another and keep one runner each
 * (OpenCL context and built programs), created in the worker after the
 * fork, never in the parent. A file that crashes libhdf5, runs out of
 * memory or stalls takes down only its worker: the parent, which watches
 * each worker's current input and progress in shared memory, fails that
 * input with the reason and starts a fresh worker for the rest.
 *
 * The workers live in a process group of their own, die with the parent
 * (PR_SET_PDEATHSIG) and are killed as a group when the batch is stopped
 * by a signal; the output folder is locked (batch_lock.h) for the whole
 * batch, so two batches never write into one folder. */
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
    int verbose;
    /* Each worker's data segment (RLIMIT_DATA, so heap and anonymous
     * mappings) in MiB; 0 = no limit. */
    long max_memory_mb;
    /* Shard shard_index of shard_count (1-based; count 0 or 1: all). */
    unsigned shard_index, shard_count;
} ms_batch_options;

typedef struct ms_batch_totals {
    size_t ok, skipped, failed;
    int stopped_by; /* the signal that stopped the batch, 0 if none */
} ms_batch_totals;

/* One row of batch.csv. */
typedef struct ms_batch_row {
    const char *input;
    char output_dir[4096];
    const char *status; /* ok, skipped, failed; NULL while not finished */
    char reason[1024];
    double seconds;
    long long n_alarms; /* -1: unknown */
    double pd, far;     /* NaN: none */
    double wall_s;      /* from taking it to its row (progress lines) */
} ms_batch_row;

/* Process `inputs` into OUTDIR/<name>/ and write OUTDIR/batch.csv and
 * batch.json. Returns 0 when the batch ran (look at totals.failed and
 * totals.stopped_by), or a negative ms_err when it could not (output
 * folder not writable, or locked by another batch: MS_ERR_USAGE). */
int ms_batch_run(const char *const *inputs, size_t n_inputs,
                 const char *outdir, const ms_batch_options *opt,
                 ms_batch_totals *totals);

/* The engine under ms_batch_run, without the lock, the shard selection
 * or the reports: process inputs[i] into OUTDIR/names[i] and fill
 * rows[i] (n rows). *stopped_by as in the totals. 0 or a negative ms_err. */
int ms_batch_process(const char *const *inputs, const char *const *names,
                     size_t n, const char *outdir, const ms_batch_options *opt,
                     ms_batch_row *rows, int *stopped_by);

/* Write OUTDIR/batch.csv and batch.json (rows and totals; `extra`, a
 * jansson object or NULL, is merged into batch.json's top level and
 * released). 0 or a negative ms_err. */
struct json_t;
int ms_batch_write_reports(const char *outdir, const ms_batch_row *rows,
                           size_t n, struct json_t *extra);

#endif
