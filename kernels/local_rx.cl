/* local_rx: see pipeline/stages/local_rx.c. The features, their covered
 * mean, the summed-area tables (rows, then columns) and the per-cell
 * Cholesky solve, all in double as in the reference. */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#define RX_MAX_K 32

/* Feature k of cell c: the mean of planes ranges[k] .. ranges[32 + k]. */
__kernel void local_rx_features(__global const float *restrict vol,
                                __global const int *restrict ranges,
                                __global double *restrict feat, int n, int k)
{
    int c = get_global_id(0);
    if (c >= n)
        return;
    for (int b = 0; b < k; b++) {
        int lo = ranges[b], hi = ranges[RX_MAX_K + b];
        double s = 0.0;
        for (int z = lo; z < hi; z++)
            s += vol[(size_t)z * n + c];
        feat[(size_t)c * k + b] = s / (hi - lo);
    }
}

/* The mean feature over the covered cells: one work-group; each item sums
 * a stride of cells, then a tree in local memory (L x (K + 1) doubles). */
__kernel void local_rx_mean(__global const double *restrict feat,
                            __global const float *restrict hits,
                            __global double *restrict mean, int n, int k,
                            __local double *red)
{
    int l = get_local_id(0), L = get_local_size(0);
    __local double *mine = red + l * (RX_MAX_K + 1);
    for (int b = 0; b <= k; b++)
        mine[b] = 0.0;
    for (int c = l; c < n; c += L)
        if (hits[c] > 0.0f) {
            for (int b = 0; b < k; b++)
                mine[b] += feat[(size_t)c * k + b];
            mine[k] += 1.0;
        }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s >>= 1) {
        if (l < s)
            for (int b = 0; b <= k; b++)
                mine[b] += red[(l + s) * (RX_MAX_K + 1) + b];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0)
        for (int b = 0; b < k; b++)
            mean[b] = red[k] > 0.0 ? red[b] / red[k] : 0.0;
}

/* Moment m of centred features g (0: the count; 1..k: g_i; then g_i g_j
 * for i <= j, row by row). */
static double rx_moment(__global const double *f, __global const double *mean,
                        int k, int m)
{
    if (m == 0)
        return 1.0;
    if (m <= k)
        return f[m - 1] - mean[m - 1];
    int q = m - 1 - k, i = 0;
    while (q >= k - i) {
        q -= k - i;
        i++;
    }
    return (f[i] - mean[i]) * (f[i + q] - mean[i + q]);
}

/* Row Y of table m: the running sum along x of row Y - 1's covered cells
 * (row 0 zeros). One work-item per (row, moment). */
__kernel void local_rx_rows(__global const double *restrict feat,
                            __global const float *restrict hits,
                            __global const double *restrict mean,
                            __global double *restrict sat, int nx, int ny,
                            int k, int nm)
{
    int Y = get_global_id(0), m = get_global_id(1);
    if (Y > ny || m >= nm)
        return;
    size_t r = (size_t)nx + 1;
    __global double *row = sat + (size_t)m * r * ((size_t)ny + 1) + Y * r;
    double s = 0.0;
    row[0] = 0.0;
    for (int x = 0; x < nx; x++) {
        if (Y > 0) {
            size_t c = (size_t)(Y - 1) * nx + x;
            if (hits[c] > 0.0f)
                s += rx_moment(feat + c * k, mean, k, m);
        }
        row[x + 1] = s;
    }
}

/* Then the running sum down each column. One work-item per (column,
 * moment). */
__kernel void local_rx_cols(__global double *restrict sat, int nx, int ny,
                            int nm)
{
    int X = get_global_id(0), m = get_global_id(1);
    if (X > nx || m >= nm)
        return;
    size_t r = (size_t)nx + 1;
    __global double *t = sat + (size_t)m * r * ((size_t)ny + 1) + X;
    for (int y = 1; y <= ny; y++)
        t[y * r] += t[(y - 1) * r];
}

