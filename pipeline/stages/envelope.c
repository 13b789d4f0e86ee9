/* envelope: instantaneous amplitude |s + jH{s}| of each trace, with the
 * Hilbert transform H as a Hamming-windowed FIR filter (h[k] = 2/(pi k) for
 * odd k, 0 for even k). An FIR needs no FFT, streams trace by trace and
 * gives the same numbers on every device; `half_taps` sets its length. */
#include <math.h>
#include <stdlib.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct envelope_params {
    int half_taps;
} envelope_params;
MS_STAGE_PARAMS(envelope_params);

static const ms_param_decl params[] = {
    {"half_taps", MS_PARAM_INT, MS_PARAM_AT(envelope_params, half_taps), 15, 1, 127, "samples",
     "one-sided length of the Hilbert FIR filter"},
};

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    return 0;
}

/* Tap k of the filter (-half..half); the host computes the table once and
 * hands it to the kernel, so both paths use the same coefficients. */
static float hilbert_tap(int k, int half)
{
    if (k % 2 == 0)
        return 0.0f;
    float window = 0.54f + 0.46f * cosf(3.14159265358979f * (float)k /
                                        (float)(half + 1));
    return 2.0f / (3.14159265358979f * (float)k) * window;
}

static float *tap_table(int half)
{
    float *taps = malloc((size_t)(2 * half + 1) * sizeof *taps);
    if (taps)
        for (int k = -half; k <= half; k++)
            taps[k + half] = hilbert_tap(k, half);
    return taps;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const envelope_params *p = MS_P(ctx, envelope_params);
    const float *s = in[0], *m = in[1];
    size_t nt = ctx->in[0].dims[0];
    long ns = (long)ctx->in[0].dims[1];
    int half = (int)p->half_taps;
    float *taps = tap_table(half);
    if (!taps)
        return ms_fail(MS_ERR_NOMEM, "envelope: out of memory");
    for (size_t i = 0; i < nt; i++) {
        const float *si = s + i * (size_t)ns;
        for (long j = 0; j < ns; j++) {
            float h = 0.0f;
            for (int k = -half; k <= half; k++) {
                long at = j - k;
                if (at >= 0 && at < ns)
                    h += taps[k + half] * si[at];
            }
            size_t o = i * (size_t)ns + (size_t)j;
            out[0][o] = m[o] > 0.0f ? sqrtf(si[j] * si[j] + h * h) : 0.0f;
        }
    }
    free(taps);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const envelope_params *p = MS_P(ctx, envelope_params);
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    int half = (int)p->half_taps;
    size_t bytes = (size_t)(2 * half + 1) * sizeof(float);
    float *taps = tap_table(half);
    if (!taps)
        return ms_fail(MS_ERR_NOMEM, "envelope: out of memory");
    cl_mem dtaps;
    int rc = ms_cl_alloc(cl, bytes, &dtaps);
    if (!rc) {
        rc = ms_cl_upload(cl, dtaps, taps, bytes);
        ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]),
                            MS_CL_MEM(out[0]), MS_CL_MEM(dtaps),
                            MS_CL_INT(nt),    MS_CL_INT(ns),
                            MS_CL_INT(half)};
        size_t global[2] = {ns, nt};
        if (!rc)
            rc = ms_cl_launch(cl, "envelope", "envelope", 2, global, NULL, args, 7);
        if (!rc)
            rc = ms_cl_finish(cl); /* before the tap buffer goes */
        ms_cl_release(dtaps);
    }
    free(taps);
    return rc;
}

const ms_stage_decl ms_stage_envelope = {
    .name = "envelope",
    .summary = "Hilbert envelope (instantaneous amplitude) of each trace",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 1,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
