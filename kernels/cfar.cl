/* cfar: see pipeline/stages/cfar.c and cfar_map.c. Summed-area tables in
 * double (rows, then columns, as the reference builds them), then one
 * work-item per cell reads its training and guard squares' corners. The
 * map starts `off` floats into v (depth_cfar: one plane of a volume). */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

/* Table row r (0..ny): row 0 zero, row y + 1 the prefix sums of map row y
 * (tables cnt, sum, sq one after another, T values each). */
__kernel void cfar_rows(__global const float *restrict v, int off,
                        __global const float *restrict hits,
                        __global double *restrict t, int nx, int ny,
                        int model, __global const float *restrict floor_v)
{
    int r = get_global_id(0);
    if (r > ny)
        return;
    size_t W = (size_t)nx + 1, T = W * ((size_t)ny + 1), at = (size_t)r * W;
    double centre = floor_v[1], rc = 0.0, rs = 0.0, rq = 0.0;
    v += off;
    t[at] = t[T + at] = t[2 * T + at] = 0.0;
    for (int x = 0; x < nx; x++) {
        if (r > 0) {
            size_t i = (size_t)(r - 1) * nx + x;
            if (hits[i] > 0.0f) {
                double a = model ? (double)v[i] - centre : fmax(v[i], 0.0f);
                rc += 1.0;
                rs += a;
                rq += a * a;
            }
        }
        t[at + x + 1] = rc;
        t[T + at + x + 1] = rs;
        t[2 * T + at + x + 1] = rq;
    }
}

/* Column x + 1 (x < nx) of each table, summed down the rows. */
__kernel void cfar_cols(__global double *restrict t, int nx, int ny)
{
    int x = get_global_id(0) + 1;
    if (x > nx)
        return;
    size_t W = (size_t)nx + 1, T = W * ((size_t)ny + 1);
    for (int k = 0; k < 3; k++)
        for (int y = 1; y <= ny; y++) {
            size_t at = k * T + (size_t)y * W + x;
            t[at] += t[at - W];
        }
}

static double box(__global const double *t, size_t W, int x0, int x1, int y0,
                  int y1)
{
    return t[(size_t)(y1 + 1) * W + (x1 + 1)] - t[(size_t)y0 * W + (x1 + 1)] -
           t[(size_t)(y1 + 1) * W + x0] + t[(size_t)y0 * W + x0];
}

__kernel void cfar(__global const float *restrict v, int off,
                   __global const float *restrict hits,
                   __global float *restrict out, int nx, int ny, int g, int w,
                   float scale, int model,
                   __global const float *restrict floor_v,
                   __global const double *restrict t)
{
    int x = get_global_id(0), y = get_global_id(1);
    if (x >= nx || y >= ny)
        return;
    int i = y * nx + x;
    float c = v[off + i];
    if (!(hits[i] > 0.0f) || (!model && !(c > 0.0f))) {
        out[i] = 0.0f;
        return;
    }
    size_t W = (size_t)nx + 1, T = W * ((size_t)ny + 1);
    int y0 = max(y - w, 0), y1 = min(y + w, ny - 1);
    int x0 = max(x - w, 0), x1 = min(x + w, nx - 1);
    int gy0 = max(y - g, 0), gy1 = min(y + g, ny - 1);
    int gx0 = max(x - g, 0), gx1 = min(x + g, nx - 1);
    double n = box(t, W, x0, x1, y0, y1) - box(t, W, gx0, gx1, gy0, gy1);
    double s = box(t + T, W, x0, x1, y0, y1) - box(t + T, W, gx0, gx1, gy0, gy1);
    float fl = floor_v[0];
    if (!model) {
        float m = n > 0.5 ? fmax((float)(s / n), fl) : 0.0f;
        out[i] = m > 0.0f ? scale * (float)n * log1p(c / ((float)n * m)) : 0.0f;
        return;
    }
    double q = box(t + 2 * T, W, x0, x1, y0, y1) -
               box(t + 2 * T, W, gx0, gx1, gy0, gy1);
    double mc = n > 0.5 ? s / n : 0.0;
    double var = n > 0.5 ? fmax(q / n - mc * mc, 0.0) : 0.0;
    float mu = (float)(mc + (double)floor_v[1]);
    float sd = n > 1.5 ? fmax((float)sqrt(var), fl) : 0.0f;
    out[i] = sd > 0.0f ? scale * (c - mu) / sd : 0.0f;
}

/* Model 0's noise floor (cfar_map.c's noise_floor: floor_frac times the
 * mean of the swept cells' positive parts) into floor_v[0] and that mean
 * into floor_v[1]: one work-group; each item sums a stride of the swept
 * cells, then a tree in local memory. (Model 1's floor is a median's,
 * worked out on the host.) */
__kernel void cfar_floor(__global const float *restrict v, int off,
                         __global const float *restrict hits,
                         __global float *restrict floor_v, int n,
                         float floor_frac, __local float *red)
{
    int l = get_local_id(0), L = get_local_size(0);
    float sum = 0.0f, cnt = 0.0f;
    v += off;
    for (int i = l; i < n; i += L)
        if (hits[i] > 0.0f) {
            sum += fmax(v[i], 0.0f);
            cnt += 1.0f;
        }
    red[l] = sum;
    red[L + l] = cnt;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s >>= 1) {
        if (l < s) {
            red[l] += red[l + s];
            red[L + l] += red[L + l + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        float mean = red[L] > 0.0f ? red[0] / red[L] : 0.0f;
        floor_v[0] = floor_frac * mean;
        floor_v[1] = mean; /* the tables' centre */
    }
}
