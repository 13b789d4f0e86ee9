/* local_rx: the local RX (Reed-Xiaoli) anomaly detector on a radar volume.
 * The feature vector f of a cell is its column of the volume over a depth
 * window, averaged into `bins` equal parts (K of them): the shape of the
 * echo with depth, not only its energy. Each covered cell scores
 *   d = (f - mu)^T (Sigma + lambda I)^-1 (f - mu),
 * the squared Mahalanobis distance from the covered cells of a square
 * training ring around it (out to outer_m, beyond a guard square of
 * guard_m that keeps the target's own extent out of its background), with
 * mu and Sigma (the full K x K covariance) estimated over that ring. A
 * buried object changes how the echo is spread over depth even where it
 * adds little energy, and the covariance learns what the local soil's
 * layering and clutter already do, so correlated background is scored
 * low and a direction the background does not vary in is scored high.
 * lambda = ridge * trace(Sigma) / K (ridge times the mean variance) keeps
 * Sigma invertible where the ring holds fewer cells than features. Under a
 * Gaussian background d is about chi-square with K degrees of freedom
 * (mean K). Uncovered cells, cells with fewer than 2 training cells and
 * a flat background (trace 0) score 0.
 *
 * The depth window is in metres below the surface: in two-way time
 * surface_ns + 2 d / v after time zero for an x-y-time volume (grid_volume
 * of time_bins, plane_s), directly for a volume in depth (plane_m, from
 * migrate_kirchhoff). Feature k is the mean of the planes whose centres
 * fall in part k of the window, or the plane holding the part's centre
 * where no centre does (planes coarser than the parts).
 *
 * Cost: the training sums (count, f, f f^T) come from summed-area tables,
 * four corners for the ring and four for the guard, so a cell costs
 * O(K^2) for the sums and O(K^3) for the Cholesky factor whatever the
 * window. The features are centred on the map's covered mean first and
 * everything is in double, so the tables' differences lose little; both
 * paths build the tables the same way (rows then columns), in double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/stage.h"

#define RX_MAX_K 32 /* kernels/local_rx.cl has the same */

typedef struct local_rx_params {
    double depth_start_m;
    double depth_end_m;
    double velocity_m_per_ns;
    double surface_ns;
    int bins;
    double guard_m;
    double outer_m;
    double ridge;
} local_rx_params;
MS_STAGE_PARAMS(local_rx_params);

static const ms_param_decl params[] = {
    {"depth_start_m", MS_PARAM_FLOAT, MS_PARAM_AT(local_rx_params, depth_start_m), 0.01, 0.0, 10.0, "m",
     "feature window start below the ground surface"},
    {"depth_end_m", MS_PARAM_FLOAT, MS_PARAM_AT(local_rx_params, depth_end_m), 0.25, 0.0, 10.0, "m",
     "feature window end below the ground surface"},
    {"velocity_m_per_ns", MS_PARAM_FLOAT, MS_PARAM_AT(local_rx_params, velocity_m_per_ns), 0.1, 0.03, 0.3, "m/ns",
     "radar velocity in the soil (x-y-time volumes): 0.15 dry sand, 0.1 loam, 0.067 wet clay"},
    {"surface_ns", MS_PARAM_FLOAT, MS_PARAM_AT(local_rx_params, surface_ns), 0.5, 0.0, 1000.0, "ns",
     "time of the ground surface after time zero (x-y-time volumes): ground_align's target_ns"},
    {"bins", MS_PARAM_INT, MS_PARAM_AT(local_rx_params, bins), 8, 8, RX_MAX_K, "",
     "features: equal parts of the depth window"},
    {"guard_m", MS_PARAM_FLOAT, MS_PARAM_AT(local_rx_params, guard_m), 0.15, 0.0, 1.0, "m",
     "half-width of the guard square left out of the training cells (a mine's radius and the gridding radius)"},
    {"outer_m", MS_PARAM_FLOAT, MS_PARAM_AT(local_rx_params, outer_m), 0.5, 0.01, 2.0, "m",
     "half-width of the training square"},
    {"ridge", MS_PARAM_FLOAT, MS_PARAM_AT(local_rx_params, ridge), 0.01, 1e-4, 1.0, "",
     "diagonal loading in units of the mean variance trace(Sigma)/K"},
};

