/* bounce_fit: see pipeline/stages/bounce_fit.c. bounce_fit_sums makes the
 * prefix sums over traces of each template sample (one work-item per
 * sample walks the traces, adding in the C path's order); bounce_fit then
 * takes runs of traces: copy, fit over the window, subtract. The same
 * operations in double as the C reference, without fused multiply-adds. */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void bounce_fit_sums(__global const float *restrict s,
                              __global const float *restrict m,
                              __global double *restrict P,
                              __global double *restrict W, int nt, int ns,
                              int elo, int nw)
{
    int k = get_global_id(0);
    if (k >= nw)
        return;
    double p = 0.0, w = 0.0;
    P[k] = 0.0;
    W[k] = 0.0;
    for (int i = 0; i < nt; i++) {
        size_t at = (size_t)i * ns + elo + k;
        double v = m[at] > 0.0f ? 1.0 : 0.0;
        p = p + v * (double)s[at];
        w = w + v;
        P[(size_t)(i + 1) * nw + k] = p;
        W[(size_t)(i + 1) * nw + k] = w;
    }
}

/* The template of trace i at sample j (clamped to [elo, ehi)). */
static double tmpl(__global const double *P, __global const double *W,
                   int elo, int ehi, int nt, int hw, int i, int j)
{
    int nw = ehi - elo;
    int k = (j < elo ? elo : j >= ehi ? ehi - 1 : j) - elo;
    long a = (long)i - hw, b = (long)i + hw + 1;
    size_t ra = a < 0 ? 0 : (size_t)a, rb = b > nt ? (size_t)nt : (size_t)b;
    double sw = W[rb * nw + k] - W[ra * nw + k];
    double sp = P[rb * nw + k] - P[ra * nw + k];
    return sw > 0.0 ? sp / sw : 0.0;
}

static void basis(__global const double *P, __global const double *W,
                  int elo, int ehi, int nt, int hw, int i, int j,
                  double *B)
{
    double tm = tmpl(P, W, elo, ehi, nt, hw, i, j - 1);
    double t0 = tmpl(P, W, elo, ehi, nt, hw, i, j);
    double tp = tmpl(P, W, elo, ehi, nt, hw, i, j + 1);
    B[0] = t0;
    B[1] = 0.5 * (tp - tm);
    B[2] = tp - 2.0 * t0 + tm;
}

/* As solve() in bounce_fit.c. */
static void solve(double *A, double *b, int n, double *c)
{
    double scale = 0.0;
    int used[3] = {0, 0, 0};
    for (int k = 0; k < n; k++)
        scale = fmax(scale, A[k * 3 + k]);
    for (int k = 0; k < 3; k++)
        c[k] = 0.0;
    if (!(scale > 0.0))
        return;
    for (int k = 0; k < n; k++) {
        if (!(A[k * 3 + k] > 1e-10 * scale))
            continue;
        used[k] = 1;
        for (int r = k + 1; r < n; r++) {
            double f = A[r * 3 + k] / A[k * 3 + k];
            for (int q = k; q < n; q++)
                A[r * 3 + q] -= f * A[k * 3 + q];
            b[r] -= f * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        if (!used[k])
            continue;
        double v = b[k];
        for (int q = k + 1; q < n; q++)
            v -= A[k * 3 + q] * c[q];
        c[k] = v / A[k * 3 + k];
    }
}

__kernel void bounce_fit(__global const float *restrict s,
                         __global const float *restrict m,
                         __global float *restrict out,
                         __global const double *restrict P,
                         __global const double *restrict W,
                         __global const double *restrict taper, int nt,
                         int ns, int lo, int hi, int elo, int ehi, int hw,
                         int terms)
{
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    for (int i = i0; i < i1; i++) {
        __global const float *si = s + (size_t)i * ns;
        __global const float *mi = m + (size_t)i * ns;
        __global float *oi = out + (size_t)i * ns;
        for (int j = 0; j < ns; j++)
            oi[j] = si[j];
        double A[9] = {0}, b[3] = {0}, c[3], B[3];
        for (int j = lo; j < hi; j++) {
            if (!(mi[j] > 0.0f))
                continue;
            basis(P, W, elo, ehi, nt, hw, i, j, B);
            for (int k = 0; k < terms; k++) {
                for (int q = 0; q < terms; q++)
                    A[k * 3 + q] += B[k] * B[q];
                b[k] += B[k] * (double)si[j];
            }
        }
        solve(A, b, terms, c);
        for (int j = lo; j < hi; j++) {
            if (!(mi[j] > 0.0f))
                continue;
            basis(P, W, elo, ehi, nt, hw, i, j, B);
            double fit = 0.0;
            for (int k = 0; k < terms; k++)
                fit += c[k] * B[k];
            oi[j] = (float)((double)si[j] - taper[j - lo] * fit);
        }
    }
}
