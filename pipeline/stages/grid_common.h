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

/* The Gaussian-weighted mean (sigma = radius / 2) at cell (ix, iy) of
 * column `col` of values v[k * stride + col] whose mask is present, over
 * the points within `radius`; *hits counts them. Must match
 * grid_cell() in kernels/grid.cl, summation order included. */
static inline float ms_grid_cell(const float *v, const float *m,
                                 const float *xy, size_t n, size_t stride,
                                 size_t col, size_t ix, size_t iy, float cell,
                                 float radius, float *hits)
{
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius;
    float sum = 0.0f, weight = 0.0f, count = 0.0f;
    for (size_t k = 0; k < n; k++) {
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
    *hits = count;
    return weight > 0.0f ? sum / weight : 0.0f;
}

#endif
