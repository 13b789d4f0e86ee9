/* gain: amplitude gain along each trace, to bring late (deep) echoes back
 * up to the level of early ones before they are compared.
 * - tpow: t^p, the geometric spreading loss (p about 1 for a point
 *   target's spherical spreading, up to 2 for the two ways together).
 * - exp_db_per_ns: exp(a t), the soil's attenuation, as dB per ns of
 *   two-way time (a loam at 1 GHz loses a few dB per ns).
 * t is in ns after t_ref_ns (itself after time zero, e.g. the surface), so
 * that the air gap and the ground bounce are left alone: samples up to
 * t_ref get gain 1, and t^p is never below 1 (t^p < 1 in the first ns).
 * These two make one curve, the same for every trace, computed once.
 * - agc_window_ns: automatic gain control, each sample divided by the RMS
 *   of its trace over a centred window of that length (a running sum of
 *   squares: O(samples) per trace whatever the window), and multiplied by
 *   the RMS of the whole trace, so that the gain is a ratio (it keeps the
 *   trace's overall level and max_gain_db can cap it). The window's RMS is
 *   never taken below agc_floor times the trace's, so a silent stretch is
 *   not raised to the level of the echoes (AGC gain at most 1 / agc_floor).
 *   It runs on the samples after the curve above.
 * - max_gain_db caps the whole gain, curve times AGC.
 * Missing samples (valid 0) stay 0 and do not enter the RMS. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct gain_params {
    double tpow;
    double t_ref_ns;
    double exp_db_per_ns;
    double agc_window_ns;
    double agc_floor;
    double max_gain_db;
} gain_params;
MS_STAGE_PARAMS(gain_params);

static const ms_param_decl params[] = {
    {"tpow", MS_PARAM_FLOAT, MS_PARAM_AT(gain_params, tpow), 0.0, 0.0, 4.0, "",
     "exponent p of the t^p gain (spreading loss; 1 to 2); 0: none"},
    {"t_ref_ns", MS_PARAM_FLOAT, MS_PARAM_AT(gain_params, t_ref_ns), 0.0, 0.0, 200.0, "ns",
     "time after time zero where the t^p and exponential gains start (the surface); gain 1 before it"},
    {"exp_db_per_ns", MS_PARAM_FLOAT, MS_PARAM_AT(gain_params, exp_db_per_ns), 0.0, 0.0, 20.0, "dB/ns",
     "exponential gain per ns of two-way time after t_ref_ns (the soil's attenuation); 0: none"},
    {"agc_window_ns", MS_PARAM_FLOAT, MS_PARAM_AT(gain_params, agc_window_ns), 0.0, 0.0, 1000.0, "ns",
     "length of the centred window of the AGC's running RMS; 0: no AGC"},
    {"agc_floor", MS_PARAM_FLOAT, MS_PARAM_AT(gain_params, agc_floor), 0.01, 0.001, 1.0, "",
     "the AGC's window RMS is never taken below this fraction of the trace's RMS (AGC gain at most its inverse)"},
    {"max_gain_db", MS_PARAM_FLOAT, MS_PARAM_AT(gain_params, max_gain_db), 60.0, 0.0, 120.0, "dB",
     "cap on the whole gain (curve times AGC), so noise at the end of a long trace is not raised without bound"},
};

/* What the curve and the AGC are computed from, as both paths see them
 * (floats, as the kernel receives them). */
typedef struct gain_plan {
    float dt_ns, start_ns; /* sample interval; t_ref after sample 0 */
    float tpow, exp_per_ns; /* exp_per_ns in nepers: dB ln(10) / 20 */
    float cap, floor;
    int half; /* the AGC window's half-width in samples; 0: no AGC */
} gain_plan;

static gain_plan plan(const ms_stage_ctx *ctx)
{
    const gain_params *p = MS_P(ctx, gain_params);
    gain_plan g;
    g.dt_ns = (float)(ctx->env->dt_s * 1e9);
    g.start_ns = (float)(ctx->env->time_zero_s * 1e9 + p->t_ref_ns);
    g.tpow = (float)p->tpow;
    g.exp_per_ns = (float)(p->exp_db_per_ns * log(10.0) / 20.0);
    g.cap = (float)pow(10.0, p->max_gain_db / 20.0);
    g.floor = (float)p->agc_floor;
    g.half = 0;
    if (p->agc_window_ns > 0) {
        /* at least one sample each side (a window of one sample would
         * make every sample +-1); at most the trace, past which the
         * clamped window is the whole trace anyway */
        long half = lround(p->agc_window_ns / g.dt_ns / 2.0);
        long ns = (long)ctx->in[0].dims[1];
        g.half = half < 1 ? 1 : half > ns ? (int)(ns > 1 ? ns : 1) : (int)half;
    }
    return g;
}

/* The curve at sample j, as kernels/gain.cl computes it (in double, from
 * the same floats). */
