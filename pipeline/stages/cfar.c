/* cfar: cell-averaging CFAR on a map. Each swept cell is compared with the
 * mean of the swept cells of a square training ring around it (out to
 * train_m, beyond a guard band of guard_m that keeps the target's own
 * extent out of its noise estimate), so a lane and a short line are both
 * scored against their local background, not against their own global
 * statistics (zscore over a short line normalises itself away).
 *
 * For N training cells of exponentially distributed (square-law) noise,
 * a cell t times their mean has false-alarm probability
 * P(t) = (1 + t / N)^-N; the CFAR threshold for probability pfa is
 * t = N (pfa^(-1/N) - 1) (Finn and Johnson's CA-CFAR). The output is
 * -ln P(t) in units of -ln pfa, times score_at_threshold: a cell exactly at
 * the CFAR threshold scores score_at_threshold (3, the default alarm
 * threshold), and the statistic grows as the log of the evidence, so no
 * single bright object swamps a fusion. Negative values (a detrended
 * metal-detector map) count as 0; unswept cells and cells without
 * training cells score 0.
 *
 * model=1 (Gaussian): a window's energy, a sum over many samples, is
 * closer to Gaussian with a mean well above its spread than to
 * exponential, and then the ratio to the mean says little. The training
 * cells then give a mean mu and standard deviation sd, the threshold is
 * mu + k sd with k the normal quantile of 1 - pfa, and the output is
 * score_at_threshold (x - mu) / (k sd): a local z-score, 3 at the
 * threshold for the default score_at_threshold.
 *
 * Noise floor: the local estimate (model 0: the training mean; model 1:
 * the training spread) is at least `floor` times the same estimate over
 * the whole swept map. Without it a quiet stretch (a clean B-scan line
 * away from its targets, or the flank of a matched filter's side lobes,
 * whose training mean is near 0) is scored against almost nothing and a
 * ripple becomes an alarm; with it, a cell must also stand out of the map
 * as a whole, as zscore asked, only less strictly.
 * The ring's count, sum and sum of squares come from summed-area tables
 * (four corners for the training square, four for the guard square), so a
 * cell costs the same whatever the window: the tables are in double, of
 * values centred on the map-wide mean (model 1), so the differences of
 * large sums lose little. Both paths build them the same way (rows, then
 * columns); the map-wide estimate is a reduction (double here, one
 * work-group in float on OpenCL), equal within the tolerance. */
#include <math.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct cfar_params {
    double guard_m;
    double train_m;
    double pfa;
    double score_at_threshold;
    int model;
    double floor;
} cfar_params;
MS_STAGE_PARAMS(cfar_params);

static const ms_param_decl params[] = {
    {"guard_m", MS_PARAM_FLOAT, MS_PARAM_AT(cfar_params, guard_m), 0.1, 0.0,
     1.0, "m", "half-width of the guard square left out of the training "
     "cells (a mine's radius and the gridding radius)"},
    {"train_m", MS_PARAM_FLOAT, MS_PARAM_AT(cfar_params, train_m), 0.3, 0.01,
     1.0, "m", "half-width of the training square"},
    {"pfa", MS_PARAM_FLOAT, MS_PARAM_AT(cfar_params, pfa), 1e-3, 1e-12, 0.5,
     "", "false-alarm probability of the CFAR threshold"},
    {"score_at_threshold", MS_PARAM_FLOAT,
     MS_PARAM_AT(cfar_params, score_at_threshold), 3.0, 0.01, 100.0, "",
     "output value of a cell at the CFAR threshold"},
    {"model", MS_PARAM_INT, MS_PARAM_AT(cfar_params, model), 0, 0, 1, "",
     "noise model: 0 exponential (cell averaging, ratio to the mean), 1 "
     "Gaussian (local mean and standard deviation)"},
    {"floor", MS_PARAM_FLOAT, MS_PARAM_AT(cfar_params, floor), 0.5, 0.0,
     10.0, "", "the local noise estimate is at least this fraction of the "
     "whole map's (0: no floor)"},
};

/* Guard and training half-widths in cells. */
static void window(const ms_stage_ctx *ctx, int *g, int *w)
{
    const cfar_params *p = MS_P(ctx, cfar_params);
    double cell = ctx->in[0].cell_m;
    *g = (int)ceil(p->guard_m / cell - 1e-9);
    *w = (int)ceil(p->train_m / cell - 1e-9);
    if (*w <= *g)
        *w = *g + 1;
}

/* The output's scale: score_at_threshold over -ln pfa (model 0) or over
 * the normal quantile k of 1 - pfa (model 1, by bisection of erfc). */
