/* The CFAR statistic of one map for cfar and depth_cfar: see cfar_map.h,
 * and cfar.c for what it computes. */
#include "stages/cfar_map.h"

#include <math.h>
#include <string.h>

#include "core/select.h"

void ms_cfar_cells(double guard_m, double train_m, double cell_m, int *g,
                   int *w)
{
    *g = (int)ceil(guard_m / cell_m - 1e-9);
    *w = (int)ceil(train_m / cell_m - 1e-9);
    if (*w <= *g)
        *w = *g + 1;
}

float ms_cfar_scale(int model, double pfa, double score_at_threshold)
{
    if (!model)
        return (float)(score_at_threshold / -log(pfa));
    /* the normal quantile k of 1 - pfa, by bisection of erfc */
    double lo = -10.0, hi = 40.0;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(mid / sqrt(2.0)) > pfa)
            lo = mid;
        else
            hi = mid;
    }
    double k = 0.5 * (lo + hi);
    return (float)(score_at_threshold / (k > 1e-3 ? k : 1e-3));
}

size_t ms_cfar_tables_bytes(size_t nx, size_t ny)
{
    return 3 * (nx + 1) * (ny + 1) * sizeof(double);
}

/* The map-wide mean of the swept cells' values (positive parts for model
 * 0) in double, and from it the floor on the local noise estimate: floor
 * times that mean (model 0) or, model 1, floor times a robust spread of
 * the values, 1.4826 times their median absolute deviation from their
 * median (the standard deviation of the bulk of a Gaussian plane). The
 * standard deviation was ruled by the strongest targets: a metal
 * anti-tank mine's echo, 1e5 times a depth plane's median power, raised
 * the floor over every other cell, so that on a clean lane with one a PMN
 * whose bins stood 100-500 times the plane's median scored about 1. work:
 * n floats (the swept finite values, then their deviations). */
static float noise_floor(const ms_cfar_map_opts *o, const float *v,
                         const float *hits, size_t n, double *mean_out,
                         float *work)
{
    double sum = 0.0, cnt = 0.0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f) {
            sum += o->model ? v[i] : fmax(v[i], 0.0f);
            cnt += 1.0;
            if (o->model && isfinite(v[i]))
                work[m++] = v[i];
        }
    *mean_out = cnt > 0.0 ? sum / cnt : 0.0;
    if (!(cnt > 0.0))
        return 0.0f;
    if (!o->model)
        return (float)(o->floor * (sum / cnt));
    if (m == 0 || o->floor == 0.0f)
        return 0.0f;
    float med = ms_kth_smallest(work, m, m / 2);
    double dev = 0.0;
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0.0f && isfinite(v[i])) {
            work[m] = fabsf(v[i] - med);
            dev += work[m++];
        }
    /* where half the cells or more hold one value (padding, clipping) the
     * median absolute deviation is 0: then the mean absolute deviation
     * (sqrt(pi / 2) of it is a Gaussian's standard deviation) */
    float mad = ms_kth_smallest(work, m, m / 2);
    double spread = mad > 0.0f ? 1.4826 * mad : 1.2533 * dev / (double)m;
    return (float)(o->floor * spread);
}

size_t ms_cfar_host_floats(int model, size_t n)
{
    return model ? 3 * n + 2 : 0;
}

/* Summed-area tables, (ny + 1) x (nx + 1) each, row 0 and column 0 zero:
 * the count of swept cells, the sum of their values (model 1: minus
 * `centre`; model 0: positive parts) and of the squares (model 1). */
static void build_tables(const float *v, const float *hits, int nx, int ny,
                         int model, double centre, double *cnt, double *sum,
                         double *sq)
{
    size_t W = (size_t)nx + 1;
    memset(cnt, 0, W * sizeof *cnt);
    memset(sum, 0, W * sizeof *sum);
    memset(sq, 0, W * sizeof *sq);
    for (int y = 0; y < ny; y++) {
        double rc = 0.0, rs = 0.0, rq = 0.0;
        size_t r = (size_t)(y + 1) * W;
        cnt[r] = sum[r] = sq[r] = 0.0;
        for (int x = 0; x < nx; x++) {
            size_t i = (size_t)y * nx + x;
            if (hits[i] > 0.0f) {
                double a = model ? (double)v[i] - centre : fmax(v[i], 0.0f);
                rc += 1.0;
                rs += a;
                rq += a * a;
            }
            cnt[r + x + 1] = rc;
            sum[r + x + 1] = rs;
            sq[r + x + 1] = rq;
        }
    }
    for (int x = 1; x <= nx; x++)
        for (int y = 1; y <= ny; y++) {
            size_t at = (size_t)y * W + x, up = at - W;
            cnt[at] += cnt[up];
            sum[at] += sum[up];
            sq[at] += sq[up];
        }
}

/* The sum over cells [x0, x1] x [y0, y1] (inclusive) of table t. */
static double box(const double *t, size_t W, int x0, int x1, int y0, int y1)
{
    return t[(size_t)(y1 + 1) * W + (x1 + 1)] - t[(size_t)y0 * W + (x1 + 1)] -
           t[(size_t)(y1 + 1) * W + x0] + t[(size_t)y0 * W + x0];
}

