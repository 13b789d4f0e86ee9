/* zscore: see pipeline/stages/zscore.c. map_stats runs as a single
 * work-item so that its sums have the reference's order. */
__kernel void map_stats(__global const float *v, __global float *stats, int n)
{
    if (get_global_id(0) != 0)
        return;
    float sum = 0.0f;
    for (int i = 0; i < n; i++)
        sum += v[i];
    float mu = n ? sum / (float)n : 0.0f;
    float ss = 0.0f;
    for (int i = 0; i < n; i++)
        ss += (v[i] - mu) * (v[i] - mu);
    stats[0] = mu;
    stats[1] = n ? sqrt(ss / (float)n) : 0.0f;
}

__kernel void zscore(__global const float *v, __global const float *stats,
                     __global float *out, int n)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    float sd = stats[1];
    out[i] = sd > 0.0f ? (v[i] - stats[0]) / sd : 0.0f;
}