static float out_scale(const cfar_params *p)
{
    if (!p->model)
        return (float)(p->score_at_threshold / -log(p->pfa));
    double lo = -10.0, hi = 40.0;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(mid / sqrt(2.0)) > p->pfa)
            lo = mid;
        else
            hi = mid;
    }
    double k = 0.5 * (lo + hi);
    return (float)(p->score_at_threshold / (k > 1e-3 ? k : 1e-3));
}

/* The map-wide mean of the swept cells' values (positive parts for model
 * 0) in double, and from it the floor on the local noise estimate: floor
 * times that mean (model 0) or times the standard deviation (model 1). */
static float noise_floor(const cfar_params *p, const float *v,
                         const float *hits, size_t n, double *mean_out)
{
    double sum = 0.0, cnt = 0.0;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f) {
            sum += p->model ? v[i] : fmax(v[i], 0.0f);
            cnt += 1.0;
        }
    *mean_out = cnt > 0.0 ? sum / cnt : 0.0;
    if (!(cnt > 0.0))
        return 0.0f;
    double mean = sum / cnt;
    if (!p->model)
        return (float)(p->floor * mean);
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f)
            ss += (v[i] - mean) * (v[i] - mean);
    return (float)(p->floor * sqrt(ss / cnt));
}

/* Summed-area tables, (ny + 1) x (nx + 1) each, row 0 and column 0 zero:
 * the count of swept cells, the sum of their values (model 1: minus
 * `centre`; model 0: positive parts) and of the squares (model 1). */
static void build_tables(const float *v, const float *hits, int nx, int ny,
                         int model, double centre, double *cnt, double *sum,
                         double *sq)
{
    size_t W = (size_t)nx + 1;
    memset(cnt, 0, W * sizeof *cnt);
    memset(sum, 0, W * sizeof *sum);
    memset(sq, 0, W * sizeof *sq);
    for (int y = 0; y < ny; y++) {
        double rc = 0.0, rs = 0.0, rq = 0.0;
        size_t r = (size_t)(y + 1) * W;
        cnt[r] = sum[r] = sq[r] = 0.0;
        for (int x = 0; x < nx; x++) {
            size_t i = (size_t)y * nx + x;
            if (hits[i] > 0.0f) {
                double a = model ? (double)v[i] - centre : fmax(v[i], 0.0f);
                rc += 1.0;
                rs += a;
                rq += a * a;
            }
            cnt[r + x + 1] = rc;
            sum[r + x + 1] = rs;
            sq[r + x + 1] = rq;
        }
    }
    for (int x = 1; x <= nx; x++)
        for (int y = 1; y <= ny; y++) {
            size_t at = (size_t)y * W + x, up = at - W;
            cnt[at] += cnt[up];
            sum[at] += sum[up];
            sq[at] += sq[up];
        }
}

/* The sum over cells [x0, x1] x [y0, y1] (inclusive) of table t. */
static double box(const double *t, size_t W, int x0, int x1, int y0, int y1)
{
    return t[(size_t)(y1 + 1) * W + (x1 + 1)] - t[(size_t)y0 * W + (x1 + 1)] -
           t[(size_t)(y1 + 1) * W + x0] + t[(size_t)y0 * W + x0];
}

static int check(const ms_params *values)
{
    const cfar_params *p = MS_P_OF(values, cfar_params);
    if (p->train_m <= p->guard_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "train_m (%g m) must exceed guard_m (%g m)", p->train_m,
                       p->guard_m);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->in[0].dims[0] != ctx->in[1].dims[0] ||
        ctx->in[0].dims[1] != ctx->in[1].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "cfar: the map (%zu x %zu) and its hit counts "
                       "(%zu x %zu) differ in size", ctx->in[0].dims[1],
                       ctx->in[0].dims[0], ctx->in[1].dims[1],
                       ctx->in[1].dims[0]);
    if (!(ctx->in[0].cell_m > 0.0))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "cfar: the map has no cell size (grid it first)");
    ctx->out[0] = ctx->in[0];
    return 0;
}

