/* volume_energy: the mean power of each cell of a depth volume (a
 * migrated one, planes in metres below the surface) over the planes whose
 * centres lie between depth_start_m and depth_end_m: the energy map of a
 * depth window, the radar's anomaly feature after migration. */
#include <math.h>
#include <stdio.h>

#include "minescan/error.h"
#include "stages/stage.h"

typedef struct volume_energy_params {
    double depth_start_m;
    double depth_end_m;
} volume_energy_params;
MS_STAGE_PARAMS(volume_energy_params);

static const ms_param_decl params[] = {
    {"depth_start_m", MS_PARAM_FLOAT, MS_PARAM_AT(volume_energy_params, depth_start_m), 0.02, 0.0, 100.0, "m",
     "window start below the ground surface"},
    {"depth_end_m", MS_PARAM_FLOAT, MS_PARAM_AT(volume_energy_params, depth_end_m), 0.2, 0.0, 100.0, "m",
     "window end below the ground surface"},
};

static int check(const ms_params *values)
{
    const volume_energy_params *p = MS_P_OF(values, volume_energy_params);
    if (p->depth_end_m <= p->depth_start_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "depth_end_m (%g) must exceed depth_start_m (%g)",
                       p->depth_end_m, p->depth_start_m);
    return 0;
}

/* The planes [lo, hi) whose centres (k + 0.5) * plane_m lie in the
 * window; lo = hi when none does. */
static void planes(const ms_stage_ctx *ctx, int *lo, int *hi)
{
    const volume_energy_params *p = MS_P(ctx, volume_energy_params);
    double dz = ctx->in[0].plane_m;
    long nz = (long)ctx->in[0].dims[0];
    long a = (long)ceil(p->depth_start_m / dz - 0.5);
    long b = (long)floor(p->depth_end_m / dz - 0.5) + 1;
    a = a < 0 ? 0 : a > nz ? nz : a;
    b = b < a ? a : b > nz ? nz : b;
    *lo = (int)a;
    *hi = (int)b;
}

static int shape(ms_stage_ctx *ctx)
{
    if (!(ctx->in[0].plane_m > 0))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "volume_energy: the input volume is not in depth "
                       "(make it with migrate_kirchhoff)");
    ctx->out[0] = (ms_shape){MS_ARRAY_MAP,
                             {ctx->in[0].dims[1], ctx->in[0].dims[2], 1},
                             ctx->in[0].cell_m};
    int lo, hi;
    planes(ctx, &lo, &hi);
    if (lo == hi)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the depth window holds none of the volume's %zu planes "
                 "(%g m each): the map is zero", ctx->in[0].dims[0],
                 ctx->in[0].plane_m);
    return 0;
}

/* sum[c] += p[c]^2: restrict tells the vectoriser that the output is
 * not one of the planes (without it the loop stayed scalar, 2.1 ms
 * against numpy einsum's 0.9 on the bench's volume). */
static void add_squares(const float *restrict p, float *restrict sum,
                        size_t n)
{
    for (size_t c = 0; c < n; c++)
        sum[c] += p[c] * p[c];
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    int lo, hi;
    planes(ctx, &lo, &hi);
    size_t n = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    /* plane by plane, so that each pass reads one plane in order (cell by
     * cell, the planes' stride apart, was 7x slower than numpy's einsum
     * on 20 x 320 x 640; a block of cells over every plane at a time, 18
     * streams at once, 1.5x slower than whole planes); each cell still
     * sums its planes in order k */
    float *sum = out[0];
    for (size_t c = 0; c < n; c++)
        sum[c] = 0.0f;
    for (int k = lo; k < hi; k++)
        add_squares(in[0] + (size_t)k * n, sum, n);
    if (hi > lo)
        for (size_t c = 0; c < n; c++)
            sum[c] /= (float)(hi - lo);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    int lo, hi;
    planes(ctx, &lo, &hi);
    size_t n = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(out[0]), MS_CL_INT(n),
                        MS_CL_INT(lo), MS_CL_INT(hi)};
    size_t global[1] = {n ? n : 1};
    return ms_cl_launch(cl, "volume_energy", "volume_energy", 1, global, NULL,
                        args, 5);
}

const ms_stage_decl ms_stage_volume_energy = {
    .name = "volume_energy",
    .summary = "mean power of a depth volume's cells over a depth window: "
               "a map",
    .n_in = 1, .n_out = 1,
    .in_slots = {"gpr_migrated"},
    .out_slots = {"gpr_menergy"},
    .in_kinds = {MS_ARRAY_VOLUME},
    .params = params, .n_params = 2,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
