/* dipole_filter: matched filter for a small metal object under the
 * metal-detector coil. A dipole target at height h below a coil of radius
 * a, offset r, responds as (a^2 / (r^2 + h^2 + a^2))^3 (the model of the
 * simulator and the usual r^-6 law softened inside the coil). The filter
 * correlates the map with that shape minus its mean over the swept cells
 * of the window (so a smooth background, a mineralised soil, gives 0),
 * divided by the norm of that centred kernel: a point object scores
 * its amplitude times the kernel's norm, broad backgrounds and single-cell
 * spikes less. Unswept cells score 0. Both paths sum in float in the same
 * order. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/stage.h"

/* Cells per block of the C path's row loops (see row_scores). */
#define ROW_BLOCK 1024

typedef struct dipole_filter_params {
    double height_m;
    double coil_radius_m;
    double radius_m;
} dipole_filter_params;
MS_STAGE_PARAMS(dipole_filter_params);

static const ms_param_decl params[] = {
    {"height_m", MS_PARAM_FLOAT, MS_PARAM_AT(dipole_filter_params, height_m), 0.12, 0.0, 2.0, "m",
     "coil height above the object (sensor height plus burial depth)"},
    {"coil_radius_m", MS_PARAM_FLOAT, MS_PARAM_AT(dipole_filter_params, coil_radius_m), 0.1, 0.01, 1.0, "m",
     "radius of the coil"},
    {"radius_m", MS_PARAM_FLOAT, MS_PARAM_AT(dipole_filter_params, radius_m), 0.25, 0.01, 1.0, "m",
     "half-width of the filter window"},
};

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->in[0].dims[0] != ctx->in[1].dims[0] ||
        ctx->in[0].dims[1] != ctx->in[1].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "dipole_filter: the map (%zu x %zu) and its hit counts "
                       "(%zu x %zu) differ in size", ctx->in[0].dims[1],
                       ctx->in[0].dims[0], ctx->in[1].dims[1],
                       ctx->in[1].dims[0]);
    if (!(ctx->in[0].cell_m > 0.0))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "dipole_filter: the map has no cell size (grid it "
                       "first)");
    ctx->out[0] = ctx->in[0];
    return 0;
}

/* Window half-width in cells. */
static int half_width(const ms_stage_ctx *ctx)
{
    const dipole_filter_params *p = MS_P(ctx, dipole_filter_params);
    return (int)ceil(p->radius_m / ctx->in[0].cell_m - 1e-9);
}

/* The kernel as a (2w+1) x (2w+1) array, row dy + w, column dx + w:
 * k = (s / (d2 + s))^3, d2 = dx^2 + dy^2, s = (h^2 + a^2) / cell^2, made
 * once on the host so that both paths use the same bits (centring a
 * nearly flat kernel magnifies any difference). In scratch memory. */
static int kernel_square(const ms_stage_ctx *ctx, int w, float **sq)
{
    const dipole_filter_params *p = MS_P(ctx, dipole_filter_params);
    double cell = ctx->in[0].cell_m;
    double s = (p->height_m * p->height_m +
                p->coil_radius_m * p->coil_radius_m) / (cell * cell);
    int side = 2 * w + 1;
    int rc = ms_stage_scratch_host(ctx, (size_t)side * side * sizeof(float),
                                   (void **)sq);
    if (rc)
        return rc;
    for (int dy = -w; dy <= w; dy++)
        for (int dx = -w; dx <= w; dx++) {
            double q = s / ((double)(dx * dx + dy * dy) + s);
            (*sq)[(dy + w) * side + dx + w] = (float)(q * q * q);
        }
    return 0;
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    size_t side = 2 * (size_t)half_width(ctx) + 1;
    /* the kernel's array on the host and the device, and the C path's
     * five row accumulators */
    return (2 * side * side + 5 * ROW_BLOCK) * sizeof(float);
}

/* One cell by the definition, its window clipped to the map: for the
 * cells within w of the map's left and right edges. */
static float cell_score(const float *v, const float *hits, int nx, int ny,
                        int w, const float *sq, int x, int y)
{
    int side = 2 * w + 1;
    float n = 0.0f, sk = 0.0f;
    int y0 = y - w < 0 ? 0 : y - w, y1 = y + w >= ny ? ny - 1 : y + w;
    int x0 = x - w < 0 ? 0 : x - w, x1 = x + w >= nx ? nx - 1 : x + w;
    /* two passes: the kernel's mean over the swept cells first, then the
     * centred sums (a nearly flat kernel would cancel in one pass) */
    for (int yy = y0; yy <= y1; yy++)
        for (int xx = x0; xx <= x1; xx++) {
            if (!(hits[(size_t)yy * nx + xx] > 0.0f))
                continue;
            n += 1.0f;
            sk += sq[(yy - y + w) * side + xx - x + w];
        }
    float kbar = sk / n, skk = 0.0f, scc = 0.0f, scv = 0.0f;
    for (int yy = y0; yy <= y1; yy++)
        for (int xx = x0; xx <= x1; xx++) {
            size_t j = (size_t)yy * nx + xx;
            if (!(hits[j] > 0.0f))
                continue;
            float k = sq[(yy - y + w) * side + xx - x + w];
            float c = k - kbar;
            skk += k * k;
            scc += c * c;
            scv += c * v[j];
        }
    /* sum (k - kbar) v / sqrt(sum (k - kbar)^2); 0 where the window is too
     * small for the kernel to have a shape */
    return scc > 1e-2f * skk ? scv / sqrtf(scc) : 0.0f;
}

/* Row accumulators for row_scores' inner loops: restrict says they do
 * not overlap the map, so the loops need no alias checks to vectorise. */
