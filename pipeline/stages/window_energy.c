/* window_energy: the mean power of each trace in a time window below the
 * ground surface (the depths where anti-personnel mines lie), over the
 * samples that are present. One value per trace: the radar's anomaly
 * feature before gridding; the second output says whether the trace had
 * any sample in the window (a dropped trace has none), so that gridding
 * weights it by nothing rather than by a false zero. */
#include <math.h>
#include <stdio.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct window_energy_params {
    double t_start_ns;
    double t_end_ns;
} window_energy_params;
MS_STAGE_PARAMS(window_energy_params);

static const ms_param_decl params[] = {
    {"t_start_ns", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, t_start_ns), 1.0, 0.0, 1000.0, "ns",
     "window start after time zero (below the ground bounce)"},
    {"t_end_ns", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, t_end_ns), 4.0, 0.0, 1000.0, "ns",
     "window end after time zero"},
};

static int check(const ms_params *values)
{
    const window_energy_params *p = MS_P_OF(values, window_energy_params);
    if (p->t_end_ns <= p->t_start_ns)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "t_end_ns (%g) must exceed t_start_ns (%g)",
                       p->t_end_ns, p->t_start_ns);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    const window_energy_params *p = MS_P(ctx, window_energy_params);
    ctx->out[0] = (ms_shape){MS_ARRAY_SERIES, {ctx->in[0].dims[0], 1, 1}};
    ctx->out[1] = (ms_shape){MS_ARRAY_MASK, {ctx->in[0].dims[0], 1, 1}};
    double t0 = ctx->env->time_zero_s * 1e9;
    double end = (double)ctx->in[0].dims[1] * ctx->env->dt_s * 1e9 - t0;
    if (p->t_start_ns >= end)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the window %g..%g ns after time zero lies past the end of "
                 "the traces (%.3g ns after time zero): every score is 0",
                 p->t_start_ns, p->t_end_ns, end);
    else if (p->t_end_ns > end)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the window %g..%g ns after time zero is cut at the end of "
                 "the traces (%.3g ns)", p->t_start_ns, p->t_end_ns, end);
    return 0;
}

/* The window as sample indices [lo, hi), clamped to the trace. */
static void window(const ms_stage_ctx *ctx, int *lo, int *hi)
{
    const window_energy_params *p = MS_P(ctx, window_energy_params);
    double ns = (double)ctx->in[0].dims[1];
    double t0 = ctx->env->time_zero_s / ctx->env->dt_s;
    double a = floor(t0 + p->t_start_ns * 1e-9 / ctx->env->dt_s);
    double b = ceil(t0 + p->t_end_ns * 1e-9 / ctx->env->dt_s);
    *lo = (int)fmin(fmax(a, 0), ns);
    *hi = (int)fmin(fmax(b, 0), ns);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    int lo, hi;
    window(ctx, &lo, &hi);
    for (size_t i = 0; i < nt; i++) {
        const float *s = in[0] + i * ns, *m = in[1] + i * ns;
        float sum = 0.0f, count = 0.0f;
        for (int j = lo; j < hi; j++) {
            sum += m[j] * s[j] * s[j];
            count += m[j];
        }
        out[0][i] = count > 0.0f ? sum / count : 0.0f;
        out[1][i] = count > 0.0f ? 1.0f : 0.0f;
    }
    return 0;
}

/* One work-item per trace on a GPU; on a CPU 8 per compute unit, each
 * taking a run of traces (window_energy_runs). */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const ms_cl_limits *lim = ms_cl_device_limits(cl);
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    int lo, hi;
    window(ctx, &lo, &hi);
    ms_cl_arg args[] = {MS_CL_MEM(in[0]),  MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_MEM(out[1]), MS_CL_INT(nt),    MS_CL_INT(ns),
                        MS_CL_INT(lo),     MS_CL_INT(hi)};
    if (lim->is_gpu) {
        size_t global[1] = {nt};
        return ms_cl_launch(cl, "window_energy", "window_energy", 1, global,
                            NULL, args, 8);
    }
    size_t global[1] = {8 * lim->compute_units}, one[1] = {1};
    return ms_cl_launch(cl, "window_energy", "window_energy_runs", 1, global,
                        one, args, 8);
}

const ms_stage_decl ms_stage_window_energy = {
    .name = "window_energy",
    .summary = "mean power of each trace in a time window below the surface",
    .n_in = 2, .n_out = 2,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr_score", "gpr_score_valid"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 2,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
