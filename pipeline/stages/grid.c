/* grid: put values measured at irregular hand-held positions onto a regular
 * map over the lane. Each cell takes the Gaussian-weighted mean of the
 * values within `radius_m` of its centre (sigma = radius / 2) and counts
 * them: the second output, the hit count, is the coverage map that shows a
 * trainer where the lane was not swept. Cells with no hit hold 0. */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

static const ms_param_decl params[] = {
    {"cell_m", MS_PARAM_FLOAT, 0.02, 0.002, 1.0, "m", "map cell size"},
    {"radius_m", MS_PARAM_FLOAT, 0.05, 0.002, 2.0, "m",
     "search radius around each cell centre"},
    {"channel", MS_PARAM_INT, 0, 0, 63, "", "which column of the values"},
};

/* Map size over the lane for the given cell size (at least 1 x 1). */
static void map_size(const ms_stage_ctx *ctx, size_t *nx, size_t *ny)
{
    const ms_env *e = ctx->env;
    double cell = ctx->p[0];
    *nx = (size_t)fmax(1.0, ceil((e->lane_x_max - e->lane_x_min) / cell - 1e-9));
    *ny = (size_t)fmax(1.0, ceil((e->lane_y_max - e->lane_y_min) / cell - 1e-9));
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->in[0].dims[0] != ctx->in[1].dims[0])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid: %zu values but %zu positions", ctx->in[0].dims[0],
                       ctx->in[1].dims[0]);
    if ((size_t)ctx->p[2] >= ctx->in[0].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid: channel=%d but the input has %zu channel(s)",
                       (int)ctx->p[2], ctx->in[0].dims[1]);
    size_t nx, ny;
    map_size(ctx, &nx, &ny);
    if (nx * ny > (size_t)1 << 28)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "grid: a %zu x %zu map is too large; raise cell_m", nx,
                       ny);
    ctx->out[0] = (ms_shape){MS_ARRAY_MAP, {ny, nx, 1}};
    ctx->out[1] = ctx->out[0];
    return 0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const float *v = in[0], *xy = in[1];
    size_t n = ctx->in[0].dims[0], nc = ctx->in[0].dims[1];
    size_t ny = ctx->out[0].dims[0], nx = ctx->out[0].dims[1];
    size_t ch = (size_t)ctx->p[2];
    float cell = (float)ctx->p[0], radius = (float)ctx->p[1];
    float r2max = radius * radius, inv2s2 = 2.0f / r2max; /* 1/(2 (r/2)^2) */
    for (size_t iy = 0; iy < ny; iy++)
        for (size_t ix = 0; ix < nx; ix++) {
            float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
            float sum = 0.0f, weight = 0.0f, hits = 0.0f;
            for (size_t k = 0; k < n; k++) {
                float dx = xy[2 * k] - cx, dy = xy[2 * k + 1] - cy;
                float r2 = dx * dx + dy * dy;
                if (r2 <= r2max) {
                    float w = expf(-r2 * inv2s2);
                    sum += w * v[k * nc + ch];
                    weight += w;
                    hits += 1.0f;
                }
            }
            out[0][iy * nx + ix] = weight > 0.0f ? sum / weight : 0.0f;
            out[1][iy * nx + ix] = hits;
        }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t ny = ctx->out[0].dims[0], nx = ctx->out[0].dims[1];
    ms_cl_arg args[] = {
        MS_CL_MEM(in[0]),  MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
        MS_CL_MEM(out[1]), MS_CL_INT(ctx->in[0].dims[0]),
        MS_CL_INT(ctx->in[0].dims[1]), MS_CL_INT(ctx->p[2]),
        MS_CL_INT(nx),     MS_CL_INT(ny),    MS_CL_FLOAT(ctx->p[0]),
        MS_CL_FLOAT(ctx->p[1])};
    size_t global[2] = {nx, ny};
    return ms_cl_launch(cl, "grid", "grid", 2, global, args, 11);
}

const ms_stage_decl ms_stage_grid = {
    .name = "grid",
    .summary = "Gaussian-weighted gridding of irregular positions onto a map "
               "(outputs: map, hit count)",
    .n_in = 2, .n_out = 2,
    .in_slots = {"gpr_score", "gpr_xy"},
    .out_slots = {"gpr_map", "gpr_hits"},
    .in_kinds = {MS_ARRAY_SERIES, MS_ARRAY_POINTS},
    .params = params, .n_params = 3,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
