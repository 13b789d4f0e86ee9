/* depth_slice: the mean of a volume's planes from `first` to `last`
 * (clamped to the volume): one horizontal slice over the lane as a map. */
#include "minescan/error.h"
#include "stages/stage.h"

typedef struct depth_slice_params {
    int first;
    int last;
} depth_slice_params;
MS_STAGE_PARAMS(depth_slice_params);

static const ms_param_decl params[] = {
    {"first", MS_PARAM_INT, MS_PARAM_AT(depth_slice_params, first), 0, 0, 100000, "plane", "first plane (0 = top)"},
    {"last", MS_PARAM_INT, MS_PARAM_AT(depth_slice_params, last), 100000, 0, 100000, "plane", "last plane, inclusive"},
};

static void planes(const ms_stage_ctx *ctx, size_t *lo, size_t *hi)
{
    const depth_slice_params *p = MS_P(ctx, depth_slice_params);
    size_t nz = ctx->in[0].dims[0];
    *lo = (size_t)p->first < nz ? (size_t)p->first : nz - 1;
    *hi = (size_t)p->last < nz ? (size_t)p->last : nz - 1;
}

static int check(const ms_params *values)
{
    const depth_slice_params *p = MS_P_OF(values, depth_slice_params);
    if (p->last < p->first)
        return ms_fail(MS_ERR_INVALID_INPUT, "last (%d) is above first (%d)",
                       p->last, p->first);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    ctx->out[0] = (ms_shape){MS_ARRAY_MAP,
                             {ctx->in[0].dims[1], ctx->in[0].dims[2], 1},
                             ctx->in[0].cell_m};
    return 0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t lo, hi, n = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    planes(ctx, &lo, &hi);
    for (size_t c = 0; c < n; c++) {
        float sum = 0.0f;
        for (size_t z = lo; z <= hi; z++)
            sum += in[0][z * n + c];
        out[0][c] = sum / (float)(hi - lo + 1);
    }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t lo, hi, n = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    planes(ctx, &lo, &hi);
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(out[0]), MS_CL_INT(n),
                        MS_CL_INT(lo), MS_CL_INT(hi)};
    size_t global[1] = {n};
    return ms_cl_launch(cl, "depth_slice", "depth_slice", 1, global, NULL, args, 5);
}

const ms_stage_decl ms_stage_depth_slice = {
    .name = "depth_slice",
    .summary = "mean of a range of a volume's planes: a horizontal slice",
    .n_in = 1, .n_out = 1,
    .in_slots = {"gpr_volume"},
    .out_slots = {"gpr_slice"},
    .in_kinds = {MS_ARRAY_VOLUME},
    .params = params, .n_params = 2,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
