/* lms_residual: see pipeline/stages/lms_residual.c, whose sums this file
 * computes in the same order, in double. */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

#define LMS_MAX_P 16
#define LMS_MAX_LAGS (2 * LMS_MAX_P)

/* Offset of predictor q (ascending): -(g+k) .. -(g+1), g+1 .. g+k. */
static int lms_offset(int k, int g, int q)
{
    return q < k ? -(g + k - q) : g + 1 + q - k;
}

static int lms_lag_needed(int k, int g, int d)
{
    return d < k || (d >= g + 1 && d <= g + k) ||
           (d >= 2 * g + 2 && d <= 2 * g + 2 * k);
}

/* Pass 1: per trace, its present samples in the window and the lag
 * products <y_t, y_{t+d}> (y = s m) of the lags the normal equations use
 * (the others 0), each summed over the samples in order, four at a time
 * in registers. A row holds
 * lags + 1 doubles. A work-item takes a run of traces. */
__kernel void lms_lags(__global const float *restrict s,
                       __global const float *restrict m,
                       __global double *restrict lag, int nt, int ns, int lo,
                       int hi, int k, int g)
{
    int lags = 2 * (g + k) + 1;
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    for (int t = i0; t < i1; t++) {
        __global const float *st = s + (size_t)t * ns, *mt = m + (size_t)t * ns;
        __global double *row = lag + (size_t)t * (lags + 1);
        double count = 0.0;
        for (int j = lo; j < hi; j++)
            count += mt[j];
        row[lags] = count;
        int need[LMS_MAX_LAGS], n = 0;
        for (int d = 0; d < lags; d++) {
            row[d] = 0.0;
            if (lms_lag_needed(k, g, d) && t + d < nt)
                need[n++] = d;
        }
        /* four lags at a time in registers (past the last, the last
         * again) */
        for (int q = 0; q < n; q += 4) {
            int d0 = need[q], d1 = need[min(q + 1, n - 1)];
            int d2 = need[min(q + 2, n - 1)], d3 = need[min(q + 3, n - 1)];
            size_t u0 = (size_t)(t + d0) * ns, u1 = (size_t)(t + d1) * ns;
            size_t u2 = (size_t)(t + d2) * ns, u3 = (size_t)(t + d3) * ns;
            double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
            for (int j = lo; j < hi; j++) {
                double y = (double)(st[j] * mt[j]);
                a0 += y * (double)(s[u0 + j] * m[u0 + j]);
                a1 += y * (double)(s[u1 + j] * m[u1 + j]);
                a2 += y * (double)(s[u2 + j] * m[u2 + j]);
                a3 += y * (double)(s[u3 + j] * m[u3 + j]);
            }
            row[d0] = a0;
            row[d1] = a1;
            row[d2] = a2;
            row[d3] = a3;
        }
    }
}

static double lms_lag_at(__global const double *lag, int lags, int nt, int t,
                         int d)
{
    return t >= 0 && t < nt ? lag[(size_t)t * (lags + 1) + d] : 0.0;
}

static double lms_y(__global const float *s, __global const float *m, int nt,
                    int ns, int t, int j)
{
    size_t at = (size_t)t * ns + j;
    return t >= 0 && t < nt ? (double)(s[at] * m[at]) : 0.0;
}

/* Pass 2: per trace, the Gram matrix from the lag products (less its
 * predictors' products where the trace misses a sample; upper triangle and
 * gd as summed, lower triangle its Cholesky factor with the ridge), the
 * weights, and the residual power from the sums. */
__kernel void lms_fit(__global const float *restrict s,
                      __global const float *restrict m,
                      __global const double *restrict lag,
                      __global float *restrict score,
                      __global float *restrict valid, int nt, int ns, int lo,
                      int hi, int k, int g, double ridge)
{
    int lags = 2 * (g + k) + 1, np = 2 * k;
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    for (int i = i0; i < i1; i++) {
        double count = lms_lag_at(lag, lags, nt, i, lags);
        if (count == 0.0) {
            score[i] = valid[i] = 0.0f;
            continue;
        }
        double a[LMS_MAX_P][LMS_MAX_P], gd[LMS_MAX_P], w[LMS_MAX_P];
        double rhs[LMS_MAX_P], tr = 0.0;
        for (int p = 0; p < np; p++)
            for (int q = p; q < np; q++)
                a[p][q] = lms_lag_at(lag, lags, nt, i + lms_offset(k, g, p),
                                     lms_offset(k, g, q) - lms_offset(k, g, p));
        if (count < (double)(hi - lo)) {
            __global const float *mi = m + (size_t)i * ns;
            for (int j = lo; j < hi; j++) {
                if (mi[j] != 0.0f)
                    continue;
                for (int p = 0; p < np; p++) {
                    double yp = lms_y(s, m, nt, ns, i + lms_offset(k, g, p), j);
                    for (int q = p; q < np; q++)
                        a[p][q] -=
                            yp * lms_y(s, m, nt, ns, i + lms_offset(k, g, q), j);
                }
            }
        }
        for (int p = 0; p < np; p++) {
            gd[p] = a[p][p];
            for (int q = p + 1; q < np; q++)
                a[q][p] = a[p][q];
        }
        for (int p = 0; p < np; p++) {
            int o = lms_offset(k, g, p);
            rhs[p] = o > 0 ? lms_lag_at(lag, lags, nt, i, o)
                           : lms_lag_at(lag, lags, nt, i + o, -o);
            w[p] = rhs[p];
            tr += gd[p];
        }
        double lambda = ridge * tr / np;
        int ok = tr > 0.0;
        for (int p = 0; ok && p < np; p++) {
            double d = gd[p] + lambda;
            for (int q = 0; q < p; q++)
                d -= a[p][q] * a[p][q];
            if (!(d > 0.0)) {
                ok = 0;
                break;
            }
            a[p][p] = sqrt(d);
            for (int r = p + 1; r < np; r++) {
                double v = a[r][p];
                for (int q = 0; q < p; q++)
                    v -= a[r][q] * a[p][q];
                a[r][p] = v / a[p][p];
            }
        }
        for (int p = 0; ok && p < np; p++) {
            double v = w[p];
            for (int q = 0; q < p; q++)
                v -= a[p][q] * w[q];
            w[p] = v / a[p][p];
        }
        for (int p = np - 1; ok && p >= 0; p--) {
            double v = w[p];
            for (int q = p + 1; q < np; q++)
                v -= a[q][p] * w[q];
            w[p] = v / a[p][p];
        }
        double wb = 0.0, wgw = 0.0;
        for (int p = 0; ok && p < np; p++) {
            double gw = 0.0;
            for (int q = 0; q < np; q++)
                gw += (q == p ? gd[p] : q > p ? a[p][q] : a[q][p]) * w[q];
            wb += w[p] * rhs[p];
            wgw += w[p] * gw;
        }
        double e = lms_lag_at(lag, lags, nt, i, 0) - 2.0 * wb + wgw;
        score[i] = (float)(fmax(e, 0.0) / count);
        valid[i] = 1.0f;
    }
}
