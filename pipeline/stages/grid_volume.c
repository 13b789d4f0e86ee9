/* grid_volume: the 3-D counterpart of grid. Every column of a per-trace
 * feature vector (e.g. time_bins) is gridded over the lane with the same
 * Gaussian weights, giving an x-y-depth volume [planes][ny][nx] whose
 * horizontal planes are the depth slices deminers' dual sensors (ALIS)
 * show; missing values weigh nothing. The second output is the hit count
 * map of the top plane. */
#include <limits.h>
#include <stdlib.h>

#include "minescan/error.h"
#include "stages/grid_common.h"

typedef struct grid_volume_params {
    double cell_m;
    double radius_m;
} grid_volume_params;
MS_STAGE_PARAMS(grid_volume_params);

static const ms_param_decl params[] = {
    {"cell_m", MS_PARAM_FLOAT, MS_PARAM_AT(grid_volume_params, cell_m), 0.02, 0.002, 1.0, "m", "map cell size"},
    {"radius_m", MS_PARAM_FLOAT, MS_PARAM_AT(grid_volume_params, radius_m), 0.08, 0.002, 2.0, "m",
     "search radius around each cell centre"},
};

static int shape(ms_stage_ctx *ctx)
{
    const grid_volume_params *p = MS_P(ctx, grid_volume_params);
    if (ctx->in[0].dims[0] != ctx->in[2].dims[0] ||
        ctx->in[1].dims[0] != ctx->in[0].dims[0] ||
        ctx->in[1].dims[1] != ctx->in[0].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid_volume: %zu x %zu feature vectors, a %zu x %zu "
                       "mask and %zu positions do not match",
                       ctx->in[0].dims[0], ctx->in[0].dims[1],
                       ctx->in[1].dims[0], ctx->in[1].dims[1],
                       ctx->in[2].dims[0]);
    if (ctx->in[0].dims[0] > (size_t)INT_MAX)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid_volume: more than %d readings", INT_MAX);
    size_t nx, ny, nz = ctx->in[0].dims[1];
    ms_grid_size(ctx->env, p->cell_m, &nx, &ny);
    if (nx * ny > ((size_t)1 << 28) / (nz ? nz : 1))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid_volume: a %zu x %zu x %zu volume is too large; "
                       "raise cell_m or time_bins.bin_ns", nx, ny, nz);
    ctx->out[0] = (ms_shape){MS_ARRAY_VOLUME, {nz, ny, nx}, p->cell_m};
    ctx->out[0].plane_s = ctx->in[0].plane_s; /* the time bins' depth axis */
    ctx->out[1] = (ms_shape){MS_ARRAY_MAP, {ny, nx, 1}, p->cell_m};
    return 0;
}

/* One neighbour of weight w into the accumulators of every plane (its
 * gathered values pv, 0 where missing, and mask pm), MS_GRID_PLANES_STEP
 * at a time so that the compiler vectorises. */
static void accumulate(float *restrict sum, float *restrict wsum,
                       const float *restrict pv, const float *restrict pm,
                       float w, size_t width)
{
    for (size_t z = 0; z < width; z += MS_GRID_PLANES_STEP)
        for (int j = 0; j < MS_GRID_PLANES_STEP; j++) {
            sum[z + j] += w * pv[z + j];
            wsum[z + j] += w * pm[z + j];
        }
}

/* Every plane at once: each neighbour's distance and weight once per
 * cell, then its values into every plane's accumulators. */
