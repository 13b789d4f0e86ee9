/* emi_detrend: see pipeline/stages/emi_detrend.c. */
__kernel void emi_detrend(__global const float *s, __global const float *m,
                          __global float *out, int n, int nc, int half_w)
{
    int c = get_global_id(0), i = get_global_id(1);
    if (i >= n || c >= nc)
        return;
    int lo = max(i - half_w, 0), hi = min(i + half_w, n - 1);
    float sum = 0.0f, weight = 0.0f;
    for (int k = lo; k <= hi; k++) {
        size_t at = (size_t)k * nc + c;
        sum += m[at] * s[at];
        weight += m[at];
    }
    size_t at = (size_t)i * nc + c;
    float mean = weight > 0.0f ? sum / weight : 0.0f;
    out[at] = m[at] > 0.0f ? s[at] - mean : 0.0f;
}
