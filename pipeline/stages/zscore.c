/* zscore: express a map in standard deviations above its own mean, so that
 * maps from different sensors (and different gains) share one scale before
 * fusion and thresholding. The statistics come from the cells that were
 * swept (hit count > 0): cells nobody swept hold no data and must not pull
 * the scale, so a fixed alarm threshold means the same on every lane. They
 * come out as 0, as does every cell of a constant map. */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->in[0].dims[0] != ctx->in[1].dims[0] ||
        ctx->in[0].dims[1] != ctx->in[1].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "zscore: the map (%zu x %zu) and its hit counts "
                       "(%zu x %zu) differ in size", ctx->in[0].dims[1],
                       ctx->in[0].dims[0], ctx->in[1].dims[1],
                       ctx->in[1].dims[0]);
    ctx->out[0] = ctx->in[0];
    return 0;
}

/* Mean and standard deviation over the swept cells, in one fixed order;
 * the kernel's single work-item runs the same loops so the two agree. The
 * sums run over values divided by the largest magnitude, so that squares
 * of large energies cannot overflow single precision (no fp64 needed). */
static void map_stats(const float *v, const float *hits, size_t n,
                      float *mean, float *sd)
{
    float peak = 0.0f, sum = 0.0f, count = 0.0f;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f)
            peak = fmaxf(peak, fabsf(v[i]));
    float scale = peak > 0.0f ? peak : 1.0f;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f) {
            sum += v[i] / scale;
            count += 1.0f;
        }
    float mu = count > 0.0f ? sum / count : 0.0f;
    float ss = 0.0f;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f)
            ss += (v[i] / scale - mu) * (v[i] / scale - mu);
    *mean = mu * scale;
    *sd = count > 0.0f ? sqrtf(ss / count) * scale : 0.0f;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t n = ms_shape_count(ctx->in[0]);
    float mean, sd;
    map_stats(in[0], in[1], n, &mean, &sd);
    for (size_t i = 0; i < n; i++)
        out[0][i] = sd > 0.0f && in[1][i] > 0.0f ? (in[0][i] - mean) / sd
                                                  : 0.0f;
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t n = ms_shape_count(ctx->in[0]);
    cl_mem stats;
    int rc = ms_cl_alloc(cl, 2 * sizeof(float), &stats);
    if (rc)
        return rc;
    size_t one[1] = {1}, all[1] = {n};
    ms_cl_arg sargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(stats),
                         MS_CL_INT(n)};
    rc = ms_cl_launch(cl, "zscore", "map_stats", 1, one, NULL, sargs, 4);
    if (!rc) {
        ms_cl_arg zargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]),
                             MS_CL_MEM(stats), MS_CL_MEM(out[0]),
                             MS_CL_INT(n)};
        rc = ms_cl_launch(cl, "zscore", "zscore", 1, all, NULL, zargs, 5);
    }
    if (!rc)
        rc = ms_cl_finish(cl); /* before the stats buffer goes */
    ms_cl_release(stats);
    return rc;
}

const ms_stage_decl ms_stage_zscore = {
    .name = "zscore",
    .summary = "standardise a map over its swept cells: (value - mean) / "
               "standard deviation (inputs: map, hit count)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr_map", "gpr_hits"},
    .out_slots = {"gpr_z"},
    .in_kinds = {MS_ARRAY_MAP, MS_ARRAY_MAP},
    .params = NULL, .n_params = 0,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
