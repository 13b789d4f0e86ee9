/* Binning points by map cell for grid and grid_volume: see grid_common.h. */
#include "stages/grid_common.h"

#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"

static size_t bin_of(float v, float cell, size_t n)
{
    float f = floorf(v / cell);
    return f < 0.0f ? 0 : f >= (float)n ? n - 1 : (size_t)f;
}

/* Which bins a cell must search so as to find every point within the
 * radius. Cells are bins: the cell's centre is the centre of its own bin.
 * A bin j rows away lies at least dy = j - 1/2 cells away vertically; in
 * that row the circle spans hw = sqrt(r^2 - dy^2) cells each side of the
 * centre, so the bins up to floor(1/2 + hw) columns away. An edge bin also
 * holds the points beyond the map, but those lie farther from every cell
 * centre than the bin's inner part, so the same bound holds. `slack` (in
 * cells) covers the rounding of the single-precision positions, bins and
 * distances, so that no point that the distance test would take is left
 * out; a bin too many only costs time. */
static double slack_of(size_t nx, size_t ny, double r)
{
    return 1e-3 + 1e-6 * ((double)nx + (double)ny + r);
}

/* The last row j with j - 1/2 - slack <= r + slack; -1 for a ratio out of
 * all proportion (the stages' parameter ranges bound it). */
int ms_grid_reach(size_t nx, size_t ny, float cell, float radius)
{
    double r = (double)radius / (double)cell, slack = slack_of(nx, ny, r);
    double reach = floor(r + 0.5 + 2 * slack);
    return reach >= 0 && reach < 1e7 ? (int)reach : -1;
}

static int extents(ms_grid_bins *b, size_t nx, size_t ny, float cell,
                   float radius)
{
    double r = (double)radius / (double)cell, slack = slack_of(nx, ny, r);
    double rr = r + slack;
    b->reach = ms_grid_reach(nx, ny, cell, radius);
    if (b->reach < 0)
        return ms_fail(MS_ERR_INTERNAL, "grid: radius / cell = %g", r);
    b->ext = malloc(((size_t)b->reach + 1) * sizeof *b->ext);
    if (!b->ext)
        return ms_fail(MS_ERR_NOMEM, "grid: out of memory");
    for (int j = 0; j <= b->reach; j++) {
        double dy = fmax(0.0, j - 0.5 - slack);
        b->ext[j] = dy > rr ? -1
                            : (int)floor(0.5 + sqrt(rr * rr - dy * dy) + slack);
    }
    return 0;
}

int ms_grid_bins_build(const float *xy, size_t n, size_t nx, size_t ny,
                       float cell, float radius, ms_grid_bins *b)
{
    size_t n_bins = nx * ny;
    memset(b, 0, sizeof *b);
    b->rank = malloc((n ? n : 1) * sizeof *b->rank);
    b->start = calloc(n_bins + 1, sizeof *b->start);
    b->xy = calloc(2 * (n + MS_GRID_PAD), sizeof *b->xy);
    if (!b->rank || !b->start || !b->xy) {
        ms_grid_bins_free(b);
        return ms_fail(MS_ERR_NOMEM, "grid: out of memory binning %zu points",
                       n);
    }
    int rc = extents(b, nx, ny, cell, radius);
    if (rc) {
        ms_grid_bins_free(b);
        return rc;
    }
    /* Counting sort, stable, so each bin keeps its points in order: count
     * into start[bin + 1], sum, place each point at its bin's cursor
     * start[bin], which leaves start shifted by one bin; shift it back. */
    for (size_t k = 0; k < n; k++)
        b->start[bin_of(xy[2 * k + 1], cell, ny) * nx +
                 bin_of(xy[2 * k], cell, nx) + 1]++;
    for (size_t i = 0; i < n_bins; i++)
        b->start[i + 1] += b->start[i];
    for (size_t k = 0; k < n; k++) {
        size_t bin = bin_of(xy[2 * k + 1], cell, ny) * nx +
                     bin_of(xy[2 * k], cell, nx);
        int p = b->start[bin]++;
        b->rank[k] = p;
        b->xy[2 * p] = xy[2 * k];
        b->xy[2 * p + 1] = xy[2 * k + 1];
    }
    memmove(b->start + 1, b->start, n_bins * sizeof *b->start);
    b->start[0] = 0;
    return 0;
}

void ms_grid_bins_free(ms_grid_bins *b)
{
    free(b->rank);
    free(b->start);
    free(b->xy);
    free(b->ext);
    b->rank = b->start = b->ext = NULL;
    b->xy = NULL;
}

void ms_grid_gather(const ms_grid_bins *b, size_t n, const float *v,
                    const float *m, const ms_grid_cols *c, float *pv,
                    float *pm)
{
    /* in the points' order: reads stream, writes scatter */
    for (size_t k = 0; k < n; k++) {
        const float *vr = v + k * c->stride + c->col0;
        const float *mr = m + k * c->stride + c->col0;
        size_t to = (size_t)b->rank[k];
        float *pvq = pv + to * c->width, *pmq = pm + to * c->width;
        for (size_t j = 0; j < c->width; j++) {
            int present = j < c->ncols && mr[j] > 0.0f;
            pvq[j] = present ? vr[j] : 0.0f;
            pmq[j] = present ? 1.0f : 0.0f;
        }
    }
}

