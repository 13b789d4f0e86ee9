/* emi_detrend: remove the metal detector's drift and the slowly varying
 * soil background by subtracting, per channel, a running mean over a window
 * of readings (weighted by the validity mask). A small metal object passes
 * under the coil in a fraction of a second and survives. */
#include "minescan/error.h"
#include "stages/stage.h"

typedef struct emi_detrend_params {
    int window_readings;
} emi_detrend_params;
MS_STAGE_PARAMS(emi_detrend_params);

static const ms_param_decl params[] = {
    {"window_readings", MS_PARAM_INT, MS_PARAM_AT(emi_detrend_params, window_readings), 61, 1, 100001, "readings",
     "length of the running mean (centred)"},
};

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    return 0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const emi_detrend_params *p = MS_P(ctx, emi_detrend_params);
    const float *s = in[0], *m = in[1];
    long n = (long)ctx->in[0].dims[0];
    size_t nc = ctx->in[0].dims[1];
    long half = (long)p->window_readings / 2;
    for (long i = 0; i < n; i++) {
        long lo = i - half < 0 ? 0 : i - half;
        long hi = i + half >= n ? n - 1 : i + half;
        for (size_t c = 0; c < nc; c++) {
            float sum = 0.0f, weight = 0.0f;
            for (long k = lo; k <= hi; k++) {
                sum += m[k * nc + c] * s[k * nc + c];
                weight += m[k * nc + c];
            }
            size_t at = (size_t)i * nc + c;
            float mean = weight > 0.0f ? sum / weight : 0.0f;
            out[0][at] = m[at] > 0.0f ? s[at] - mean : 0.0f;
        }
    }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const emi_detrend_params *p = MS_P(ctx, emi_detrend_params);
    size_t n = ctx->in[0].dims[0], nc = ctx->in[0].dims[1];
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_INT(n), MS_CL_INT(nc),
                        MS_CL_INT((int)p->window_readings / 2)};
    size_t global[2] = {nc, n};
    return ms_cl_launch(cl, "emi_detrend", "emi_detrend", 2, global, NULL, args, 6);
}

const ms_stage_decl ms_stage_emi_detrend = {
    .name = "emi_detrend",
    .summary = "subtract a running mean of the metal-detector readings",
    .n_in = 2, .n_out = 1,
    .in_slots = {"emi", "emi_valid"},
    .out_slots = {"emi_signal"},
    .in_kinds = {MS_ARRAY_SERIES, MS_ARRAY_MASK},
    .params = params, .n_params = 1,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
