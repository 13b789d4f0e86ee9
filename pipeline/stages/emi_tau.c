/* emi_tau: the decay time of the metal under each map cell, and a
 * mine-likeness score from it. A pulse-induction detector's eddy currents
 * die out as A exp(-t / tau): thin, small metal (a mine's striker, spring,
 * detonator: 0.5-6 g, tau 15-60 us) fast, chunky fragments (tau ~150 us)
 * and steel cases slowly. The input is the detrended (background-
 * normalised) gates gridded per cell, a volume [gates][ny][nx] from
 * grid_volume, so each fit sees the average of the readings around a cell.
 *
 * Per swept cell with the first gate e0 above min_amplitude (well above
 * the noise, where the logarithm means something): a log-linear least
 * squares fit of ln e_c against t_c - t_0 over the leading gates above
 * min_amplitude (a decay that has sunk into the noise says nothing after
 * that), weighted by e_c^2 (the inverse variance of ln e_c under constant
 * noise), tau = -1 / slope. Where only the first gate is above, the decay
 * is at least as fast as reaching min_amplitude by the second gate: tau is
 * that bound, and nothing speaks against thin metal (with two gates far
 * apart, 20 and 150 us, every minimum-metal mine lands here). A flat or
 * rising response is capped at TAU_CAP_US.
 *
 * Outputs (maps): tau in us (0 where not estimated: unswept, weak or a
 * single gate), the late-to-early ratio e_last / e0 (0 likewise), and the
 * mine-likeness score e0 g: the first gate (amplitude) weighted by
 * g = 1 / (1 + (tau / tau_split)^sharpness) where tau was fitted, g = 1
 * where it is only bounded or not estimated. g is eased in over e0 in
 * [min_amplitude, 2 min_amplitude], so a weak cell keeps its first gate,
 * the map stays continuous, and the dipole filter and CFAR downstream see
 * the usual background.
 *
 * Gate times: from the recording (ms_env.emi_gate_s) when it names one per
 * gate, else log-spaced from first_gate_us to last_gate_us (as PI
 * detectors space them; with two gates, the two). Both paths fit in
 * double in the same order; the gate offsets are made once on the host. */
#include <math.h>
#include <stdio.h>

#include "minescan/error.h"
#include "stages/stage.h"

/* The decay time given to a response that does not decay (us). */
#define TAU_CAP_US 10000.0

typedef struct emi_tau_params {
    double first_gate_us;
    double last_gate_us;
    double min_amplitude;
    double tau_split_us;
    double sharpness;
} emi_tau_params;
MS_STAGE_PARAMS(emi_tau_params);

static const ms_param_decl params[] = {
    {"first_gate_us", MS_PARAM_FLOAT, MS_PARAM_AT(emi_tau_params, first_gate_us), 20.0, 0.1, 10000.0, "us",
     "time of the first gate, where the recording does not name its gates"},
    {"last_gate_us", MS_PARAM_FLOAT, MS_PARAM_AT(emi_tau_params, last_gate_us), 150.0, 0.1, 10000.0, "us",
     "time of the last gate, where the recording does not name its gates"},
    {"min_amplitude", MS_PARAM_FLOAT, MS_PARAM_AT(emi_tau_params, min_amplitude), 0.03, 1e-6, 1e6, "signal",
     "a gate enters the fit only above this (the recording's units; "
     "several times the noise of a gridded cell)"},
    {"tau_split_us", MS_PARAM_FLOAT, MS_PARAM_AT(emi_tau_params, tau_split_us), 80.0, 1.0, 10000.0, "us",
     "decay time at which the score halves: thin metal decays faster"},
    {"sharpness", MS_PARAM_FLOAT, MS_PARAM_AT(emi_tau_params, sharpness), 1.0, 0.5, 20.0, "",
     "exponent of the roll-off of the score with tau (1: a soft "
     "weighting; the tune split prefers it to a sharp cut, which also "
     "cuts the mines whose fit the soil residual biases slow)"},
};

static int check(const ms_params *values)
{
    const emi_tau_params *p = MS_P_OF(values, emi_tau_params);
    if (p->last_gate_us <= p->first_gate_us)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "last_gate_us (%g) must be after first_gate_us (%g)",
                       p->last_gate_us, p->first_gate_us);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->in[0].dims[1] != ctx->in[1].dims[0] ||
        ctx->in[0].dims[2] != ctx->in[1].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "emi_tau: the gate volume's planes (%zu x %zu) and "
                       "the hit counts (%zu x %zu) differ in size",
                       ctx->in[0].dims[2], ctx->in[0].dims[1],
                       ctx->in[1].dims[1], ctx->in[1].dims[0]);
    if (ctx->in[0].dims[0] > (size_t)1 << 20)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "emi_tau: %zu gates (planes) is not a metal detector",
                       ctx->in[0].dims[0]);
    ms_shape map = {MS_ARRAY_MAP, {ctx->in[0].dims[1], ctx->in[0].dims[2], 1},
                    ctx->in[0].cell_m};
    for (int k = 0; k < 3; k++)
        ctx->out[k] = map;
    size_t ng = ctx->in[0].dims[0];
    const ms_env *env = ctx->env;
    if (ng > 1 && !(env && env->n_emi_gates == ng))
        snprintf(ctx->warning, sizeof ctx->warning,
                 "emi_tau: the recording does not name its %zu gate times; "
                 "using first_gate_us .. last_gate_us, log-spaced", ng);
    return 0;
}

