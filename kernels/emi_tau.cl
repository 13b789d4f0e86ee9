/* emi_tau: see pipeline/stages/emi_tau.c. A work-item takes one map cell:
 * its gates lie one plane apart. The same arithmetic as the C reference's
 * cell(): the fit in double. */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF
#define TAU_CAP_US 10000.0

__kernel void emi_tau(__global const float *restrict v,
                      __global const float *restrict hits,
                      __global const float *restrict dt,
                      __global float *restrict tau_out,
                      __global float *restrict ratio_out,
                      __global float *restrict score_out, int plane, int ng,
                      float thr, float split, float sharp)
{
    int i = get_global_id(0);
    if (i >= plane)
        return;
    float e0 = v[i], h = hits[i];
    tau_out[i] = 0.0f;
    ratio_out[i] = 0.0f;
    score_out[i] = h > 0.0f ? e0 : 0.0f;
    if (!(h > 0.0f) || ng < 2 || !(e0 > thr))
        return;
    int run = 1;
    while (run < ng && v[(size_t)run * plane + i] > thr)
        run++;
    double tau, g = 1.0;
    if (run == 1) {
        tau = fmin((double)dt[1] / log((double)e0 / thr), TAU_CAP_US);
    } else {
        double sw = 0.0, swx = 0.0, swy = 0.0;
        for (int c = 0; c < run; c++) {
            double e = v[(size_t)c * plane + i], w = e * e;
            sw += w;
            swx += w * dt[c];
            swy += w * log(e);
        }
        double xm = swx / sw, ym = swy / sw, sxx = 0.0, sxy = 0.0;
        for (int c = 0; c < run; c++) {
            double e = v[(size_t)c * plane + i], w = e * e;
            double dx = dt[c] - xm;
            sxx += w * dx * dx;
            sxy += w * dx * (log(e) - ym);
        }
        double rate = sxx > 0.0 ? -sxy / sxx : 0.0;
        tau = rate > 1.0 / TAU_CAP_US ? 1.0 / rate : TAU_CAP_US;
        g = 1.0 / (1.0 + pow(tau / (double)split, (double)sharp));
    }
    float ease = fmin(1.0f, (e0 - thr) / thr);
    tau_out[i] = (float)tau;
    ratio_out[i] = v[(size_t)(ng - 1) * plane + i] / e0;
    score_out[i] = e0 * (1.0f + ((float)g - 1.0f) * ease);
}
