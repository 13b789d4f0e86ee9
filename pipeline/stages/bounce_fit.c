/* bounce_fit: adaptive ground-bounce removal, trace by trace. On a
 * hand-held lane the head rises and dips: the ground bounce changes in
 * amplitude and, after ground_align (whole samples), still wanders by a
 * fraction of a sample; a mean-trace subtraction (background_removal)
 * then leaves a residual right below the surface, where shallow mines are.
 *
 * The stage takes as template T the mean of the present traces over a
 * window around the bounce (all traces, or a running mean over window_m
 * of track), with its first and second derivatives along time (central
 * differences, per sample). For each trace it fits, by least squares over
 * the window and over its present samples only, a T + b T' + c T'': a is
 * the bounce's amplitude, b (over a) its sub-sample shift, c a change of
 * width. The fitted combination is subtracted over the window, faded in and
 * out over taper_ns at its ends (raised cosine) so that no step is left.
 * Everything after the window (the targets) is left as it was; a target
 * inside the window loses what of it the template explains.
 *
 * The normal equations (terms x terms) are solved in double; a term whose
 * pivot is negligible (a flat template, a window of one sample) is
 * dropped, its coefficient 0. Sums over traces are prefix sums in double,
 * made once (one pass over the window's samples), so that a running
 * template costs no more than a global one. */
#include <math.h>
#include <stdio.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct bounce_fit_params {
    double surface_ns;
    double before_ns;
    double after_ns;
    double taper_ns;
    double window_m;
    int terms;
} bounce_fit_params;
MS_STAGE_PARAMS(bounce_fit_params);

static const ms_param_decl params[] = {
    {"surface_ns", MS_PARAM_FLOAT, MS_PARAM_AT(bounce_fit_params, surface_ns), 0.5, 0.0, 100.0, "ns",
     "where the ground bounce is, after time zero (ground_align's target_ns)"},
    {"before_ns", MS_PARAM_FLOAT, MS_PARAM_AT(bounce_fit_params, before_ns), 0.3, 0.0, 10.0, "ns",
     "the fit window starts this long before the surface"},
    {"after_ns", MS_PARAM_FLOAT, MS_PARAM_AT(bounce_fit_params, after_ns), 0.6, 0.0, 10.0, "ns",
     "and ends this long after it (the bounce's tail, not the targets)"},
    {"taper_ns", MS_PARAM_FLOAT, MS_PARAM_AT(bounce_fit_params, taper_ns), 0.15, 0.0, 10.0, "ns",
     "the subtraction fades in and out over this long at the window's ends "
     "(raised cosine): no step left"},
    {"window_m", MS_PARAM_FLOAT, MS_PARAM_AT(bounce_fit_params, window_m), 0.0, 0.0, 1000.0, "m",
     "the template is the mean over this much track (centred); 0: over all "
     "traces (also where the trace spacing is not known)"},
    {"terms", MS_PARAM_INT, MS_PARAM_AT(bounce_fit_params, terms), 3, 1, 3, "",
     "1: amplitude only; 2: + first derivative (sub-sample shift); 3: + "
     "second derivative (width)"},
};

/* The window: fit and subtract over samples [lo, hi); the template is
 * needed over [elo, ehi) (one more each side, for the derivatives, within
 * the trace); half the template's window in traces (nt: all). */
typedef struct geom {
    int lo, hi, elo, ehi;
    long half;
} geom;

static geom geometry(const ms_stage_ctx *ctx)
{
    const bounce_fit_params *p = MS_P(ctx, bounce_fit_params);
    double ns = (double)ctx->in[0].dims[1];
    long nt = (long)ctx->in[0].dims[0];
    double t0 = ctx->env->time_zero_s / ctx->env->dt_s;
    double per_ns = 1e-9 / ctx->env->dt_s;
    double c = t0 + p->surface_ns * per_ns;
    geom g;
    g.lo = (int)fmin(fmax(floor(c - p->before_ns * per_ns + 0.5), 0), ns);
    g.hi = (int)fmin(fmax(floor(c + p->after_ns * per_ns + 0.5) + 1, 0), ns);
    if (g.hi < g.lo)
        g.hi = g.lo;
    g.elo = g.lo > 0 ? g.lo - 1 : 0;
    g.ehi = g.hi < (int)ns ? g.hi + 1 : (int)ns;
    if (g.hi == g.lo)
        g.elo = g.ehi = g.lo; /* nothing to do */
    /* as background_removal turns metres into traces */
    double step = ctx->env->trace_spacing_m, r = p->window_m / step;
    long half = nt;
    if (p->window_m > 0.0 && step > 0.0)
        half = (long)fmin(floor(r + 0.5 + 1e-4 * r), 1e9) / 2;
    g.half = half < nt ? half : nt;
    return g;
}

