/* lms_residual: the two-sided linear-prediction ("LMS") prescreener (Ho and
 * Gader 2002; two-sided prediction: Chan, So and Ho 2007-08). Each trace is
 * predicted from its neighbours along the sweep on both sides, and the
 * energy of what the prediction misses in a time window below the surface
 * is the score: what the neighbours share (the ground bounce left after
 * whole-sample alignment, which a sub-sample wobble turns into a mix of the
 * wavelet and its derivative; layers; anything wider than the guard gap)
 * is predicted away, an echo narrower than the gap is not. One value per
 * trace and its validity, as window_energy, for grid and zscore.
 *
 * Formulation (x the traces, m their 0/1 mask, y = m x: a missing sample is
 * a zero that adds nothing to any product; traces past either end of the
 * recording are zeros too):
 * - predictors of trace i: the traces i + a for the P = 2K offsets
 *   a = -(G+K) .. -(G+1), G+1 .. G+K (K `neighbours` a side beyond `guard`
 *   G traces);
 * - weights w, one set per trace, by ridge-regularised least squares over
 *   the window's samples where trace i is present:
 *     minimise sum_s m_i[s] (y_i[s] - sum_a w_a y_{i+a}[s])^2 + lambda |w|^2
 *   with lambda = ridge x the mean diagonal of the Gram matrix (scale free;
 *   a large ridge tends to the plain window energy of the trace);
 * - score_i = sum_s m_i[s] r_i[s]^2 / sum_s m_i[s] over the window,
 *   r_i = y_i - sum_a w_a y_{i+a}; valid where trace i has a sample in the
 *   window. Missing samples of trace i weigh nothing in its fit or score;
 *   a missing sample of a predictor is a zero.
 *
 * Cost O(traces x window samples x K + traces x K^3): the normal
 * equations of a complete trace need only lag products
 * L[t][d] = <y_t, y_{t+d}> over the window, shared between traces:
 * Gram_ab(i) = L[i + min(a, b)][|b - a|] (lags 0..K-1 and 2G+2..2G+2K),
 * rhs_a(i) = L[min(i, i + a)][|a|] (lags G+1..G+K), so pass 1 computes
 * 4K - 1 dot products per trace (and counts its present samples); where
 * trace i misses a sample, its predictors' products at that sample are
 * subtracted from its Gram matrix. Pass 2 solves the P x P
 * system by Cholesky, and the residual power follows from the same sums
 * without a pass over the samples:
 *   sum_s m_i r_i^2 = L[i][0] - 2 w.rhs + w^T Gram w
 * (exact for 0/1 masks; clamped at 0 against rounding). Everything in
 * double; kernels/lms_residual.cl computes the same sums in the same
 * order. */
#include <math.h>
#include <stdio.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct lms_residual_params {
    int neighbours;
    int guard;
    double ridge;
    double t_start_ns;
    double t_end_ns;
} lms_residual_params;
MS_STAGE_PARAMS(lms_residual_params);

/* The most neighbours a side; sizes the kernel's private arrays too
 * (LMS_MAX_P in kernels/lms_residual.cl). */
#define MAX_K 8
#define MAX_P (2 * MAX_K)
/* Lags the normal equations use: at most K + K + 2K - 1. */
#define MAX_LAGS (4 * MAX_K)