static int check(const ms_params *values)
{
    const local_rx_params *p = MS_P_OF(values, local_rx_params);
    if (p->depth_end_m <= p->depth_start_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "depth_end_m (%g m) must exceed depth_start_m (%g m)",
                       p->depth_end_m, p->depth_start_m);
    if (p->outer_m <= p->guard_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "outer_m (%g m) must exceed guard_m (%g m)", p->outer_m,
                       p->guard_m);
    return 0;
}

/* Guard and outer half-widths in cells (the outer at least one more). */
static void window(const ms_stage_ctx *ctx, int *g, int *w)
{
    const local_rx_params *p = MS_P(ctx, local_rx_params);
    double cell = ctx->in[0].cell_m;
    *g = (int)ceil(p->guard_m / cell - 1e-9);
    *w = (int)ceil(p->outer_m / cell - 1e-9);
    if (*w <= *g)
        *w = *g + 1;
}

/* The planes [lo[k], hi[k]) that feature k averages. Plane z is centred
 * at depth (z + 0.5) plane_m, or at (z + 0.5) plane_s - time_zero after
 * time zero; the window's parts are equal in that axis. Returns how many
 * parts no plane centre fell in. */
static int feature_planes(const ms_stage_ctx *ctx, int lo[], int hi[])
{
    const local_rx_params *p = MS_P(ctx, local_rx_params);
    long nz = (long)ctx->in[0].dims[0];
    double a, b, step, off; /* window and plane z's centre: off + z step */
    if (ctx->in[0].plane_m > 0.0) {
        a = p->depth_start_m;
        b = p->depth_end_m;
        step = ctx->in[0].plane_m;
        off = 0.5 * step;
    } else {
        a = (p->surface_ns + 2.0 * p->depth_start_m / p->velocity_m_per_ns) *
            1e-9;
        b = (p->surface_ns + 2.0 * p->depth_end_m / p->velocity_m_per_ns) *
            1e-9;
        step = ctx->in[0].plane_s;
        off = 0.5 * step - ctx->env->time_zero_s;
    }
    int empty = 0;
    for (int k = 0; k < p->bins; k++) {
        double t0 = a + (b - a) * k / p->bins;
        double t1 = a + (b - a) * (k + 1) / p->bins;
        /* centres in [t0, t1): z >= (t0 - off) / step, z < (t1 - off) / step */
        double z0 = ceil((t0 - off) / step), z1 = ceil((t1 - off) / step);
        z0 = fmin(fmax(z0, 0.0), (double)nz);
        z1 = fmin(fmax(z1, z0), (double)nz);
        if (z1 > z0) {
            lo[k] = (int)z0;
            hi[k] = (int)z1;
            continue;
        }
        double zc = floor((0.5 * (t0 + t1) - off) / step + 0.5);
        lo[k] = (int)fmin(fmax(zc, 0.0), (double)(nz - 1));
        hi[k] = lo[k] + 1;
        empty++;
    }
    return empty;
}

/* Moments per cell: the count, K sums, K (K + 1) / 2 products. */
static size_t moments(int k)
{
    return 1 + (size_t)k + (size_t)k * (size_t)(k + 1) / 2;
}

static size_t work_bytes(const ms_stage_ctx *ctx)
{
    const local_rx_params *p = MS_P(ctx, local_rx_params);
    size_t ny = ctx->in[0].dims[1], nx = ctx->in[0].dims[2];
    return ((size_t)p->bins * nx * ny + moments(p->bins) * (nx + 1) * (ny + 1) +
            (size_t)p->bins) * sizeof(double) + 2 * RX_MAX_K * sizeof(int);
}

