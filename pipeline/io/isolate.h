/* Crash isolation for a child that does more than read its input
 * (internal to minescan; the public part is in minescan/recording.h).
 *
 * `minescan run` reads, processes and writes in one child so that the
 * recording is read once: that read both validates the file and feeds the
 * stages. The stall limit then covers only the reading (libhdf5 can spin
 * on a corrupt file; a long stage or a first OpenCL build is no stall),
 * and the parent learns whether the child was reading when it died, so
 * that it blames the file only then. */
#ifndef MINESCAN_IO_ISOLATE_H
#define MINESCAN_IO_ISOLATE_H

#include "minescan/recording.h"

/* In an isolated child: reading outside input starts / has finished
 * (ms_recording_read calls them). Elsewhere: do nothing. */
void ms_isolated_input_begin(void);
void ms_isolated_input_end(void);

/* For a process that its parent watches by other means than an isolated
 * child's heartbeat pipe (a batch worker: a timestamp in shared memory):
 * fn(ctx) runs at every ms_isolated_heartbeat, ms_isolated_input_begin and
 * _end in this process. NULL stops it; an isolated child forked from here
 * starts without it. */
void ms_isolated_on_progress(void (*fn)(void *ctx), void *ctx);

/* Where the child had got to with its input. */
typedef enum {
    MS_INPUT_NOT_STARTED = 0,
    MS_INPUT_READING,
    MS_INPUT_READ,
} ms_input_phase;

/* ms_run_isolated, with the stall limit applied only between
 * ms_isolated_input_begin and _end; *phase says how far the child got. */
int ms_run_isolated_input(ms_isolated_fn fn, void *ctx, double stall_s,
                          ms_isolated_result *res, ms_input_phase *phase);

/* The lines and code for a child that left no result while reading `path`
 * (crashed, stalled for stall_s, or exited early): adds the message to
 * `diag` (may be NULL), sets ms_error_message() and returns
 * MS_ERR_INVALID_INPUT (MS_ERR_INTERNAL when it exited with status 0). */
int ms_isolated_read_failure(const char *path, const ms_isolated_result *r,
                             double stall_s, ms_diag *diag);

#endif
