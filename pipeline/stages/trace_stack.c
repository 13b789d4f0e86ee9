/* trace_stack: replace each radar trace by the mean of the traces recorded
 * within radius_m of it (itself included), sample by sample over the
 * samples that are present. A coherent stack: after ground_align has put
 * every surface at one time, a buried object's echo is in phase in the
 * traces over it and adds up, while the receiver noise of independent
 * traces does not (over k traces its rms falls by sqrt(k)). It must come
 * before the envelope or any power: stacking energies only smooths the
 * noise's bias. A radius of a few centimetres is well inside a mine's top
 * face, so its echo is not smeared; hand-held sweeps that cross a spot
 * several times stack the passes too.
 *
 * The neighbours are found with grid_common's bins (cells of radius_m,
 * searched out to the radius plus half a cell's diagonal from the trace's
 * own cell centre, then the true distance checked), so a lane costs
 * O(traces x nearby traces x samples). Positions are lane-relative metres;
 * a trace whose position is not finite stacks with itself alone, and with
 * no other. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "minescan/error.h"
#include "stages/grid_common.h"

typedef struct trace_stack_params {
    double radius_m;
} trace_stack_params;
MS_STAGE_PARAMS(trace_stack_params);

static const ms_param_decl params[] = {
    {"radius_m", MS_PARAM_FLOAT, MS_PARAM_AT(trace_stack_params, radius_m), 0.05, 0.001, 1.0, "m",
     "traces within this distance of a trace are averaged into it"},
};

static int shape(ms_stage_ctx *ctx)
{
    size_t n = ctx->in[0].dims[0];
    if (ctx->in[1].dims[0] != n || ctx->in[1].dims[1] != ctx->in[0].dims[1] ||
        ctx->in[2].dims[0] != n)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "trace_stack: %zu x %zu traces, a %zu x %zu mask and "
                       "%zu positions do not match", n, ctx->in[0].dims[1],
                       ctx->in[1].dims[0], ctx->in[1].dims[1],
                       ctx->in[2].dims[0]);
    if (n > (size_t)INT_MAX / 2 || ctx->in[0].dims[1] > (size_t)INT_MAX)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "trace_stack: more than %d traces or %d samples",
                       INT_MAX / 2, INT_MAX);
    ctx->out[0] = ctx->in[0];
    ctx->out[1] = ctx->in[1];
    return 0;
}

/* The bins: cells of radius_m over the lane (at most 2^22 of them: a
 * smaller radius on a larger lane gets larger cells, which costs only
 * time), searched out to the radius plus half a cell's diagonal. */
typedef struct stack_bins {
    size_t nx, ny;
    float cell, radius, search;
} stack_bins;

static stack_bins bins_of(const ms_stage_ctx *ctx)
{
    stack_bins s;
    s.radius = (float)MS_P(ctx, trace_stack_params)->radius_m;
    double cell = s.radius;
    for (;;) {
        ms_grid_size(ctx->env, cell, &s.nx, &s.ny);
        if (s.nx * s.ny <= (size_t)1 << 22)
            break;
        cell *= 2.0;
    }
    s.cell = (float)cell;
    s.search = s.radius + 0.7072f * s.cell;
    return s;
}

/* The positions to bin: a coordinate that is not finite (the reader drops
 * such traces; a caller may not) goes far off the lane, where no trace is
 * within the radius of it and its bin index is defined. */
static void binnable(const float *xy, size_t n, float *out)
{
    for (size_t k = 0; k < 2 * n; k++)
        out[k] = isfinite(xy[k]) ? xy[k] : 1e30f;
}

static size_t cell_of(float v, float cell, size_t n)
{
    float f = floorf(v / cell);
    return !(f >= 0.0f) ? 0 : f >= (float)n ? n - 1 : (size_t)f;
}

/* The C reference: for each trace, its neighbours' present samples summed
 * into the output row, then divided by how many there were. */