static ms_grid_kernels forced = MS_GRID_KERNELS_AUTO;

void ms_grid_force_kernels(ms_grid_kernels k) { forced = k; }

int ms_grid_cpu_kernels(ms_cl *cl)
{
    return forced == MS_GRID_KERNELS_AUTO ? !ms_cl_device_limits(cl)->is_gpu
                                          : forced == MS_GRID_KERNELS_CPU;
}

int ms_grid_bins_upload(ms_cl *cl, const ms_grid_bins *b, const int *index,
                        size_t n, size_t nx, size_t ny, cl_mem dev[4])
{
    const void *src[4] = {index, b->start, b->xy, b->ext};
    size_t bytes[4] = {n * sizeof(int), (nx * ny + 1) * sizeof(int),
                       2 * (n + MS_GRID_PAD) * sizeof(float),
                       ((size_t)b->reach + 1) * sizeof(int)};
    int rc = 0;
    for (int i = 0; i < 4 && !rc; i++) {
        rc = ms_cl_alloc(cl, bytes[i], &dev[i]);
        if (!rc)
            rc = ms_cl_upload(cl, dev[i], src[i], bytes[i]);
    }
    return rc;
}

/* Download the points, bin them, upload the bins; the caller releases
 * dev[0 .. 3] (rank, start, sorted positions, ext). */
static int bins_upload(ms_cl *cl, cl_mem xy, size_t n, size_t nx, size_t ny,
                       float cell, float radius, cl_mem dev[4], int *reach)
{
    dev[0] = dev[1] = dev[2] = dev[3] = NULL;
    float *host = malloc((n ? 2 * n : 1) * sizeof *host);
    if (!host)
        return ms_fail(MS_ERR_NOMEM, "grid: out of memory for %zu points", n);
    ms_grid_bins b = {0};
    int rc = ms_cl_download(cl, xy, host, 2 * n * sizeof *host);
    if (!rc)
        rc = ms_grid_bins_build(host, n, nx, ny, cell, radius, &b);
    free(host);
    if (rc)
        return rc;
    rc = ms_grid_bins_upload(cl, &b, b.rank, n, nx, ny, dev);
    *reach = b.reach;
    ms_grid_bins_free(&b);
    return rc;
}

int ms_grid_launch(ms_cl *cl, const char *kernel, const cl_mem in[], size_t n,
                   const ms_grid_cols *c, size_t nx, size_t ny, float cell,
                   float radius, unsigned work_dim, const size_t global[],
                   const size_t local[], const ms_cl_arg *rest,
                   unsigned n_rest)
{
    enum { MAX_ARGS = 20, FIXED = 6 };
    if (n_rest > MAX_ARGS - FIXED)
        return ms_fail(MS_ERR_INTERNAL, "grid: too many kernel arguments");
    /* rank, start, sorted positions, ext; gathered values, mask */
    cl_mem dev[6] = {0};
    int reach = 0;
    int rc = bins_upload(cl, in[2], n, nx, ny, cell, radius, dev, &reach);
    size_t gathered = n * c->width;
    if (!rc)
        rc = ms_cl_alloc(cl, gathered * sizeof(float), &dev[4]);
    if (!rc)
        rc = ms_cl_alloc(cl, gathered * sizeof(float), &dev[5]);
    if (!rc && gathered) {
        ms_cl_arg gargs[] = {MS_CL_MEM(in[0]),       MS_CL_MEM(in[1]),
                             MS_CL_MEM(dev[0]),      MS_CL_INT(c->stride),
                             MS_CL_INT(c->col0),     MS_CL_INT(c->ncols),
                             MS_CL_INT(c->width),    MS_CL_INT(n),
                             MS_CL_MEM(dev[4]),      MS_CL_MEM(dev[5])};
        rc = ms_cl_launch_runs(cl, "grid", "grid_gather", n, gargs,
                               sizeof gargs / sizeof gargs[0]);
    }
    if (!rc) {
        ms_cl_arg args[MAX_ARGS] = {MS_CL_MEM(dev[4]), MS_CL_MEM(dev[5]),
                                    MS_CL_MEM(dev[2]), MS_CL_MEM(dev[1]),
                                    MS_CL_MEM(dev[3]), MS_CL_INT(reach)};
        for (unsigned i = 0; i < n_rest; i++)
            args[FIXED + i] = rest[i];
        rc = work_dim ? ms_cl_launch(cl, "grid", kernel, work_dim, global,
                                     local, args, FIXED + n_rest)
                      : ms_cl_launch_runs(cl, "grid", kernel, global[0], args,
                                          FIXED + n_rest);
    }
    int done = ms_cl_finish(cl); /* before the bins go */
    if (!rc)
        rc = done;
    for (int i = 0; i < 6; i++)
        ms_cl_release(dev[i]);
    return rc;
}
