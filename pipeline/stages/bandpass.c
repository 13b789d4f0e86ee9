/* bandpass: a zero-phase band-pass of each trace in the frequency domain,
 * and optionally its Hilbert envelope from the same transform.
 *
 * Each trace (missing samples as zeros) is zero-padded to a power of two at
 * least twice its length, so that the filter's ringing does not wrap from
 * the late samples into the early ones, transformed, weighted by a real,
 * even response and transformed back. The pass band has cosine-tapered
 * edges: full gain from `low` to `high`, falling to zero over `taper` of
 * each corner frequency below `low` and above `high` (no low cut when `low`
 * is 0). With envelope=1 the negative frequencies are zeroed and the
 * positive ones doubled (the analytic signal) and the output is its
 * magnitude: the band-limited instantaneous amplitude.
 *
 * Corners are in MHz when high_mhz is given (low_mhz 0: no low cut), or,
 * by default, fractions of the recording's centre frequency (0.25-2.5 fc:
 * the band a 400 MHz to 3 GHz impulse radar puts its energy in), so one
 * recipe line serves every antenna; a recording without a centre
 * frequency (a gprMax import) needs the MHz corners.
 *
 * The C reference transforms in double (radix-2, fft_ref.c). The kernel
 * runs its own radix-2 FFT, one work-group per trace, in single
 * precision: VkFFT 1.2.26's 1-D plans crash PoCL 3.1 (a freed event in
 * its worker thread; migrate_stolt's 2-D plans work), and one kernel with
 * no plan to compile (VkFFT's take 0.1-0.4 s on PoCL, see envelope.c)
 * suits transforms this short. Both apply the same response and
 * twiddles, computed on the host. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/fft_ref.h"
#include "stages/stage.h"

#define M_PI_BP 3.14159265358979323846

typedef struct bandpass_params {
    double low_mhz, high_mhz;
    double low_fc, high_fc;
    double taper;
    int envelope;
} bandpass_params;
MS_STAGE_PARAMS(bandpass_params);

static const ms_param_decl params[] = {
    {"low_mhz", MS_PARAM_FLOAT, MS_PARAM_AT(bandpass_params, low_mhz), 0.0, 0.0, 20000.0, "MHz",
     "low corner where high_mhz is given (0: no low cut)"},
    {"high_mhz", MS_PARAM_FLOAT, MS_PARAM_AT(bandpass_params, high_mhz), 0.0, 0.0, 20000.0, "MHz",
     "high corner; 0: the corners are low_fc and high_fc"},
    {"low_fc", MS_PARAM_FLOAT, MS_PARAM_AT(bandpass_params, low_fc), 0.25, 0.0, 10.0, "",
     "low corner as a fraction of the centre frequency (0: no low cut)"},
    {"high_fc", MS_PARAM_FLOAT, MS_PARAM_AT(bandpass_params, high_fc), 2.5, 0.01, 10.0, "",
     "high corner as a fraction of the centre frequency"},
    {"taper", MS_PARAM_FLOAT, MS_PARAM_AT(bandpass_params, taper), 0.3, 0.0, 0.9, "",
     "width of the cosine edges as a fraction of each corner"},
    {"envelope", MS_PARAM_INT, MS_PARAM_AT(bandpass_params, envelope), 0, 0, 1, "",
     "1: output the Hilbert envelope of the band-passed trace"},
};

static int check(const ms_params *values)
{
    const bandpass_params *p = MS_P_OF(values, bandpass_params);
    if (p->high_mhz > 0 ? p->high_mhz <= p->low_mhz : p->low_mhz > 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "high_mhz (%g) must be given and above low_mhz (%g)",
                       p->high_mhz, p->low_mhz);
    if (p->high_mhz <= 0 && p->high_fc <= p->low_fc)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "high_fc (%g) must be above low_fc (%g)", p->high_fc,
                       p->low_fc);
    return 0;
}

/* The corners in Hz, from the parameters and the recording. */
static int corners(const ms_stage_ctx *ctx, double *lo, double *hi)
{
    const bandpass_params *p = MS_P(ctx, bandpass_params);
    double fc = ctx->env->centre_frequency_hz;
    if (p->high_mhz > 0) {
        *lo = p->low_mhz * 1e6;
        *hi = p->high_mhz * 1e6;
        return 0;
    }
    if (fc <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "bandpass: the recording gives no centre frequency; "
                       "give the corners as low_mhz and high_mhz");
    *lo = p->low_fc * fc;
    *hi = p->high_fc * fc;
    return 0;
}

