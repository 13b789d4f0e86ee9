/* zscore: express a map in standard deviations above its own mean, so that
 * maps from different sensors (and different gains) share one scale before
 * fusion and thresholding. The statistics come from the cells that were
 * swept (hit count > 0): cells nobody swept hold no data and must not pull
 * the scale, so a fixed alarm threshold means the same on every lane. They
 * come out as 0, as does every cell of a constant map.
 *
 * The C reference takes the mean and then the mean squared deviation from
 * it, in double precision. The OpenCL path reduces the map in work-groups
 * to partial (count, peak, mean, squared deviations) and merges them in a
 * second small kernel (kernels/zscore.cl says how it stays exact enough in
 * single precision for any amplitude); the partials and the statistics
 * live in buffers made by init() for the invocation. */
#include <math.h>

#include "minescan/error.h"
#include "stages/stage.h"

/* Work-groups of the partial reduction: each item of a group takes at
 * least this many cells, in vectors of VEC, and there are at most
 * MAX_GROUPS groups (the merge then reads a few partials per item). */
#define CELLS_PER_ITEM 32
#define VEC 8
#define MAX_GROUPS 1024

typedef struct zscore_priv {
    size_t local, groups, chunk; /* map_partials */
    size_t per_item, item_step, cell_step; /* see kernels/zscore.cl */
    size_t merge_local;          /* map_merge */
    cl_mem partials;             /* float4 per group */
    cl_mem stats;                /* mean, standard deviation */
} zscore_priv;

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->in[0].dims[0] != ctx->in[1].dims[0] ||
        ctx->in[0].dims[1] != ctx->in[1].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "zscore: the map (%zu x %zu) and its hit counts "
                       "(%zu x %zu) differ in size", ctx->in[0].dims[1],
                       ctx->in[0].dims[0], ctx->in[1].dims[1],
                       ctx->in[1].dims[0]);
    ctx->out[0] = ctx->in[0];
    return 0;
}

/* Mean and standard deviation over the swept cells: the mean first, then
 * the squared deviations from it (no cancellation), in double (no
 * overflow for any float amplitude). */
static void map_stats(const float *v, const float *hits, size_t n,
                      double *mean, double *sd)
{
    double sum = 0.0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f) {
            sum += v[i];
            count++;
        }
    double mu = count ? sum / (double)count : 0.0;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f)
            ss += (v[i] - mu) * (v[i] - mu);
    *mean = mu;
    *sd = count ? sqrt(ss / (double)count) : 0.0;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t n = ms_shape_count(ctx->in[0]);
    double mean, sd;
    map_stats(in[0], in[1], n, &mean, &sd);
    for (size_t i = 0; i < n; i++)
        out[0][i] = sd > 0.0 && in[1][i] > 0.0f
                        ? (float)((in[0][i] - mean) / sd)
                        : 0.0f;
    return 0;
}

/* On the OpenCL path: the work-group sizes the device allows for the two
 * kernels, the number of groups, and their buffers. */
static int init(ms_stage_ctx *ctx, ms_cl *cl)
{
    zscore_priv *pv = ctx->priv;
    if (!cl)
        return 0;
    size_t n = ms_shape_count(ctx->in[0]);
    int rc = ms_cl_reduction_size(cl, "zscore", "map_partials", 256,
                                  &pv->local);
    if (!rc)
        rc = ms_cl_reduction_size(cl, "zscore", "map_merge", 256,
                                  &pv->merge_local);
    if (rc)
        return rc;
    size_t per_group = pv->local * CELLS_PER_ITEM;
    pv->groups = (n + per_group - 1) / per_group;
    if (pv->groups > MAX_GROUPS)
        pv->groups = MAX_GROUPS;
    if (pv->groups < 1)
        pv->groups = 1;
    /* Chunks of whole vectors; per_item counts vectors. */
    pv->chunk = ((n + pv->groups - 1) / pv->groups + VEC - 1) / VEC * VEC;
    pv->per_item = (pv->chunk / VEC + pv->local - 1) / pv->local;
    /* Neighbouring items on neighbouring cells where the device runs them
     * side by side (a GPU); one run of cells per item where an item is a
     * loop iteration on one core (PoCL on a CPU). */
    int gpu = ms_cl_device_limits(cl)->is_gpu;
    pv->item_step = gpu ? 1 : pv->per_item;
    pv->cell_step = gpu ? pv->local : 1;
    rc = ms_cl_alloc(cl, pv->groups * 4 * sizeof(float), &pv->partials);
    if (!rc)
        rc = ms_cl_alloc(cl, 2 * sizeof(float), &pv->stats);
    return rc;
}

static void uninit(ms_stage_ctx *ctx)
{
    zscore_priv *pv = ctx->priv;
    ms_cl_release(pv->partials);
    ms_cl_release(pv->stats);
    pv->partials = pv->stats = NULL;
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    return (MAX_GROUPS * 4 + 2) * sizeof(float);
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const zscore_priv *pv = ctx->priv;
    size_t n = ms_shape_count(ctx->in[0]);
    ms_cl_arg pargs[] = {MS_CL_MEM(in[0]),         MS_CL_MEM(in[1]),
                         MS_CL_MEM(pv->partials),  MS_CL_INT(n),
                         MS_CL_INT(pv->chunk),     MS_CL_INT(pv->per_item),
                         MS_CL_INT(pv->item_step), MS_CL_INT(pv->cell_step),
                         MS_CL_LOCAL(pv->local * 4 * sizeof(float))};
    size_t pglobal[1] = {pv->groups * pv->local};
    int rc = ms_cl_launch(cl, "zscore", "map_partials", 1, pglobal,
                          &pv->local, pargs, 9);
    if (rc)
        return rc;
    ms_cl_arg margs[] = {MS_CL_MEM(pv->partials), MS_CL_INT(pv->groups),
                         MS_CL_MEM(pv->stats),
                         MS_CL_LOCAL(pv->merge_local * 4 * sizeof(float))};
    rc = ms_cl_launch(cl, "zscore", "map_merge", 1, &pv->merge_local,
                      &pv->merge_local, margs, 4);
    if (rc)
        return rc;
    ms_cl_arg zargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]),
                         MS_CL_MEM(pv->stats), MS_CL_MEM(out[0]),
                         MS_CL_INT(n)};
    size_t all[1] = {n};
    return ms_cl_launch(cl, "zscore", "zscore", 1, all, NULL, zargs, 5);
}

const ms_stage_decl ms_stage_zscore = {
    .name = "zscore",
    .summary = "standardise a map over its swept cells: (value - mean) / "
               "standard deviation (inputs: map, hit count)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr_map", "gpr_hits"},
    .out_slots = {"gpr_z"},
    .in_kinds = {MS_ARRAY_MAP, MS_ARRAY_MAP},
    .params = NULL, .n_params = 0,
    .priv_size = sizeof(zscore_priv),
    .init = init, .uninit = uninit, .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