void ms_cfar_map_cpu(const ms_cfar_map_opts *o, const float *v,
                     const float *hits, int nx, int ny, double *tables,
                     float *out)
{
    int g = o->g, w = o->w;
    double centre;
    /* the tables are built after the floor: their memory (3 (nx + 1)
     * (ny + 1) doubles) holds the floor's n floats of work first */
    float floor_v = noise_floor(o, v, hits, (size_t)nx * ny, &centre,
                                (float *)(void *)tables);
    size_t W = (size_t)nx + 1, T = W * ((size_t)ny + 1);
    double *cnt = tables, *sum = cnt + T, *sq = sum + T;
    build_tables(v, hits, nx, ny, o->model, centre, cnt, sum, sq);
    for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++) {
            size_t i = (size_t)y * nx + x;
            float c = v[i];
            if (!(hits[i] > 0.0f) || (!o->model && !(c > 0.0f))) {
                out[i] = 0.0f;
                continue;
            }
            int y0 = y - w < 0 ? 0 : y - w, y1 = y + w >= ny ? ny - 1 : y + w;
            int x0 = x - w < 0 ? 0 : x - w, x1 = x + w >= nx ? nx - 1 : x + w;
            int gy0 = y - g < 0 ? 0 : y - g, gy1 = y + g >= ny ? ny - 1 : y + g;
            int gx0 = x - g < 0 ? 0 : x - g, gx1 = x + g >= nx ? nx - 1 : x + g;
            double n = box(cnt, W, x0, x1, y0, y1) - box(cnt, W, gx0, gx1, gy0, gy1);
            double s = box(sum, W, x0, x1, y0, y1) - box(sum, W, gx0, gx1, gy0, gy1);
            if (!o->model) {
                float m = n > 0.5 ? fmaxf((float)(s / n), floor_v) : 0.0f;
                out[i] = m > 0.0f ? o->scale * (float)n * log1pf(c / ((float)n * m))
                                  : 0.0f;
                continue;
            }
            double q = box(sq, W, x0, x1, y0, y1) - box(sq, W, gx0, gx1, gy0, gy1);
            double mc = n > 0.5 ? s / n : 0.0;
            double var = n > 0.5 ? fmax(q / n - mc * mc, 0.0) : 0.0;
            float mu = (float)(mc + centre);
            float sd = n > 1.5 ? fmaxf((float)sqrt(var), floor_v) : 0.0f;
            out[i] = sd > 0.0f ? o->scale * (c - mu) / sd : 0.0f;
        }
}

int ms_cfar_map_cl(ms_cl *cl, const ms_cfar_map_opts *o, cl_mem v, int off,
                   cl_mem hits, cl_mem out, int nx, int ny, cl_mem floor_v,
                   cl_mem tables, float *host, int hits_on_host)
{
    int rc;
    size_t n = (size_t)nx * (size_t)ny;
    if (o->model) {
        /* model 1's floor is a median's: worked out on the host from the
         * map and the hit counts, as the C path does (ms_kth_smallest),
         * so both paths take the same floor; then the floor and the mean
         * go up as the kernel below would leave them */
        float *hv = host, *hh = host + n, *work = host + 2 * n, *fv = work + n;
        double centre;
        if ((rc = ms_cl_download_at(cl, v, (size_t)off * sizeof(float), hv,
                                    n * sizeof(float))) ||
            (!hits_on_host &&
             (rc = ms_cl_download(cl, hits, hh, n * sizeof(float)))))
            return rc;
        fv[0] = noise_floor(o, hv, hh, n, &centre, work);
        fv[1] = (float)centre;
        if ((rc = ms_cl_upload(cl, floor_v, fv, 2 * sizeof(float))))
            return rc;
    } else {
        /* the floor and the mean: one work-group strides over the map */
        size_t local = 64;
        ms_cl_arg fargs[] = {MS_CL_MEM(v),       MS_CL_INT(off),
                             MS_CL_MEM(hits),    MS_CL_MEM(floor_v),
                             MS_CL_INT(nx * ny), MS_CL_FLOAT(o->floor),
                             MS_CL_LOCAL(2 * local * sizeof(float))};
        rc = ms_cl_launch(cl, "cfar", "cfar_floor", 1, &local, &local, fargs,
                          7);
        if (rc)
            return rc;
    }
    ms_cl_arg rargs[] = {MS_CL_MEM(v),      MS_CL_INT(off),   MS_CL_MEM(hits),
                         MS_CL_MEM(tables), MS_CL_INT(nx),    MS_CL_INT(ny),
                         MS_CL_INT(o->model), MS_CL_MEM(floor_v)};
    size_t rows = (size_t)ny + 1, cols = nx > 0 ? (size_t)nx : 1;
    ms_cl_arg cargs[] = {MS_CL_MEM(tables), MS_CL_INT(nx), MS_CL_INT(ny)};
    if ((rc = ms_cl_launch(cl, "cfar", "cfar_rows", 1, &rows, NULL, rargs, 8)) ||
        (rc = ms_cl_launch(cl, "cfar", "cfar_cols", 1, &cols, NULL, cargs, 3)))
        return rc;
    ms_cl_arg args[] = {MS_CL_MEM(v),        MS_CL_INT(off),
                        MS_CL_MEM(hits),     MS_CL_MEM(out),
                        MS_CL_INT(nx),       MS_CL_INT(ny),
                        MS_CL_INT(o->g),     MS_CL_INT(o->w),
                        MS_CL_FLOAT(o->scale), MS_CL_INT(o->model),
                        MS_CL_MEM(floor_v),  MS_CL_MEM(tables)};
    size_t global[2] = {(size_t)nx, (size_t)ny};
    return ms_cl_launch(cl, "cfar", "cfar", 2, global, NULL, args, 12);
}
