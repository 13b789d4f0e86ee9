/* background_removal and emi_detrend: see ms_rows_mean_masked_cpu in
 * pipeline/stages/running_mean.c (the mean weighted by w, the output
 * present where m is; where a present sample's window holds no weight,
 * fallback's value if use_fallback, else 0). A work-item walks a chunk of rows
 * over a run of columns (one on a GPU; on a CPU up to 1024, whose loop
 * then vectorises as plain code would), keeping running sums of each
 * column's window in local memory: the row entering added, the one leaving
 * subtracted. Each chunk primes its own window, so that chunks run in
 * parallel. Sums in double, as in the reference. */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

__kernel void rows_mean_subtract(__global const float *restrict s,
                                 __global const float *restrict w,
                                 __global const float *restrict m,
                                 __global const float *restrict fallback,
                                 int use_fallback, __global float *restrict out,
                                 int rows, int cols, int half_w, int chunk,
                                 int run, __local double *acc)
{
    int j0 = get_global_id(0) * run, i0 = get_global_id(1) * chunk;
    int n = min(run, cols - j0), i1 = min(i0 + chunk, rows);
    if (n <= 0 || i0 >= rows)
        return;
    __local double *sum = acc + 2 * run * get_local_id(0), *weight = sum + run;
    for (int j = 0; j < n; j++)
        sum[j] = weight[j] = 0.0;
    for (int k = max(i0 - half_w, 0); k <= min(i0 + half_w, rows - 1); k++) {
        size_t row = (size_t)k * cols + j0;
        for (int j = 0; j < n; j++) {
            sum[j] += (double)w[row + j] * s[row + j];
            weight[j] += w[row + j];
        }
    }
    for (int i = i0; i < i1; i++) {
        /* The rows entering and leaving, clamped and weighted 0 past the
         * ends: one branch-free pass per row. */
        double e = i + half_w + 1 < rows ? 1.0 : 0.0, l = i >= half_w ? 1.0 : 0.0;
        size_t at = (size_t)i * cols + j0;
        size_t in = (size_t)min(i + half_w + 1, rows - 1) * cols + j0;
        size_t gone = (size_t)max(i - half_w, 0) * cols + j0;
        for (int j = 0; j < n; j++) {
            float mean = (float)(sum[j] / weight[j]);
            float d = s[at + j] - mean; /* whatever the mask: no branch */
            out[at + j] = m[at + j] > 0.0f && weight[j] > 0.0 ? d
                          : use_fallback && m[at + j] > 0.0f ? fallback[at + j]
                                                             : 0.0f;
            sum[j] += e * ((double)w[in + j] * s[in + j]) -
                      l * ((double)w[gone + j] * s[gone + j]);
            weight[j] += e * w[in + j] - l * w[gone + j];
        }
    }
}

/* background_removal's exclusion (see keep_weights in
 * pipeline/stages/background_removal.c): a sample counts in the next mean
 * (with its mask weight) where it is present and its residual lies within
 * its column's limit. Each work-item takes a run of samples; indices in
 * size_t, as rows x cols may pass INT_MAX. */
__kernel void exclusion_weights(__global const float *restrict r,
                                __global const float *restrict m,
                                __global const float *restrict lim,
                                __global float *restrict w, int rows,
                                int cols)
{
    size_t n = (size_t)rows * (size_t)cols;
    size_t run = (n + get_global_size(0) - 1) / get_global_size(0);
    size_t i0 = get_global_id(0) * run;
    size_t i1 = i0 + run < n ? i0 + run : n;
    for (size_t i = i0; i < i1; i++)
        w[i] = m[i] > 0.0f && fabs(r[i]) <= lim[i % (size_t)cols] ? m[i]
                                                                   : 0.0f;
}
