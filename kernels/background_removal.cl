/* background_removal: see pipeline/stages/background_removal.c. One
 * work-item per sample; the same summation order as the reference. */
__kernel void background_removal(__global const float *s,
                                 __global const float *m, __global float *out,
                                 int nt, int ns, int half_w)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (i >= nt || j >= ns)
        return;
    int lo = max(i - half_w, 0), hi = min(i + half_w, nt - 1);
    float sum = 0.0f, weight = 0.0f;
    for (int k = lo; k <= hi; k++) {
        size_t at = (size_t)k * ns + j;
        sum += m[at] * s[at];
        weight += m[at];
    }
    float mean = weight > 0.0f ? sum / weight : 0.0f;
    size_t at = (size_t)i * ns + j;
    out[at] = m[at] > 0.0f ? s[at] - mean : 0.0f;
}
