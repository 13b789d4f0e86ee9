/* What grid and grid_volume share: the map over the lane for a cell size
 * and the Gaussian-weighted mean at one cell. Their kernels share the same
 * code in kernels/grid.cl. */
#ifndef MINESCAN_GRID_COMMON_H
#define MINESCAN_GRID_COMMON_H

#include <math.h>

#include "stages/stage.h"

/* Cells of `cell` metres covering the lane from its minimum corner (at
 * least 1 x 1); the last row and column may reach past the lane's edge. */
static inline void ms_grid_size(const ms_env *e, double cell, size_t *nx,
                                size_t *ny)
{
    *nx = (size_t)fmax(1.0, ceil((e->lane_x_max - e->lane_x_min) / cell - 1e-9));
    *ny = (size_t)fmax(1.0, ceil((e->lane_y_max - e->lane_y_min) / cell - 1e-9));
}

/* Work space of a gridding (the bins below, and on the OpenCL path a host
 * copy of the positions): for the runner's memory check. out[1] is the
 * [ny][nx] hit count of both gridding stages. */
static inline size_t ms_grid_work_bytes(const ms_stage_ctx *ctx)
{
    size_t n = ctx->in[0].dims[0];
    size_t cells = ctx->out[1].dims[0] * ctx->out[1].dims[1];
    return (n + 2 * (cells + 1)) * sizeof(int) + 2 * n * sizeof(float);
}

/* Points binned by map cell, so that a cell looks only at the bins within
 * the search radius instead of at every point: gridding a long lane costs
 * O(cells x nearby points), not O(cells x points). Both paths use the same
 * bins in the same order, so their sums agree. */
typedef struct ms_grid_bins {
    int *order; /* point indices, bin by bin, ascending within a bin */
    int *start; /* bin b holds order[start[b] .. start[b + 1] - 1] */
    int reach;  /* bins to search on each side: ceil(radius / cell) */
} ms_grid_bins;

/* Bin n points of xy (lane-relative metres) on the nx x ny map of `cell`
 * metres; points off the map go to the nearest edge bin (their true
 * distance is still checked). 0 or MS_ERR_NOMEM. */
int ms_grid_bins_build(const float *xy, size_t n, size_t nx, size_t ny,
                       float cell, float radius, ms_grid_bins *b);
void ms_grid_bins_free(ms_grid_bins *b);

/* The Gaussian-weighted mean (sigma = radius / 2) at cell (ix, iy) of
 * column `col` of values v[k * stride + col] whose mask is present, over
 * the points within `radius`; *hits counts them. Must match grid_cell()
 * in kernels/grid.cl, summation order included. */
static inline float ms_grid_cell(const float *v, const float *m,
                                 const float *xy, const ms_grid_bins *b,
                                 size_t nx, size_t ny, size_t stride,
                                 size_t col, size_t ix, size_t iy, float cell,
                                 float radius, float *hits)
{
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius;
    float sum = 0.0f, weight = 0.0f, count = 0.0f;
    long y0 = (long)iy - b->reach, y1 = (long)iy + b->reach;
    long x0 = (long)ix - b->reach, x1 = (long)ix + b->reach;
    for (long by = y0 < 0 ? 0 : y0; by <= y1 && by < (long)ny; by++)
        for (long bx = x0 < 0 ? 0 : x0; bx <= x1 && bx < (long)nx; bx++) {
            size_t bin = (size_t)by * nx + (size_t)bx;
            for (int p = b->start[bin]; p < b->start[bin + 1]; p++) {
                size_t k = (size_t)b->order[p];
                float dx = xy[2 * k] - cx, dy = xy[2 * k + 1] - cy;
                float r2 = dx * dx + dy * dy;
                size_t at = k * stride + col;
                if (r2 <= r2max && m[at] > 0.0f) {
                    float w = expf(-r2 * 2.0f / r2max);
                    sum += w * v[at];
                    weight += w;
                    count += 1.0f;
                }
            }
        }
    *hits = count;
    return weight > 0.0f ? sum / weight : 0.0f;
}

/* The OpenCL side of grid and grid_volume: bin the n points of in[2] for
 * the nx x ny map, then launch `kernel` of kernels/grid.cl with the
 * arguments (values in[0], mask in[1], points in[2], bins order, start,
 * reach, then `rest`) and wait for it. */
int ms_grid_launch(ms_cl *cl, const char *kernel, const cl_mem in[], size_t n,
                   size_t nx, size_t ny, float cell, float radius,
                   unsigned work_dim, const size_t global[],
                   const ms_cl_arg *rest, unsigned n_rest);

#endif
