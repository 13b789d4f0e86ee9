/* envelope: see pipeline/stages/envelope.c (the C reference, which also
 * computes the Hilbert filter's taps). */
__kernel void envelope(__global const float *s, __global const float *m,
                       __global float *out, __constant float *taps, int nt,
                       int ns, int half_w)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (i >= nt || j >= ns)
        return;
    __global const float *si = s + (size_t)i * ns;
    float h = 0.0f;
    for (int k = -half_w; k <= half_w; k++) {
        int at = j - k;
        if (at >= 0 && at < ns)
            h += taps[k + half_w] * si[at];
    }
    size_t o = (size_t)i * ns + j;
    out[o] = m[o] > 0.0f ? sqrt(si[j] * si[j] + h * h) : 0.0f;
}