static int shape(ms_stage_ctx *ctx)
{
    const local_rx_params *p = MS_P(ctx, local_rx_params);
    if (ctx->in[0].dims[1] != ctx->in[1].dims[0] ||
        ctx->in[0].dims[2] != ctx->in[1].dims[1])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "local_rx: the volume's planes (%zu x %zu) and the hit "
                       "counts (%zu x %zu) differ in size", ctx->in[0].dims[2],
                       ctx->in[0].dims[1], ctx->in[1].dims[1],
                       ctx->in[1].dims[0]);
    if (!(ctx->in[0].cell_m > 0.0))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "local_rx: the volume has no cell size (grid it with "
                       "grid_volume)");
    if (!(ctx->in[0].plane_m > 0.0) && !(ctx->in[0].plane_s > 0.0))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "local_rx: the volume has no depth axis (make it with "
                       "time_bins and grid_volume, or migrate_kirchhoff)");
    if (ctx->in[0].dims[0] == 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "local_rx: the volume has no "
                       "planes");
    size_t n = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    if (n > ((size_t)1 << 26) / moments(p->bins))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "local_rx: %zu cells x %zu sums is too much; raise the "
                       "cell size or lower bins", n, moments(p->bins));
    ctx->out[0] = (ms_shape){MS_ARRAY_MAP,
                             {ctx->in[0].dims[1], ctx->in[0].dims[2], 1},
                             ctx->in[0].cell_m};
    int lo[RX_MAX_K], hi[RX_MAX_K];
    int empty = feature_planes(ctx, lo, hi);
    if (empty)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "%d of the %d depth parts hold no plane's centre (the "
                 "volume's planes are coarser, or the window passes its "
                 "end): they repeat the nearest plane", empty, p->bins);
    return 0;
}

/* Moment m's value for centred features g (m = 0 the count, then g_i,
 * then g_i g_j for i <= j, row by row). */
static double moment(const double *g, int k, size_t m)
{
    if (m == 0)
        return 1.0;
    if (m <= (size_t)k)
        return g[m - 1];
    size_t q = m - 1 - (size_t)k;
    int i = 0;
    while (q >= (size_t)(k - i)) {
        q -= (size_t)(k - i);
        i++;
    }
    return g[i] * g[i + (int)q];
}

/* The score of one cell from the training sums: count n, s1[K], s2 (upper
 * triangle, row by row), and the cell's centred features g. */