static void pass_mean(const float *restrict m, float k, float *restrict n,
                      float *restrict sk, int cnt)
{
    for (int x = 0; x < cnt; x++) {
        float on = (float)(m[x] > 0.0f);
        n[x] += on;
        sk[x] += on * k;
    }
}

static void pass_centred(const float *restrict m, const float *restrict vv,
                         float k, const float *restrict kbar,
                         float *restrict skk, float *restrict scc,
                         float *restrict scv, int cnt)
{
    for (int x = 0; x < cnt; x++) {
        float on = (float)(m[x] > 0.0f);
        /* an unswept cell's value is not read, even a NaN: its bits are
         * masked to +0 (a select, which the vectoriser takes; a branch or
         * a product with on would not do) */
        uint32_t bits, keep = (uint32_t)0 - (uint32_t)(m[x] > 0.0f);
        float val;
        memcpy(&bits, &vv[x], sizeof bits);
        bits &= keep;
        memcpy(&val, &bits, sizeof val);
        float c = k - kbar[x];
        skk[x] += on * (k * k);
        scc[x] += on * (c * c);
        scv[x] += c * val;
    }
}

/* Cells xa..xb of row y, whose windows lie inside the map across: the
 * same sums as cell_score, each cell's terms in the same order, but run
 * across the row's cells (a masked-out term adds 0, which leaves a float
 * sum as it was), so that the inner loops are straight and vectorise; in
 * blocks of ROW_BLOCK cells, so that the five accumulators stay in the
 * first-level cache. acc holds 5 * ROW_BLOCK floats. */
static void row_scores(const float *v, const float *hits, int nx, int ny,
                       int w, const float *sq, int y, int xa, int xb,
                       float *acc, float *out)
{
    int side = 2 * w + 1;
    int y0 = y - w < 0 ? 0 : y - w, y1 = y + w >= ny ? ny - 1 : y + w;
    for (int bx = xa; bx <= xb; bx += ROW_BLOCK) {
        int cnt = xb - bx + 1 < ROW_BLOCK ? xb - bx + 1 : ROW_BLOCK;
        /* accumulator j of cell bx + i is acc[j * ROW_BLOCK + i] */
        float *n = acc, *sk = acc + ROW_BLOCK, *skk = acc + 2 * ROW_BLOCK,
              *scc = acc + 3 * ROW_BLOCK, *scv = acc + 4 * ROW_BLOCK;
        for (int i = 0; i < cnt; i++)
            n[i] = sk[i] = skk[i] = scc[i] = scv[i] = 0.0f;
        for (int yy = y0; yy <= y1; yy++)
            for (int dx = -w; dx <= w; dx++)
                pass_mean(hits + (size_t)yy * nx + bx + dx,
                          sq[(yy - y + w) * side + dx + w], n, sk, cnt);
        /* kbar; n is 0 only where the whole window is unswept, its centre
         * too: that NaN stays in the cell's own sums, and cpu() writes 0
         * there as on every unswept cell */
        for (int i = 0; i < cnt; i++)
            n[i] = sk[i] / n[i];
        for (int yy = y0; yy <= y1; yy++)
            for (int dx = -w; dx <= w; dx++)
                pass_centred(hits + (size_t)yy * nx + bx + dx,
                             v + (size_t)yy * nx + bx + dx,
                             sq[(yy - y + w) * side + dx + w], n, skk, scc,
                             scv, cnt);
        for (int i = 0; i < cnt; i++)
            out[bx + i] = scc[i] > 1e-2f * skk[i] ? scv[i] / sqrtf(scc[i])
                                                   : 0.0f;
    }
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    int ny = (int)ctx->in[0].dims[0], nx = (int)ctx->in[0].dims[1];
    int w = half_width(ctx);
    float *sq, *acc;
    int rc = kernel_square(ctx, w, &sq);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, 5 * ROW_BLOCK * sizeof(float),
                                   (void **)&acc);
    if (rc)
        return rc;
    const float *v = in[0], *hits = in[1];
    /* the cells whose windows lie inside the map across */
    int xa = w, xb = nx - 1 - w;
    for (int y = 0; y < ny; y++) {
        float *o = out[0] + (size_t)y * nx;
        if (xa <= xb)
            row_scores(v, hits, nx, ny, w, sq, y, xa, xb, acc, o);
        for (int x = 0; x < nx; x++) {
            if (!(hits[(size_t)y * nx + x] > 0.0f))
                o[x] = 0.0f;
            else if (x < xa || x > xb)
                o[x] = cell_score(v, hits, nx, ny, w, sq, x, y);
        }
    }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    int ny = (int)ctx->in[0].dims[0], nx = (int)ctx->in[0].dims[1];
    int w = half_width(ctx);
    size_t bytes = (size_t)(2 * w + 1) * (size_t)(2 * w + 1) * sizeof(float);
    float *sq;
    cl_mem dsq;
    int rc = kernel_square(ctx, w, &sq);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, bytes, &dsq);
    if (!rc)
        rc = ms_cl_upload(cl, dsq, sq, bytes);
    if (rc)
        return rc;
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_INT(nx), MS_CL_INT(ny), MS_CL_INT(w),
                        MS_CL_MEM(dsq)};
    size_t global[2] = {(size_t)nx, (size_t)ny};
    return ms_cl_launch(cl, "dipole_filter", "dipole_filter", 2, global, NULL,
                        args, 7);
}

const ms_stage_decl ms_stage_dipole_filter = {
    .name = "dipole_filter",
    .summary = "matched filter for a metal dipole under the coil (height and "
               "coil radius in metres), background-free (inputs: map, hit "
               "count)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"emi_map", "emi_hits"},
    .out_slots = {"emi_mf"},
    .in_kinds = {MS_ARRAY_MAP, MS_ARRAY_MAP},
    .params = params, .n_params = 3,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