/* One work-item per cell: the ring's sums from the tables (outer square
 * minus guard square), mean and covariance, the ridge, Cholesky, and the
 * squared length of L^-1 (f - mu). */
__kernel void local_rx_score(__global const double *restrict feat,
                             __global const float *restrict hits,
                             __global const double *restrict mean,
                             __global const double *restrict sat,
                             __global float *restrict out, int nx, int ny,
                             int k, int g, int w, double ridge)
{
    int x = get_global_id(0), y = get_global_id(1);
    if (x >= nx || y >= ny)
        return;
    size_t c = (size_t)y * nx + x;
    if (!(hits[c] > 0.0f)) {
        out[c] = 0.0f;
        return;
    }
    size_t r = (size_t)nx + 1, stride = r * ((size_t)ny + 1);
    size_t X0 = max(x - w, 0), X1 = min(x + w + 1, nx);
    size_t Y0 = max(y - w, 0), Y1 = min(y + w + 1, ny);
    size_t x0 = max(x - g, 0), x1 = min(x + g + 1, nx);
    size_t y0 = max(y - g, 0), y1 = min(y + g + 1, ny);
#define RX_SUM(m)                                                              \
    ((sat[(m) * stride + Y1 * r + X1] - sat[(m) * stride + Y0 * r + X1] -     \
      sat[(m) * stride + Y1 * r + X0] + sat[(m) * stride + Y0 * r + X0]) -    \
     (sat[(m) * stride + y1 * r + x1] - sat[(m) * stride + y0 * r + x1] -     \
      sat[(m) * stride + y1 * r + x0] + sat[(m) * stride + y0 * r + x0]))
    double n = RX_SUM((size_t)0);
    if (n < 2.0) {
        out[c] = 0.0f;
        return;
    }
    /* the covariance, then its Cholesky factor, packed lower triangle:
     * (i, j) for j <= i at i (i + 1) / 2 + j */
    double mu[RX_MAX_K], d[RX_MAX_K], a[RX_MAX_K * (RX_MAX_K + 1) / 2];
#define RX_AT(i, j) ((i) * ((i) + 1) / 2 + (j))
    for (int i = 0; i < k; i++) {
        mu[i] = RX_SUM((size_t)(1 + i)) / n;
        d[i] = (feat[c * k + i] - mean[i]) - mu[i];
    }
    double tr = 0.0;
    size_t q = 1 + k;
    for (int i = 0; i < k; i++)
        for (int j = i; j < k; j++, q++) {
            double v = RX_SUM(q) / n - mu[i] * mu[j];
            a[RX_AT(j, i)] = v;
            if (i == j)
                tr += v;
        }
#undef RX_SUM
    if (!(tr > 0.0)) {
        out[c] = 0.0f;
        return;
    }
    double lambda = ridge * tr / k;
    for (int i = 0; i < k; i++)
        a[RX_AT(i, i)] += lambda;
    for (int j = 0; j < k; j++) {
        double s = a[RX_AT(j, j)];
        for (int m = 0; m < j; m++)
            s -= a[RX_AT(j, m)] * a[RX_AT(j, m)];
        if (!(s > 0.0)) {
            out[c] = 0.0f;
            return;
        }
        double l = sqrt(s);
        a[RX_AT(j, j)] = l;
        for (int i = j + 1; i < k; i++) {
            double t = a[RX_AT(i, j)];
            for (int m = 0; m < j; m++)
                t -= a[RX_AT(i, m)] * a[RX_AT(j, m)];
            a[RX_AT(i, j)] = t / l;
        }
    }
    double score = 0.0;
    for (int i = 0; i < k; i++) {
        double t = d[i];
        for (int m = 0; m < i; m++)
            t -= a[RX_AT(i, m)] * d[m];
        d[i] = t / a[RX_AT(i, i)];
        score += d[i] * d[i];
    }
#undef RX_AT
    out[c] = (float)score;
}
