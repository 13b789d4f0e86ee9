/* emi_decay: the multi-gate decay feature of a pulse-induction metal
 * detector. Eddy currents in thin, poorly conducting metal (a mine's
 * striker, spring and detonator) die out fast; in chunky fragments and
 * thick steel slowly (decay time tau, UXO discrimination's "tau"). With the
 * first and last gate at t0 and t1, an object of decay time tau_split
 * gives e1 = e0 exp(-(t1 - t0) / tau_split), so
 *   thin = e0 - exp((t1 - t0) / tau_split) e1
 * is positive for objects that decay faster than tau_split, zero at
 * tau_split and negative for slower (chunkier) ones: a linear combination
 * of the gates, so it grids and averages like a channel.
 * Output [readings][2]: channel 0 the first gate (background-normalised
 * upstream by emi_detrend), channel 1 the thin-metal response. A
 * single-gate recording has no decay: channel 1 is then the first gate.
 * The second output is its validity mask: channel 0 as the first gate's,
 * channel 1 where both gates are valid (missing readings are zeros).
 * Gate times are parameters (the contract does not carry them). */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct emi_decay_params {
    double first_gate_us;
    double last_gate_us;
    double tau_split_us;
} emi_decay_params;
MS_STAGE_PARAMS(emi_decay_params);

static const ms_param_decl params[] = {
    {"first_gate_us", MS_PARAM_FLOAT, MS_PARAM_AT(emi_decay_params, first_gate_us), 20.0, 0.1, 10000.0, "us",
     "time of the first gate (channel 0) after the transmit pulse"},
    {"last_gate_us", MS_PARAM_FLOAT, MS_PARAM_AT(emi_decay_params, last_gate_us), 150.0, 0.1, 10000.0, "us",
     "time of the last gate (the last channel)"},
    {"tau_split_us", MS_PARAM_FLOAT, MS_PARAM_AT(emi_decay_params, tau_split_us), 100.0, 1.0, 10000.0, "us",
     "decay time that separates thin metal (faster) from chunky (slower)"},
};

static int check(const ms_params *values)
{
    const emi_decay_params *p = MS_P_OF(values, emi_decay_params);
    if (p->last_gate_us <= p->first_gate_us)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "last_gate_us (%g) must be after first_gate_us (%g)",
                       p->last_gate_us, p->first_gate_us);
    /* the last gate's weight is exp(gap / tau_split): beyond e^30 it would
     * overflow a float on ordinary readings (Inf, NaN on the maps) */
    if ((p->last_gate_us - p->first_gate_us) / p->tau_split_us > 30.0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "last_gate_us - first_gate_us (%g us) must be at most "
                       "30 x tau_split_us (%g us): the late gate's weight "
                       "exp(gap / tau_split) would overflow",
                       p->last_gate_us - p->first_gate_us, p->tau_split_us);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = (ms_shape){MS_ARRAY_SERIES, {ctx->in[0].dims[0], 2, 1}, 0};
    ctx->out[1] = (ms_shape){MS_ARRAY_MASK, {ctx->in[0].dims[0], 2, 1}, 0};
    return 0;
}

/* The weight of the last gate (0 with a single gate). */
static float late_weight(const ms_stage_ctx *ctx)
{
    const emi_decay_params *p = MS_P(ctx, emi_decay_params);
    if (ctx->in[0].dims[1] < 2)
        return 0.0f;
    return (float)exp((p->last_gate_us - p->first_gate_us) / p->tau_split_us);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t n = ctx->in[0].dims[0], nc = ctx->in[0].dims[1];
    float c = late_weight(ctx);
    for (size_t k = 0; k < n; k++) {
        float e0 = in[0][k * nc], e1 = in[0][k * nc + nc - 1];
        float v0 = in[1][k * nc], v1 = v0 * in[1][k * nc + nc - 1];
        out[0][2 * k] = e0;
        out[0][2 * k + 1] = v1 > 0.0f ? e0 - c * e1 : 0.0f;
        out[1][2 * k] = v0;
        out[1][2 * k + 1] = v1;
    }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t n = ctx->in[0].dims[0];
    ms_cl_arg args[] = {MS_CL_MEM(in[0]),  MS_CL_MEM(in[1]),
                        MS_CL_MEM(out[0]), MS_CL_MEM(out[1]), MS_CL_INT(n),
                        MS_CL_INT(ctx->in[0].dims[1]),
                        MS_CL_FLOAT(late_weight(ctx))};
    return ms_cl_launch_runs(cl, "emi_decay", "emi_decay", n, args, 7);
}

const ms_stage_decl ms_stage_emi_decay = {
    .name = "emi_decay",
    .summary = "metal-detector decay feature: first gate and the thin-metal "
               "response (first gate minus the last gate weighted for a "
               "split decay time)",
    .n_in = 2, .n_out = 2,
    .in_slots = {"emi_signal", "emi_valid"},
    .out_slots = {"emi_decay", "emi_decay_valid"},
    .in_kinds = {MS_ARRAY_SERIES, MS_ARRAY_MASK},
    .params = params, .n_params = 3,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-6,
};
