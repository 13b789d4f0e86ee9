/* ground_align: see pipeline/stages/ground_align.c. A work-item takes a
 * run of traces (one on a GPU; on a CPU a share of them, whose loops then
 * run as plain code): find the bounce, then copy the trace shifted, as
 * zeros, a straight copy and zeros, with no test per sample. The host
 * first runs ground_align_rms (per-trace rms) and ground_align_gate
 * (whether there is a bounce to align, as a flag on the device: no copy
 * back); without one the window is empty: no peak, shift 0. */

/* Per trace: the rms of the present samples in [lo, hi) and in [hi, ns)
 * (stats[i], stats[nt + i]), summed in float in sample order as the C
 * path does; -1 where none is present. */
__kernel void ground_align_rms(__global const float *restrict s,
                               __global const float *restrict m,
                               __global float *restrict stats, int nt, int ns,
                               int lo, int hi)
{
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    for (int i = i0; i < i1; i++) {
        __global const float *si = s + (size_t)i * ns;
        __global const float *mi = m + (size_t)i * ns;
        float a = 0.0f, na = 0.0f, b = 0.0f, nb = 0.0f;
        for (int j = lo; j < hi; j++) {
            float w = mi[j] > 0.0f ? 1.0f : 0.0f;
            a += w * si[j] * si[j];
            na += w;
        }
        for (int j = hi; j < ns; j++) {
            float w = mi[j] > 0.0f ? 1.0f : 0.0f;
            b += w * si[j] * si[j];
            nb += w;
        }
        stats[i] = na > 0.0f ? sqrt(a / na) : -1.0f;
        stats[nt + i] = nb > 0.0f ? sqrt(b / nb) : -1.0f;
    }
}

/* Heapsort of v[0..n) in place, by one work-item. */
static void heap_sort(__global float *v, int n)
{
    for (int start = n / 2 - 1, end = n; end > 1;) {
        int root;
        if (start >= 0) {
            root = start--;
        } else {
            end--;
            float t = v[0];
            v[0] = v[end];
            v[end] = t;
            root = 0;
        }
        for (;;) { /* sift down in [0, end) */
            int c = 2 * root + 1;
            if (c >= end)
                break;
            if (c + 1 < end && v[c + 1] > v[c])
                c++;
            if (v[root] >= v[c])
                break;
            float t = v[root];
            v[root] = v[c];
            v[c] = t;
            root = c;
        }
    }
}

/* The median of the values >= 0 of v[0..n) (reordered), or -1; as
 * median_present in ground_align.c. */
static float median_present(__global float *v, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (v[i] >= 0.0f)
            v[k++] = v[i];
    if (!k)
        return -1.0f;
    heap_sort(v, k);
    return k % 2 ? v[k / 2] : 0.5f * (v[k / 2 - 1] + v[k / 2]);
}

/* One work-item: gate[0] = 1 to align, as bounce_present in
 * ground_align.c (ratio > 0 here; stats is scratch, reordered). */
__kernel void ground_align_gate(__global float *restrict stats, int nt,
                                float ratio, __global int *restrict gate)
{
    if (get_global_id(0) != 0)
        return;
    float in = median_present(stats, nt);
    float after = median_present(stats + nt, nt);
    gate[0] = after < 0.0f || (in > 0.0f && in >= ratio * after);
}

__kernel void ground_align(__global const float *restrict s,
                           __global const float *restrict m,
                           __global float *restrict out,
                           __global float *restrict out_m, int nt, int ns,
                           int lo, int hi, int target,
                           __global const int *restrict gate)
{
    hi = gate[0] ? hi : lo; /* no bounce: an empty window, shift 0 */
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    for (int i = i0; i < i1; i++) {
        __global const float *si = s + (size_t)i * ns;
        __global const float *mi = m + (size_t)i * ns;
        __global float *oi = out + (size_t)i * ns, *omi = out_m + (size_t)i * ns;
        /* the first strongest present sample; selects, not branches */
        int peak = -1;
        float best = 0.0f;
        for (int j = lo; j < hi; j++) {
            int better = mi[j] > 0.0f && fabs(si[j]) > best;
            best = better ? fabs(si[j]) : best;
            peak = better ? j : peak;
        }
        int shift = peak < 0 ? 0 : target - peak; /* no echo: leave as is */
        /* out[j] = s[j - shift] for j in [a, b), where 0 <= j - shift < ns;
         * 0 elsewhere (|shift| < ns: the peak and the target lie in the
         * trace) */
        int a = max(shift, 0), b = min(ns + shift, ns);
        for (int j = 0; j < a; j++)
            oi[j] = omi[j] = 0.0f;
        for (int j = a; j < b; j++) {
            oi[j] = si[j - shift];
            omi[j] = mi[j - shift];
        }
        for (int j = b; j < ns; j++)
            oi[j] = omi[j] = 0.0f;
    }
}
