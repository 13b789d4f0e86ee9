/* depth_cfar: CFAR per depth bin of an x-y-time volume (the F1V4-style
 * per-depth normalisation), then the bins over the depths where mines lie
 * combined into one map. Each plane of the gridded envelope (time_bins ->
 * grid_volume) is scored cell by cell against a training square around it
 * beyond a guard square, exactly as the cfar stage scores a map (the same
 * code, cfar_map.c; cfar.c says what the statistic is: model 0 the
 * CA-CFAR ratio to the local mean, model 1 a local z-score, each scaled
 * so that a cell at the threshold for pfa scores 3, with the same floor).
 *
 * Why per depth: what the ground bounce leaves after its removal is
 * strongest in the shallowest bins and varies across the lane, while below
 * them there is little but receiver noise. A window's mean power is ruled
 * by the shallow residue, so that a deeper mine adds little to it and a
 * cleaner radar does not help (tune split, radar lanes made at 30 dB:
 * worse than at the benchmark's 6-10 dB). Scored per bin, each depth is
 * measured against its own background.
 *
 * combine=0 keeps the strongest bin (an echo that fills one bin);
 * combine=1 takes the mean over the bins searched, which keeps the noise
 * of the bins without echo from adding false alarms (the default's choice,
 * datasets/benchmark/README.md).
 *
 * The planes searched are those whose centre lies 2 d / v after the
 * surface (surface_ns after time zero, where ground_align put it) for d
 * in [depth_start_m, depth_end_m]; the plane length is the volume's own
 * (bin_ns only for a volume that does not carry one). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/cfar_map.h"
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
    int model;
    double floor;
    int combine;
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
    {"model", MS_PARAM_INT, MS_PARAM_AT(depth_cfar_params, model), 0, 0, 1, "",
     "noise model per bin, as cfar's: 0 exponential (ratio to the local "
     "mean), 1 Gaussian (local mean and standard deviation)"},
    {"floor", MS_PARAM_FLOAT, MS_PARAM_AT(depth_cfar_params, floor), 0.0, 0.0,
     10.0, "", "a bin's local noise estimate is at least this fraction of "
     "the whole plane's (model 1: of its robust spread, 1.4826 median "
     "absolute deviations; 0: no floor)"},
    {"combine", MS_PARAM_INT, MS_PARAM_AT(depth_cfar_params, combine), 0, 0,
     1, "", "the bins' scores combined: 0 the strongest, 1 their mean"},
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

/* The planes searched and the CFAR of each. */
typedef struct dc_plan {
    int z0, z1;
    ms_cfar_map_opts cfar;
} dc_plan;

static dc_plan plan(const ms_stage_ctx *ctx)
{
    const depth_cfar_params *p = MS_P(ctx, depth_cfar_params);
    dc_plan pl;
    pl.cfar = (ms_cfar_map_opts){
        .model = p->model, .floor = (float)p->floor,
        .scale = ms_cfar_scale(p->model, p->pfa, SCORE_AT_THRESHOLD)};
    ms_cfar_cells(p->guard_m, p->train_m, ctx->in[0].cell_m, &pl.cfar.g,
                  &pl.cfar.w);
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
    /* planes whose centre (z + 0.5) bin lies in [a, b], at least one; none
     * (z0 > z1) when the window starts past the last plane */
    pl.z0 = (int)ceil(a / bin - 0.5);
    pl.z1 = (int)floor(b / bin - 0.5);
    if (a >= nz * bin) {
        pl.z0 = 1;
        pl.z1 = 0;
        return pl;
    }
    pl.z0 = pl.z0 < 0 ? 0 : pl.z0 >= nz ? nz - 1 : pl.z0;
    pl.z1 = pl.z1 < pl.z0 ? pl.z0 : pl.z1 >= nz ? nz - 1 : pl.z1;
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
    if (ms_shape_count(ctx->in[0]) > (size_t)INT_MAX)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "depth_cfar: a volume of %zu x %zu x %zu cells is "
                       "too large (at most %d); raise the cell size or "
                       "time_bins.bin_ns", ctx->in[0].dims[2],
                       ctx->in[0].dims[1], ctx->in[0].dims[0], INT_MAX);
    ctx->out[0] = (ms_shape){MS_ARRAY_MAP,
                             {ctx->in[0].dims[1], ctx->in[0].dims[2], 1},
                             ctx->in[0].cell_m};
    /* a window reaching past the volume's last plane is said, in the units
     * it was given in, as window_energy says it */
    const depth_cfar_params *p = MS_P(ctx, depth_cfar_params);
    double bin = ctx->in[0].plane_s > 0.0 ? ctx->in[0].plane_s * 1e9
                                          : p->bin_ns;
    double end = (double)ctx->in[0].dims[0] * bin -
                 ctx->env->time_zero_s * 1e9;
    double a = p->surface_ns + 2.0 * p->depth_start_m / p->velocity_m_per_ns;
    double b = p->surface_ns + 2.0 * p->depth_end_m / p->velocity_m_per_ns;
    char what[112];
    snprintf(what, sizeof what,
             "the depth window %g..%g m (at %g m/ns: %.3g..%.3g ns after "
             "time zero)", p->depth_start_m, p->depth_end_m,
             p->velocity_m_per_ns, a, b);
    if (a >= end)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "%s lies past the end of the traces (%.3g ns after time "
                 "zero): every score is 0", what, end);
    else if (b > end)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "%s is cut at the end of the traces (%.3g ns after time "
                 "zero, %.3g m deep)", what, end,
                 0.5 * (end - p->surface_ns) * p->velocity_m_per_ns);
    return 0;
}

