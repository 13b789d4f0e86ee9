/* gain: see pipeline/stages/gain.c (the C reference); the curve and the
 * AGC's sums in double, as there. */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

/* The curve, the same for every trace: t^p (never below 1) and exp(a t)
 * for t ns after start_ns, capped. A work-item takes a run of samples. */
__kernel void gain_curve(__global float *restrict curve, int ns, float dt_ns,
                         float start_ns, float tpow, float exp_per_ns,
                         float cap)
{
    int run = (ns + get_global_size(0) - 1) / get_global_size(0);
    int j0 = get_global_id(0) * run, j1 = min(j0 + run, ns);
    for (int j = j0; j < j1; j++) {
        double t = (double)j * dt_ns - start_ns;
        double v = 1.0;
        if (tpow > 0 && t > 1.0)
            v *= pow(t, (double)tpow);
        if (t > 0)
            v *= exp((double)exp_per_ns * t);
        curve[j] = (float)fmin(v, (double)cap);
    }
}

/* y = x curve (recomputed wherever the walk needs it: there is no
 * per-trace scratch here), the trace's RMS over its present samples, then
 * the running window of y^2. A work-item takes a run of traces. */
__kernel void gain_apply(__global const float *restrict s,
                         __global const float *restrict m,
                         __global float *restrict out,
                         __global const float *restrict curve, int nt, int ns,
                         int half_w, float floor_frac, float cap)
{
    int run = (nt + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, nt);
    for (int i = i0; i < i1; i++) {
        __global const float *si = s + (size_t)i * ns, *mi = m + (size_t)i * ns;
        __global float *oi = out + (size_t)i * ns;
        double total = 0.0, count = 0.0;
        for (int j = 0; j < ns; j++) {
            float y = mi[j] > 0.0f ? si[j] * curve[j] : 0.0f;
            total += (double)y * y;
            count += mi[j] > 0.0f ? 1.0 : 0.0;
        }
        if (half_w == 0 || !(total > 0.0)) {
            for (int j = 0; j < ns; j++)
                oi[j] = mi[j] > 0.0f ? si[j] * curve[j] : 0.0f;
            continue;
        }
        double rms = sqrt(total / count), low = (double)floor_frac * rms;
        double sum = 0.0, n = 0.0;
        for (int k = 0; k <= min(half_w, ns - 1); k++) {
            float y = mi[k] > 0.0f ? si[k] * curve[k] : 0.0f;
            sum += (double)y * y;
            n += mi[k] > 0.0f ? 1.0 : 0.0;
        }
        for (int j = 0; j < ns; j++) {
            double win = n > 0.0 ? sqrt(fmax(sum, 0.0) / n) : 0.0;
            double agc = rms / fmax(win, low);
            float g = (float)fmin((double)curve[j] * agc, (double)cap);
            oi[j] = mi[j] > 0.0f ? si[j] * g : 0.0f;
            int in = min(j + half_w + 1, ns - 1), gone = max(j - half_w, 0);
            double e = j + half_w + 1 < ns ? 1.0 : 0.0;
            double l = j >= half_w ? 1.0 : 0.0;
            float yi = mi[in] > 0.0f ? si[in] * curve[in] : 0.0f;
            float yg = mi[gone] > 0.0f ? si[gone] * curve[gone] : 0.0f;
            sum += e * ((double)yi * yi) - l * ((double)yg * yg);
            n += e * (mi[in] > 0.0f ? 1.0 : 0.0) - l * (mi[gone] > 0.0f ? 1.0 : 0.0);
        }
    }
}
