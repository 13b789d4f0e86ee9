/* dewow: remove the low-frequency "wow" (induction and DC drift) from each
 * trace by subtracting a running mean over `window_ns`, weighted by the
 * validity mask so that a gap counts as nothing rather than as zero. */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct dewow_params {
    double window_ns;
} dewow_params;
MS_STAGE_PARAMS(dewow_params);

static const ms_param_decl params[] = {
    {"window_ns", MS_PARAM_FLOAT, MS_PARAM_AT(dewow_params, window_ns), 2.0, 0.01, 1000.0, "ns",
     "length of the running mean; about one to three wavelet periods"},
};

/* Half-width of the running mean in samples: at least 1, since a window
 * of one sample would subtract each sample from itself. */
static int half_window(const ms_stage_ctx *ctx)
{
    const dewow_params *p = MS_P(ctx, dewow_params);
    double w = p->window_ns * 1e-9 / ctx->env->dt_s;
    long half = lround(w / 2.0);
    return half < 1 ? 1 : half > 1000000 ? 1000000 : (int)half;
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "dewow: sample interval unknown");
    ctx->out[0] = ctx->in[0];
    return 0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const float *s = in[0], *m = in[1];
    size_t nt = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    long half = half_window(ctx);
    for (size_t i = 0; i < nt; i++) {
        const float *si = s + i * ns, *mi = m + i * ns;
        for (size_t j = 0; j < ns; j++) {
            long lo = (long)j - half < 0 ? 0 : (long)j - half;
            long hi = (long)j + half >= (long)ns ? (long)ns - 1 : (long)j + half;
            float sum = 0.0f, weight = 0.0f;
            for (long k = lo; k <= hi; k++) {
                sum += mi[k] * si[k];
                weight += mi[k];
            }
            float mean = weight > 0.0f ? sum / weight : 0.0f;
            out[0][i * ns + j] = mi[j] > 0.0f ? si[j] - mean : 0.0f;
        }
    }
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
    return ms_cl_launch(cl, "dewow", "dewow", 2, global, NULL, args, 6);
}

const ms_stage_decl ms_stage_dewow = {
    .name = "dewow",
    .summary = "subtract a running mean along each trace (removes wow)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid"},
    .out_slots = {"gpr"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK},
    .params = params, .n_params = 1,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
