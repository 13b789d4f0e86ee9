/* window_energy: see pipeline/stages/window_energy.c. A work-item takes a
 * run of traces, eight at a time, so that eight independent sums (and
 * eight streams from memory) are in flight: the window is a short piece of
 * each trace, and one trace at a time waits on memory. Each trace sums in
 * the reference's order. */
#define WAYS 8
__kernel void window_energy(__global const float *restrict s,
                            __global const float *restrict m,
                            __global float *restrict out,
                            __global float *restrict out_valid, int nt, int ns,
                            int lo, int hi)
{
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    for (int i = i0; i < i1; i += WAYS) {
        float sum[WAYS], count[WAYS];
        size_t row[WAYS];
        for (int t = 0; t < WAYS; t++) {
            sum[t] = count[t] = 0.0f;
            row[t] = (size_t)min(i + t, i1 - 1) * ns; /* past the run: a repeat */
        }
        for (int j = lo; j < hi; j++)
            for (int t = 0; t < WAYS; t++) {
                float v = s[row[t] + j], w = m[row[t] + j];
                sum[t] += w * v * v;
                count[t] += w;
            }
        for (int t = 0; t < min(WAYS, i1 - i); t++) {
            out[i + t] = count[t] > 0.0f ? sum[t] / count[t] : 0.0f;
            out_valid[i + t] = count[t] > 0.0f ? 1.0f : 0.0f;
        }
    }
}
