/* What grid and grid_volume share: the map over the lane for a cell size.
 * (Their kernels repeat the Gaussian weighting; OpenCL C has no include
 * across our embedded files.) */
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

/* Gaussian weight of a reading at squared distance r2 from a cell centre:
 * sigma = radius / 2, nothing beyond the radius. */
static inline float ms_grid_weight(float r2, float radius)
{
    float r2max = radius * radius;
    return r2 <= r2max ? expf(-r2 * 2.0f / r2max) : 0.0f;
}

#endif
