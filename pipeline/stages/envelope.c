/* envelope: instantaneous amplitude |s + jH{s}| of each trace, with the
 * Hilbert transform H as a Hamming-windowed FIR filter (h[k] = 2/(pi k) for
 * odd k, 0 for even k); `half_taps` sets its length.
 *
 * Why an FIR and not the FFT analytic signal: measured on PoCL (2 cores),
 * 25600 x 160 and 6400 x 512 traces, on a loaded machine, best or median
 * of 3-9 runs:
 * - OpenCL: this kernel takes 12-48 ms (160 samples) and 13-58 ms (512)
 *   with the data on the device. A VkFFT version (plan made in init(),
 *   forward and inverse C2C transforms plus three small kernels) took
 *   80-180 and 130-220 ms for the transforms alone, plus 110-370 ms in
 *   every invocation to make the plan, which VkFFT compiles at run time.
 * - C: 14-30 ms here, against 1.6-2.6 s (160) and 0.3-0.45 s (512) for a
 *   plain radix-2/Bluestein FFT in double; parity needs the C path to
 *   compute the same transform as the kernel, so an FFT kernel means an
 *   FFT here too.
 * An FIR of 15 taps a side costs 8 multiply-adds per sample (the filter is
 * odd and half its taps are zero), fewer than an FFT of 160 or 512 points
 * plus its inverse, needs no plan and streams trace by trace. Nor does it
 * wrap around: an FFT Hilbert transform treats each trace as periodic and
 * mixes its late samples into its early ones.
 *
 * The taps are made once per invocation in init() and kept in the stage's
 * private state (with a device copy on the OpenCL path). Both paths sum the
 * same pairs in the same order:
 * H{s}[j] = sum over odd k > 0 of h[k] * (s[j - k] - s[j + k]), with zeros
 * beyond the ends of the trace. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct envelope_params {
    int half_taps;
} envelope_params;
MS_STAGE_PARAMS(envelope_params);

#define MAX_HALF_TAPS 127
#define MAX_ODD_TAPS ((MAX_HALF_TAPS + 1) / 2)

/* Samples per work-item in the kernel (ENVELOPE_VEC in
 * kernels/envelope.cl), and per step of the C loops. */
#define VEC 8

static const ms_param_decl params[] = {
    {"half_taps", MS_PARAM_INT, MS_PARAM_AT(envelope_params, half_taps), 15, 1,
     MAX_HALF_TAPS, "samples", "one-sided length of the Hilbert FIR filter"},
};

/* Per invocation: the filter's taps at k = 1, 3, 5, ... (the others are 0
 * or follow by symmetry), and on the OpenCL path their device copy. */
typedef struct envelope_priv {
    int n_odd;
    float odd[MAX_ODD_TAPS];
    cl_mem dev_odd;
} envelope_priv;

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    return 0;
}

/* Tap k > 0 of the filter (odd k only). */
static float hilbert_tap(int k, int half)
{
    float window = 0.54f + 0.46f * cosf(3.14159265358979f * (float)k /
                                        (float)(half + 1));
    return 2.0f / (3.14159265358979f * (float)k) * window;
}

static int init(ms_stage_ctx *ctx, ms_cl *cl)
{
    const envelope_params *p = MS_P(ctx, envelope_params);
    envelope_priv *pv = ctx->priv;
    int half = p->half_taps;
    if (half < 1 || half > MAX_HALF_TAPS)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "envelope: half_taps %d outside [1, %d]", half,
                       MAX_HALF_TAPS);
    pv->n_odd = (half + 1) / 2;
    for (int q = 0; q < pv->n_odd; q++)
        pv->odd[q] = hilbert_tap(2 * q + 1, half);
    if (!cl)
        return 0;
    size_t bytes = (size_t)pv->n_odd * sizeof(float);
    int rc = ms_cl_alloc(cl, bytes, &pv->dev_odd);
    return rc ? rc : ms_cl_upload(cl, pv->dev_odd, pv->odd, bytes);
}

static void uninit(ms_stage_ctx *ctx)
{
    envelope_priv *pv = ctx->priv;
    ms_cl_release(pv->dev_odd);
    pv->dev_odd = NULL;
}

/* Trace length rounded up to VEC. */
static size_t padded_length(size_t ns)
{
    return (ns + VEC - 1) / VEC * VEC;
}

/* The C path's scratch: one trace with zeros either side, and its
 * transform. */
