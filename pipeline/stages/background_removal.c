/* background_removal: subtract, at each sample, the mean of the same sample
 * over a window of neighbouring traces. Removes the ground bounce and the
 * antenna ringing (both nearly the same in every trace) and leaves the
 * hyperbolas of buried objects; it also flattens long flat layers, which is
 * why the window is finite. Weighted by the validity mask.
 *
 * The window is a distance along the track (window_m), turned into traces
 * with the recording's trace spacing (the median step between positions),
 * so that it covers the same ground at 3 mm and at 2 cm per trace; the
 * built-in recipes give it. window_m 0 (its default, so that an older
 * recipe means what it meant) counts traces with window_traces; a
 * window_m with window_traces away from its default is refused. Without
 * positions (spacing unknown) the trace count is used.
 *
 * exclude_spreads k > 0 leaves strong echoes out of the mean: the mean of
 * 2.7 m of track holds a tenth of an anti-tank mine's echo, which it then
 * subtracts, inverted, from every trace around it, at the depths where
 * the mines beside it echo. Each pass takes the residuals of the last
 * mean and, per time sample, keeps the traces within k robust spreads of
 * it (the median |residual| over the recording's traces, as a Gaussian's
 * standard deviation: a median, so that the strong echoes do not widen
 * it); two passes, then the mean of what is kept (the plain residual
 * where a window keeps nothing). On clean lanes it finds more mines at
 * the alarm threshold; on the benchmark's noisy, cluttered tune lanes it
 * does not pay, so the built-in recipes keep the plain mean (measured at
 * k = 6: datasets/benchmark/README.md, "Strong echoes left out of the
 * background").
 *
 * The running mean over rows below is shared with emi_detrend (the same
 * operation on [readings][channels]). */
#include <math.h>

#include "minescan/error.h"
#include "core/select.h"
#include "stages/running_mean.h"
#include "stages/stage.h"

typedef struct background_removal_params {
    int window_traces;
    double window_m;
    double exclude_spreads;
} background_removal_params;
MS_STAGE_PARAMS(background_removal_params);

/* window_traces' default; window_m 0 means "count traces" */
#define DEF_TRACES 51

static const ms_param_decl params[] = {
    {"window_traces", MS_PARAM_INT, MS_PARAM_AT(background_removal_params, window_traces), DEF_TRACES, 1, 2001, "traces",
     "number of neighbouring traces in the mean (centred, odd), where "
     "window_m is 0"},
    {"window_m", MS_PARAM_FLOAT, MS_PARAM_AT(background_removal_params, window_m), 0.0, 0.0, 1000.0, "m",
     "length of track in the mean (centred), turned into traces with the "
     "recording's trace spacing; 0: window_traces counts traces"},
    {"exclude_spreads", MS_PARAM_FLOAT, MS_PARAM_AT(background_removal_params, exclude_spreads), 0.0, 0.0, 20.0, "spreads",
     "leave out of the mean the samples that stand more than this many "
     "robust spreads (per time sample, the median absolute residual as a "
     "standard deviation) from it, so that a strong echo is not "
     "subtracted from its neighbours; 0: the plain mean"},
};

/* Whether the trace count is the window. */
static int traces_given(const background_removal_params *p)
{
    return !(p->window_m > 0.0);
}

static int check(const ms_params *values)
{
    const background_removal_params *p =
        MS_P_OF(values, background_removal_params);
    /* the effective recipe writes every parameter: window_traces at its
     * default reads as "not given" */
    if (!traces_given(p) && p->window_traces != DEF_TRACES)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "give either window_m (metres along the track) or "
                       "the old window_traces (%d), not both",
                       p->window_traces);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    return 0;
}

/* Half the window in traces, at most the number of traces (a longer one
 * means the same). */