static const ms_param_decl params[] = {
    {"neighbours", MS_PARAM_INT, MS_PARAM_AT(lms_residual_params, neighbours), 4, 1, MAX_K, "traces",
     "predicting traces on each side"},
    {"guard", MS_PARAM_INT, MS_PARAM_AT(lms_residual_params, guard), 6, 0, 32, "traces",
     "traces skipped on each side between a trace and its predictors: an "
     "echo narrower than about 2 guard + 1 traces is not predicted away"},
    {"ridge", MS_PARAM_FLOAT, MS_PARAM_AT(lms_residual_params, ridge), 0.3, 1e-4, 10.0, "",
     "ridge term relative to the mean predictor energy (large: the score "
     "tends to the plain window energy)"},
    {"t_start_ns", MS_PARAM_FLOAT, MS_PARAM_AT(lms_residual_params, t_start_ns), 0.25, 0.0, 1000.0, "ns",
     "window start after time zero (fit and score; may include the ground "
     "bounce, which the neighbours predict)"},
    {"t_end_ns", MS_PARAM_FLOAT, MS_PARAM_AT(lms_residual_params, t_end_ns), 4.0, 0.0, 1000.0, "ns",
     "window end after time zero"},
};

static int check(const ms_params *values)
{
    const lms_residual_params *p = MS_P_OF(values, lms_residual_params);
    if (p->t_end_ns <= p->t_start_ns)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "t_end_ns (%g) must exceed t_start_ns (%g)",
                       p->t_end_ns, p->t_start_ns);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    const lms_residual_params *p = MS_P(ctx, lms_residual_params);
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

/* What both paths share: the window [lo, hi) in samples (as
 * window_energy), the neighbours, the guard and the lag table's width. */
typedef struct plan {
    int lo, hi;
    int k, g, p; /* neighbours, guard, P = 2K */
    int lags;    /* lag products per trace: d = 0 .. lags - 1, then the
                  * trace's present samples in the window */
    double ridge;
} plan;

static plan make_plan(const ms_stage_ctx *ctx)
{
    const lms_residual_params *p = MS_P(ctx, lms_residual_params);
    plan pl;
    double ns = (double)ctx->in[0].dims[1], dt = ctx->env->dt_s;
    double t0 = ctx->env->time_zero_s / dt;
    double a = floor(t0 + p->t_start_ns * 1e-9 / dt);
    double b = ceil(t0 + p->t_end_ns * 1e-9 / dt);
    pl.lo = (int)fmin(fmax(a, 0), ns);
    pl.hi = (int)fmin(fmax(b, 0), ns);
    pl.k = p->neighbours;
    pl.g = p->guard;
    pl.p = 2 * pl.k;
    pl.lags = 2 * (pl.g + pl.k) + 1;
    pl.ridge = p->ridge;
    return pl;
}

/* Offset of predictor q (ascending). */
static int offset(const plan *pl, int q)
{
    return q < pl->k ? -(pl->g + pl->k - q) : pl->g + 1 + q - pl->k;
}

/* Whether the normal equations use lag d. */
static int lag_needed(const plan *pl, int d)
{
    return d < pl->k || (d >= pl->g + 1 && d <= pl->g + pl->k) ||
           (d >= 2 * pl->g + 2 && d <= 2 * pl->g + 2 * pl->k);
}

/* The lag table: lags + 1 doubles a trace (unused lags 0). */
static size_t work_bytes(const ms_stage_ctx *ctx)
{
    plan pl = make_plan(ctx);
    return ctx->in[0].dims[0] * ((size_t)pl.lags + 1) * sizeof(double);
}

/* Pass 1, trace t: its present samples and lag products lag[t][d], four
 * lags at a time in registers (independent sums, each over the samples in
 * order). */
static void lag_products(const plan *pl, const float *s, const float *m,
                         long nt, long ns, long t, double *lag)
{
    const float *st = s + t * ns, *mt = m + t * ns;
    double *row = lag + t * (pl->lags + 1);
    double count = 0.0;
    for (int j = pl->lo; j < pl->hi; j++)
        count += mt[j];
    row[pl->lags] = count;
    int need[MAX_LAGS], n = 0;
    for (int d = 0; d < pl->lags; d++) {
        row[d] = 0.0;
        if (lag_needed(pl, d) && t + d < nt)
            need[n++] = d;
    }
    for (int q = 0; q < n; q += 4) {
        /* past the last lag, the last again */
        int d[4];
        const float *us[4], *um[4];
        for (int v = 0; v < 4; v++) {
            d[v] = need[q + v < n ? q + v : n - 1];
            us[v] = s + (t + d[v]) * ns;
            um[v] = m + (t + d[v]) * ns;
        }
        double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
        for (int j = pl->lo; j < pl->hi; j++) {
            double y = (double)(st[j] * mt[j]);
            a0 += y * (double)(us[0][j] * um[0][j]);
            a1 += y * (double)(us[1][j] * um[1][j]);
            a2 += y * (double)(us[2][j] * um[2][j]);
            a3 += y * (double)(us[3][j] * um[3][j]);
        }
        row[d[0]] = a0;
        row[d[1]] = a1;
        row[d[2]] = a2;
        row[d[3]] = a3;
    }
}

