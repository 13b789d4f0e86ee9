/* envelope: see pipeline/stages/envelope.c (the C reference). */
static float hilbert_tap(int k, int half_w)
{
    if (k % 2 == 0)
        return 0.0f;
    float window = 0.54f + 0.46f * cos(3.14159265358979f * (float)k /
                                       (float)(half_w + 1));
    return 2.0f / (3.14159265358979f * (float)k) * window;
}

__kernel void envelope(__global const float *s, __global const float *m,
                       __global float *out, int nt, int ns, int half_w)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (i >= nt || j >= ns)
        return;
    __global const float *si = s + (size_t)i * ns;
    float h = 0.0f;
    for (int k = -half_w; k <= half_w; k++) {
        int at = j - k;
        if (at >= 0 && at < ns)
            h += hilbert_tap(k, half_w) * si[at];
    }
    size_t o = (size_t)i * ns + j;
    out[o] = m[o] > 0.0f ? sqrt(si[j] * si[j] + h * h) : 0.0f;
}
