/* Subtracting a mask-weighted running mean over rows, in O(rows x cols)
 * whatever the window: background_removal (a window of traces) and
 * emi_detrend (a window of readings) are this one operation. */
#ifndef MINESCAN_RUNNING_MEAN_H
#define MINESCAN_RUNNING_MEAN_H

#include <stddef.h>

#include "opencl/cl_runtime.h"

/* Bytes of scratch for ms_rows_mean_cpu: a sum and a weight per column,
 * and in place (out == s) the last half + 1 rows as they were. */
size_t ms_rows_mean_scratch(size_t cols, long half, int in_place);
/* out[i][j] = s[i][j] minus the mask-weighted mean of column j over rows
 * i - half .. i + half (clamped); a missing sample gives 0, a window with
 * nothing present a mean of 0. Sums in double. out may be s. */
void ms_rows_mean_cpu(const float *s, const float *m, float *out, size_t rows,
                      size_t cols, long half, double *scratch);
/* The same with the mean weighted by w (a sample counts as much as w says)
 * while m says which samples are present in the output; where a present
 * sample's window holds no weight, fallback's value (NULL: 0). out may be
 * s (with the in-place scratch) but not w, m or fallback. */
void ms_rows_mean_masked_cpu(const float *s, const float *w, const float *m,
                             const float *fallback, float *out, size_t rows,
                             size_t cols, long half, double *scratch);
/* The same on the device (in[0] data, in[1] mask). */
int ms_rows_mean_opencl(ms_cl *cl, const cl_mem in[], cl_mem out,
                        size_t rows, size_t cols, long half);
/* ms_rows_mean_masked_cpu on the device (fallback NULL: 0); out must not
 * be s. */
int ms_rows_mean_masked_opencl(ms_cl *cl, cl_mem s, cl_mem w, cl_mem m,
                               cl_mem fallback, cl_mem out, size_t rows,
                               size_t cols, long half);

#endif
