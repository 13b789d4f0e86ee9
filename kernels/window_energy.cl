/* window_energy: see pipeline/stages/window_energy.c. */
__kernel void window_energy(__global const float *s, __global const float *m,
                            __global float *out, __global float *out_valid,
                            int nt, int ns, int lo, int hi)
{
    int i = get_global_id(0);
    if (i >= nt)
        return;
    __global const float *si = s + (size_t)i * ns;
    __global const float *mi = m + (size_t)i * ns;
    float sum = 0.0f, count = 0.0f;
    for (int j = lo; j < hi; j++) {
        sum += mi[j] * si[j] * si[j];
        count += mi[j];
    }
    out[i] = count > 0.0f ? sum / count : 0.0f;
    out_valid[i] = count > 0.0f ? 1.0f : 0.0f;
}
