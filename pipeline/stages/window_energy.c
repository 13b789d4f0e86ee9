/* window_energy: the mean power of each trace in a depth window below the
 * ground surface (the depths where anti-personnel mines lie), over the
 * samples that are present. One value per trace: the radar's anomaly
 * feature before gridding; the second output says whether the trace had
 * any sample in the window (a dropped trace has none), so that gridding
 * weights it by nothing rather than by a false zero.
 *
 * The window is given in metres below the surface and turned into two-way
 * time with a propagation velocity, t = surface_ns + 2 d / v, so that it
 * means the same depths whatever the sample interval and trace length.
 * The surface is where ground_align put the ground bounce (its target_ns):
 * the traces reaching this stage have had the bounce removed, so the stage
 * cannot find it again and is told. The start is held at least
 * guard_periods periods of the centre frequency after the surface, where
 * what is left of the ground bounce rings (the default 0.4 periods are
 * 5 cm of loam at 400 MHz, under 1 cm at 3 GHz).
 *
 * The old time window (t_start_ns..t_end_ns after time zero) is still
 * accepted instead, for recipes written before; t_end_ns = 0 means it is
 * not given. */
#include <math.h>
#include <stdio.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct window_energy_params {
    double depth_start_m;
    double depth_end_m;
    double velocity_m_per_ns;
    double surface_ns;
    double guard_periods;
    double t_start_ns;
    double t_end_ns;
} window_energy_params;
MS_STAGE_PARAMS(window_energy_params);

/* The defaults of the depth window, chosen on the benchmark's tune split
 * (soils of eps 4..20, 1.5 and 2 GHz, mines 0..0.15 m deep). A time
 * window is told from them: the built-in recipes must give these values. */
#define DEF_DEPTH_START 0.01
#define DEF_DEPTH_END 0.2
#define DEF_VELOCITY 0.1
#define DEF_SURFACE 0.5 /* ground_align's default target_ns */
#define DEF_GUARD 0.4

static const ms_param_decl params[] = {
    {"depth_start_m", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, depth_start_m), DEF_DEPTH_START, 0.0, 100.0, "m",
     "window start below the ground surface"},
    {"depth_end_m", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, depth_end_m), DEF_DEPTH_END, 0.0, 100.0, "m",
     "window end below the ground surface"},
    {"velocity_m_per_ns", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, velocity_m_per_ns), DEF_VELOCITY, 0.03, 0.3, "m/ns",
     "radar velocity in the soil, c/sqrt(eps): 0.15 dry sand (eps 4), 0.1 loam (9), 0.067 wet clay (20)"},
    {"surface_ns", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, surface_ns), DEF_SURFACE, 0.0, 1000.0, "ns",
     "time of the ground surface after time zero: ground_align's target_ns"},
    {"guard_periods", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, guard_periods), DEF_GUARD, 0.0, 10.0, "periods",
     "the window starts at least this many periods of the centre frequency after the surface (none if the recording gives no frequency)"},
    {"t_start_ns", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, t_start_ns), 0.0, 0.0, 1000.0, "ns",
     "instead of the depth window: window start after time zero (with t_end_ns)"},
    {"t_end_ns", MS_PARAM_FLOAT, MS_PARAM_AT(window_energy_params, t_end_ns), 0.0, 0.0, 1000.0, "ns",
     "instead of the depth window: window end after time zero; 0: the depth window"},
};

/* Whether the window is the old time window. */
static int time_window(const window_energy_params *p)
{
    return p->t_end_ns > 0.0;
}

static int check(const ms_params *values)
{
    const window_energy_params *p = MS_P_OF(values, window_energy_params);
    if (!time_window(p)) {
        if (p->t_start_ns != 0.0)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "t_start_ns (%g) needs t_end_ns (the time window "
                           "after time zero); or give the depth window "
                           "depth_start_m..depth_end_m", p->t_start_ns);
        if (p->depth_end_m <= p->depth_start_m)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "depth_end_m (%g) must exceed depth_start_m (%g)",
                           p->depth_end_m, p->depth_start_m);
        return 0;
    }
    if (p->t_end_ns <= p->t_start_ns)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "t_end_ns (%g) must exceed t_start_ns (%g)",
                       p->t_end_ns, p->t_start_ns);
    /* the effective recipe writes every parameter: the depth window at its
     * defaults reads as "not given" */
    if (p->depth_start_m != DEF_DEPTH_START || p->depth_end_m != DEF_DEPTH_END ||
        p->velocity_m_per_ns != DEF_VELOCITY || p->surface_ns != DEF_SURFACE ||
        p->guard_periods != DEF_GUARD)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "give either the time window t_start_ns..t_end_ns or "
                       "the depth window (depth_start_m, depth_end_m, "
                       "velocity_m_per_ns, surface_ns, guard_periods), not "
                       "both");
    return 0;
}