static size_t padded(const ms_stage_ctx *ctx)
{
    return ms_fft_size(2 * ctx->in[0].dims[1]);
}

static int shape(ms_stage_ctx *ctx)
{
    double lo = 0, hi = 0;
    if (ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "bandpass: sample interval unknown");
    int rc = corners(ctx, &lo, &hi);
    if (rc)
        return rc;
    if (lo >= 0.5 / ctx->env->dt_s)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the low corner (%g MHz) is above the Nyquist frequency "
                 "(%g MHz): the output is zero", lo / 1e6,
                 0.5e-6 / ctx->env->dt_s);
    ctx->out[0] = ctx->in[0];
    ctx->out[0].kind = MS_ARRAY_TRACES;
    return 0;
}

static double edge(double x) /* 0 at x = 0, 1 at x = 1, cosine between */
{
    return x <= 0 ? 0.0 : x >= 1 ? 1.0 : 0.5 - 0.5 * cos(M_PI_BP * x);
}

/* The weight of each of the n bins (n a power of two), including the
 * analytic signal's factor 2 / 0 and the 1 / n of the inverse. */
static void response(const ms_stage_ctx *ctx, size_t n, float *w)
{
    const bandpass_params *p = MS_P(ctx, bandpass_params);
    double lo = 0, hi = 0;
    corners(ctx, &lo, &hi); /* checked by shape() */
    double df = 1.0 / ((double)n * ctx->env->dt_s);
    for (size_t k = 0; k < n; k++) {
        double f = (double)(k <= n / 2 ? k : n - k) * df;
        double g = 1.0;
        if (lo > 0)
            g *= p->taper > 0 ? edge((f - lo * (1 - p->taper)) / (lo * p->taper))
                              : (f >= lo);
        g *= p->taper > 0 ? edge((hi * (1 + p->taper) - f) / (hi * p->taper))
                          : (f <= hi);
        if (p->envelope)
            g *= k == 0 || k == n / 2 ? 1.0 : k < n / 2 ? 2.0 : 0.0;
        w[k] = (float)(g / (double)n);
    }
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    size_t n = padded(ctx);
    return n * (2 * sizeof(double) + 2 * sizeof(float)) +
           n * ctx->in[0].dims[0] * 4 * sizeof(float);
}

/* The largest |s m| of a trace; infinity when a product is not finite. */
static double trace_peak(const float *s, const float *m, size_t ns)
{
    double peak = 0.0;
    for (size_t j = 0; j < ns; j++) {
        double v = fabs((double)s[j] * m[j]);
        if (!(v <= DBL_MAX))
            return INFINITY;
        peak = v > peak ? v : peak;
    }
    return peak;
}

/* Peaks further apart than this do not share a transform: the smaller
 * trace would take the larger one's rounding (1e-16 of its peak). */
#define PAIR_RANGE 1e6

