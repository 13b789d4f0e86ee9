/* ground_align: time-zero correction on the ground bounce. A hand-held head
 * rises and dips, so the surface echo wanders by a nanosecond or more and
 * background removal cannot cancel it. Each trace is shifted by whole
 * samples so that its strongest echo within the search window (the ground
 * bounce) lands at `target_ns` after time zero; samples shifted in from
 * outside the trace are missing (mask 0). Outputs: traces and their mask.
 *
 * The bounce must be there to be aligned. The default recipe removes the
 * background (2.7 m of track) first, so over flat ground (a gprMax model, a
 * cart on smooth ground) the bounce is gone and the strongest sample of
 * the window is a target's own echo or noise: aligning on it would put the
 * target's apex on the surface, where the next background removal erases
 * it. So the stage first asks whether the recording has a bounce left:
 * the median over traces of the rms in the search window must be at least
 * `min_bounce_ratio` times the median rms after it (medians: a few
 * targets do not decide). If not, every trace keeps its place (shift 0).
 * A recording with no samples after the window is aligned as before.
 * Whether it aligned goes into summary.json's estimates ("aligned": 1 or
 * 0), so that a B-scan left in place says so. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct ground_align_params {
    double search_start_ns;
    double search_end_ns;
    double target_ns;
    double min_bounce_ratio;
} ground_align_params;
MS_STAGE_PARAMS(ground_align_params);

static const ms_param_decl params[] = {
    {"search_start_ns", MS_PARAM_FLOAT, MS_PARAM_AT(ground_align_params, search_start_ns), 0.0, 0.0, 1000.0, "ns",
     "start of the ground-bounce search, after time zero"},
    {"search_end_ns", MS_PARAM_FLOAT, MS_PARAM_AT(ground_align_params, search_end_ns), 2.5, 0.0, 1000.0, "ns",
     "end of the ground-bounce search, after time zero"},
    {"target_ns", MS_PARAM_FLOAT, MS_PARAM_AT(ground_align_params, target_ns), 0.5, 0.0, 1000.0, "ns",
     "where the ground bounce is put, after time zero"},
    {"min_bounce_ratio", MS_PARAM_FLOAT, MS_PARAM_AT(ground_align_params, min_bounce_ratio), 2.0, 0.0, 1000.0, "",
     "align only when the median rms in the search window is at least this "
     "times the median rms after it (else shift 0: flat ground); 0 always "
     "aligns"},
};

/* Sample indices of the search window [lo, hi) and the target. */
static void indices(const ms_stage_ctx *ctx, int *lo, int *hi, int *target)
{
    const ground_align_params *p = MS_P(ctx, ground_align_params);
    double ns = (double)ctx->in[0].dims[1];
    double t0 = ctx->env->time_zero_s / ctx->env->dt_s;
    double per_ns = 1e-9 / ctx->env->dt_s;
    *lo = (int)fmin(fmax(floor(t0 + p->search_start_ns * per_ns), 0), ns);
    *hi = (int)fmin(fmax(ceil(t0 + p->search_end_ns * per_ns), 0), ns);
    *target = (int)fmin(fmax(lround(t0 + p->target_ns * per_ns), 0), ns - 1);
}

/* Per trace: the rms of the present samples in [lo, hi) and in [hi, ns),
 * summed in float in sample order (the kernel does the same); -1 where
 * none is present. */
static void trace_rms(const float *s, const float *m, int ns, int lo, int hi,
                      float *in_rms, float *after_rms)
{
    float a = 0.0f, na = 0.0f, b = 0.0f, nb = 0.0f;
    for (int j = lo; j < hi; j++) {
        float w = m[j] > 0.0f ? 1.0f : 0.0f;
        a += w * s[j] * s[j];
        na += w;
    }
    for (int j = hi; j < ns; j++) {
        float w = m[j] > 0.0f ? 1.0f : 0.0f;
        b += w * s[j] * s[j];
        nb += w;
    }
    *in_rms = na > 0.0f ? sqrtf(a / na) : -1.0f;
    *after_rms = nb > 0.0f ? sqrtf(b / nb) : -1.0f;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The median of the values >= 0 of v[0..n) (reordered), or -1. */
static float median_present(float *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] >= 0.0f)
            v[k++] = v[i];
    if (!k)
        return -1.0f;
    qsort(v, k, sizeof *v, cmp_float);
    return k % 2 ? v[k / 2] : 0.5f * (v[k / 2 - 1] + v[k / 2]);
}

/* Whether to align: stats holds nt window rms, then nt rms after it. */
static int bounce_present(const ms_stage_ctx *ctx, float *stats, size_t nt)
{
    const ground_align_params *p = MS_P(ctx, ground_align_params);
    if (p->min_bounce_ratio <= 0.0)
        return 1;
    float in = median_present(stats, nt), after = median_present(stats + nt, nt);
    if (after < 0.0f) /* nothing after the window to compare with */
        return 1;
    return in > 0.0f && in >= (float)p->min_bounce_ratio * after;
}