static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    size_t n = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    stack_bins sb = bins_of(ctx);
    ms_grid_bins b = {0};
    int *order = malloc((n ? n : 1) * sizeof *order);
    float *pos = calloc(n ? 2 * n : 1, sizeof *pos);
    int rc = order && pos ? 0
                          : ms_fail(MS_ERR_NOMEM, "trace_stack: out of "
                                    "memory for %zu traces", n);
    if (!rc) {
        binnable(in[2], n, pos);
        rc = ms_grid_bins_build(pos, n, sb.nx, sb.ny, sb.cell, sb.search, &b);
    }
    free(pos);
    if (rc) {
        free(order);
        return rc;
    }
    for (size_t k = 0; k < n; k++)
        order[b.rank[k]] = (int)k;
    float r2 = sb.radius * sb.radius;
    /* traces in bin order: the next trace's neighbours are mostly this
     * one's, still in cache (in recording order a sweep's passes are far
     * apart in memory) */
    for (size_t q = 0; q < n; q++) {
        size_t i = (size_t)order[q];
        float *acc = out[0] + i * ns, *cnt = out[1] + i * ns;
        for (size_t k = 0; k < ns; k++)
            acc[k] = cnt[k] = 0.0f;
        float x = in[2][2 * i], y = in[2][2 * i + 1];
        int placed = isfinite(x) && isfinite(y); /* else: itself alone */
        x = isfinite(x) ? x : 1e30f; /* where binnable put it */
        y = isfinite(y) ? y : 1e30f;
        long ix = (long)cell_of(x, sb.cell, sb.nx);
        long iy = (long)cell_of(y, sb.cell, sb.ny), by0, by1;
        ms_grid_rows(&b, (long)sb.ny, iy, &by0, &by1);
        for (long by = by0; by <= by1; by++) {
            int p0, p1;
            ms_grid_span(&b, (long)sb.nx, ix, iy, by, &p0, &p1);
            for (int p = p0; p < p1; p++) {
                size_t j = (size_t)order[p];
                float dx = b.xy[2 * (size_t)p] - x;
                float dy = b.xy[2 * (size_t)p + 1] - y;
                if (j != i && !(placed && dx * dx + dy * dy <= r2))
                    continue;
                const float *s = in[0] + j * ns, *m = in[1] + j * ns;
                for (size_t k = 0; k < ns; k++) { /* a missing sample may
                                                     hold anything */
                    acc[k] += m[k] > 0.0f ? s[k] : 0.0f;
                    cnt[k] += m[k] > 0.0f ? 1.0f : 0.0f;
                }
            }
        }
        for (size_t k = 0; k < ns; k++) {
            acc[k] = cnt[k] > 0.0f ? acc[k] / cnt[k] : 0.0f;
            cnt[k] = cnt[k] > 0.0f ? 1.0f : 0.0f;
        }
    }
    free(order);
    ms_grid_bins_free(&b);
    return 0;
}

/* The bins are made on the host from the downloaded positions (2 floats a
 * trace) and uploaded with, per sorted position, its trace. On a GPU one
 * work-item per sample of a trace; on a CPU runs of traces, each searched
 * once (grid's choice of kernels, which tests can force). */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    size_t n = ctx->in[0].dims[0], ns = ctx->in[0].dims[1];
    stack_bins sb = bins_of(ctx);
    float *host = malloc((n ? 2 * n : 1) * sizeof *host);
    int *order = malloc((n ? n : 1) * sizeof *order);
    ms_grid_bins b = {0};
    cl_mem dev[4] = {0};
    int rc = host && order ? 0
                           : ms_fail(MS_ERR_NOMEM, "trace_stack: out of "
                                     "memory for %zu traces", n);
    if (!rc)
        rc = ms_cl_download(cl, in[2], host, 2 * n * sizeof *host);
    if (!rc) {
        binnable(host, n, host);
        rc = ms_grid_bins_build(host, n, sb.nx, sb.ny, sb.cell, sb.search, &b);
    }
    if (!rc) {
        for (size_t k = 0; k < n; k++)
            order[b.rank[k]] = (int)k;
        rc = ms_grid_bins_upload(cl, &b, order, n, sb.nx, sb.ny, dev);
    }
    if (!rc && n && ns) {
        ms_cl_arg args[] = {
            MS_CL_MEM(in[0]),   MS_CL_MEM(in[1]),      MS_CL_MEM(in[2]),
            MS_CL_MEM(dev[0]),  MS_CL_MEM(dev[1]),     MS_CL_MEM(dev[2]),
            MS_CL_MEM(dev[3]),  MS_CL_INT(b.reach),    MS_CL_MEM(out[0]),
            MS_CL_MEM(out[1]),  MS_CL_INT(n),          MS_CL_INT(ns),
            MS_CL_INT(sb.nx),   MS_CL_INT(sb.ny),      MS_CL_FLOAT(sb.cell),
            MS_CL_FLOAT(sb.radius * sb.radius)};
        unsigned n_args = sizeof args / sizeof args[0];
        size_t global[2] = {ns, n};
        rc = ms_grid_cpu_kernels(cl)
                 ? ms_cl_launch_runs(cl, "trace_stack", "trace_stack_runs", n,
                                     args, n_args)
                 : ms_cl_launch(cl, "trace_stack", "trace_stack", 2, global,
                                NULL, args, n_args);
    }
    int done = ms_cl_finish(cl); /* before the bins go */
    if (!rc)
        rc = done;
    for (int i = 0; i < 4; i++)
        ms_cl_release(dev[i]);
    ms_grid_bins_free(&b);
    free(order);
    free(host);
    return rc;
}

/* Host copies of the positions and the bins, for the runner's check. */
static size_t work_bytes(const ms_stage_ctx *ctx)
{
    size_t n = ctx->in[0].dims[0];
    stack_bins sb = bins_of(ctx);
    return 2 * ((3 * n + sb.nx * sb.ny + 64) * sizeof(int) +
                2 * (2 * n + MS_GRID_PAD) * sizeof(float));
}

const ms_stage_decl ms_stage_trace_stack = {
    .name = "trace_stack",
    .summary = "coherent stack: each radar trace the mean of the traces "
               "within a radius of it (inputs: traces, mask, positions)",
    .n_in = 3, .n_out = 2,
    .in_slots = {"gpr", "gpr_valid", "gpr_xy"},
    .out_slots = {"gpr", "gpr_valid"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK, MS_ARRAY_POINTS},
    .params = params, .n_params = 1,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = work_bytes,
    /* both paths add the same terms (present samples, by a select) in the
     * same order: only the division may round apart */
    .tolerance = 1e-6,
};
