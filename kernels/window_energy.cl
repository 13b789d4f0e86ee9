/* window_energy: see pipeline/stages/window_energy.c. Each trace sums in
 * the reference's order. */

/* Traces i .. i + ways - 1 (past i1 the last one again, not stored), side
 * by side: `ways` independent sums, and as many streams from memory. The
 * window is a short piece of each trace: one trace at a time waits on
 * memory. */
#define WAYS 32
static void energy(__global const float *restrict s,
                   __global const float *restrict m, __global float *out,
                   __global float *out_valid, int ns, int lo, int hi, int i,
                   int i1, const int ways)
{
    float sum[WAYS], count[WAYS];
    size_t row[WAYS];
    for (int t = 0; t < ways; t++) {
        sum[t] = count[t] = 0.0f;
        row[t] = (size_t)min(i + t, i1 - 1) * ns;
    }
    for (int j = lo; j < hi; j++)
        for (int t = 0; t < ways; t++) {
            float v = s[row[t] + j], w = m[row[t] + j];
            sum[t] += w * v * v;
            count[t] += w;
        }
    for (int t = 0; t < min(ways, i1 - i); t++) {
        out[i + t] = count[t] > 0.0f ? sum[t] / count[t] : 0.0f;
        out_valid[i + t] = count[t] > 0.0f ? 1.0f : 0.0f;
    }
}

/* One work-item per trace (GPUs). */
__kernel void window_energy(__global const float *restrict s,
                            __global const float *restrict m,
                            __global float *restrict out,
                            __global float *restrict out_valid, int nt, int ns,
                            int lo, int hi)
{
    int i = get_global_id(0);
    if (i < nt)
        energy(s, m, out, out_valid, ns, lo, hi, i, i + 1, 1);
}

/* CPUs: a work-item takes a run of traces, WAYS at a time. */
__kernel void window_energy_runs(__global const float *restrict s,
                                 __global const float *restrict m,
                                 __global float *restrict out,
                                 __global float *restrict out_valid, int nt,
                                 int ns, int lo, int hi)
{
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    for (int i = i0; i < i1; i += WAYS)
        energy(s, m, out, out_valid, ns, lo, hi, i, i1, WAYS);
}