static float curve_at(const gain_plan *g, long j)
{
    double t = (double)j * g->dt_ns - g->start_ns;
    double v = 1.0;
    if (g->tpow > 0 && t > 1.0)
        v *= pow(t, (double)g->tpow);
    if (t > 0)
        v *= exp((double)g->exp_per_ns * t);
    return (float)fmin(v, (double)g->cap);
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "gain: sample interval unknown");
    ctx->out[0] = ctx->in[0];
    const gain_params *p = MS_P(ctx, gain_params);
    double end = (double)ctx->in[0].dims[1] * ctx->env->dt_s * 1e9 -
                 ctx->env->time_zero_s * 1e9;
    int curve = p->tpow > 0 || p->exp_db_per_ns > 0;
    if (!curve && !(p->agc_window_ns > 0))
        snprintf(ctx->warning, sizeof ctx->warning,
                 "tpow, exp_db_per_ns and agc_window_ns are all 0: the "
                 "traces pass unchanged");
    else if (curve && !(p->agc_window_ns > 0) && p->t_ref_ns >= end)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "t_ref_ns (%g ns) is past the end of the traces (%.3g ns "
                 "after time zero): the traces pass unchanged",
                 p->t_ref_ns, end);
    return 0;
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    return 2 * ctx->in[0].dims[1] * sizeof(float);
}

/* One trace: y = x curve, its RMS over the present samples, then a walk
 * with running sums (in double: squares of floats are exact in it, 0/1
 * masks sum exactly) of y^2 and of the mask over the clamped window.
 * `y` is scratch of ns floats; x and out may be the same. */
static void gain_trace(const gain_plan *g, const float *curve, const float *x,
                       const float *m, float *y, float *out, long ns)
{
    double total = 0.0, count = 0.0;
    for (long j = 0; j < ns; j++) {
        y[j] = m[j] > 0.0f ? x[j] * curve[j] : 0.0f;
        total += (double)y[j] * y[j];
        count += m[j] > 0.0f ? 1.0 : 0.0;
    }
    if (g->half == 0 || !(total > 0.0)) {
        /* no AGC, or nothing to scale: the curve alone */
        for (long j = 0; j < ns; j++)
            out[j] = y[j];
        return;
    }
    double rms = sqrt(total / count), low = (double)g->floor * rms;
    long half = g->half;
    double sum = 0.0, n = 0.0;
    for (long k = 0; k <= half && k < ns; k++) {
        sum += (double)y[k] * y[k];
        n += m[k] > 0.0f ? 1.0 : 0.0;
    }
    for (long j = 0; j < ns; j++) {
        double win = n > 0.0 ? sqrt(fmax(sum, 0.0) / n) : 0.0;
        double agc = rms / fmax(win, low);
        float gain = (float)fmin((double)curve[j] * agc, (double)g->cap);
        out[j] = m[j] > 0.0f ? x[j] * gain : 0.0f;
        long in = j + half + 1 < ns ? j + half + 1 : ns - 1;
        long gone = j >= half ? j - half : 0;
        double e = j + half + 1 < ns ? 1.0 : 0.0, l = j >= half ? 1.0 : 0.0;
        sum += e * ((double)y[in] * y[in]) - l * ((double)y[gone] * y[gone]);
        n += e * (m[in] > 0.0f ? 1.0 : 0.0) - l * (m[gone] > 0.0f ? 1.0 : 0.0);
    }
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    gain_plan g = plan(ctx);
    float *curve;
    int rc = ms_stage_scratch_host(ctx, 2 * ns * sizeof *curve, (void **)&curve);
    if (rc)
        return rc;
    float *y = curve + ns;
    for (size_t j = 0; j < ns; j++)
        curve[j] = curve_at(&g, (long)j);
    /* in place: gain_trace reads x only before it writes out, and keeps
     * what the AGC reads ahead in y */
    for (size_t i = 0; i < nt; i++)
        gain_trace(&g, curve, in[0] + i * ns, in[1] + i * ns, y,
                   out[0] + i * ns, (long)ns);
    return 0;
}

/* kernels/gain.cl: gain_curve fills the curve once (a device scratch
 * array of ns floats), then gain_apply gives each work-item a run of
 * traces and walks them as the reference does. */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    gain_plan g = plan(ctx);
    cl_mem curve;
    int rc = ms_stage_scratch_device(ctx, cl, ns * sizeof(cl_float), &curve);
    if (rc)
        return rc;
    ms_cl_arg cargs[] = {MS_CL_MEM(curve),          MS_CL_INT(ns),
                         MS_CL_FLOAT(g.dt_ns),      MS_CL_FLOAT(g.start_ns),
                         MS_CL_FLOAT(g.tpow),       MS_CL_FLOAT(g.exp_per_ns),
                         MS_CL_FLOAT(g.cap)};
    rc = ms_cl_launch_runs(cl, "gain", "gain_curve", ns, cargs, 7);
    if (rc)
        return rc;
    ms_cl_arg args[] = {MS_CL_MEM(in[0]),    MS_CL_MEM(in[1]),
                        MS_CL_MEM(out[0]),   MS_CL_MEM(curve),
                        MS_CL_INT(nt),       MS_CL_INT(ns),
                        MS_CL_INT(g.half),   MS_CL_FLOAT(g.floor),
                        MS_CL_FLOAT(g.cap)};
    return ms_cl_launch_runs(cl, "gain", "gain_apply", nt, args, 9);
}

const ms_stage_decl ms_stage_gain = {
    .name = "gain",
    .summary = "gain along each trace: t^p and exponential (dB/ns) after a "
               "reference time, and AGC over a window, capped in dB",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 6,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = work_bytes,
    .in_place = 1,
    .tolerance = 1e-5,
};
