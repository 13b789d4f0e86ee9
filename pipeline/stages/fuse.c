/* fuse: combine a radar map and a metal-detector map, both normalised
 * (zscore, cfar), into one anomaly map: a weighted sum of their positive
 * parts a and b, their product and a constant,
 *   bias + w_gpr a + w_emi b + w_prod a b,
 * the linear score of a logistic regression fitted on the benchmark's
 * tune split (datasets/benchmark/fit_fusion.py). The product rewards a
 * plastic body and a little metal in the same place (a mine) over either
 * alone. With log_inputs=1, a and b are ln(1 + positive part): CFAR
 * statistics grow with the echo's strength, and the log keeps one bright
 * can or fragment from outranking every mine.
 * The radar finds plastic bodies the detector cannot; the detector finds
 * minimum-metal mines where the radar is cluttered; either alone raises
 * the score, both together raise it most. */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct fuse_params {
    double w_gpr;
    double w_emi;
    double w_prod;
    double bias;
    int log_inputs;
} fuse_params;
MS_STAGE_PARAMS(fuse_params);

static const ms_param_decl params[] = {
    {"w_gpr", MS_PARAM_FLOAT, MS_PARAM_AT(fuse_params, w_gpr), 1.0, 0.0, 100.0, "", "weight of the radar map"},
    {"w_emi", MS_PARAM_FLOAT, MS_PARAM_AT(fuse_params, w_emi), 1.0, 0.0, 100.0, "",
     "weight of the metal-detector map"},
    {"w_prod", MS_PARAM_FLOAT, MS_PARAM_AT(fuse_params, w_prod), 0.0, -100.0, 100.0, "",
     "weight of the product of the two"},
    {"bias", MS_PARAM_FLOAT, MS_PARAM_AT(fuse_params, bias), 0.0, -1000.0, 1000.0, "",
     "constant added to every cell"},
    {"log_inputs", MS_PARAM_INT, MS_PARAM_AT(fuse_params, log_inputs), 0, 0, 1, "",
     "1: use ln(1 + positive part) of each map"},
};

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->in[0].dims[0] != ctx->in[1].dims[0] ||
        ctx->in[0].dims[1] != ctx->in[1].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "fuse: maps differ in size (%zu x %zu and %zu x %zu); "
                       "grid both with the same cell_m",
                       ctx->in[0].dims[1], ctx->in[0].dims[0],
                       ctx->in[1].dims[1], ctx->in[1].dims[0]);
    ctx->out[0] = ctx->in[0];
    return 0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const fuse_params *p = MS_P(ctx, fuse_params);
    size_t n = ms_shape_count(ctx->in[0]);
    float wg = (float)p->w_gpr, we = (float)p->w_emi;
    float wp = (float)p->w_prod, c = (float)p->bias;
    /* The positive part as (x + |x|) / 2: exactly x or +0 (up to |x| of
     * FLT_MAX / 2; z-scores are far below). GCC keeps a branch for
     * x > 0 ? x : 0, mispredicted at every change of sign. */
    for (size_t i = 0; i < n; i++) {
        float a = 0.5f * (in[0][i] + fabsf(in[0][i]));
        float b = 0.5f * (in[1][i] + fabsf(in[1][i]));
        if (p->log_inputs) {
            a = log1pf(a);
            b = log1pf(b);
        }
        out[0][i] = c + wg * a + we * b + wp * (a * b);
    }
    return 0;
}

/* Work-items take runs of cells: one each on a GPU; on a CPU, 8
 * work-items per compute unit. */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const fuse_params *p = MS_P(ctx, fuse_params);
    size_t n = ms_shape_count(ctx->in[0]);
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_INT(n), MS_CL_FLOAT(p->w_gpr),
                        MS_CL_FLOAT(p->w_emi), MS_CL_FLOAT(p->w_prod),
                        MS_CL_FLOAT(p->bias), MS_CL_INT(p->log_inputs)};
    return ms_cl_launch_runs(cl, "fuse", "fuse", n, args, 9);
}

const ms_stage_decl ms_stage_fuse = {
    .name = "fuse",
    .summary = "weighted sum of the positive parts of a radar and a "
               "metal-detector map, their product and a constant",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr_z", "emi_z"},
    .out_slots = {"anomaly"},
    .in_kinds = {MS_ARRAY_MAP, MS_ARRAY_MAP},
    .params = params, .n_params = 5,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