static double rx_score(int k, double n, const double *s1, const double *s2,
                       const double *g, double ridge)
{
    if (n < 2.0)
        return 0.0;
    double mu[RX_MAX_K], d[RX_MAX_K], a[RX_MAX_K * RX_MAX_K];
    for (int i = 0; i < k; i++) {
        mu[i] = s1[i] / n;
        d[i] = g[i] - mu[i];
    }
    double tr = 0.0;
    size_t q = 0;
    for (int i = 0; i < k; i++)
        for (int j = i; j < k; j++, q++) {
            double c = s2[q] / n - mu[i] * mu[j];
            a[i * k + j] = a[j * k + i] = c;
            if (i == j)
                tr += c;
        }
    if (!(tr > 0.0))
        return 0.0;
    double lambda = ridge * tr / k;
    for (int i = 0; i < k; i++)
        a[i * k + i] += lambda;
    /* Cholesky a = L L^T in the lower triangle, then |L^-1 d|^2 */
    for (int j = 0; j < k; j++) {
        double s = a[j * k + j];
        for (int m = 0; m < j; m++)
            s -= a[j * k + m] * a[j * k + m];
        if (!(s > 0.0))
            return 0.0;
        double l = sqrt(s);
        a[j * k + j] = l;
        for (int i = j + 1; i < k; i++) {
            double t = a[i * k + j];
            for (int m = 0; m < j; m++)
                t -= a[i * k + m] * a[j * k + m];
            a[i * k + j] = t / l;
        }
    }
    double score = 0.0;
    for (int i = 0; i < k; i++) {
        double t = d[i];
        for (int m = 0; m < i; m++)
            t -= a[i * k + m] * d[m];
        d[i] = t / a[i * k + i];
        score += d[i] * d[i];
    }
    return score;
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const local_rx_params *p = MS_P(ctx, local_rx_params);
    int k = p->bins, lo[RX_MAX_K], hi[RX_MAX_K], g, w;
    feature_planes(ctx, lo, hi);
    window(ctx, &g, &w);
    long ny = (long)ctx->in[0].dims[1], nx = (long)ctx->in[0].dims[2];
    size_t n = (size_t)nx * (size_t)ny, nm = moments(k);
    size_t stride = (size_t)(nx + 1) * (size_t)(ny + 1);
    const float *vol = in[0], *hits = in[1];
    double *feat = malloc((n * (size_t)k + nm * stride + 1) * sizeof *feat);
    if (!feat)
        return ms_fail(MS_ERR_NOMEM, "local_rx: out of memory for %zu cells "
                       "x %zu sums", n, nm);
    double *sat = feat + n * (size_t)k;
    /* the features, then their mean over the covered cells */
    double mean[RX_MAX_K] = {0}, count = 0.0;
    for (size_t c = 0; c < n; c++) {
        double *f = feat + c * (size_t)k;
        for (int b = 0; b < k; b++) {
            double s = 0.0;
            for (int z = lo[b]; z < hi[b]; z++)
                s += vol[(size_t)z * n + c];
            f[b] = s / (hi[b] - lo[b]);
        }
        if (hits[c] > 0.0f) {
            for (int b = 0; b < k; b++)
                mean[b] += f[b];
            count += 1.0;
        }
    }
    for (int b = 0; b < k; b++)
        mean[b] = count > 0.0 ? mean[b] / count : 0.0;
    for (size_t c = 0; c < n; c++)
        for (int b = 0; b < k; b++)
            feat[c * (size_t)k + b] -= mean[b];
    /* summed-area tables: sat[m][Y][X] = moment m over y < Y, x < X of the
     * covered cells; rows first, then columns */
    for (size_t m = 0; m < nm; m++) {
        double *t = sat + m * stride;
        for (long x = 0; x <= nx; x++)
            t[x] = 0.0;
        for (long y = 0; y < ny; y++) {
            double *row = t + (size_t)(y + 1) * (size_t)(nx + 1), s = 0.0;
            row[0] = 0.0;
            for (long x = 0; x < nx; x++) {
                size_t c = (size_t)y * (size_t)nx + (size_t)x;
                if (hits[c] > 0.0f)
                    s += moment(feat + c * (size_t)k, k, m);
                row[x + 1] = s;
            }
        }
        for (long x = 1; x <= nx; x++)
            for (long y = 1; y <= ny; y++)
                t[(size_t)y * (size_t)(nx + 1) + (size_t)x] +=
                    t[(size_t)(y - 1) * (size_t)(nx + 1) + (size_t)x];
    }
    double sums[1 + RX_MAX_K + RX_MAX_K * (RX_MAX_K + 1) / 2];
    for (long y = 0; y < ny; y++)
        for (long x = 0; x < nx; x++) {
            size_t c = (size_t)y * (size_t)nx + (size_t)x;
            if (!(hits[c] > 0.0f)) {
                out[0][c] = 0.0f;
                continue;
            }
            /* corners of the outer and guard squares, clipped */
            size_t X0 = (size_t)(x - w < 0 ? 0 : x - w);
            size_t X1 = (size_t)(x + w + 1 > nx ? nx : x + w + 1);
            size_t Y0 = (size_t)(y - w < 0 ? 0 : y - w);
            size_t Y1 = (size_t)(y + w + 1 > ny ? ny : y + w + 1);
            size_t x0 = (size_t)(x - g < 0 ? 0 : x - g);
            size_t x1 = (size_t)(x + g + 1 > nx ? nx : x + g + 1);
            size_t y0 = (size_t)(y - g < 0 ? 0 : y - g);
            size_t y1 = (size_t)(y + g + 1 > ny ? ny : y + g + 1);
            size_t r = (size_t)(nx + 1);
            for (size_t m = 0; m < nm; m++) {
                const double *t = sat + m * stride;
                double outer = t[Y1 * r + X1] - t[Y0 * r + X1] -
                               t[Y1 * r + X0] + t[Y0 * r + X0];
                double guard = t[y1 * r + x1] - t[y0 * r + x1] -
                               t[y1 * r + x0] + t[y0 * r + x0];
                sums[m] = outer - guard;
            }
            out[0][c] = (float)rx_score(k, sums[0], sums + 1, sums + 1 + k,
                                        feat + c * (size_t)k, p->ridge);
        }
    free(feat);
    return 0;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const local_rx_params *p = MS_P(ctx, local_rx_params);
    int k = p->bins, planes[2 * RX_MAX_K], g, w;
    feature_planes(ctx, planes, planes + RX_MAX_K);
    window(ctx, &g, &w);
    int ny = (int)ctx->in[0].dims[1], nx = (int)ctx->in[0].dims[2];
    size_t n = (size_t)nx * (size_t)ny, nm = moments(k);
    size_t stride = (size_t)(nx + 1) * (size_t)(ny + 1);
    cl_mem ranges, feat, mean, sat;
    int rc = ms_stage_scratch_device(ctx, cl, sizeof planes, &ranges);
    if (!rc)
        rc = ms_cl_upload(cl, ranges, planes, sizeof planes);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, n * (size_t)k * sizeof(double),
                                     &feat);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, (size_t)k * sizeof(double),
                                     &mean);
    if (!rc)
        rc = ms_stage_scratch_device(ctx, cl, nm * stride * sizeof(double),
                                     &sat);
    if (rc)
        return rc;
    ms_cl_arg fargs[] = {MS_CL_MEM(in[0]), MS_CL_MEM(ranges), MS_CL_MEM(feat),
                         MS_CL_INT(n), MS_CL_INT(k)};
    size_t gn[1] = {n ? n : 1};
    rc = ms_cl_launch(cl, "local_rx", "local_rx_features", 1, gn, NULL, fargs,
                      5);
    if (rc)
        return rc;
    /* the covered mean: one work-group */
    size_t local = 64;
    ms_cl_arg margs[] = {MS_CL_MEM(feat), MS_CL_MEM(in[1]), MS_CL_MEM(mean),
                         MS_CL_INT(n), MS_CL_INT(k),
                         MS_CL_LOCAL(local * (RX_MAX_K + 1) * sizeof(double))};
    rc = ms_cl_launch(cl, "local_rx", "local_rx_mean", 1, &local, &local,
                      margs, 6);
    if (rc)
        return rc;
    ms_cl_arg rargs[] = {MS_CL_MEM(feat), MS_CL_MEM(in[1]), MS_CL_MEM(mean),
                         MS_CL_MEM(sat),  MS_CL_INT(nx),    MS_CL_INT(ny),
                         MS_CL_INT(k),    MS_CL_INT(nm)};
    size_t grows[2] = {(size_t)ny + 1, nm};
    rc = ms_cl_launch(cl, "local_rx", "local_rx_rows", 2, grows, NULL, rargs,
                      8);
    if (rc)
        return rc;
    ms_cl_arg cargs[] = {MS_CL_MEM(sat), MS_CL_INT(nx), MS_CL_INT(ny),
                         MS_CL_INT(nm)};
    size_t gcols[2] = {(size_t)nx + 1, nm};
    rc = ms_cl_launch(cl, "local_rx", "local_rx_cols", 2, gcols, NULL, cargs,
                      4);
    if (rc)
        return rc;
    ms_cl_arg sargs[] = {MS_CL_MEM(feat), MS_CL_MEM(in[1]), MS_CL_MEM(mean),
                         MS_CL_MEM(sat),  MS_CL_MEM(out[0]), MS_CL_INT(nx),
                         MS_CL_INT(ny),   MS_CL_INT(k),     MS_CL_INT(g),
                         MS_CL_INT(w),
                         {sizeof(cl_double), &(cl_double){p->ridge}}};
    /* small groups: each work-item holds a K x K factor in private
     * memory (PoCL keeps a whole group's on one thread's stack) */
    size_t gcells[2] = {nx ? (size_t)nx : 1, ny ? (size_t)ny : 1};
    size_t group[2] = {8, 4};
    return ms_cl_launch(cl, "local_rx", "local_rx_score", 2, gcells, group,
                        sargs, 11);
}

const ms_stage_decl ms_stage_local_rx = {
    .name = "local_rx",
    .summary = "local RX: Mahalanobis distance of each cell's depth profile "
               "(bins parts of a depth window) from a training ring's mean "
               "and full covariance (inputs: volume, hit count)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr_volume", "gpr_vhits"},
    .out_slots = {"gpr_rx"},
    .in_kinds = {MS_ARRAY_VOLUME, MS_ARRAY_MAP},
    .params = params, .n_params = 8,
    .check = check,
    .work_bytes = work_bytes,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .tolerance = 1e-5,
};
