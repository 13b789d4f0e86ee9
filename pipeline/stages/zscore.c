/* zscore: express a map in standard deviations above its own mean, so that
 * maps from different sensors (and different gains) share one scale before
 * fusion and thresholding. A constant map becomes all zeros. */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    return 0;
}

/* Two-pass mean and standard deviation in one fixed order; the kernel's
 * single work-item runs the same loops so the two agree. */
static void map_stats(const float *v, size_t n, float *mean, float *sd)
{
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    float mu = n ? sum / (float)n : 0.0f;
    float ss = 0.0f;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - mu) * (v[i] - mu);
    *mean = mu;
    *sd = n ? sqrtf(ss / (float)n) : 0.0f;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t n = ms_shape_count(ctx->in[0]);
    float mean, sd;
    map_stats(in[0], n, &mean, &sd);
    for (size_t i = 0; i < n; i++)
        out[0][i] = sd > 0.0f ? (in[0][i] - mean) / sd : 0.0f;
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
    ms_cl_arg sargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(stats), MS_CL_INT(n)};
    rc = ms_cl_launch(cl, "zscore", "map_stats", 1, one, sargs, 3);
    if (!rc) {
        ms_cl_arg zargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(stats),
                             MS_CL_MEM(out[0]), MS_CL_INT(n)};
        rc = ms_cl_launch(cl, "zscore", "zscore", 1, all, zargs, 4);
    }
    if (!rc)
        rc = ms_cl_finish(cl); /* before the stats buffer goes */
    ms_cl_release(stats);
    return rc;
}

const ms_stage_decl ms_stage_zscore = {
    .name = "zscore",
    .summary = "standardise a map: (value - mean) / standard deviation",
    .n_in = 1, .n_out = 1,
    .in_slots = {"gpr_map"},
    .out_slots = {"gpr_z"},
    .in_kinds = {MS_ARRAY_MAP},
    .params = NULL, .n_params = 0,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