static long half_window(const ms_stage_ctx *ctx)
{
    const background_removal_params *p = MS_P(ctx, background_removal_params);
    double step = ctx->env->trace_spacing_m;
    /* the window in traces, rounded, then halved as window_traces is;
     * half-way ratios round up whether the spacing came from float64 or
     * float32 positions (the relative nudge is far above float32 rounding
     * and far below any real difference in spacing) */
    double r = p->window_m / step;
    long half = traces_given(p) || !(step > 0.0)
                    ? p->window_traces / 2
                    : (long)fmin(floor(r + 0.5 + 1e-4 * r), 1e9) / 2;
    long nt = (long)ctx->in[0].dims[0];
    return half < nt ? half : nt;
}

/* Passes of the exclusion (four find what two do, on the tune split and
 * the frequency sweep). */
#define EXCLUDE_PASSES 2
/* A Gaussian's standard deviation over its median absolute deviation. */
#define MAD_TO_SD 1.4826

/* Whether strong echoes are left out of the mean. */
static int excluding(const ms_stage_ctx *ctx)
{
    return MS_P(ctx, background_removal_params)->exclude_spreads > 0.0;
}

/* Columns whose samples column_limits gathers in one sweep of the rows. */
#define LIMIT_BLOCK 32

/* Per column (time sample), how far from the mean a kept sample may lie:
 * k robust spreads, the median |residual| over the present traces taken
 * as a Gaussian's (the upper median of an even count; 0 where more than
 * half the residuals are 0, which then keeps only those). The rows are
 * swept in order, LIMIT_BLOCK columns at a time: a walk down one column
 * would miss the cache at every sample. work holds limit_work() floats.
 * Both paths take these limits from the host, so that they keep the same
 * samples. */
static size_t limit_work(size_t rows, size_t cols)
{
    return (cols < LIMIT_BLOCK ? cols : LIMIT_BLOCK) * rows;
}

static void column_limits(const float *r, const float *m, size_t rows,
                          size_t cols, double k, float *lim, float *work)
{
    size_t count[LIMIT_BLOCK];
    for (size_t j0 = 0; j0 < cols; j0 += LIMIT_BLOCK) {
        size_t nb = cols - j0 < LIMIT_BLOCK ? cols - j0 : LIMIT_BLOCK;
        for (size_t b = 0; b < nb; b++)
            count[b] = 0;
        for (size_t i = 0; i < rows; i++) {
            const float *ri = r + i * cols + j0, *mi = m + i * cols + j0;
            for (size_t b = 0; b < nb; b++)
                if (mi[b] > 0.0f && isfinite(ri[b]))
                    work[b * rows + count[b]++] = fabsf(ri[b]);
        }
        for (size_t b = 0; b < nb; b++) {
            float med = count[b] ? ms_kth_smallest(work + b * rows, count[b],
                                                   count[b] / 2)
                                 : 0.0f;
            lim[j0 + b] = (float)(k * MAD_TO_SD) * med;
        }
    }
}

/* The weights of the next mean: a sample's mask weight where it is present
 * and within its column's limit, else 0. The kernel exclusion_weights is
 * the same. */
static void keep_weights(const float *r, const float *m, const float *lim,
                         float *w, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            size_t at = i * cols + j;
            w[at] = m[at] > 0.0f && fabsf(r[at]) <= lim[j] ? m[at] : 0.0f;
        }
}

/* Excluding, the C path holds the plain residual (the fallback where a
 * window keeps nothing), the last pass's residual and the weights (3 n
 * floats), a limit per column and column_limits' work; the OpenCL path
 * holds those three and the limits on the device, and on the host a copy
 * of the residual and of the mask (2 n), the limits and the work. */
