/* zscore: see pipeline/stages/zscore.c. map_stats runs as a single
 * work-item so that its sums have the reference's order. */
__kernel void map_stats(__global const float *v, __global const float *hits,
                        __global float *stats, int n)
{
    if (get_global_id(0) != 0)
        return;
    float peak = 0.0f, sum = 0.0f, count = 0.0f;
    for (int i = 0; i < n; i++)
        if (hits[i] > 0.0f)
            peak = fmax(peak, fabs(v[i]));
    float scale = peak > 0.0f ? peak : 1.0f;
    for (int i = 0; i < n; i++)
        if (hits[i] > 0.0f) {
            sum += v[i] / scale;
            count += 1.0f;
        }
    float mu = count > 0.0f ? sum / count : 0.0f;
    float ss = 0.0f;
    for (int i = 0; i < n; i++)
        if (hits[i] > 0.0f)
            ss += (v[i] / scale - mu) * (v[i] / scale - mu);
    stats[0] = mu * scale;
    stats[1] = count > 0.0f ? sqrt(ss / count) * scale : 0.0f;
}

__kernel void zscore(__global const float *v, __global const float *hits,
                     __global const float *stats, __global float *out, int n)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    float sd = stats[1];
    out[i] = sd > 0.0f && hits[i] > 0.0f ? (v[i] - stats[0]) / sd : 0.0f;
}
