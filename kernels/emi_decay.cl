/* emi_decay: see pipeline/stages/emi_decay.c. A work-item takes a run of
 * readings. */
__kernel void emi_decay(__global const float *restrict in,
                        __global const float *restrict valid,
                        __global float *restrict out,
                        __global float *restrict out_valid, int n, int nc,
                        float c)
{
    int run = (n + get_global_size(0) - 1) / get_global_size(0);
    int k0 = get_global_id(0) * run, k1 = min(k0 + run, n);
    for (int k = k0; k < k1; k++) {
        float e0 = in[k * nc], e1 = in[k * nc + nc - 1];
        float v0 = valid[k * nc], v1 = v0 * valid[k * nc + nc - 1];
        out[2 * k] = e0;
        out[2 * k + 1] = v1 > 0.0f ? e0 - c * e1 : 0.0f;
        out_valid[2 * k] = v0;
        out_valid[2 * k + 1] = v1;
    }
}
