/* dewow: see pipeline/stages/dewow.c (the C reference). One work-item per
 * sample; the same summation order as the reference. */
__kernel void dewow(__global const float *s, __global const float *m,
                    __global float *out, int nt, int ns, int half_w)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (i >= nt || j >= ns)
        return;
    __global const float *si = s + (size_t)i * ns;
    __global const float *mi = m + (size_t)i * ns;
    int lo = max(j - half_w, 0), hi = min(j + half_w, ns - 1);
    float sum = 0.0f, weight = 0.0f;
    for (int k = lo; k <= hi; k++) {
        sum += mi[k] * si[k];
        weight += mi[k];
    }
    float mean = weight > 0.0f ? sum / weight : 0.0f;
    out[(size_t)i * ns + j] = mi[j] > 0.0f ? si[j] - mean : 0.0f;
}