/* The subtraction's weight at sample j of [lo, hi): 1 inside, rising as a
 * raised cosine over the taper at each end (never 0 at the window's own
 * samples: d counts from 1). */
static void taper_weights(const ms_stage_ctx *ctx, geom g, double *w)
{
    const bounce_fit_params *p = MS_P(ctx, bounce_fit_params);
    double ntap = p->taper_ns * 1e-9 / ctx->env->dt_s;
    for (int j = g.lo; j < g.hi; j++) {
        double d = fmin(j - g.lo + 1, g.hi - j);
        w[j - g.lo] = d < ntap + 1.0
                          ? 0.5 - 0.5 * cos(3.14159265358979323846 * d / (ntap + 1.0))
                          : 1.0;
    }
}

static int check(const ms_params *values)
{
    const bounce_fit_params *p = MS_P_OF(values, bounce_fit_params);
    if (p->before_ns + p->after_ns <= 0.0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "the fit window is empty: before_ns + after_ns must "
                       "be positive");
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    geom g = geometry(ctx);
    if (g.hi - g.lo < 3 && ctx->in[0].dims[1] >= 3)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "bounce_fit: the fit window holds %d samples of the "
                 "traces; little or nothing is removed", g.hi - g.lo);
    return 0;
}

static size_t sums_bytes(const ms_stage_ctx *ctx)
{
    geom g = geometry(ctx);
    return 2 * (ctx->in[0].dims[0] + 1) * (size_t)(g.ehi - g.elo) *
               sizeof(double) +
           (size_t)(g.hi - g.lo) * sizeof(double);
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    return sums_bytes(ctx);
}

/* Prefix sums over traces of each template sample: P[(i + 1) nw + k] =
 * sum over traces < i + 1 of the present s[.][elo + k], W the count. */
static void prefix_sums(const float *s, const float *m, size_t nt, size_t ns,
                        geom g, double *P, double *W)
{
    size_t nw = (size_t)(g.ehi - g.elo);
    for (size_t k = 0; k < nw; k++) {
        P[k] = 0.0;
        W[k] = 0.0;
    }
    for (size_t i = 0; i < nt; i++)
        for (size_t k = 0; k < nw; k++) {
            size_t at = i * ns + (size_t)g.elo + k;
            double w = m[at] > 0.0f ? 1.0 : 0.0;
            P[(i + 1) * nw + k] = P[i * nw + k] + w * (double)s[at];
            W[(i + 1) * nw + k] = W[i * nw + k] + w;
        }
}

/* The template of trace i at sample j (clamped to [elo, ehi)). */
static double tmpl(const double *P, const double *W, geom g, size_t nt,
                   size_t i, int j)
{
    size_t nw = (size_t)(g.ehi - g.elo);
    int k = (j < g.elo ? g.elo : j >= g.ehi ? g.ehi - 1 : j) - g.elo;
    long a = (long)i - g.half, b = (long)i + g.half + 1;
    size_t ra = a < 0 ? 0 : (size_t)a, rb = b > (long)nt ? nt : (size_t)b;
    double sw = W[rb * nw + (size_t)k] - W[ra * nw + (size_t)k];
    double sp = P[rb * nw + (size_t)k] - P[ra * nw + (size_t)k];
    return sw > 0.0 ? sp / sw : 0.0;
}

/* The basis at sample j: T, T' and T'' by central differences. */
static void basis(const double *P, const double *W, geom g, size_t nt,
                  size_t i, int j, double B[3])
{
    double tm = tmpl(P, W, g, nt, i, j - 1), t0 = tmpl(P, W, g, nt, i, j),
           tp = tmpl(P, W, g, nt, i, j + 1);
    B[0] = t0;
    B[1] = 0.5 * (tp - tm);
    B[2] = tp - 2.0 * t0 + tm;
}

/* Solve the n x n normal equations A c = b (A symmetric, row-major 3 x 3)
 * by elimination without row exchanges; a pivot at most 1e-10 of the
 * largest diagonal drops its term (coefficient 0). The kernel does the
 * same operations in the same order. */
