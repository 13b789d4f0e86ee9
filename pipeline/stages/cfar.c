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
 * the training spread) is at least `floor` times a map-wide estimate over
 * the swept cells (model 0: their mean; model 1: a robust spread, 1.4826
 * times their median absolute deviation, which one strong target cannot
 * raise: cfar_map.c's noise_floor says why). Without it a quiet stretch (a
 * clean B-scan line away from its targets, or the flank of a matched
 * filter's side lobes, whose training mean is near 0) is scored against
 * almost nothing and a ripple becomes an alarm; with it, a cell must also
 * stand out of the map as a whole, as zscore asked, only less strictly.
 * The ring's count, sum and sum of squares come from summed-area tables
 * (four corners for the training square, four for the guard square), so a
 * cell costs the same whatever the window: the tables are in double, of
 * values centred on the map-wide mean (model 1), so the differences of
 * large sums lose little. Both paths build them the same way (rows, then
 * columns); model 0's map-wide mean is a reduction (double here, one
 * work-group in float on OpenCL), equal within the tolerance; model 1's
 * medians are selections on the host on both paths (the OpenCL path
 * downloads the map for them), so both take the same floor. The
 * statistic is cfar_map.c's, which depth_cfar scores each depth bin with. */
#include "minescan/error.h"
#include "stages/cfar_map.h"
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
     "whole map's (model 1: of its robust spread, 1.4826 median absolute "
     "deviations; 0: no floor)"},
};

/* Guard and training half-widths in cells, the model, floor and scale. */
static ms_cfar_map_opts opts(const ms_stage_ctx *ctx)
{
    const cfar_params *p = MS_P(ctx, cfar_params);
    ms_cfar_map_opts o = {.model = p->model, .floor = (float)p->floor,
                          .scale = ms_cfar_scale(p->model, p->pfa,
                                                 p->score_at_threshold)};
    ms_cfar_cells(p->guard_m, p->train_m, ctx->in[0].cell_m, &o.g, &o.w);
    return o;
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
    return ms_cfar_tables_bytes(ctx->in[0].dims[1], ctx->in[0].dims[0]);
}

/* The summed-area tables (device or host), and on the OpenCL path model
 * 1's host copies for its floor. */
static size_t work_bytes(const ms_stage_ctx *ctx)
{
    return tables_bytes(ctx) +
           ms_cfar_host_floats(MS_P(ctx, cfar_params)->model,
                               ms_shape_count(ctx->in[0])) * sizeof(float);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    int ny = (int)ctx->in[0].dims[0], nx = (int)ctx->in[0].dims[1];
    ms_cfar_map_opts o = opts(ctx);
    double *tables;
    int rc = ms_stage_scratch_host(ctx, tables_bytes(ctx), (void **)&tables);
    if (rc)
        return rc;
    ms_cfar_map_cpu(&o, in[0], in[1], nx, ny, tables, out[0]);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    int ny = (int)ctx->in[0].dims[0], nx = (int)ctx->in[0].dims[1];
    ms_cfar_map_opts o = opts(ctx);
    cl_mem floor_v, tables;
    float *host = NULL;
    size_t hf = ms_cfar_host_floats(o.model, (size_t)nx * (size_t)ny);
    int rc = ms_stage_scratch_device(ctx, cl, 2 * sizeof(cl_float), &floor_v);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, tables_bytes(ctx), &tables);
    if (!rc && hf)
        rc = ms_stage_scratch_host(ctx, hf * sizeof(float), (void **)&host);
    if (rc)
        return rc;
    return ms_cfar_map_cl(cl, &o, in[0], 0, in[1], out[0], nx, ny, floor_v,
                          tables, host, 0);
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
    .work_bytes = work_bytes,
    .tolerance = 1e-5,
};
