/* depth_cfar: cell-averaging CFAR per depth bin of an x-y-time volume (the
 * F1V4-style per-depth normalisation), then the strongest bin over the
 * depths where mines lie. Each plane of the gridded envelope (time_bins ->
 * grid_volume) is compared cell by cell with the mean of a training
 * square around it beyond a guard square, as the cfar stage does on a map
 * (see cfar.c for the statistic: -ln of the CA-CFAR false-alarm
 * probability, scaled so that a cell at the threshold for pfa scores 3). A mine's echo fills one or two bins; the noise is
 * spread over all of them, so normalising per bin and taking the maximum
 * keeps the echo's contrast that a sum over the whole window dilutes.
 *
 * The planes searched are those whose centre lies 2 d / v after the
 * surface (surface_ns after time zero, where ground_align put it) for d
 * in [depth_start_m, depth_end_m]; the plane length is the volume's own
 * (bin_ns only for a volume that does not carry one). */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct depth_cfar_params {
    double guard_m;
    double train_m;
    double pfa;
    double velocity_m_per_ns;
    double bin_ns;
    double surface_ns;
    double depth_start_m;
    double depth_end_m;
} depth_cfar_params;
MS_STAGE_PARAMS(depth_cfar_params);

/* A cell at the CFAR threshold scores this (the default alarm threshold,
 * as cfar's score_at_threshold). */
#define SCORE_AT_THRESHOLD 3.0

static const ms_param_decl params[] = {
    {"guard_m", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, guard_m), 0.1, 0.0, 1.0, "m",
     "half-width of the guard square left out of the training cells"},
    {"train_m", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, train_m), 0.3, 0.01, 1.0, "m",
     "half-width of the training square"},
    {"pfa", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, pfa), 1e-3, 1e-12, 0.5, "",
     "false-alarm probability of the CFAR threshold"},
    {"velocity_m_per_ns", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, velocity_m_per_ns), 0.1, 0.01, 0.3, "m/ns",
     "propagation velocity in the soil (0.1: loam, eps 9)"},
    {"bin_ns", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, bin_ns), 0.5, 0.01, 100.0, "ns",
     "time_bins' bin length"},
    {"surface_ns", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, surface_ns), 0.5, 0.0, 1000.0, "ns",
     "surface time after time zero (ground_align's target_ns)"},
    {"depth_start_m", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, depth_start_m), 0.02, 0.0, 10.0, "m",
     "shallowest depth searched"},
    {"depth_end_m", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, depth_end_m), 0.2, 0.0, 10.0, "m",
     "deepest depth searched"},
};

static int check(const ms_params *values)
{
    const depth_cfar_params *p = MS_P_OF(values, depth_cfar_params);
    if (p->train_m <= p->guard_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "train_m (%g m) must exceed guard_m (%g m)", p->train_m,
                       p->guard_m);
    if (p->depth_end_m < p->depth_start_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "depth_end_m (%g m) is above depth_start_m (%g m)",
                       p->depth_end_m, p->depth_start_m);
    return 0;
}

/* Guard and training half-widths in cells, the planes searched and the
 * statistic's scale. */
typedef struct dc_plan {
    int g, w, z0, z1;
    float scale;
} dc_plan;

