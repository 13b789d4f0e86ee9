/* zscore: see pipeline/stages/zscore.c. The statistics of the swept cells
 * come from a work-group reduction in two kernels, over partial results
 * (count, unit, mean, M2): the number of swept cells, the largest |value|
 * among them, and their mean and sum of squared deviations from it, both
 * in units of that largest value. Working in units of the peak keeps every
 * term <= 1 (or <= count), so nothing overflows single precision whatever
 * the amplitude; taking the mean first and the deviations from it second
 * loses no variance to cancellation.
 *
 * map_partials: each work-item makes the partial of its own cells (part
 *   of the group's contiguous chunk) in three passes (peak and
 *   count, mean, squared deviations); the group merges its items' partials
 *   in __local memory and writes one.
 * map_merge: one work-group merges the groups' partials the same way and
 *   writes mean and standard deviation for the zscore kernel.
 * Merging two partials brings both to the larger unit and combines them as
 * Chan et al. do. Work-group sizes are powers of two
 * (ms_cl_reduction_size). */

float4 merge(float4 a, float4 b)
{
    if (b.x == 0.0f)
        return a;
    if (a.x == 0.0f)
        return b;
    float unit = fmax(a.y, b.y);
    float ra = a.y > 0.0f ? a.y / unit : 0.0f;
    float rb = b.y > 0.0f ? b.y / unit : 0.0f;
    float n = a.x + b.x;
    float ma = a.z * ra, mb = b.z * rb, delta = mb - ma;
    return (float4)(n, unit, ma + delta * (b.x / n),
                    a.w * ra * ra + b.w * rb * rb +
                        delta * delta * (a.x / n) * b.x);
}

/* The merge of every item's `p` over the work-group, in red[0 .. local
 * size); valid in item 0. */
float4 group_merge(__local float4 *red, float4 p)
{
    int l = get_local_id(0);
    red[l] = p;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = get_local_size(0) / 2; s > 0; s >>= 1) {
        if (l < s)
            red[l] = merge(red[l], red[l + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return red[0];
}

/* Cells i .. i + 7 of `a`, zeros past `end` (only the map's last vector
 * can be short). */
float8 cells8(__global const float *a, int i, int end)
{
    if (i + 8 <= end)
        return vload8(0, a + i);
    float t[8];
    for (int k = 0; k < 8; k++)
        t[k] = i + k < end ? a[i + k] : 0.0f;
    return vload8(0, t);
}

float sum8(float8 x)
{
    float4 a = x.lo + x.hi;
    float2 b = a.lo + a.hi;
    return b.x + b.y;
}

float max8(float8 x)
{
    float4 a = fmax(x.lo, x.hi);
    float2 b = fmax(a.lo, a.hi);
    return fmax(b.x, b.y);
}

/* Work-item l of group g takes `per_item` vectors of 8 cells of the
 * group's chunk (a multiple of 8 cells), the k-th starting at cell
 * g * chunk + 8 * (l * item_step + k * cell_step): interleaved on a GPU
 * (item_step 1, cell_step = local size: neighbouring items read
 * neighbouring vectors) and contiguous on a CPU (item_step = per_item,
 * cell_step 1: each item streams through its own cells in cache). Eight
 * lanes at a time, with no branch on the hit count: the explicit vector is
 * what a CPU device runs as SIMD. */
__kernel void map_partials(__global const float *v, __global const float *hits,
                           __global float4 *partials, int n, int chunk,
                           int per_item, int item_step, int cell_step,
                           __local float4 *red)
{
    int l = get_local_id(0), g = get_group_id(0);
    int begin = g * chunk, end = min(begin + chunk, n);
    int first = begin + 8 * l * item_step, step = 8 * cell_step;
    int last = min(first + per_item * step, end); /* exclusive */
    float8 peak8 = 0.0f, count8 = 0.0f;
    for (int i = first; i < last; i += step) {
        float8 x = cells8(v, i, end);
        int8 on = cells8(hits, i, end) > 0.0f;
        peak8 = fmax(peak8, select((float8)0.0f, fabs(x), on));
        count8 += select((float8)0.0f, (float8)1.0f, on);
    }
    float peak = max8(peak8), count = sum8(count8);
    float scale = peak > 0.0f ? peak : 1.0f;
    float8 sum8v = 0.0f;
    for (int i = first; i < last; i += step) {
        int8 on = cells8(hits, i, end) > 0.0f;
        sum8v += select((float8)0.0f, cells8(v, i, end) / scale, on);
    }
    float mu = count > 0.0f ? sum8(sum8v) / count : 0.0f;
    float8 ss8 = 0.0f;
    for (int i = first; i < last; i += step) {
        int8 on = cells8(hits, i, end) > 0.0f;
        float8 d = cells8(v, i, end) / scale - mu;
        ss8 += select((float8)0.0f, d * d, on);
    }
    float4 total = group_merge(red, (float4)(count, peak, mu, sum8(ss8)));
    if (l == 0)
        partials[g] = total;
}

__kernel void map_merge(__global const float4 *partials, int n_partials,
                        __global float *stats, __local float4 *red)
{
    int l = get_local_id(0), size = get_local_size(0);
    float4 acc = (float4)(0.0f);
    for (int g = l; g < n_partials; g += size)
        acc = merge(acc, partials[g]);
    float4 t = group_merge(red, acc);
    if (l == 0) {
        stats[0] = t.z * t.y;
        stats[1] = t.x > 0.0f ? sqrt(t.w / t.x) * t.y : 0.0f;
    }
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