static size_t exclusion_floats(size_t nt, size_t ns)
{
    return 3 * nt * ns + ns + limit_work(nt, ns);
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    return ms_rows_mean_scratch(ns, half_window(ctx), 1) +
           (excluding(ctx) ? exclusion_floats(nt, ns) * sizeof(float) : 0);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1], n = nt * ns;
    long half = half_window(ctx);
    void *scratch;
    int rc = ms_stage_scratch_host(
        ctx, ms_rows_mean_scratch(ns, half, out[0] == in[0]),
        &scratch);
    if (rc || !excluding(ctx)) {
        if (!rc)
            ms_rows_mean_cpu(in[0], in[1], out[0], nt, ns, half, scratch);
        return rc;
    }
    float *r0, *r, *w, *lim, *work;
    if ((rc = ms_stage_scratch_host(ctx, exclusion_floats(nt, ns) *
                                             sizeof(float),
                                    (void **)&r0)))
        return rc;
    r = r0 + n;
    w = r + n;
    lim = w + n;
    work = lim + ns;
    double k = MS_P(ctx, background_removal_params)->exclude_spreads;
    ms_rows_mean_cpu(in[0], in[1], r0, nt, ns, half, scratch);
    const float *res = r0;
    for (int pass = 0; pass < EXCLUDE_PASSES; pass++) {
        column_limits(res, in[1], nt, ns, k, lim, work);
        keep_weights(res, in[1], lim, w, nt, ns);
        /* out may be in[0], read by every pass: the last pass writes it */
        float *dst = pass + 1 < EXCLUDE_PASSES ? r : out[0];
        ms_rows_mean_masked_cpu(in[0], w, in[1], r0, dst, nt, ns, half,
                                scratch);
        res = r;
    }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1], n = nt * ns;
    long half = half_window(ctx);
    if (!excluding(ctx))
        return ms_rows_mean_opencl(cl, in, out[0], nt, ns, half);
    /* the runner gives the OpenCL path separate buffers (no in place); the
     * limits are medians, taken on the host as the C path takes them */
    cl_mem r0, r, w, dlim;
    float *hr, *hm, *lim, *work;
    int rc;
    if ((rc = ms_stage_scratch_device(ctx, cl, n * sizeof(float), &r0)) ||
        (rc = ms_stage_scratch_device(ctx, cl, n * sizeof(float), &r)) ||
        (rc = ms_stage_scratch_device(ctx, cl, n * sizeof(float), &w)) ||
        (rc = ms_stage_scratch_device(ctx, cl, ns * sizeof(float), &dlim)) ||
        (rc = ms_stage_scratch_host(
             ctx, (2 * n + ns + limit_work(nt, ns)) * sizeof(float),
             (void **)&hr)))
        return rc;
    hm = hr + n;
    lim = hm + n;
    work = lim + ns;
    double k = MS_P(ctx, background_removal_params)->exclude_spreads;
    if ((rc = ms_rows_mean_opencl(cl, in, r0, nt, ns, half)) ||
        (rc = ms_cl_download(cl, in[1], hm, n * sizeof(float))))
        return rc;
    cl_mem res = r0;
    for (int pass = 0; pass < EXCLUDE_PASSES; pass++) {
        ms_cl_arg args[] = {MS_CL_MEM(res), MS_CL_MEM(in[1]), MS_CL_MEM(dlim),
                            MS_CL_MEM(w),   MS_CL_INT(nt),    MS_CL_INT(ns)};
        if ((rc = ms_cl_download(cl, res, hr, n * sizeof(float))))
            return rc;
        column_limits(hr, hm, nt, ns, k, lim, work);
        cl_mem dst = pass + 1 < EXCLUDE_PASSES ? r : out[0];
        if ((rc = ms_cl_upload(cl, dlim, lim, ns * sizeof(float))) ||
            (rc = ms_cl_launch_runs(cl, "background_removal",
                                    "exclusion_weights", n, args, 6)) ||
            (rc = ms_rows_mean_masked_opencl(cl, in[0], w, in[1], r0, dst, nt,
                                             ns, half)))
            return rc;
        res = r;
    }
    return 0;
}

const ms_stage_decl ms_stage_background_removal = {
    .name = "background_removal",
    .summary = "subtract the mean trace of neighbouring traces",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 3,
    .check = check,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .in_place = 1,
    .tolerance = 1e-5,
};
