/* grid: put values measured at irregular hand-held positions onto a regular
 * map over the lane. Each cell takes the Gaussian-weighted mean of the
 * present values within `radius_m` of its centre (sigma = radius / 2) and
 * counts them: the second output, the hit count, is the coverage map that
 * shows a trainer where the lane was not swept. Missing values (mask 0)
 * weigh nothing and are not hits. Cells with no hit hold 0. */
#include <limits.h>
#include <stdlib.h>

#include "minescan/error.h"
#include "stages/grid_common.h"

typedef struct grid_params {
    double cell_m;
    double radius_m;
    int channel;
} grid_params;
MS_STAGE_PARAMS(grid_params);

static const ms_param_decl params[] = {
    {"cell_m", MS_PARAM_FLOAT, MS_PARAM_AT(grid_params, cell_m), 0.02, 0.002, 1.0, "m", "map cell size"},
    {"radius_m", MS_PARAM_FLOAT, MS_PARAM_AT(grid_params, radius_m), 0.08, 0.002, 2.0, "m",
     "search radius around each cell centre"},
    {"channel", MS_PARAM_INT, MS_PARAM_AT(grid_params, channel), 0, 0, 63, "", "which column of the values"},
};

static int shape(ms_stage_ctx *ctx)
{
    const grid_params *p = MS_P(ctx, grid_params);
    if (ctx->in[0].dims[0] != ctx->in[2].dims[0] ||
        ctx->in[1].dims[0] != ctx->in[0].dims[0] ||
        ctx->in[1].dims[1] != ctx->in[0].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid: %zu x %zu values, a %zu x %zu mask and %zu "
                       "positions do not match", ctx->in[0].dims[0],
                       ctx->in[0].dims[1], ctx->in[1].dims[0],
                       ctx->in[1].dims[1], ctx->in[2].dims[0]);
    if (ctx->in[0].dims[0] > (size_t)INT_MAX)
        return ms_fail(MS_ERR_INVALID_INPUT, "grid: more than %d readings",
                       INT_MAX);
    if ((size_t)p->channel >= ctx->in[0].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid: channel=%d but the input has %zu channel(s)",
                       (int)p->channel, ctx->in[0].dims[1]);
    size_t nx, ny;
    ms_grid_size(ctx->env, p->cell_m, &nx, &ny);
    if (nx * ny > (size_t)1 << 28)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid: a %zu x %zu map is too large; raise cell_m", nx,
                       ny);
    ctx->out[0] = (ms_shape){MS_ARRAY_MAP, {ny, nx, 1}, p->cell_m};
    ctx->out[1] = ctx->out[0];
    return 0;
}

/* The Gaussian-weighted mean (sigma = radius / 2) at cell (ix, iy) of the
 * present values within `radius` of its centre, and their number. pv, pm:
 * the column in bin order, 0 where missing, and 1 where present. The
 * kernels (grid, grid_tiles in kernels/grid.cl) take the same neighbours
 * and weights, and may add them up in another order. */
static float grid_cell(const ms_grid_bins *b, const float *pv, const float *pm,
                       long nx, long ny, long ix, long iy, float cell,
                       float radius, float *hits)
{
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius, k = -2.0f / r2max;
    float sum = 0.0f, weight = 0.0f, count = 0.0f;
    long by0, by1;
    ms_grid_rows(b, ny, iy, &by0, &by1);
    for (long by = by0; by <= by1; by++) {
        int p0, p1;
        ms_grid_span(b, nx, ix, iy, by, &p0, &p1);
        for (int p = p0; p < p1; p++) {
            float dx = b->xy[2 * p] - cx, dy = b->xy[2 * p + 1] - cy;
            float r2 = dx * dx + dy * dy;
            if (r2 <= r2max) {
                float w = expf(r2 * k) * pm[p];
                sum += w * pv[p];
                weight += w;
                count += pm[p];
            }
        }
    }
    *hits = count;
    return weight > 0.0f ? sum / weight : 0.0f;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const grid_params *p = MS_P(ctx, grid_params);
    size_t n = ctx->in[0].dims[0], nc = ctx->in[0].dims[1];
    size_t ny = ctx->out[0].dims[0], nx = ctx->out[0].dims[1];
    float cell = (float)p->cell_m, radius = (float)p->radius_m;
    ms_grid_bins b;
    int rc = ms_grid_bins_build(in[2], n, nx, ny, cell, radius, &b);
    if (rc)
        return rc;
    float *pv = malloc((n ? 2 * n : 1) * sizeof *pv), *pm = pv + n;
    if (!pv) {
        ms_grid_bins_free(&b);
        return ms_fail(MS_ERR_NOMEM, "grid: out of memory for %zu points", n);
    }
    ms_grid_cols cols = {nc, (size_t)p->channel, 1, 1};
    ms_grid_gather(&b, n, in[0], in[1], &cols, pv, pm);
    for (size_t iy = 0; iy < ny; iy++)
        for (size_t ix = 0; ix < nx; ix++)
            out[0][iy * nx + ix] =
                grid_cell(&b, pv, pm, (long)nx, (long)ny, (long)ix, (long)iy,
                          cell, radius, &out[1][iy * nx + ix]);
    free(pv);
    ms_grid_bins_free(&b);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const grid_params *p = MS_P(ctx, grid_params);
    size_t ny = ctx->out[0].dims[0], nx = ctx->out[0].dims[1];
    ms_cl_arg rest[] = {MS_CL_MEM(out[0]), MS_CL_MEM(out[1]), MS_CL_INT(nx),
                        MS_CL_INT(ny), MS_CL_FLOAT(p->cell_m),
                        MS_CL_FLOAT(p->radius_m)};
    /* CPUs: runs of tiles of 8 cells, one cell per vector lane */
    int tiles = ms_grid_cpu_kernels(cl);
    size_t global[2] = {tiles ? (nx + 7) / 8 * ny : nx, ny};
    ms_grid_cols cols = {ctx->in[0].dims[1], (size_t)p->channel, 1, 1};
    return ms_grid_launch(cl, tiles ? "grid_tiles" : "grid", in,
                          ctx->in[0].dims[0], &cols, nx, ny, (float)p->cell_m,
                          (float)p->radius_m, tiles ? 0 : 2, global, NULL,
                          rest, 6);
}

const ms_stage_decl ms_stage_grid = {
    .name = "grid",
    .summary = "Gaussian-weighted gridding of irregular positions onto a map "
               "(inputs: values, their mask, positions; outputs: map, hit "
               "count)",
    .n_in = 3, .n_out = 2,
    .in_slots = {"gpr_score", "gpr_score_valid", "gpr_xy"},
    .out_slots = {"gpr_map", "gpr_hits"},
    .in_kinds = {MS_ARRAY_SERIES, MS_ARRAY_MASK, MS_ARRAY_POINTS},
    .params = params, .n_params = 3,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = ms_grid_work_bytes,
    .tolerance = 1e-5,
};
