/* dewow: remove the low-frequency "wow" (induction and DC drift) from each
 * trace by subtracting a running mean, weighted by the validity mask so
 * that a gap counts as nothing rather than as zero. The running mean spans
 * `periods` periods of the antenna's centre frequency when the recording
 * gives it, so that a 400 MHz radar gets a window as long, in wavelets, as
 * a 3 GHz one; `window_ns` when it does not (a gprMax import) or when
 * periods = 0. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct dewow_params {
    double periods;
    double window_ns;
} dewow_params;
MS_STAGE_PARAMS(dewow_params);

static const ms_param_decl params[] = {
    {"periods", MS_PARAM_FLOAT, MS_PARAM_AT(dewow_params, periods), 3.0, 0.0, 1000.0, "periods",
     "length of the running mean in periods of the centre frequency (about one to three); 0: window_ns always"},
    {"window_ns", MS_PARAM_FLOAT, MS_PARAM_AT(dewow_params, window_ns), 2.0, 0.01, 1000.0, "ns",
     "length of the running mean where the recording gives no centre frequency, or periods=0"},
};

/* The running mean's length in ns. */
static double window_length_ns(const ms_stage_ctx *ctx)
{
    const dewow_params *p = MS_P(ctx, dewow_params);
    double f = ctx->env->centre_frequency_hz;
    return p->periods > 0 && f > 0 ? p->periods / f * 1e9 : p->window_ns;
}

/* Half-width of the running mean in samples: at least 1, since a window
 * of one sample would subtract each sample from itself; at most the trace
 * length, past which the clamped window is the whole trace anyway. */
static int half_window(const ms_stage_ctx *ctx)
{
    double w = window_length_ns(ctx) * 1e-9 / ctx->env->dt_s;
    long half = lround(w / 2.0), ns = (long)ctx->in[0].dims[1];
    return half < 1 ? 1 : half > ns ? (int)(ns > 1 ? ns : 1) : (int)half;
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "dewow: sample interval unknown");
    ctx->out[0] = ctx->in[0];
    const dewow_params *p = MS_P(ctx, dewow_params);
    double w = window_length_ns(ctx);
    double span = (double)ctx->in[0].dims[1] * ctx->env->dt_s * 1e9;
    if (p->periods > 0 && !(ctx->env->centre_frequency_hz > 0))
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the recording gives no centre frequency: the running mean "
                 "is window_ns = %g ns, not %g periods", w, p->periods);
    else if (lround(w * 1e-9 / ctx->env->dt_s / 2.0) < 1)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the running mean (%.3g ns) is shorter than 2 samples of "
                 "%.3g ns: 3 samples are used", w, ctx->env->dt_s * 1e9);
    else if (w >= span)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the running mean (%.3g ns) is as long as the traces "
                 "(%.3g ns): only their mean is removed", w, span);
    return 0;
}

/* One trace walked with running sums of its window, a sample in and a
 * sample out per step: O(n) whatever the window. In double, so that the
 * walk ends as exact as it started (products of two floats are exact in
 * it, 0/1 masks sum exactly). The samples entering and leaving are clamped
 * and weighted 0 past the ends, so that the loop has no branch. */
static void dewow_trace(const float *s, const float *m, float *out, long ns,
                        long half)
{
    double sum = 0.0, weight = 0.0;
    for (long k = 0; k <= half && k < ns; k++) {
        sum += (double)m[k] * s[k];
        weight += m[k];
    }
    for (long j = 0; j < ns; j++) {
        float mean = (float)(sum / weight);
        float d = s[j] - mean; /* whatever the mask: no branch */
        out[j] = m[j] > 0.0f && weight > 0.0 ? d : 0.0f;
        long in = j + half + 1 < ns ? j + half + 1 : ns - 1;
        long gone = j >= half ? j - half : 0;
        double e = j + half + 1 < ns ? 1.0 : 0.0, l = j >= half ? 1.0 : 0.0;
        sum += e * ((double)m[in] * s[in]) - l * ((double)m[gone] * s[gone]);
        weight += e * m[in] - l * m[gone];
    }
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    long half = half_window(ctx);
    /* In place, a trace is read behind where it is written: keep a copy. */
    float *copy = NULL;
    if (out[0] == in[0]) {
        int rc = ms_stage_scratch_host(ctx, ns * sizeof *copy, (void **)&copy);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < nt; i++) {
        const float *s = in[0] + i * ns;
        if (copy)
            s = memcpy(copy, s, ns * sizeof *copy);
        dewow_trace(s, in[1] + i * ns, out[0] + i * ns, (long)ns, half);
    }
    return 0;
}

/* kernels/dewow.cl. On a CPU, dewow_prefix: each work-item takes a run of
 * traces (8 runs per compute unit) with its prefix sums in local memory
 * and a loop that vectorises. On a GPU, or where local memory is short,
 * dewow_walk: one work-item per trace, as the reference. */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const ms_cl_limits *lim = ms_cl_device_limits(cl);
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    int half = half_window(ctx);
    size_t prefix = 2 * (ns + 2 * (size_t)half + 2) * sizeof(double);
    if (lim->is_gpu || prefix > lim->local_mem) {
        ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]),
                            MS_CL_MEM(out[0]), MS_CL_INT(nt), MS_CL_INT(ns),
                            MS_CL_INT(half)};
        size_t global[1] = {nt};
        return ms_cl_launch(cl, "dewow", "dewow_walk", 1, global, NULL, args, 6);
    }
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_INT(nt),    MS_CL_INT(ns),    MS_CL_INT(half),
                        MS_CL_LOCAL(prefix)};
    size_t global[1] = {8 * lim->compute_units}, one[1] = {1};
    return ms_cl_launch(cl, "dewow", "dewow_prefix", 1, global, one, args, 7);
}

const ms_stage_decl ms_stage_dewow = {
    .name = "dewow",
    .summary = "subtract a running mean along each trace (removes wow)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 2,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .in_place = 1,
    .tolerance = 1e-5,
};
