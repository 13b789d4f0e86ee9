/* volume_energy: see pipeline/stages/volume_energy.c. One work-item per
 * cell, the planes summed in the reference's order. */
__kernel void volume_energy(__global const float *restrict vol,
                            __global float *restrict out, int n, int lo,
                            int hi)
{
    int c = get_global_id(0);
    if (c >= n)
        return;
    float sum = 0.0f;
    for (int k = lo; k < hi; k++) {
        float v = vol[(size_t)k * n + c];
        sum += v * v;
    }
    out[c] = hi > lo ? sum / (float)(hi - lo) : 0.0f;
}
