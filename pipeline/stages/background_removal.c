/* background_removal: subtract, at each sample, the mean of the same sample
 * over a window of neighbouring traces. Removes the ground bounce and the
 * antenna ringing (both nearly the same in every trace) and leaves the
 * hyperbolas of buried objects; it also flattens long flat layers, which is
 * why the window is finite. Weighted by the validity mask.
 *
 * The window is a distance along the track (window_m), turned into traces
 * with the recording's trace spacing (the median step between positions),
 * so that it covers the same ground at 3 mm and at 2 cm per trace; the
 * built-in recipes give it. window_m 0 (its default, so that an older
 * recipe means what it meant) counts traces with window_traces; a
 * window_m with window_traces away from its default is refused. Without
 * positions (spacing unknown) the trace count is used.
 *
 * The running mean over rows below is shared with emi_detrend (the same
 * operation on [readings][channels]). */
#include <math.h>

#include "minescan/error.h"
#include "stages/running_mean.h"
#include "stages/stage.h"

typedef struct background_removal_params {
    int window_traces;
    double window_m;
} background_removal_params;
MS_STAGE_PARAMS(background_removal_params);

/* window_traces' default; window_m 0 means "count traces" */
#define DEF_TRACES 51

static const ms_param_decl params[] = {
    {"window_traces", MS_PARAM_INT, MS_PARAM_AT(background_removal_params, window_traces), DEF_TRACES, 1, 2001, "traces",
     "number of neighbouring traces in the mean (centred, odd), where "
     "window_m is 0"},
    {"window_m", MS_PARAM_FLOAT, MS_PARAM_AT(background_removal_params, window_m), 0.0, 0.0, 1000.0, "m",
     "length of track in the mean (centred), turned into traces with the "
     "recording's trace spacing; 0: window_traces counts traces"},
};

/* Whether the trace count is the window. */
static int traces_given(const background_removal_params *p)
{
    return !(p->window_m > 0.0);
}

static int check(const ms_params *values)
{
    const background_removal_params *p =
        MS_P_OF(values, background_removal_params);
    /* the effective recipe writes every parameter: window_traces at its
     * default reads as "not given" */
    if (!traces_given(p) && p->window_traces != DEF_TRACES)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "give either window_m (metres along the track) or "
                       "the old window_traces (%d), not both",
                       p->window_traces);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = ctx->in[0];
    return 0;
}

/* Half the window in traces, at most the number of traces (a longer one
 * means the same). */
static long half_window(const ms_stage_ctx *ctx)
{
    const background_removal_params *p = MS_P(ctx, background_removal_params);
    double step = ctx->env->trace_spacing_m;
    /* the window in traces, rounded, then halved as window_traces is;
     * half-way ratios round up whether the spacing came from float64 or
     * float32 positions (the relative nudge is far above float32 rounding
     * and far below any real difference in spacing) */
    double r = p->window_m / step;
    long half = traces_given(p) || !(step > 0.0)
                    ? p->window_traces / 2
                    : (long)fmin(floor(r + 0.5 + 1e-4 * r), 1e9) / 2;
    long nt = (long)ctx->in[0].dims[0];
    return half < nt ? half : nt;
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
    .params = params, .n_params = 2,
    .check = check,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .in_place = 1,
    .tolerance = 1e-5,
};
