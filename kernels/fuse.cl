/* fuse: see pipeline/stages/fuse.c. */
__kernel void fuse(__global const float *g, __global const float *e,
                   __global float *out, int n, float wg, float we)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    out[i] = wg * fmax(g[i], 0.0f) + we * fmax(e[i], 0.0f);
}
