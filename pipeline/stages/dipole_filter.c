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

#include "minescan/error.h"
#include "stages/stage.h"

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

/* The kernel by squared offset in cells, d2 = dx^2 + dy^2 in 0 .. 2 w^2:
 * k = (s / (d2 + s))^3 with s = (h^2 + a^2) / cell^2, made once on the
 * host so that both paths use the same bits (centring a nearly flat
 * kernel magnifies any difference). */
static int kernel_table(const ms_stage_ctx *ctx, int w, float **tab)
{
    const dipole_filter_params *p = MS_P(ctx, dipole_filter_params);
    double cell = ctx->in[0].cell_m;
    double s = (p->height_m * p->height_m +
                p->coil_radius_m * p->coil_radius_m) / (cell * cell);
    size_t n = 2 * (size_t)w * (size_t)w + 1;
    int rc = ms_stage_scratch_host(ctx, n * sizeof(float), (void **)tab);
    if (rc)
        return rc;
    for (size_t d2 = 0; d2 < n; d2++) {
        double q = s / ((double)d2 + s);
        (*tab)[d2] = (float)(q * q * q);
    }
    return 0;
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    size_t w = (size_t)half_width(ctx);
    return 2 * (2 * w * w + 1) * sizeof(float);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    int ny = (int)ctx->in[0].dims[0], nx = (int)ctx->in[0].dims[1];
    int w = half_width(ctx);
    float *tab;
    int rc = kernel_table(ctx, w, &tab);
    if (rc)
        return rc;
    const float *v = in[0], *hits = in[1];
    for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++) {
            size_t i = (size_t)y * nx + x;
            if (!(hits[i] > 0.0f)) {
                out[0][i] = 0.0f;
                continue;
            }
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
                    sk += tab[(xx - x) * (xx - x) + (yy - y) * (yy - y)];
                }
            float kbar = sk / n, skk = 0.0f, scc = 0.0f, scv = 0.0f;
            for (int yy = y0; yy <= y1; yy++)
                for (int xx = x0; xx <= x1; xx++) {
                    size_t j = (size_t)yy * nx + xx;
                    if (!(hits[j] > 0.0f))
                        continue;
                    float k = tab[(xx - x) * (xx - x) + (yy - y) * (yy - y)];
                    float c = k - kbar;
                    skk += k * k;
                    scc += c * c;
                    scv += c * v[j];
                }
            /* sum (k - kbar) v / sqrt(sum (k - kbar)^2); 0 where the window is too
             * small for the kernel to have a shape */
            out[0][i] = scc > 1e-2f * skk ? scv / sqrtf(scc) : 0.0f;
        }
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    int ny = (int)ctx->in[0].dims[0], nx = (int)ctx->in[0].dims[1];
    int w = half_width(ctx);
    size_t bytes = (2 * (size_t)w * w + 1) * sizeof(float);
    float *tab;
    cl_mem dtab;
    int rc = kernel_table(ctx, w, &tab);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, bytes, &dtab);
    if (!rc)
        rc = ms_cl_upload(cl, dtab, tab, bytes);
    if (rc)
        return rc;
    ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(out[0]),
                        MS_CL_INT(nx), MS_CL_INT(ny), MS_CL_INT(w),
                        MS_CL_MEM(dtab)};
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
