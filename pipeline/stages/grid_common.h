/* What grid and grid_volume share: the map over the lane for a cell size,
 * the points binned by cell, and which bins a cell searches. Their kernels
 * are in kernels/grid.cl. */
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

/* Points binned by map cell, so that a cell looks only at the bins within
 * the search radius instead of at every point: gridding a long lane costs
 * O(cells x nearby points), not O(cells x points).
 *
 * The bins are cells and are stored row by row, so the bins a cell searches
 * in one bin row are one contiguous run of points (a span): a cell reads
 * 2 reach + 1 spans of positions laid out one after the other, not (2 reach
 * + 1)^2 mostly empty bins of scattered points. In the bin row j rows above
 * or below its own, a cell searches only the ext[j] bins on each side that
 * a circle of the radius can reach (a little more, for rounding), so the
 * neighbours are exactly the points within the radius either way. */
typedef struct ms_grid_bins {
    int *rank;  /* [n] where each point goes in bin order (bin by bin,
                   ascending point index within a bin) */
    int *start; /* bin b holds sorted points start[b] .. start[b + 1] - 1 */
    float *xy;  /* [n + MS_GRID_PAD][2] the positions in bin order, then
                   MS_GRID_PAD zeros that a kernel may read 8 at a time */
    int *ext;   /* [reach + 1]: bins on each side searched j rows away */
    int reach;  /* bin rows searched above and below a cell's own */
} ms_grid_bins;

/* Points of padding after the sorted positions. */
#define MS_GRID_PAD 8

/* Bin n points of xy (lane-relative metres) on the nx x ny map of `cell`
 * metres; points off the map go to the nearest edge bin (their true
 * distance is still checked, and the search treats an edge bin as reaching
 * to infinity). 0 or MS_ERR_NOMEM. */
int ms_grid_bins_build(const float *xy, size_t n, size_t nx, size_t ny,
                       float cell, float radius, ms_grid_bins *b);
void ms_grid_bins_free(ms_grid_bins *b);
/* The reach of those bins: rows searched above and below a cell's own. */
int ms_grid_reach(size_t nx, size_t ny, float cell, float radius);

/* The gathered values of a point are padded to a multiple of
 * MS_GRID_PLANES_STEP planes (one vector); a work-item of grid_volume takes
 * up to MS_GRID_PLANES of them (GRID_PLANES in kernels/grid.cl). */
#define MS_GRID_PLANES_STEP 8
#define MS_GRID_PLANES 32

/* Values per point in the gathered copy (ms_grid_gather): grid gathers its
 * one column, grid_volume every plane, padded. */
static inline size_t ms_grid_width(const ms_stage_ctx *ctx)
{
    size_t nz = ctx->in[0].dims[1];
    return ctx->out[0].kind != MS_ARRAY_VOLUME
               ? 1
               : (nz + MS_GRID_PLANES_STEP - 1) / MS_GRID_PLANES_STEP *
                     MS_GRID_PLANES_STEP;
}

/* Work space of a gridding, for the runner's memory check: the bins
 * (rank, start, sorted positions, ext) and the gathered values and mask;
 * on the OpenCL path also the host copy of the positions and of the bins
 * before they go to the device. out[1] is the [ny][nx] hit count of both
 * gridding stages. */
static inline size_t ms_grid_work_bytes(const ms_stage_ctx *ctx)
{
    size_t n = ctx->in[0].dims[0], planes = ctx->in[0].dims[1];
    size_t ny = ctx->out[1].dims[0], nx = ctx->out[1].dims[1];
    /* cell_m and radius_m are parameters of both stages */
    int reach = ms_grid_reach(
        nx, ny, (float)ms_param_get_named(ctx->decl, &ctx->params, "cell_m"),
        (float)ms_param_get_named(ctx->decl, &ctx->params, "radius_m"));
    size_t ext = reach > 0 ? (size_t)reach + 1 : 1;
    size_t bins = (n + nx * ny + 1 + ext) * sizeof(int) +
                  2 * (n + MS_GRID_PAD) * sizeof(float);
    size_t gathered = 2 * ms_grid_width(ctx) * n * sizeof(float);
    return 2 * bins + 2 * n * sizeof(float) + gathered +
           2 * (planes + MS_GRID_PLANES_STEP) * sizeof(float);
}

/* Which columns of the values a gridding reads: col0 .. col0 + ncols - 1
 * of rows of `stride` values, gathered `width` per point (>= ncols). */
typedef struct ms_grid_cols {
    size_t stride, col0, ncols, width;
} ms_grid_cols;

/* Those columns of the n rows of values v and mask m in bin order: pv the
 * present values (0 where missing), pm 1 where present and 0 elsewhere,
 * each [n][width] with the padding 0. */
void ms_grid_gather(const ms_grid_bins *b, size_t n, const float *v,
                    const float *m, const ms_grid_cols *c, float *pv,
                    float *pm);

/* Where cell (ix, iy) searches in bin row `by` (|by - iy| <= reach): the
 * sorted points *p0 .. *p1 - 1, perhaps none. */
static inline void ms_grid_span(const ms_grid_bins *b, long nx, long ix,
                                long iy, long by, int *p0, int *p1)
{
    int e = b->ext[by < iy ? iy - by : by - iy];
    long bx0 = ix - e < 0 ? 0 : ix - e;
    long bx1 = ix + e >= nx ? nx - 1 : ix + e;
    *p0 = *p1 = 0;
    if (e >= 0) {
        *p0 = b->start[by * nx + bx0];
        *p1 = b->start[by * nx + bx1 + 1];
    }
}

/* The bin rows cell row iy searches: *by0 .. *by1. */
static inline void ms_grid_rows(const ms_grid_bins *b, long ny, long iy,
                                long *by0, long *by1)
{
    *by0 = iy - b->reach < 0 ? 0 : iy - b->reach;
    *by1 = iy + b->reach >= ny ? ny - 1 : iy + b->reach;
}

/* The bins of n points to the device as dev[0..3]: `index` (n ints: the
 * rank of each point, or for each sorted position its point), start,
 * sorted positions, ext; the caller releases them, also on failure. */
int ms_grid_bins_upload(ms_cl *cl, const ms_grid_bins *b, const int *index,
                        size_t n, size_t nx, size_t ny, cl_mem dev[4]);

/* Which kernels the OpenCL paths run: one work-item per cell (GPUs) or
 * runs of cells per work-item that use a CPU's vector unit (grid_tiles,
 * grid_volume_runs). AUTO picks by the device; tests force each in turn. */
typedef enum {
    MS_GRID_KERNELS_AUTO,
    MS_GRID_KERNELS_GPU,
    MS_GRID_KERNELS_CPU,
} ms_grid_kernels;
void ms_grid_force_kernels(ms_grid_kernels k);
int ms_grid_cpu_kernels(ms_cl *cl);

/* The OpenCL side of grid and grid_volume: bin the n points of in[2] for
 * the nx x ny map, gather the columns `c` of values in[0] and mask in[1]
 * in bin order, then launch `kernel` of kernels/grid.cl with the arguments
 * (gathered values, gathered mask, sorted positions, start, ext, reach,
 * then `rest`) over `global` (local may be NULL) and wait for it. work_dim
 * 0: ms_cl_launch_runs over global[0] items instead. */
int ms_grid_launch(ms_cl *cl, const char *kernel, const cl_mem in[], size_t n,
                   const ms_grid_cols *c, size_t nx, size_t ny, float cell,
                   float radius, unsigned work_dim, const size_t global[],
                   const size_t local[], const ms_cl_arg *rest,
                   unsigned n_rest);

#endif
