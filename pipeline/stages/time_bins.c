/* time_bins: average each trace over consecutive time bins of `bin_ns`
 * (present samples only), turning [traces][samples] into a short feature
 * vector per trace, [traces][bins]: the depth axis of a gridded volume.
 * The second output marks the bins that had a sample present. With
 * power=1 a bin holds the mean of the squared samples (of an envelope:
 * the mean power, what window_energy takes over its window), so that a
 * volume's planes are window_energy's map cut into depth slices. */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct time_bins_params {
    double bin_ns;
    int power;
} time_bins_params;
MS_STAGE_PARAMS(time_bins_params);

static const ms_param_decl params[] = {
    {"bin_ns", MS_PARAM_FLOAT, MS_PARAM_AT(time_bins_params, bin_ns), 0.5, 0.01, 100.0, "ns", "length of a time bin"},
    {"power", MS_PARAM_INT, MS_PARAM_AT(time_bins_params, power), 0, 0, 1, "",
     "1: average the squared samples (mean power), 0: the samples"},
};

static int samples_per_bin(const ms_stage_ctx *ctx)
{
    const time_bins_params *p = MS_P(ctx, time_bins_params);
    double s = p->bin_ns * 1e-9 / ctx->env->dt_s;
    return s < 1.0 ? 1 : s > 1e6 ? 1000000 : (int)lround(s);
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "time_bins: sample interval unknown");
    size_t per = (size_t)samples_per_bin(ctx), ns = ctx->in[0].dims[1];
    ctx->out[0] = (ms_shape){MS_ARRAY_SERIES,
                             {ctx->in[0].dims[0], (ns + per - 1) / per, 1}};
    ctx->out[0].plane_s = (double)per * ctx->env->dt_s;
    ctx->out[1] = ctx->out[0];
    ctx->out[1].kind = MS_ARRAY_MASK;
    return 0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    size_t nb = ctx->out[0].dims[1], per = (size_t)samples_per_bin(ctx);
    int power = MS_P(ctx, time_bins_params)->power;
    for (size_t i = 0; i < nt; i++)
        for (size_t b = 0; b < nb; b++) {
            float sum = 0.0f, count = 0.0f;
            for (size_t j = b * per; j < (b + 1) * per && j < ns; j++) {
                float v = in[0][i * ns + j];
                sum += in[1][i * ns + j] * (power ? v * v : v);
                count += in[1][i * ns + j];
            }
            out[0][i * nb + b] = count > 0.0f ? sum / count : 0.0f;
            out[1][i * nb + b] = count > 0.0f ? 1.0f : 0.0f;
        }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    size_t nb = ctx->out[0].dims[1];
    ms_cl_arg args[] = {MS_CL_MEM(in[0]),  MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_MEM(out[1]), MS_CL_INT(nt),    MS_CL_INT(ns),
                        MS_CL_INT(nb),     MS_CL_INT(samples_per_bin(ctx)),
                        MS_CL_INT(MS_P(ctx, time_bins_params)->power)};
    size_t global[2] = {nb, nt};
    return ms_cl_launch(cl, "time_bins", "time_bins", 2, global, NULL, args, 9);
}

const ms_stage_decl ms_stage_time_bins = {
    .name = "time_bins",
    .summary = "average each trace over time bins (the depth axis of a volume)",
    .n_in = 2, .n_out = 2,
    .in_slots = {"gpr_env", "gpr_valid"},
    .out_slots = {"gpr_bins", "gpr_bins_valid"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 2,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