static dc_plan plan(const ms_stage_ctx *ctx)
{
    const depth_cfar_params *p = MS_P(ctx, depth_cfar_params);
    dc_plan pl;
    double cell = ctx->in[0].cell_m;
    pl.g = (int)ceil(p->guard_m / cell - 1e-9);
    pl.w = (int)ceil(p->train_m / cell - 1e-9);
    if (pl.w <= pl.g)
        pl.w = pl.g + 1;
    /* the volume's own plane length where it carries one (time_bins and
     * grid_volume say it), so that a recipe changing time_bins' bin_ns
     * alone cannot shift the depths; else time_bins' samples per bin from
     * bin_ns */
    double dt_ns = ctx->env->dt_s * 1e9, per = p->bin_ns / dt_ns;
    per = per < 1.0 ? 1.0 : round(per);
    double bin = ctx->in[0].plane_s > 0.0 ? ctx->in[0].plane_s * 1e9
                                          : per * dt_ns;
    double t0 = ctx->env->time_zero_s * 1e9;
    double a = t0 + p->surface_ns + 2.0 * p->depth_start_m / p->velocity_m_per_ns;
    double b = t0 + p->surface_ns + 2.0 * p->depth_end_m / p->velocity_m_per_ns;
    int nz = (int)ctx->in[0].dims[0];
    /* planes whose centre (z + 0.5) bin lies in [a, b], at least one */
    pl.z0 = (int)ceil(a / bin - 0.5);
    pl.z1 = (int)floor(b / bin - 0.5);
    pl.z0 = pl.z0 < 0 ? 0 : pl.z0 >= nz ? nz - 1 : pl.z0;
    pl.z1 = pl.z1 < pl.z0 ? pl.z0 : pl.z1 >= nz ? nz - 1 : pl.z1;
    pl.scale = (float)(SCORE_AT_THRESHOLD / -log(p->pfa));
    return pl;
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->in[0].dims[1] != ctx->in[1].dims[0] ||
        ctx->in[0].dims[2] != ctx->in[1].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "depth_cfar: the volume's planes (%zu x %zu) and the "
                       "hit counts (%zu x %zu) differ in size",
                       ctx->in[0].dims[2], ctx->in[0].dims[1],
                       ctx->in[1].dims[1], ctx->in[1].dims[0]);
    if (!(ctx->in[0].cell_m > 0.0))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "depth_cfar: the volume has no cell size (grid it "
                       "first)");
    if (ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "depth_cfar: sample interval unknown");
    ctx->out[0] = (ms_shape){MS_ARRAY_MAP,
                             {ctx->in[0].dims[1], ctx->in[0].dims[2], 1},
                             ctx->in[0].cell_m};
    return 0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    int ny = (int)ctx->in[0].dims[1], nx = (int)ctx->in[0].dims[2];
    dc_plan pl = plan(ctx);
    const float *hits = in[1];
    for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++) {
            size_t i = (size_t)y * nx + x;
            float best = 0.0f;
            if (hits[i] > 0.0f)
                for (int z = pl.z0; z <= pl.z1; z++) {
                    const float *v = in[0] + (size_t)z * ny * nx;
                    float c = v[i];
                    if (!(c > 0.0f))
                        continue;
                    float sum = 0.0f, n = 0.0f;
                    int y0 = y - pl.w < 0 ? 0 : y - pl.w;
                    int y1 = y + pl.w >= ny ? ny - 1 : y + pl.w;
                    int x0 = x - pl.w < 0 ? 0 : x - pl.w;
                    int x1 = x + pl.w >= nx ? nx - 1 : x + pl.w;
                    for (int yy = y0; yy <= y1; yy++)
                        for (int xx = x0; xx <= x1; xx++) {
                            if (abs(yy - y) <= pl.g && abs(xx - x) <= pl.g)
                                continue;
                            size_t j = (size_t)yy * nx + xx;
                            if (hits[j] > 0.0f) {
                                sum += fmaxf(v[j], 0.0f);
                                n += 1.0f;
                            }
                        }
                    float s = n > 0.0f && sum > 0.0f
                                  ? pl.scale * n * log1pf(c / sum)
                                  : 0.0f;
                    best = fmaxf(best, s);
                }
            out[0][i] = best;
        }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    int ny = (int)ctx->in[0].dims[1], nx = (int)ctx->in[0].dims[2];
    dc_plan pl = plan(ctx);
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_INT(nx),    MS_CL_INT(ny),    MS_CL_INT(pl.g),
                        MS_CL_INT(pl.w),  MS_CL_INT(pl.z0), MS_CL_INT(pl.z1),
                        MS_CL_FLOAT(pl.scale)};
    size_t global[2] = {(size_t)nx, (size_t)ny};
    return ms_cl_launch(cl, "depth_cfar", "depth_cfar", 2, global, NULL, args,
                        10);
}

const ms_stage_decl ms_stage_depth_cfar = {
    .name = "depth_cfar",
    .summary = "cell-averaging CFAR per depth bin of a gridded volume, the "
               "strongest bin over a depth range (inputs: volume, hit count)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr_volume", "gpr_vhits"},
    .out_slots = {"gpr_dcfar"},
    .in_kinds = {MS_ARRAY_VOLUME, MS_ARRAY_MAP},
    .params = params, .n_params = 8,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