/* Floats of one plane's scores, rounded up to whole doubles so that the
 * CFAR's tables can follow them in one host scratch buffer. */
static size_t plane_floats(const ms_stage_ctx *ctx)
{
    return (ctx->in[0].dims[2] * ctx->in[0].dims[1] + 1) & ~(size_t)1;
}

/* Scratch: one plane's scores and the CFAR's tables; on the OpenCL path
 * also the host copies for model 1's floor. */
static size_t work_bytes(const ms_stage_ctx *ctx)
{
    size_t n = ctx->in[0].dims[2] * ctx->in[0].dims[1];
    return plane_floats(ctx) * sizeof(float) +
           ms_cfar_tables_bytes(ctx->in[0].dims[2], ctx->in[0].dims[1]) +
           ms_cfar_host_floats(MS_P(ctx, depth_cfar_params)->model, n) *
               sizeof(float);
}

/* Plane k of the planes searched (score s) into the output: the first
 * sets it, the others keep the largest (combine 0) or add (combine 1);
 * combine 1 weighs each by 1 / the number of planes. The kernel
 * depth_cfar_combine does the same. */
static void combine(float *out, const float *s, size_t n, int k, int mode,
                    float weight)
{
    for (size_t i = 0; i < n; i++) {
        float v = mode ? s[i] * weight : s[i];
        out[i] = k == 0 ? v : mode ? out[i] + v : fmaxf(out[i], v);
    }
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    int ny = (int)ctx->in[0].dims[1], nx = (int)ctx->in[0].dims[2];
    size_t n = (size_t)nx * ny;
    dc_plan pl = plan(ctx);
    int mode = MS_P(ctx, depth_cfar_params)->combine;
    float weight = 1.0f / (float)(pl.z1 - pl.z0 + 1);
    float *plane;
    int rc = ms_stage_scratch_host(ctx, work_bytes(ctx), (void **)&plane);
    if (rc)
        return rc;
    double *tables = (double *)(void *)(plane + plane_floats(ctx));
    if (pl.z0 > pl.z1)
        memset(out[0], 0, n * sizeof(float));
    for (int z = pl.z0; z <= pl.z1; z++) {
        ms_cfar_map_cpu(&pl.cfar, in[0] + (size_t)z * n, in[1], nx, ny,
                        tables, plane);
        combine(out[0], plane, n, z - pl.z0, mode, weight);
    }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    int ny = (int)ctx->in[0].dims[1], nx = (int)ctx->in[0].dims[2];
    size_t n = (size_t)nx * ny;
    dc_plan pl = plan(ctx);
    int mode = MS_P(ctx, depth_cfar_params)->combine;
    float weight = 1.0f / (float)(pl.z1 - pl.z0 + 1);
    cl_mem floor_v, tables, plane;
    float *host = NULL;
    size_t hf = ms_cfar_host_floats(pl.cfar.model, n);
    int rc = ms_stage_scratch_device(ctx, cl, 2 * sizeof(cl_float), &floor_v);
    if (!rc && hf)
        rc = ms_stage_scratch_host(ctx, hf * sizeof(float), (void **)&host);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, ms_cfar_tables_bytes(nx, ny),
                                     &tables);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, n * sizeof(cl_float), &plane);
    if (!rc && pl.z0 > pl.z1) {
        ms_cl_arg zargs[] = {MS_CL_MEM(out[0]), MS_CL_INT(n)};
        rc = ms_cl_launch(cl, "depth_cfar", "depth_cfar_zero", 1, &n, NULL,
                          zargs, 2);
    }
    for (int z = pl.z0; !rc && z <= pl.z1; z++) {
        rc = ms_cfar_map_cl(cl, &pl.cfar, in[0], (int)((size_t)z * n), in[1],
                            plane, nx, ny, floor_v, tables, host,
                            z > pl.z0);
        ms_cl_arg args[] = {MS_CL_MEM(plane),    MS_CL_MEM(out[0]),
                            MS_CL_INT(n),        MS_CL_INT(z - pl.z0),
                            MS_CL_INT(mode),     MS_CL_FLOAT(weight)};
        if (!rc)
            rc = ms_cl_launch(cl, "depth_cfar", "depth_cfar_combine", 1, &n,
                              NULL, args, 6);
    }
    return rc;
}

const ms_stage_decl ms_stage_depth_cfar = {
    .name = "depth_cfar",
    .summary = "CFAR per depth bin of a gridded volume, the bins over a "
               "depth range combined: the strongest or their mean (inputs: "
               "volume, hit count)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr_volume", "gpr_vhits"},
    .out_slots = {"gpr_dcfar"},
    .in_kinds = {MS_ARRAY_VOLUME, MS_ARRAY_MAP},
    .params = params, .n_params = 11,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = work_bytes,
    .tolerance = 1e-5,
};