/* The gate offsets t_c - t_0 in us, into ctx scratch. */
static int gate_offsets(const ms_stage_ctx *ctx, float **dt)
{
    const emi_tau_params *p = MS_P(ctx, emi_tau_params);
    size_t ng = ctx->in[0].dims[0];
    int rc = ms_stage_scratch_host(ctx, ng * sizeof(float), (void **)dt);
    if (rc)
        return rc;
    const ms_env *env = ctx->env;
    int named = env && env->n_emi_gates == ng;
    for (size_t c = 0; c < ng; c++) {
        double t;
        if (named)
            t = (env->emi_gate_s[c] - env->emi_gate_s[0]) * 1e6;
        else if (ng < 2)
            t = 0.0;
        else
            t = p->first_gate_us *
                    pow(p->last_gate_us / p->first_gate_us,
                        (double)c / (double)(ng - 1)) -
                p->first_gate_us;
        (*dt)[c] = (float)t;
    }
    return 0;
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    return 2 * ctx->in[0].dims[0] * sizeof(float);
}

/* One cell: the same arithmetic as kernels/emi_tau.cl. */
static void cell(const float *v, size_t plane, int ng, const float *dt,
                 float hits, float thr, float split, float sharp,
                 float *tau_out, float *ratio_out, float *score_out)
{
    float e0 = v[0];
    *tau_out = 0.0f;
    *ratio_out = 0.0f;
    *score_out = hits > 0.0f ? e0 : 0.0f;
    if (!(hits > 0.0f) || ng < 2 || !(e0 > thr))
        return;
    int run = 1;
    while (run < ng && v[(size_t)run * plane] > thr)
        run++;
    /* in double: a slow decay's rate is a small difference of logs, and
     * its inverse (tau) would carry float's rounding, differently on the
     * two paths, into the map */
    double tau, g = 1.0;
    if (run == 1) {
        /* below thr by the second gate: at least this fast, no evidence
         * of chunky metal (g stays 1) */
        tau = fmin((double)dt[1] / log((double)e0 / thr), TAU_CAP_US);
    } else {
        double sw = 0.0, swx = 0.0, swy = 0.0;
        for (int c = 0; c < run; c++) {
            double e = v[(size_t)c * plane], w = e * e;
            sw += w;
            swx += w * dt[c];
            swy += w * log(e);
        }
        double xm = swx / sw, ym = swy / sw, sxx = 0.0, sxy = 0.0;
        for (int c = 0; c < run; c++) {
            double e = v[(size_t)c * plane], w = e * e;
            double dx = dt[c] - xm;
            sxx += w * dx * dx;
            sxy += w * dx * (log(e) - ym);
        }
        double rate = sxx > 0.0 ? -sxy / sxx : 0.0; /* 1 / us */
        tau = rate > 1.0 / TAU_CAP_US ? 1.0 / rate : TAU_CAP_US;
        g = 1.0 / (1.0 + pow(tau / split, sharp));
    }
    float ease = fminf(1.0f, (e0 - thr) / thr);
    *tau_out = (float)tau;
    *ratio_out = v[(size_t)(ng - 1) * plane] / e0;
    *score_out = e0 * (1.0f + ((float)g - 1.0f) * ease);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const emi_tau_params *p = MS_P(ctx, emi_tau_params);
    size_t ng = ctx->in[0].dims[0];
    size_t plane = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    float *dt;
    int rc = gate_offsets(ctx, &dt);
    if (rc)
        return rc;
    for (size_t i = 0; i < plane; i++)
        cell(in[0] + i, plane, (int)ng, dt, in[1][i], (float)p->min_amplitude,
             (float)p->tau_split_us, (float)p->sharpness, &out[0][i],
             &out[1][i], &out[2][i]);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const emi_tau_params *p = MS_P(ctx, emi_tau_params);
    size_t ng = ctx->in[0].dims[0];
    size_t plane = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    float *dt;
    cl_mem ddt;
    int rc = gate_offsets(ctx, &dt);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, ng * sizeof(float), &ddt);
    if (!rc)
        rc = ms_cl_upload(cl, ddt, dt, ng * sizeof(float));
    if (rc)
        return rc;
    ms_cl_arg args[] = {
        MS_CL_MEM(in[0]),  MS_CL_MEM(in[1]),  MS_CL_MEM(ddt),
        MS_CL_MEM(out[0]), MS_CL_MEM(out[1]), MS_CL_MEM(out[2]),
        MS_CL_INT(plane),  MS_CL_INT(ng),
        MS_CL_FLOAT(p->min_amplitude), MS_CL_FLOAT(p->tau_split_us),
        MS_CL_FLOAT(p->sharpness)};
    size_t global[1] = {plane};
    return ms_cl_launch(cl, "emi_tau", "emi_tau", 1, global, NULL, args, 11);
}

const ms_stage_decl ms_stage_emi_tau = {
    .name = "emi_tau",
    .summary = "metal-detector decay time per map cell (log-linear fit over "
               "the gates), late-to-early ratio and a thin-metal score "
               "(inputs: gate volume, hit count)",
    .n_in = 2, .n_out = 3,
    .in_slots = {"emi_vol", "emi_hits"},
    .out_slots = {"emi_tau", "emi_ratio", "emi_mine"},
    .in_kinds = {MS_ARRAY_VOLUME, MS_ARRAY_MAP},
    .params = params, .n_params = 5,
    .check = check,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