/* lag[t][d]; zero for a trace outside the recording. */
static double lag_at(const plan *pl, const double *lag, long nt, long t, int d)
{
    return t >= 0 && t < nt ? lag[t * (pl->lags + 1) + d] : 0.0;
}

/* y_t[j]; zero for a trace outside the recording. */
static double y_at(const float *s, const float *m, long nt, long ns, long t,
                   int j)
{
    return t >= 0 && t < nt ? (double)(s[t * ns + j] * m[t * ns + j]) : 0.0;
}

/* Pass 2, trace i: the Gram matrix (upper triangle and gd: as summed;
 * lower triangle: its Cholesky factor with the ridge), the weights (0
 * where nothing is fitted; a predictor outside the recording gets 0 from
 * its zero row), and the residual power from the sums. Where trace i
 * misses samples, the lag products hold its predictors' products there
 * too; they are taken back out (masks are 0 or 1). */
static void score_trace(const plan *pl, const float *s, const float *m,
                        const double *lag, long nt, long ns, long i,
                        float *score, float *valid)
{
    double count = lag_at(pl, lag, nt, i, pl->lags);
    if (count == 0.0) {
        score[i] = valid[i] = 0.0f;
        return;
    }
    double a[MAX_P][MAX_P], gd[MAX_P], w[MAX_P], tr = 0.0;
    for (int p = 0; p < pl->p; p++)
        for (int q = p; q < pl->p; q++)
            a[p][q] = lag_at(pl, lag, nt, i + offset(pl, p),
                             offset(pl, q) - offset(pl, p));
    if (count < (double)(pl->hi - pl->lo)) {
        /* a sample of trace i is missing: take its predictors' products
         * there back out of the Gram matrix */
        const float *mi = m + i * ns;
        for (int j = pl->lo; j < pl->hi; j++) {
            if (mi[j] != 0.0f)
                continue;
            for (int p = 0; p < pl->p; p++) {
                double yp = y_at(s, m, nt, ns, i + offset(pl, p), j);
                for (int q = p; q < pl->p; q++)
                    a[p][q] -= yp * y_at(s, m, nt, ns, i + offset(pl, q), j);
            }
        }
    }
    for (int p = 0; p < pl->p; p++) {
        gd[p] = a[p][p];
        for (int q = p + 1; q < pl->p; q++)
            a[q][p] = a[p][q];
    }
    double rhs[MAX_P];
    for (int p = 0; p < pl->p; p++) {
        int o = offset(pl, p);
        rhs[p] = o > 0 ? lag_at(pl, lag, nt, i, o)
                       : lag_at(pl, lag, nt, i + o, -o);
        w[p] = rhs[p];
        tr += gd[p];
    }
    /* Cholesky of the lower triangle in place, then L L^T w = rhs. */
    double lambda = pl->ridge * tr / pl->p;
    int ok = tr > 0.0;
    for (int p = 0; ok && p < pl->p; p++) {
        double d = gd[p] + lambda;
        for (int q = 0; q < p; q++)
            d -= a[p][q] * a[p][q];
        if (!(d > 0.0)) {
            ok = 0;
            break;
        }
        a[p][p] = sqrt(d);
        for (int r = p + 1; r < pl->p; r++) {
            double v = a[r][p];
            for (int q = 0; q < p; q++)
                v -= a[r][q] * a[p][q];
            a[r][p] = v / a[p][p];
        }
    }
    for (int p = 0; ok && p < pl->p; p++) {
        double v = w[p];
        for (int q = 0; q < p; q++)
            v -= a[p][q] * w[q];
        w[p] = v / a[p][p];
    }
    for (int p = pl->p - 1; ok && p >= 0; p--) {
        double v = w[p];
        for (int q = p + 1; q < pl->p; q++)
            v -= a[q][p] * w[q];
        w[p] = v / a[p][p];
    }
    /* sum m r^2 = <y_i, y_i> - 2 w.rhs + w^T Gram w */
    double wb = 0.0, wgw = 0.0;
    for (int p = 0; ok && p < pl->p; p++) {
        double gw = 0.0;
        for (int q = 0; q < pl->p; q++)
            gw += (q == p ? gd[p] : q > p ? a[p][q] : a[q][p]) * w[q];
        wb += w[p] * rhs[p];
        wgw += w[p] * gw;
    }
    double e = lag_at(pl, lag, nt, i, 0) - 2.0 * wb + wgw;
    score[i] = (float)(fmax(e, 0.0) / count);
    valid[i] = 1.0f;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    plan pl = make_plan(ctx);
    long nt = (long)ctx->in[0].dims[0], ns = (long)ctx->in[0].dims[1];
    double *lag;
    int rc = ms_stage_scratch_host(
        ctx, (size_t)nt * (pl.lags + 1) * sizeof(double), (void **)&lag);
    if (rc)
        return rc;
    for (long t = 0; t < nt; t++)
        lag_products(&pl, in[0], in[1], nt, ns, t, lag);
    for (long i = 0; i < nt; i++)
        score_trace(&pl, in[0], in[1], lag, nt, ns, i, out[0], out[1]);
    return 0;
}

