/* background_removal: subtract, at each sample, the mean of the same sample
 * over a window of neighbouring traces. Removes the ground bounce and the
 * antenna ringing (both nearly the same in every trace) and leaves the
 * hyperbolas of buried objects; it also flattens long flat layers, which is
 * why the window is finite. Weighted by the validity mask.
 *
 * The running mean over rows below is shared with emi_detrend (the same
 * operation on [readings][channels]). */
#include "minescan/error.h"
#include "stages/running_mean.h"
#include "stages/stage.h"

typedef struct background_removal_params {
    int window_traces;
} background_removal_params;
MS_STAGE_PARAMS(background_removal_params);

static const ms_param_decl params[] = {
    {"window_traces", MS_PARAM_INT, MS_PARAM_AT(background_removal_params, window_traces), 51, 1, 2001, "traces",
     "number of neighbouring traces in the mean (centred, odd)"},
};

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    return 0;
}

static long half_window(const ms_stage_ctx *ctx)
{
    return MS_P(ctx, background_removal_params)->window_traces / 2;
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    return ms_rows_mean_scratch(ctx->in[0].dims[1], half_window(ctx), 1);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    void *scratch;
    int rc = ms_stage_scratch_host(
        ctx, ms_rows_mean_scratch(ns, half_window(ctx), out[0] == in[0]),
        &scratch);
    if (!rc)
        ms_rows_mean_cpu(in[0], in[1], out[0], nt, ns, half_window(ctx),
                         scratch);
    return rc;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    return ms_rows_mean_opencl(cl, in, out[0], ctx->in[0].dims[0],
                               ctx->in[0].dims[1], half_window(ctx));
}

const ms_stage_decl ms_stage_background_removal = {
    .name = "background_removal",
    .summary = "subtract the mean trace of neighbouring traces",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 1,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .in_place = 1,
    .tolerance = 1e-5,
};