static int check(const ms_params *values)
{
    const ground_align_params *p = MS_P_OF(values, ground_align_params);
    if (p->search_end_ns <= p->search_start_ns)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "search_end_ns (%g) must exceed search_start_ns (%g)",
                       p->search_end_ns, p->search_start_ns);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    ctx->out[1] = ctx->in[1];
    return 0;
}

/* One trace: the first strongest present sample of the search window
 * (selects rather than branches: the comparison is data), then the trace
 * shifted by whole samples as zeros, a straight copy and zeros. */
static void align_trace(const float *s, const float *m, float *out,
                        float *out_m, int ns, int lo, int hi, int target)
{
    int peak = -1;
    float best = 0.0f;
    for (int j = lo; j < hi; j++) { /* hi = lo when not aligning */
        int better = m[j] > 0.0f && fabsf(s[j]) > best;
        best = better ? fabsf(s[j]) : best;
        peak = better ? j : peak;
    }
    int shift = peak < 0 ? 0 : target - peak; /* no echo: leave as is */
    /* out[j] = s[j - shift] for j in [a, b), where 0 <= j - shift < ns;
     * 0 elsewhere (|shift| < ns: the peak and the target lie in the trace) */
    int a = shift > 0 ? shift : 0, b = shift < 0 ? ns + shift : ns;
    /* move first, then zero the ends: out may be s (in place) */
    memmove(out + a, s + (a - shift), (size_t)(b - a) * sizeof *out);
    memmove(out_m + a, m + (a - shift), (size_t)(b - a) * sizeof *out_m);
    memset(out, 0, (size_t)a * sizeof *out);
    memset(out_m, 0, (size_t)a * sizeof *out_m);
    memset(out + b, 0, (size_t)(ns - b) * sizeof *out);
    memset(out_m + b, 0, (size_t)(ns - b) * sizeof *out_m);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    int lo, hi, target;
    indices(ctx, &lo, &hi, &target);
    float *stats;
    int rc = ms_stage_scratch_host(ctx, 2 * nt * sizeof *stats,
                                   (void **)&stats);
    if (rc)
        return rc;
    for (size_t i = 0; i < nt; i++)
        trace_rms(in[0] + i * ns, in[1] + i * ns, (int)ns, lo, hi, stats + i,
                  stats + nt + i);
    int aligned = bounce_present(ctx, stats, nt);
    ms_stage_estimate(ctx, "aligned", aligned);
    if (!aligned)
        hi = lo; /* no bounce: no peak, shift 0 */
    for (size_t i = 0; i < nt; i++)
        align_trace(in[0] + i * ns, in[1] + i * ns, out[0] + i * ns,
                    out[1] + i * ns, (int)ns, lo, hi, target);
    return 0;
}

/* Work-items take runs of traces: one each on a GPU; on a CPU, 8
 * work-items per compute unit. */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    int lo, hi, target;
    indices(ctx, &lo, &hi, &target);
    const ground_align_params *p = MS_P(ctx, ground_align_params);
    cl_mem dstats, dgate;
    int rc = ms_stage_scratch_device(ctx, cl, 2 * nt * sizeof(float), &dstats);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, sizeof(cl_int), &dgate);
    if (rc)
        return rc;
    ms_cl_arg sargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(dstats),
                         MS_CL_INT(nt),    MS_CL_INT(ns),    MS_CL_INT(lo),
                         MS_CL_INT(hi)};
    size_t one = 1;
    ms_cl_arg gargs[] = {MS_CL_MEM(dstats), MS_CL_INT(nt),
                         MS_CL_FLOAT(p->min_bounce_ratio), MS_CL_MEM(dgate)};
    if (p->min_bounce_ratio > 0.0 &&
        ((rc = ms_cl_launch_runs(cl, "ground_align", "ground_align_rms", nt,
                                 sargs, 7)) ||
         (rc = ms_cl_launch(cl, "ground_align", "ground_align_gate", 1, &one,
                            &one, gargs, 4))))
        return rc;
    if (p->min_bounce_ratio <= 0.0 && /* always align */
        (rc = ms_cl_upload(cl, dgate, &(cl_int){1}, sizeof(cl_int))))
        return rc;
    cl_int gate = 1;
    if (ctx->estimates && /* one int back, only when someone asks */
        (rc = ms_cl_download(cl, dgate, &gate, sizeof gate)))
        return rc;
    ms_stage_estimate(ctx, "aligned", gate != 0);
    ms_cl_arg args[] = {MS_CL_MEM(in[0]),  MS_CL_MEM(in[1]),
                        MS_CL_MEM(out[0]), MS_CL_MEM(out[1]),
                        MS_CL_INT(nt),     MS_CL_INT(ns),
                        MS_CL_INT(lo),     MS_CL_INT(hi),
                        MS_CL_INT(target), MS_CL_MEM(dgate)};
    return ms_cl_launch_runs(cl, "ground_align", "ground_align", nt, args, 10);
}

const ms_stage_decl ms_stage_ground_align = {
    .name = "ground_align",
    .summary = "shift each trace so that its ground bounce lands at one time "
               "(outputs: traces, mask)",
    .n_in = 2, .n_out = 2,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr", "gpr_valid"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 4,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .in_place = 1,
    .tolerance = 1e-5,
};