/* The guard after the surface in ns; 0 without a centre frequency. */
static double guard_ns(const window_energy_params *p, const ms_env *env)
{
    double f = env->centre_frequency_hz;
    return f > 0 ? p->guard_periods / f * 1e9 : 0.0;
}

/* The window in ns after time zero. */
static void window_ns(const window_energy_params *p, const ms_env *env,
                      double *a, double *b)
{
    if (time_window(p)) {
        *a = p->t_start_ns;
        *b = p->t_end_ns;
        return;
    }
    *a = p->surface_ns +
         fmax(2.0 * p->depth_start_m / p->velocity_m_per_ns, guard_ns(p, env));
    *b = p->surface_ns + 2.0 * p->depth_end_m / p->velocity_m_per_ns;
}

static int shape(ms_stage_ctx *ctx)
{
    const window_energy_params *p = MS_P(ctx, window_energy_params);
    if (ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "window_energy: sample interval unknown");
    ctx->out[0] = (ms_shape){MS_ARRAY_SERIES, {ctx->in[0].dims[0], 1, 1}};
    ctx->out[1] = (ms_shape){MS_ARRAY_MASK, {ctx->in[0].dims[0], 1, 1}};
    double t0 = ctx->env->time_zero_s * 1e9;
    double end = (double)ctx->in[0].dims[1] * ctx->env->dt_s * 1e9 - t0;
    double a, b;
    window_ns(p, ctx->env, &a, &b);
    /* what the window is, in the units it was given in */
    char what[112];
    if (time_window(p))
        snprintf(what, sizeof what, "the window %g..%g ns after time zero",
                 a, b);
    else
        snprintf(what, sizeof what,
                 "the depth window %g..%g m (at %g m/ns: %.3g..%.3g ns after "
                 "time zero)", p->depth_start_m, p->depth_end_m,
                 p->velocity_m_per_ns, a, b);
    /* the end of the traces, likewise */
    char last[64];
    if (time_window(p) || end <= p->surface_ns)
        snprintf(last, sizeof last, "%.3g ns after time zero", end);
    else
        snprintf(last, sizeof last, "%.3g ns after time zero, %.3g m deep",
                 end, 0.5 * (end - p->surface_ns) * p->velocity_m_per_ns);
    if (a >= b)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "%s: the guard of %g periods after the surface (%.3g ns) "
                 "leaves none of it: every score is 0", what,
                 p->guard_periods, guard_ns(p, ctx->env));
    else if (a >= end)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "%s lies past the end of the traces (%s): every score is 0",
                 what, last);
    else if (b > end)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "%s is cut at the end of the traces (%s)", what, last);
    return 0;
}

/* The window as sample indices [lo, hi), clamped to the trace. */
static void window(const ms_stage_ctx *ctx, int *lo, int *hi)
{
    const window_energy_params *p = MS_P(ctx, window_energy_params);
    double ns = (double)ctx->in[0].dims[1];
    double t0 = ctx->env->time_zero_s / ctx->env->dt_s;
    double start, end;
    window_ns(p, ctx->env, &start, &end);
    double a = floor(t0 + start * 1e-9 / ctx->env->dt_s);
    double b = ceil(t0 + end * 1e-9 / ctx->env->dt_s);
    *lo = (int)fmin(fmax(a, 0), ns);
    *hi = (int)fmin(fmax(b, 0), ns);
    if (start >= end) /* the guard took the whole window */
        *hi = *lo;
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
    .summary = "mean power of each trace in a depth window below the surface",
    .n_in = 2, .n_out = 2,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr_score", "gpr_score_valid"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 7,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