/* Two kernels, each over runs of traces (one trace per work-item on a
 * GPU, 8 runs per core on a CPU): the lag products, then the solve and the
 * score of each trace. */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    plan pl = make_plan(ctx);
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    cl_mem lag;
    int rc = ms_stage_scratch_device(
        ctx, cl, nt * (pl.lags + 1) * sizeof(double), &lag);
    if (rc)
        return rc;
    ms_cl_arg largs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(lag),
                         MS_CL_INT(nt),    MS_CL_INT(ns),    MS_CL_INT(pl.lo),
                         MS_CL_INT(pl.hi), MS_CL_INT(pl.k),  MS_CL_INT(pl.g)};
    rc = ms_cl_launch_runs(cl, "lms_residual", "lms_lags", nt, largs,
                           sizeof largs / sizeof largs[0]);
    if (rc)
        return rc;
    cl_double ridge = pl.ridge;
    ms_cl_arg fargs[] = {
        MS_CL_MEM(in[0]),  MS_CL_MEM(in[1]),  MS_CL_MEM(lag),
        MS_CL_MEM(out[0]), MS_CL_MEM(out[1]), MS_CL_INT(nt),
        MS_CL_INT(ns),     MS_CL_INT(pl.lo),  MS_CL_INT(pl.hi),
        MS_CL_INT(pl.k),   MS_CL_INT(pl.g),   {sizeof ridge, &ridge}};
    return ms_cl_launch_runs(cl, "lms_residual", "lms_fit", nt, fargs,
                             sizeof fargs / sizeof fargs[0]);
}

const ms_stage_decl ms_stage_lms_residual = {
    .name = "lms_residual",
    .summary = "two-sided linear prediction (LMS prescreener): power of what "
               "a trace's neighbours do not predict, in a time window",
    .n_in = 2, .n_out = 2,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr_score", "gpr_score_valid"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = sizeof params / sizeof params[0],
    .check = check,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