static size_t tables_bytes(const ms_stage_ctx *ctx)
{
    return 3 * (ctx->in[0].dims[0] + 1) * (ctx->in[0].dims[1] + 1) *
           sizeof(double);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const cfar_params *p = MS_P(ctx, cfar_params);
    int ny = (int)ctx->in[0].dims[0], nx = (int)ctx->in[0].dims[1], g, w;
    window(ctx, &g, &w);
    float scale = out_scale(p);
    const float *v = in[0], *hits = in[1];
    double centre;
    float floor_v = noise_floor(p, v, hits, (size_t)nx * ny, &centre);
    size_t W = (size_t)nx + 1, T = W * ((size_t)ny + 1);
    double *cnt;
    int rc = ms_stage_scratch_host(ctx, tables_bytes(ctx), (void **)&cnt);
    if (rc)
        return rc;
    double *sum = cnt + T, *sq = sum + T;
    build_tables(v, hits, nx, ny, p->model, centre, cnt, sum, sq);
    for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++) {
            size_t i = (size_t)y * nx + x;
            float c = v[i];
            if (!(hits[i] > 0.0f) || (!p->model && !(c > 0.0f))) {
                out[0][i] = 0.0f;
                continue;
            }
            int y0 = y - w < 0 ? 0 : y - w, y1 = y + w >= ny ? ny - 1 : y + w;
            int x0 = x - w < 0 ? 0 : x - w, x1 = x + w >= nx ? nx - 1 : x + w;
            int gy0 = y - g < 0 ? 0 : y - g, gy1 = y + g >= ny ? ny - 1 : y + g;
            int gx0 = x - g < 0 ? 0 : x - g, gx1 = x + g >= nx ? nx - 1 : x + g;
            double n = box(cnt, W, x0, x1, y0, y1) - box(cnt, W, gx0, gx1, gy0, gy1);
            double s = box(sum, W, x0, x1, y0, y1) - box(sum, W, gx0, gx1, gy0, gy1);
            if (!p->model) {
                float m = n > 0.5 ? fmaxf((float)(s / n), floor_v) : 0.0f;
                out[0][i] = m > 0.0f ? scale * (float)n * log1pf(c / ((float)n * m))
                                     : 0.0f;
                continue;
            }
            double q = box(sq, W, x0, x1, y0, y1) - box(sq, W, gx0, gx1, gy0, gy1);
            double mc = n > 0.5 ? s / n : 0.0;
            double var = n > 0.5 ? fmax(q / n - mc * mc, 0.0) : 0.0;
            float mu = (float)(mc + centre);
            float sd = n > 1.5 ? fmaxf((float)sqrt(var), floor_v) : 0.0f;
            out[0][i] = sd > 0.0f ? scale * (c - mu) / sd : 0.0f;
        }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const cfar_params *p = MS_P(ctx, cfar_params);
    int ny = (int)ctx->in[0].dims[0], nx = (int)ctx->in[0].dims[1], g, w;
    window(ctx, &g, &w);
    cl_mem floor_v, tables;
    int rc = ms_stage_scratch_device(ctx, cl, 2 * sizeof(cl_float), &floor_v);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, tables_bytes(ctx), &tables);
    if (rc)
        return rc;
    /* the map-wide estimate and mean: one work-group strides over the map */
    size_t local = 64;
    ms_cl_arg fargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]),
                         MS_CL_MEM(floor_v), MS_CL_INT(nx * ny),
                         MS_CL_INT(p->model), MS_CL_FLOAT((float)p->floor),
                         MS_CL_LOCAL(2 * local * sizeof(float))};
    rc = ms_cl_launch(cl, "cfar", "cfar_floor", 1, &local, &local, fargs, 7);
    if (rc)
        return rc;
    ms_cl_arg rargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]),
                         MS_CL_MEM(tables), MS_CL_INT(nx), MS_CL_INT(ny),
                         MS_CL_INT(p->model), MS_CL_MEM(floor_v)};
    size_t rows = (size_t)ny + 1, cols = nx > 0 ? (size_t)nx : 1;
    ms_cl_arg cargs[] = {MS_CL_MEM(tables), MS_CL_INT(nx), MS_CL_INT(ny)};
    if ((rc = ms_cl_launch(cl, "cfar", "cfar_rows", 1, &rows, NULL, rargs, 7)) ||
        (rc = ms_cl_launch(cl, "cfar", "cfar_cols", 1, &cols, NULL, cargs, 3)))
        return rc;
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_INT(nx), MS_CL_INT(ny), MS_CL_INT(g),
                        MS_CL_INT(w),
                        MS_CL_FLOAT(out_scale(p)), MS_CL_INT(p->model),
                        MS_CL_MEM(floor_v), MS_CL_MEM(tables)};
    size_t global[2] = {(size_t)nx, (size_t)ny};
    return ms_cl_launch(cl, "cfar", "cfar", 2, global, NULL, args, 11);
}

const ms_stage_decl ms_stage_cfar = {
    .name = "cfar",
    .summary = "cell-averaging CFAR against a training ring in metres: "
               "-ln(false-alarm probability) scaled to score_at_threshold "
               "at pfa (inputs: map, hit count)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr_map", "gpr_hits"},
    .out_slots = {"gpr_z"},
    .in_kinds = {MS_ARRAY_MAP, MS_ARRAY_MAP},
    .params = params, .n_params = 6,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = tables_bytes,
    .tolerance = 1e-5,
};
