/* fuse: see pipeline/stages/fuse.c. A work-item takes a run of cells (one
 * on a GPU; on a CPU a share of them, in a loop that vectorises). */
__kernel void fuse(__global const float *restrict g,
                   __global const float *restrict e, __global float *restrict out,
                   int n, float wg, float we, float wp, float c, int log_inputs)
{
    int run = (n + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, n);
    for (int i = i0; i < i1; i++) {
        float a = fmax(g[i], 0.0f), b = fmax(e[i], 0.0f);
        if (log_inputs) {
            a = log1p(a);
            b = log1p(b);
        }
        out[i] = c + wg * a + we * b + wp * (a * b);
    }
}