/* Whether traces of peaks a and b (trace_peak) may share a transform. */
static int pairable(double a, double b)
{
    return isfinite(a) && isfinite(b) && a > 0.0 && b > 0.0 &&
           a <= PAIR_RANGE * b && b <= PAIR_RANGE * a;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const bandpass_params *p = MS_P(ctx, bandpass_params);
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1], n = padded(ctx);
    double *z;
    float *w;
    ms_fft_plan plan;
    int rc = ms_stage_scratch_host(ctx, 2 * n * sizeof *z, (void **)&z);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, n * sizeof *w, (void **)&w);
    if (!rc)
        rc = ms_fft_plan_make(&plan, n);
    if (rc)
        return rc;
    response(ctx, n, w);
    /* Without the envelope the response is real and even, so two traces go
     * through one transform: a + i b in, (a filtered) + i (b filtered) out,
     * half the transforms. (The analytic signal's one-sided response mixes
     * them: one trace per transform there.) A pair shares its rounding, so
     * only traces within a factor PAIR_RANGE of each other's peak pair; a
     * trace with a non-finite or no signal goes alone, as it did. */
    size_t i = 0;
    /* each trace's peak once: a trace left unpaired is the next pair's
     * first */
    double peak = p->envelope || !nt ? 0.0 : trace_peak(in[0], in[1], ns);
    double next = 0.0;
    while (i < nt) {
        int pair = 0;
        if (!p->envelope && i + 1 < nt) {
            next = trace_peak(in[0] + (i + 1) * ns, in[1] + (i + 1) * ns, ns);
            pair = pairable(peak, next);
        }
        const float *s0 = in[0] + i * ns, *m0 = in[1] + i * ns;
        const float *s1 = s0 + ns, *m1 = m0 + ns;
        memset(z, 0, 2 * n * sizeof *z);
        for (size_t j = 0; j < ns; j++) {
            z[2 * j] = (double)s0[j] * m0[j];
            if (pair)
                z[2 * j + 1] = (double)s1[j] * m1[j];
        }
        ms_fft_run(&plan, z, 1, -1);
        for (size_t k = 0; k < n; k++) {
            z[2 * k] *= w[k];
            z[2 * k + 1] *= w[k];
        }
        ms_fft_run(&plan, z, 1, 1);
        float *o0 = out[0] + i * ns, *o1 = o0 + ns;
        for (size_t j = 0; j < ns; j++) {
            o0[j] = m0[j] <= 0.0f ? 0.0f
                    : p->envelope ? (float)hypot(z[2 * j], z[2 * j + 1])
                                  : (float)z[2 * j];
            if (pair)
                o1[j] = m1[j] <= 0.0f ? 0.0f : (float)z[2 * j + 1];
        }
        i += pair ? 2 : 1;
        if (!p->envelope && i < nt)
            peak = pair ? trace_peak(in[0] + i * ns, in[1] + i * ns, ns)
                        : next;
    }
    ms_fft_plan_free(&plan);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const bandpass_params *p = MS_P(ctx, bandpass_params);
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1], n = padded(ctx);
    float *w, *tw;
    cl_mem a, b, dtw, dw;
    if (nt == 0 || ns == 0)
        return 0;
    int rc = ms_stage_scratch_host(ctx, n * sizeof *w, (void **)&w);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, n * sizeof *tw, (void **)&tw);
    if (rc)
        return rc;
    response(ctx, n, w);
    for (size_t k = 0; k < n / 2; k++) {
        tw[2 * k] = (float)cos(-2.0 * M_PI_BP * (double)k / (double)n);
        tw[2 * k + 1] = (float)sin(-2.0 * M_PI_BP * (double)k / (double)n);
    }
    if ((rc = ms_stage_scratch_device(ctx, cl, n * nt * 2 * sizeof(float), &a)) ||
        (rc = ms_stage_scratch_device(ctx, cl, n * nt * 2 * sizeof(float), &b)) ||
        (rc = ms_stage_scratch_device(ctx, cl, n * sizeof(float), &dtw)) ||
        (rc = ms_stage_scratch_device(ctx, cl, n * sizeof(float), &dw)) ||
        (rc = ms_cl_upload(cl, dtw, tw, n * sizeof(float))) ||
        (rc = ms_cl_upload(cl, dw, w, n * sizeof(float))))
        return rc;
    int bits = 0;
    while (((size_t)1 << bits) < n)
        bits++;
    size_t allowed;
    if ((rc = ms_cl_reduction_size(cl, "bandpass", "bandpass", 256, &allowed)))
        return rc;
    size_t group = n / 2 < allowed ? n / 2 : allowed;
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_MEM(a),     MS_CL_MEM(b),     MS_CL_MEM(dtw),
                        MS_CL_MEM(dw),    MS_CL_INT(ns),    MS_CL_INT(n),
                        MS_CL_INT(bits),  MS_CL_INT(p->envelope)};
    size_t global[1] = {nt * group}, local[1] = {group};
    return ms_cl_launch(cl, "bandpass", "bandpass", 1, global, local, args,
                        sizeof args / sizeof args[0]);
}

const ms_stage_decl ms_stage_bandpass = {
    .name = "bandpass",
    .summary = "zero-phase band-pass of each trace by FFT (corners in MHz or "
               "fractions of the centre frequency), optionally its Hilbert "
               "envelope",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 6,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = work_bytes,
    .tolerance = 1e-5,
};
