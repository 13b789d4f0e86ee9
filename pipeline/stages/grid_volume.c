/* grid_volume: the 3-D counterpart of grid. Every column of a per-trace
 * feature vector (e.g. time_bins) is gridded over the lane with the same
 * Gaussian weights, giving an x-y-depth volume [planes][ny][nx] whose
 * horizontal planes are the depth slices deminers' dual sensors (ALIS)
 * show; missing values weigh nothing. The second output is the hit count
 * map of the top plane. */
#include <limits.h>

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
    ctx->out[1] = (ms_shape){MS_ARRAY_MAP, {ny, nx, 1}, p->cell_m};
    return 0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const grid_volume_params *p = MS_P(ctx, grid_volume_params);
    size_t n = ctx->in[0].dims[0], nz = ctx->out[0].dims[0];
    size_t ny = ctx->out[0].dims[1], nx = ctx->out[0].dims[2];
    float cell = (float)p->cell_m, radius = (float)p->radius_m;
    ms_grid_bins b;
    int rc = ms_grid_bins_build(in[2], n, nx, ny, cell, radius, &b);
    if (rc)
        return rc;
    for (size_t iz = 0; iz < nz; iz++)
        for (size_t iy = 0; iy < ny; iy++)
            for (size_t ix = 0; ix < nx; ix++) {
                float hits;
                out[0][(iz * ny + iy) * nx + ix] =
                    ms_grid_cell(in[0], in[1], in[2], &b, nx, ny, nz, iz, ix,
                                 iy, cell, radius, &hits);
                if (iz == 0)
                    out[1][iy * nx + ix] = hits;
            }
    ms_grid_bins_free(&b);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const grid_volume_params *p = MS_P(ctx, grid_volume_params);
    size_t nz = ctx->out[0].dims[0], ny = ctx->out[0].dims[1];
    size_t nx = ctx->out[0].dims[2];
    ms_cl_arg rest[] = {MS_CL_MEM(out[0]), MS_CL_MEM(out[1]), MS_CL_INT(nx),
                        MS_CL_INT(ny),     MS_CL_INT(nz),
                        MS_CL_FLOAT(p->cell_m), MS_CL_FLOAT(p->radius_m)};
    size_t global[3] = {nx, ny, nz};
    return ms_grid_launch(cl, "grid_volume", in, ctx->in[0].dims[0], nx, ny,
                          (float)p->cell_m, (float)p->radius_m, 3, global, rest,
                          7);
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
