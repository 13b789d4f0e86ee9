/* background_removal: subtract, at each sample, the mean of the same sample
 * over a window of neighbouring traces. Removes the ground bounce and the
 * antenna ringing (both nearly the same in every trace) and leaves the
 * hyperbolas of buried objects; it also flattens long flat layers, which is
 * why the window is finite. Weighted by the validity mask. */
#include <stdlib.h>

#include "minescan/error.h"
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

static int half_window(const ms_stage_ctx *ctx) { return (int)MS_P(ctx, background_removal_params)->window_traces / 2; }

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const float *s = in[0], *m = in[1];
    long nt = (long)ctx->in[0].dims[0];
    size_t ns = ctx->in[0].dims[1];
    long half = half_window(ctx);
    /* Sums for one output trace at a time, adding whole neighbouring traces
     * (contiguous, vectorisable); each sample still adds its neighbours in
     * ascending trace order, as the kernel does. */
    float *sum = malloc(2 * (ns ? ns : 1) * sizeof *sum);
    if (!sum)
        return ms_fail(MS_ERR_NOMEM, "background_removal: out of memory");
    float *weight = sum + ns;
    for (long i = 0; i < nt; i++) {
        long lo = i - half < 0 ? 0 : i - half;
        long hi = i + half >= nt ? nt - 1 : i + half;
        for (size_t j = 0; j < ns; j++)
            sum[j] = weight[j] = 0.0f;
        for (long k = lo; k <= hi; k++) {
            const float *sk = s + (size_t)k * ns, *mk = m + (size_t)k * ns;
            for (size_t j = 0; j < ns; j++) {
                sum[j] += mk[j] * sk[j];
                weight[j] += mk[j];
            }
        }
        for (size_t j = 0; j < ns; j++) {
            size_t at = (size_t)i * ns + j;
            float mean = weight[j] > 0.0f ? sum[j] / weight[j] : 0.0f;
            out[0][at] = m[at] > 0.0f ? s[at] - mean : 0.0f;
        }
    }
    free(sum);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_INT(nt), MS_CL_INT(ns),
                        MS_CL_INT(half_window(ctx))};
    size_t global[2] = {ns, nt};
    return ms_cl_launch(cl, "background_removal", "background_removal", 2,
                        global, NULL, args, 6);
}

const ms_stage_decl ms_stage_background_removal = {
    .name = "background_removal",
    .summary = "subtract the mean trace of neighbouring traces",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 1,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
