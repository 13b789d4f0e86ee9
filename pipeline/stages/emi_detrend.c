/* emi_detrend: remove the metal detector's drift and the slowly varying
 * soil background by subtracting, per channel, a running mean over a window
 * of readings (weighted by the validity mask). A small metal object passes
 * under the coil in a fraction of a second and survives. */
#include "minescan/error.h"
#include "stages/running_mean.h"
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

/* The running mean over rows of background_removal, C and kernel: the
 * same operation on [readings][channels] (running_mean.h). */
static long half_window(const ms_stage_ctx *ctx)
{
    return MS_P(ctx, emi_detrend_params)->window_readings / 2;
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    return ms_rows_mean_scratch(ctx->in[0].dims[1], half_window(ctx), 0);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t n = ctx->in[0].dims[0], nc = ctx->in[0].dims[1];
    void *scratch;
    int rc = ms_stage_scratch_host(ctx, ms_rows_mean_scratch(nc, half_window(ctx), 0),
                                   &scratch);
    if (!rc)
        ms_rows_mean_cpu(in[0], in[1], out[0], n, nc, half_window(ctx), scratch);
    return rc;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    return ms_rows_mean_opencl(cl, in, out[0], ctx->in[0].dims[0],
                               ctx->in[0].dims[1], half_window(ctx));
}

const ms_stage_decl ms_stage_emi_detrend = {
    .name = "emi_detrend",
    .summary = "subtract a running mean of the metal-detector readings",
    .n_in = 2, .n_out = 1,
    .in_slots = {"emi", "emi_valid"},
    .out_slots = {"emi_signal"},
    .in_kinds = {MS_ARRAY_SERIES, MS_ARRAY_MASK},
    .params = params, .n_params = 1,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
