/* Binning points by map cell for grid and grid_volume: see grid_common.h. */
#include "stages/grid_common.h"

#include <stdlib.h>

#include "minescan/error.h"

static size_t bin_of(float v, float cell, size_t n)
{
    float f = floorf(v / cell);
    return f < 0.0f ? 0 : f >= (float)n ? n - 1 : (size_t)f;
}

int ms_grid_bins_build(const float *xy, size_t n, size_t nx, size_t ny,
                       float cell, float radius, ms_grid_bins *b)
{
    size_t n_bins = nx * ny;
    b->order = malloc((n ? n : 1) * sizeof *b->order);
    b->start = calloc(n_bins + 1, sizeof *b->start);
    int *fill = calloc(n_bins + 1, sizeof *fill);
    if (!b->order || !b->start || !fill) {
        free(fill);
        ms_grid_bins_free(b);
        return ms_fail(MS_ERR_NOMEM, "grid: out of memory binning %zu points",
                       n);
    }
    /* Counting sort: stable, so each bin keeps its points in order. */
    for (size_t k = 0; k < n; k++)
        b->start[bin_of(xy[2 * k + 1], cell, ny) * nx +
                 bin_of(xy[2 * k], cell, nx) + 1]++;
    for (size_t i = 0; i < n_bins; i++)
        b->start[i + 1] += b->start[i];
    for (size_t k = 0; k < n; k++) {
        size_t bin = bin_of(xy[2 * k + 1], cell, ny) * nx +
                     bin_of(xy[2 * k], cell, nx);
        b->order[b->start[bin] + fill[bin]++] = (int)k;
    }
    free(fill);
    b->reach = (int)ceilf(radius / cell);
    return 0;
}

void ms_grid_bins_free(ms_grid_bins *b)
{
    free(b->order);
    free(b->start);
    b->order = b->start = NULL;
}

/* Download the points, bin them, upload the bins; the caller releases
 * *order and *start. */
static int bins_upload(ms_cl *cl, cl_mem xy, size_t n, size_t nx, size_t ny,
                       float cell, float radius, cl_mem *order, cl_mem *start,
                       int *reach)
{
    *order = *start = NULL;
    float *host = malloc((n ? 2 * n : 1) * sizeof *host);
    if (!host)
        return ms_fail(MS_ERR_NOMEM, "grid: out of memory for %zu points", n);
    ms_grid_bins b = {0};
    int rc = ms_cl_download(cl, xy, host, 2 * n * sizeof *host);
    if (!rc)
        rc = ms_grid_bins_build(host, n, nx, ny, cell, radius, &b);
    free(host);
    size_t order_bytes = n * sizeof(int), start_bytes = (nx * ny + 1) * sizeof(int);
    if (!rc)
        rc = ms_cl_alloc(cl, order_bytes, order);
    if (!rc)
        rc = ms_cl_upload(cl, *order, b.order, order_bytes);
    if (!rc)
        rc = ms_cl_alloc(cl, start_bytes, start);
    if (!rc)
        rc = ms_cl_upload(cl, *start, b.start, start_bytes);
    *reach = b.reach;
    ms_grid_bins_free(&b);
    if (rc) {
        ms_cl_release(*order);
        ms_cl_release(*start);
        *order = *start = NULL;
    }
    return rc;
}

int ms_grid_launch(ms_cl *cl, const char *kernel, const cl_mem in[], size_t n,
                   size_t nx, size_t ny, float cell, float radius,
                   unsigned work_dim, const size_t global[],
                   const ms_cl_arg *rest, unsigned n_rest)
{
    enum { MAX_ARGS = 16 };
    if (n_rest > MAX_ARGS - 6)
        return ms_fail(MS_ERR_INTERNAL, "grid: too many kernel arguments");
    cl_mem order, start;
    int reach = 0;
    int rc = bins_upload(cl, in[2], n, nx, ny, cell, radius, &order, &start,
                         &reach);
    if (rc)
        return rc;
    ms_cl_arg args[MAX_ARGS] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]),
                                MS_CL_MEM(in[2]), MS_CL_MEM(order),
                                MS_CL_MEM(start), MS_CL_INT(reach)};
    for (unsigned i = 0; i < n_rest; i++)
        args[6 + i] = rest[i];
    rc = ms_cl_launch(cl, "grid", kernel, work_dim, global, NULL, args, 6 + n_rest);
    if (!rc)
        rc = ms_cl_finish(cl); /* before the bins go */
    ms_cl_release(order);
    ms_cl_release(start);
    return rc;
}
