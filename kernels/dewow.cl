/* dewow: see pipeline/stages/dewow.c (the C reference); sums in double, as
 * there. */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

/* One work-item per trace walks it with running sums of its window, as the
 * reference does (for GPUs). */
__kernel void dewow_walk(__global const float *restrict s,
                         __global const float *restrict m,
                         __global float *restrict out, int nt, int ns,
                         int half_w)
{
    int i = get_global_id(0);
    if (i >= nt)
        return;
    __global const float *si = s + (size_t)i * ns, *mi = m + (size_t)i * ns;
    __global float *oi = out + (size_t)i * ns;
    double sum = 0.0, weight = 0.0;
    for (int k = 0; k <= min(half_w, ns - 1); k++) {
        sum += (double)mi[k] * si[k];
        weight += mi[k];
    }
    for (int j = 0; j < ns; j++) {
        float mean = (float)(sum / weight);
        float d = si[j] - mean; /* whatever the mask: no branch */
        oi[j] = mi[j] > 0.0f && weight > 0.0 ? d : 0.0f;
        int in = min(j + half_w + 1, ns - 1), gone = max(j - half_w, 0);
        double e = j + half_w + 1 < ns ? 1.0 : 0.0, l = j >= half_w ? 1.0 : 0.0;
        sum += e * ((double)mi[in] * si[in]) - l * ((double)mi[gone] * si[gone]);
        weight += e * mi[in] - l * mi[gone];
    }
}

/* For CPUs: one work-item takes a run of traces. Per trace, the prefix
 * sums P[k] (of the weighted samples, and of the weights, over samples
 * before k) go to local memory for k = -h .. ns + h + 1, constant beyond
 * the trace, so that a clamped window is P[j + h + 1] - P[j - h] with no
 * clamping; the output loop then vectorises. */
__kernel void dewow_prefix(__global const float *restrict s,
                           __global const float *restrict m,
                           __global float *restrict out, int nt, int ns,
                           int half_w, __local double *p)
{
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    int len = ns + 2 * half_w + 2; /* P[k] is ps[half_w + k] */
    __local double *ps = p, *pw = p + len;
    for (int i = i0; i < i1; i++) {
        __global const float *si = s + (size_t)i * ns, *mi = m + (size_t)i * ns;
        __global float *oi = out + (size_t)i * ns;
        for (int q = 0; q <= half_w; q++)
            ps[q] = pw[q] = 0.0;
        /* P[j + 1] and P[j + 2], two samples a step: one dependent add per
         * pair rather than per sample */
        __local double *ps1 = ps + half_w + 1, *pw1 = pw + half_w + 1;
        double a = 0.0, b = 0.0;
        int j = 0;
        for (; j + 1 < ns; j += 2) {
            double x0 = (double)mi[j] * si[j], x1 = (double)mi[j + 1] * si[j + 1];
            double w0 = mi[j], w1 = mi[j + 1];
            ps1[j] = a + x0;
            pw1[j] = b + w0;
            a += x0 + x1;
            b += w0 + w1;
            ps1[j + 1] = a;
            pw1[j + 1] = b;
        }
        for (; j < ns + half_w + 1; j++) {
            if (j < ns) {
                a += (double)mi[j] * si[j];
                b += mi[j];
            }
            ps1[j] = a;
            pw1[j] = b;
        }
        for (j = 0; j < ns; j++) {
            double sum = ps[j + 2 * half_w + 1] - ps[j];
            double weight = pw[j + 2 * half_w + 1] - pw[j];
            float mean = (float)(sum / weight);
            float d = si[j] - mean; /* whatever the mask: no branch */
            oi[j] = mi[j] > 0.0f && weight > 0.0 ? d : 0.0f;
        }
    }
}
