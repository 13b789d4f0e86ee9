/* migrate_stolt: see pipeline/stages/migrate_stolt.c. The transforms are
 * VkFFT's; these kernels fill the padded plane, apply the Stolt map (its
 * source bins and weights made on the host) and take the image back. */
__kernel void stolt_pack(__global const float *in, __global const float *m,
                         __global float2 *a, int n, int ns, int s0, int ntp)
{
    int q = get_global_id(0), p = get_global_id(1);
    float v = 0.0f;
    if (p < n && s0 + q < ns) {
        size_t at = (size_t)p * ns + s0 + q;
        v = in[at] * m[at];
    }
    a[(size_t)p * ntp + q] = (float2)(v, 0.0f);
}

__kernel void stolt_map(__global const float2 *a, __global float2 *b,
                        __global const int *i0, __global const int *i1,
                        __global const float *w0, __global const float *w1,
                        int total)
{
    int e = get_global_id(0);
    if (e >= total)
        return;
    b[e] = i0[e] < 0 ? (float2)(0.0f, 0.0f)
                     : w0[e] * a[i0[e]] + w1[e] * a[i1[e]];
}

__kernel void stolt_unpack(__global const float2 *b, __global const float *in,
                           __global float *out, int n, int ns, int s0,
                           int ntp, float scale)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (i >= n || j >= ns)
        return;
    size_t at = (size_t)i * ns + j;
    out[at] = j < s0 ? in[at] : b[(size_t)i * ntp + (j - s0)].x * scale;
}

__kernel void stolt_copy(__global const float *in, __global float *out, int n)
{
    int i = get_global_id(0);
    if (i < n)
        out[i] = in[i];
}