static void solve(double A[9], double b[3], int n, double c[3])
{
    double scale = 0.0;
    int used[3] = {0, 0, 0};
    for (int k = 0; k < n; k++)
        scale = fmax(scale, A[k * 3 + k]);
    for (int k = 0; k < 3; k++)
        c[k] = 0.0;
    if (!(scale > 0.0))
        return;
    for (int k = 0; k < n; k++) {
        if (!(A[k * 3 + k] > 1e-10 * scale))
            continue;
        used[k] = 1;
        for (int r = k + 1; r < n; r++) {
            double f = A[r * 3 + k] / A[k * 3 + k];
            for (int q = k; q < n; q++)
                A[r * 3 + q] -= f * A[k * 3 + q];
            b[r] -= f * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        if (!used[k])
            continue;
        double v = b[k];
        for (int q = k + 1; q < n; q++)
            v -= A[k * 3 + q] * c[q];
        c[k] = v / A[k * 3 + k];
    }
}

/* One trace: fit over the window's present samples, subtract the tapered
 * fit there; the rest is copied (out may be s). */
static void fit_trace(const double *P, const double *W, const double *taper,
                      geom g, size_t nt, size_t ns, size_t i, int terms,
                      const float *s, const float *m, float *out)
{
    double A[9] = {0}, b[3] = {0}, c[3], B[3];
    for (int j = g.lo; j < g.hi; j++) {
        if (!(m[j] > 0.0f))
            continue;
        basis(P, W, g, nt, i, j, B);
        for (int k = 0; k < terms; k++) {
            for (int q = 0; q < terms; q++)
                A[k * 3 + q] += B[k] * B[q];
            b[k] += B[k] * (double)s[j];
        }
    }
    solve(A, b, terms, c);
    for (int j = 0; j < (int)ns; j++) {
        float v = s[j];
        if (j >= g.lo && j < g.hi && m[j] > 0.0f) {
            basis(P, W, g, nt, i, j, B);
            double fit = 0.0;
            for (int k = 0; k < terms; k++)
                fit += c[k] * B[k];
            v = (float)((double)s[j] - taper[j - g.lo] * fit);
        }
        out[j] = v;
    }
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    const bounce_fit_params *p = MS_P(ctx, bounce_fit_params);
    geom g = geometry(ctx);
    size_t nw = (size_t)(g.ehi - g.elo);
    double *P;
    int rc = ms_stage_scratch_host(ctx, sums_bytes(ctx) + sizeof(double),
                                   (void **)&P);
    if (rc)
        return rc;
    double *W = P + (nt + 1) * nw, *taper = W + (nt + 1) * nw;
    /* every sum is made before any trace is written (out may be in) */
    prefix_sums(in[0], in[1], nt, ns, g, P, W);
    taper_weights(ctx, g, taper);
    for (size_t i = 0; i < nt; i++)
        fit_trace(P, W, taper, g, nt, ns, i, p->terms, in[0] + i * ns,
                  in[1] + i * ns, out[0] + i * ns);
    return 0;
}

/* bounce_fit_sums: one work-item per template sample walks the traces
 * (a column sum, as the C path adds); bounce_fit: traces in runs. */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    const bounce_fit_params *p = MS_P(ctx, bounce_fit_params);
    geom g = geometry(ctx);
    size_t nw = (size_t)(g.ehi - g.elo), nwin = (size_t)(g.hi - g.lo);
    size_t sums = (nt + 1) * (nw ? nw : 1) * sizeof(double);
    cl_mem dP, dW, dtaper;
    double *taper;
    int rc = ms_stage_scratch_device(ctx, cl, sums, &dP);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, sums, &dW);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, (nwin ? nwin : 1) * sizeof(double),
                                     &dtaper);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, (nwin ? nwin : 1) * sizeof(double),
                                   (void **)&taper);
    if (rc)
        return rc;
    taper_weights(ctx, g, taper);
    if (nwin && (rc = ms_cl_upload(cl, dtaper, taper, nwin * sizeof(double))))
        return rc;
    if (nw) {
        ms_cl_arg sargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(dP),
                             MS_CL_MEM(dW),    MS_CL_INT(nt),    MS_CL_INT(ns),
                             MS_CL_INT(g.elo), MS_CL_INT(nw)};
        if ((rc = ms_cl_launch(cl, "bounce_fit", "bounce_fit_sums", 1, &nw,
                               NULL, sargs, 8)))
            return rc;
    }
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_MEM(dP),    MS_CL_MEM(dW),    MS_CL_MEM(dtaper),
                        MS_CL_INT(nt),    MS_CL_INT(ns),    MS_CL_INT(g.lo),
                        MS_CL_INT(g.hi),  MS_CL_INT(g.elo), MS_CL_INT(g.ehi),
                        MS_CL_INT(g.half), MS_CL_INT(p->terms)};
    return ms_cl_launch_runs(cl, "bounce_fit", "bounce_fit", nt, args, 14);
}

const ms_stage_decl ms_stage_bounce_fit = {
    .name = "bounce_fit",
    .summary = "fit and subtract the ground bounce per trace: the mean "
               "bounce and its time derivatives (amplitude, sub-sample "
               "shift, width)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 6,
    .check = check,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .in_place = 1,
    .tolerance = 1e-5,
};
