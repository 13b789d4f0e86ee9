/* bandpass: see pipeline/stages/bandpass.c. One work-group per trace runs
 * a radix-2 FFT of the padded trace in global scratch (`a`), weights the
 * spectrum into `b` in bit-reversed order, transforms back and writes the
 * real part or the magnitude. `tw` holds cos, sin of -2 pi k / n, k < n/2. */
static uint bitrev(uint j, int bits)
{
    uint r = 0;
    for (int b = 0; b < bits; b++, j >>= 1)
        r = (r << 1) | (j & 1u);
    return r;
}

/* In place on z (n points, already in bit-reversed order); sign -1
 * forward, +1 inverse (unscaled). */
static void fft_group(__global float2 *z, __global const float2 *tw, int n,
                      float sign)
{
    int lid = get_local_id(0), ls = get_local_size(0);
    for (int len = 2; len <= n; len <<= 1) {
        int hl = len >> 1, stride = n / len;
        for (int b = lid; b < n / 2; b += ls) {
            int k = b % hl, i = (b / hl) * len + k;
            float2 w = tw[k * stride];
            w.y *= -sign; /* tw is the forward factor: sign -1 keeps it */
            float2 v = z[i + hl];
            float2 t = (float2)(v.x * w.x - v.y * w.y, v.x * w.y + v.y * w.x);
            float2 u = z[i];
            z[i] = u + t;
            z[i + hl] = u - t;
        }
        barrier(CLK_GLOBAL_MEM_FENCE);
    }
}

__kernel void bandpass(__global const float *in, __global const float *m,
                       __global float *out, __global float2 *a,
                       __global float2 *b, __global const float2 *tw,
                       __global const float *w, int ns, int n, int bits,
                       int envelope)
{
    int i = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    __global const float *s = in + (size_t)i * ns, *mi = m + (size_t)i * ns;
    __global float2 *za = a + (size_t)i * n, *zb = b + (size_t)i * n;
    for (int j = lid; j < n; j += ls)
        za[bitrev((uint)j, bits)] = (float2)(j < ns ? s[j] * mi[j] : 0.0f, 0.0f);
    barrier(CLK_GLOBAL_MEM_FENCE);
    fft_group(za, tw, n, -1.0f);
    for (int k = lid; k < n; k += ls)
        zb[bitrev((uint)k, bits)] = za[k] * w[k];
    barrier(CLK_GLOBAL_MEM_FENCE);
    fft_group(zb, tw, n, 1.0f);
    __global float *o = out + (size_t)i * ns;
    for (int j = lid; j < ns; j += ls)
        o[j] = mi[j] <= 0.0f ? 0.0f : envelope ? length(zb[j]) : zb[j].x;
}