static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const grid_volume_params *p = MS_P(ctx, grid_volume_params);
    size_t n = ctx->in[0].dims[0], nz = ctx->out[0].dims[0];
    size_t width = ms_grid_width(ctx);
    long ny = (long)ctx->out[0].dims[1], nx = (long)ctx->out[0].dims[2];
    float cell = (float)p->cell_m, radius = (float)p->radius_m;
    float r2max = radius * radius, k = -2.0f / r2max;
    ms_grid_bins b;
    int rc = ms_grid_bins_build(in[2], n, (size_t)nx, (size_t)ny, cell, radius,
                                &b);
    if (rc)
        return rc;
    /* the gathered values and mask, then a cell's sums and weights */
    float *pv = malloc(((n + 1) * 2 * width + 1) * sizeof *pv);
    if (!pv) {
        ms_grid_bins_free(&b);
        return ms_fail(MS_ERR_NOMEM, "grid_volume: out of memory for %zu x "
                       "%zu values", n, width);
    }
    float *pm = pv + n * width, *sum = pm + n * width, *wsum = sum + width;
    ms_grid_cols cols = {nz, 0, nz, width};
    ms_grid_gather(&b, n, in[0], in[1], &cols, pv, pm);
    size_t plane = (size_t)nx * (size_t)ny;
    for (long iy = 0; iy < ny; iy++)
        for (long ix = 0; ix < nx; ix++) {
            float cx = ((float)ix + 0.5f) * cell;
            float cy = ((float)iy + 0.5f) * cell, hits = 0.0f;
            for (size_t z = 0; z < width; z++)
                sum[z] = wsum[z] = 0.0f;
            long by0, by1;
            ms_grid_rows(&b, ny, iy, &by0, &by1);
            for (long by = by0; by <= by1; by++) {
                int p0, p1;
                ms_grid_span(&b, nx, ix, iy, by, &p0, &p1);
                for (int q = p0; q < p1; q++) {
                    float dx = b.xy[2 * q] - cx, dy = b.xy[2 * q + 1] - cy;
                    float r2 = dx * dx + dy * dy;
                    if (r2 <= r2max) {
                        size_t at = (size_t)q * width;
                        hits += nz ? pm[at] : 0.0f;
                        accumulate(sum, wsum, pv + at, pm + at, expf(r2 * k),
                                   width);
                    }
                }
            }
            size_t at = (size_t)iy * (size_t)nx + (size_t)ix;
            for (size_t z = 0; z < nz; z++)
                out[0][z * plane + at] =
                    wsum[z] > 0.0f ? sum[z] / wsum[z] : 0.0f;
            out[1][at] = hits;
        }
    free(pv);
    ms_grid_bins_free(&b);
    return 0;
}

/* One work-item per cell and MS_GRID_PLANES planes. */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const grid_volume_params *p = MS_P(ctx, grid_volume_params);
    size_t nz = ctx->out[0].dims[0], ny = ctx->out[0].dims[1];
    size_t nx = ctx->out[0].dims[2], width = ms_grid_width(ctx);
    ms_cl_arg rest[] = {MS_CL_MEM(out[0]), MS_CL_MEM(out[1]), MS_CL_INT(nx),
                        MS_CL_INT(ny),     MS_CL_INT(nz),     MS_CL_INT(width),
                        MS_CL_FLOAT(p->cell_m), MS_CL_FLOAT(p->radius_m)};
    size_t chunks = (width + MS_GRID_PLANES - 1) / MS_GRID_PLANES;
    size_t global[3] = {nx, ny, chunks ? chunks : 1};
    ms_grid_cols cols = {nz, 0, nz, width};
    /* CPUs: runs of cells, neighbours listed, then weighed 8 at a time */
    int runs = ms_grid_cpu_kernels(cl);
    if (runs)
        global[0] = nx * ny;
    return ms_grid_launch(cl, runs ? "grid_volume_runs" : "grid_volume", in,
                          ctx->in[0].dims[0], &cols, nx, ny, (float)p->cell_m,
                          (float)p->radius_m, runs ? 0 : 3, global, NULL, rest,
                          8);
}

const ms_stage_decl ms_stage_grid_volume = {
    .name = "grid_volume",
    .summary = "grid per-trace feature vectors into an x-y-depth volume "
               "(inputs: vectors, their mask, positions; outputs: volume, "
               "hit count)",
    .n_in = 3, .n_out = 2,
    .in_slots = {"gpr_bins", "gpr_bins_valid", "gpr_xy"},
    .out_slots = {"gpr_volume", "gpr_vhits"},
    .in_kinds = {MS_ARRAY_SERIES, MS_ARRAY_MASK, MS_ARRAY_POINTS},
    .params = params, .n_params = 2,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = ms_grid_work_bytes,
    .tolerance = 1e-5,
};
