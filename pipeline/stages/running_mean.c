/* The running mean over rows shared by background_removal (traces) and
 * emi_detrend (readings): see running_mean.h. Its kernel is
 * kernels/background_removal.cl. */
#include "stages/running_mean.h"

#include <string.h>

size_t ms_rows_mean_scratch(size_t cols, long half, int in_place)
{
    return 2 * cols * sizeof(double) +
           (in_place ? ((size_t)half + 1) * cols * sizeof(float) : 0);
}

/* out[i][j] = s[i][j] minus the mask-weighted mean of column j over rows
 * i - half .. i + half (clamped to the array); a missing sample gives 0, a
 * window with nothing present a mean of 0. Running sums, a row in and a
 * row out per step: O(rows * cols) whatever the window. In double, so that
 * a walk over thousands of rows ends as exact as it started (products of
 * two floats are exact in it, 0/1 masks sum exactly). */
void ms_rows_mean_cpu(const float *s, const float *m, float *out, size_t rows,
                      size_t cols, long half, double *scratch)
{
    ms_rows_mean_masked_cpu(s, m, m, NULL, out, rows, cols, half, scratch);
}

void ms_rows_mean_masked_cpu(const float *s, const float *w, const float *m,
                             const float *fallback, float *out, size_t rows,
                             size_t cols, long half, double *scratch)
{
    double *sum = scratch, *weight = scratch + cols;
    size_t h = (size_t)half;
    for (size_t j = 0; j < cols; j++)
        sum[j] = weight[j] = 0.0;
    for (size_t k = 0; k < rows && k <= h; k++)
        for (size_t j = 0; j < cols; j++) {
            sum[j] += (double)w[k * cols + j] * s[k * cols + j];
            weight[j] += w[k * cols + j];
        }
    /* In place, the row leaving the window was overwritten: the last h + 1
     * rows are kept as they were in a ring. */
    float *ring = out == s ? (float *)(scratch + 2 * cols) : NULL;
    for (size_t i = 0; i < rows; i++) {
        /* The rows entering and leaving, clamped and weighted 0 past the
         * ends: one branch-free pass per row. */
        double e = i + h + 1 < rows ? 1.0 : 0.0, l = i >= h ? 1.0 : 0.0;
        size_t at = i * cols, in = (i + h + 1 < rows ? i + h + 1 : rows - 1) * cols;
        size_t gone = (i >= h ? i - h : 0) * cols;
        const float *row = s + at, *left = s + gone;
        if (ring) {
            row = memcpy(ring + (i % (h + 1)) * cols, s + at,
                         cols * sizeof *ring);
            left = ring + ((gone / cols) % (h + 1)) * cols;
        }
        for (size_t j = 0; j < cols; j++) {
            float mean = (float)(sum[j] / weight[j]);
            float d = row[j] - mean; /* whatever the mask: no branch */
            out[at + j] = m[at + j] > 0.0f && weight[j] > 0.0 ? d
                          : fallback && m[at + j] > 0.0f ? fallback[at + j]
                                                          : 0.0f;
            sum[j] += e * ((double)w[in + j] * s[in + j]) -
                      l * ((double)w[gone + j] * left[j]);
            weight[j] += e * w[in + j] - l * w[gone + j];
        }
    }
}

/* kernels/background_removal.cl: a work-item walks a chunk of rows over a
 * run of columns. Up to 8 chunks per compute unit share the work out when
 * there are few columns (160 samples, 2 EMI channels); chunks of at least
 * four windows keep the cost of priming each chunk's window small. On a
 * GPU a run is one column, in groups of 64; on a CPU a work-item takes up
 * to 1024 columns, whose loop vectorises. */
int ms_rows_mean_opencl(ms_cl *cl, const cl_mem in[], cl_mem out,
                        size_t rows, size_t cols, long half)
{
    return ms_rows_mean_masked_opencl(cl, in[0], in[1], in[1], NULL, out,
                                      rows, cols, half);
}

int ms_rows_mean_masked_opencl(ms_cl *cl, cl_mem s, cl_mem w, cl_mem m,
                               cl_mem fallback, cl_mem out, size_t rows,
                               size_t cols, long half)
{
    const ms_cl_limits *lim = ms_cl_device_limits(cl);
    size_t want = 8 * (lim->compute_units ? lim->compute_units : 1);
    size_t chunk = (rows + want - 1) / want, least = 4 * (2 * (size_t)half + 1);
    chunk = chunk < least ? least : chunk;
    size_t n_chunks = rows ? (rows + chunk - 1) / chunk : 1;
    size_t run = lim->is_gpu ? 1 : cols < 1024 ? (cols ? cols : 1) : 1024;
    size_t lx = lim->is_gpu ? 64 : 1;
    size_t items = (cols + run - 1) / run;
    /* without a fallback the mask stands in for it, unread */
    cl_mem fb = fallback ? fallback : m;
    ms_cl_arg args[] = {MS_CL_MEM(s),
                        MS_CL_MEM(w),
                        MS_CL_MEM(m),
                        MS_CL_MEM(fb),
                        MS_CL_INT(fallback != NULL),
                        MS_CL_MEM(out),
                        MS_CL_INT(rows),
                        MS_CL_INT(cols),
                        MS_CL_INT(half),
                        MS_CL_INT(chunk),
                        MS_CL_INT(run),
                        MS_CL_LOCAL(2 * run * lx * sizeof(double))};
    size_t global[2] = {items, n_chunks}, local[2] = {lx, 1};
    return ms_cl_launch(cl, "background_removal", "rows_mean_subtract", 2,
                        global, local, args, 12);
}