static size_t work_bytes(const ms_stage_ctx *ctx)
{
    const envelope_params *p = MS_P(ctx, envelope_params);
    size_t n8 = padded_length(ctx->in[0].dims[1]);
    return (2 * n8 + 2 * (size_t)p->half_taps) * sizeof(float);
}

/* One trace: its Hilbert transform `h` from `pad` (the trace with `half`
 * zeros before it and zeros after it up to n8 + 2 half), for `n8` samples.
 * The samples are the inner loop, in fixed steps of VEC that the compiler
 * turns into vector instructions at -O2 (as the kernel's float8); each
 * h[j] still adds its pairs in the kernel's order. */
static void hilbert_trace(const envelope_priv *pv, int half,
                          const float *restrict pad, float *restrict h,
                          size_t n8)
{
    for (size_t j = 0; j < n8; j++)
        h[j] = 0.0f;
    for (int q = 0; q < pv->n_odd; q++) {
        float c = pv->odd[q];
        const float *before = pad + half - 2 * q - 1;
        const float *after = pad + half + 2 * q + 1;
        for (size_t j = 0; j < n8; j += VEC)
            for (size_t v = 0; v < VEC; v++)
                h[j + v] += c * (before[j + v] - after[j + v]);
    }
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const envelope_params *p = MS_P(ctx, envelope_params);
    const envelope_priv *pv = ctx->priv;
    const float *s = in[0], *m = in[1];
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    size_t n8 = padded_length(ns), half = (size_t)p->half_taps;
    float *pad, *h;
    int rc = ms_stage_scratch_host(ctx, (n8 + 2 * half) * sizeof(float),
                                   (void **)&pad);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, n8 * sizeof(float), (void **)&h);
    if (rc)
        return rc;
    memset(pad, 0, (n8 + 2 * half) * sizeof(float));
    for (size_t i = 0; i < nt; i++) {
        const float *si = s + i * ns, *mi = m + i * ns;
        float *oi = out[0] + i * ns;
        memcpy(pad + half, si, ns * sizeof(float));
        hilbert_trace(pv, (int)half, pad, h, n8);
        for (size_t j = 0; j < ns; j++)
            oi[j] = mi[j] > 0.0f ? sqrtf(si[j] * si[j] + h[j] * h[j]) : 0.0f;
    }
    return 0;
}

/* Work-group shape: `bx` work-items of VEC samples along the trace, `by`
 * traces. A block covers a whole short trace (160 samples: 20 items, so
 * the halo of half_taps either side is loaded once per trace) or 256
 * samples of a longer one; traces fill the group up to 256 items, within
 * what the device allows for the kernel and its __local memory. */
static int block_shape(ms_cl *cl, size_t ns, size_t half, size_t *bx,
                       size_t *by)
{
    size_t allowed;
    int rc = ms_cl_reduction_size(cl, "envelope", "envelope", 256, &allowed);
    if (rc)
        return rc;
    size_t items = (ns + VEC - 1) / VEC;
    *bx = items < 32 ? items : 32;
    if (*bx > allowed)
        *bx = allowed;
    *by = allowed / *bx;
    const ms_cl_limits *lim = ms_cl_device_limits(cl);
    while (*by > 1 && (MAX_ODD_TAPS + *by * (*bx * VEC + 2 * half)) *
                                 sizeof(float) > lim->local_mem)
        *by /= 2;
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const envelope_params *p = MS_P(ctx, envelope_params);
    const envelope_priv *pv = ctx->priv;
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    size_t half = (size_t)p->half_taps, bx, by;
    int rc = block_shape(cl, ns, half, &bx, &by);
    if (rc)
        return rc;
    ms_cl_arg args[] = {
        MS_CL_MEM(in[0]),       MS_CL_MEM(in[1]),
        MS_CL_MEM(out[0]),      MS_CL_MEM(pv->dev_odd),
        MS_CL_INT(nt),          MS_CL_INT(ns),
        MS_CL_INT(half),        MS_CL_INT(pv->n_odd),
        MS_CL_LOCAL(MAX_ODD_TAPS * sizeof(float)),
        MS_CL_LOCAL(by * (bx * VEC + 2 * half) * sizeof(float))};
    size_t global[2] = {(ns + VEC - 1) / VEC, nt}, local[2] = {bx, by};
    return ms_cl_launch(cl, "envelope", "envelope", 2, global, local, args,
                        sizeof args / sizeof args[0]);
}

const ms_stage_decl ms_stage_envelope = {
    .name = "envelope",
    .summary = "Hilbert envelope (instantaneous amplitude) of each trace",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 1,
    .priv_size = sizeof(envelope_priv),
    .init = init, .uninit = uninit, .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
