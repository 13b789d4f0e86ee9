/* Helpers for minescan-bench: timing, the copy-bandwidth references, .npy
 * files for the numpy peers and running a child process. Figures, not
 * tests: nothing here decides pass or fail. */
#ifndef MINESCAN_BENCH_UTIL_H
#define MINESCAN_BENCH_UTIL_H

#include <stddef.h>

#include "opencl/cl_runtime.h"

/* Run fn(arg) up to `reps` times, stopping once `budget_s` of wall time
 * has gone and `min_reps` runs are done (or once 4 x budget_s has gone,
 * for a stage that takes seconds), and give the median in milliseconds and
 * the number of runs. fn returns 0 or an error, which stops the timing:
 * returns that error. */
typedef int (*bu_fn)(void *arg);
int bu_time(bu_fn fn, void *arg, int reps, int min_reps, double budget_s,
            double *median_ms, int *done);

double bu_median(double *v, size_t n);

/* Write a C-order float32 array as a NumPy .npy file (format 1.0).
 * 0 or -1 with errno set. */
int bu_write_npy(const char *path, const float *data, const size_t *shape,
                 int ndim);

/* Copy bandwidth of the host: memcpy of `bytes` from one buffer to another
 * on `threads` threads (each its own slice). GB/s counts the bytes read
 * plus the bytes written (2 * bytes per copy). Returns the median GB/s, or
 * a negative value on failure. */
double bu_memcpy_gbps(size_t bytes, int threads, int reps);

/* The same on an OpenCL device: a float4 copy kernel over `bytes`, data
 * resident on the device, launch + finish timed; the best local size of a
 * few (NULL = the runtime's choice) is kept and named in *local_desc.
 * Negative on failure (the message is set). */
double bu_cl_copy_gbps(ms_cl *cl, size_t bytes, int reps, char *local_desc,
                       size_t desc_len);

/* Run argv[0] (PATH is searched) with stdout to `stdout_path` (NULL:
 * inherit) and stdin from /dev/null; wait for it. *wall_s and
 * *max_rss_kb (the child's peak resident set) are filled when not NULL.
 * Returns the exit status (0..255), 128 + signal, or -1 if it could not
 * be started. */
int bu_run(char *const argv[], const char *stdout_path, double *wall_s,
           long *max_rss_kb);

/* Whole file, NUL-terminated, malloc'd; NULL on failure. */
char *bu_read_file(const char *path, size_t *len);

/* rm -r; ignores what does not exist. */
void bu_rmtree(const char *path);

#endif
