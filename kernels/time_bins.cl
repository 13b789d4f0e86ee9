/* time_bins: see pipeline/stages/time_bins.c. */
__kernel void time_bins(__global const float *s, __global const float *m,
                        __global float *out, __global float *out_valid,
                        int nt, int ns, int nb, int per, int power)
{
    int b = get_global_id(0), i = get_global_id(1);
    if (i >= nt || b >= nb)
        return;
    float sum = 0.0f, count = 0.0f;
    for (int j = b * per; j < (b + 1) * per && j < ns; j++) {
        size_t at = (size_t)i * ns + j;
        float v = s[at];
        sum += m[at] * (power ? v * v : v);
        count += m[at];
    }
    out[(size_t)i * nb + b] = count > 0.0f ? sum / count : 0.0f;
    out_valid[(size_t)i * nb + b] = count > 0.0f ? 1.0f : 0.0f;
}
