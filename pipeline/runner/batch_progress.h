/* What a batch prints while it runs. On a terminal: one line that is
 * redrawn (done/total, failures, files/s, time left); elsewhere (a log
 * file, a pipe): a plain line per finished input. Failure reasons always
 * go to stderr, a line each. Only the batch's parent process prints. */
#ifndef MINESCAN_BATCH_PROGRESS_H
#define MINESCAN_BATCH_PROGRESS_H

#include <stddef.h>

typedef struct ms_batch_progress {
    size_t total, done, failed, skipped;
    double t0, last_draw;
    int tty, quiet, verbose;
    int drawn; /* the progress line is on the terminal now */
} ms_batch_progress;

/* tty: stdout is a terminal (and not quiet). */
void ms_progress_init(ms_batch_progress *p, size_t total, int quiet,
                      int verbose);
/* An input has finished: status ok, skipped or failed. */
void ms_progress_row(ms_batch_progress *p, const char *status,
                     const char *input, const char *reason, double wall_s);
/* Redraw the terminal line if it is due (a few times a second). */
void ms_progress_tick(ms_batch_progress *p);
/* A line for --verbose only. */
void ms_progress_note(ms_batch_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The batch has ended: leave the terminal line in place. */
void ms_progress_end(ms_batch_progress *p);

#endif
