/* ground_align: see pipeline/stages/ground_align.c. One work-item per
 * trace: find the bounce, then copy the trace shifted. */
__kernel void ground_align(__global const float *s, __global const float *m,
                           __global float *out, __global float *out_m, int nt,
                           int ns, int lo, int hi, int target)
{
    int i = get_global_id(0);
    if (i >= nt)
        return;
    __global const float *si = s + (size_t)i * ns;
    __global const float *mi = m + (size_t)i * ns;
    int peak = -1;
    float best = 0.0f;
    for (int j = lo; j < hi; j++)
        if (mi[j] > 0.0f && fabs(si[j]) > best) {
            best = fabs(si[j]);
            peak = j;
        }
    int shift = peak < 0 ? 0 : target - peak;
    for (int j = 0; j < ns; j++) {
        int from = j - shift;
        int inside = from >= 0 && from < ns;
        out[(size_t)i * ns + j] = inside ? si[from] : 0.0f;
        out_m[(size_t)i * ns + j] = inside ? mi[from] : 0.0f;
    }
}
