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

/* A block of cells at a time (16 KiB of sums, which stay in cache), plane
 * by plane, so that each plane is read in order. */
static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t lo, hi, n = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    planes(ctx, &lo, &hi);
    const float *vol = in[0];
    float *o = out[0];
    for (size_t c0 = 0; c0 < n; c0 += 4096) {
        size_t c1 = c0 + 4096 < n ? c0 + 4096 : n;
        for (size_t c = c0; c < c1; c++)
            o[c] = vol[lo * n + c];
        for (size_t z = lo + 1; z <= hi; z++)
            for (size_t c = c0; c < c1; c++)
                o[c] += vol[z * n + c];
        for (size_t c = c0; c < c1; c++)
            o[c] /= (float)(hi - lo + 1);
    }
    return 0;
}

/* Work-items take runs of cells: one each on a GPU; on a CPU, 8
 * work-items per compute unit. */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t lo, hi, n = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    planes(ctx, &lo, &hi);
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(out[0]), MS_CL_INT(n),
                        MS_CL_INT(lo), MS_CL_INT(hi)};
    return ms_cl_launch_runs(cl, "depth_slice", "depth_slice", n, args, 5);
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
