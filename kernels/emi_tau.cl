/* emi_tau: see pipeline/stages/emi_tau.c. A work-item takes one map cell:
 * its gates lie one plane apart. The same float arithmetic as the C
 * reference's cell(). */
#define TAU_CAP_US 10000.0f

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
    float tau, g = 1.0f;
    if (run == 1) {
        tau = fmin(dt[1] / log(e0 / thr), TAU_CAP_US);
    } else {
        float sw = 0.0f, swx = 0.0f, swy = 0.0f;
        for (int c = 0; c < run; c++) {
            float e = v[(size_t)c * plane + i], w = e * e;
            sw += w;
            swx += w * dt[c];
            swy += w * log(e);
        }
        float xm = swx / sw, ym = swy / sw, sxx = 0.0f, sxy = 0.0f;
        for (int c = 0; c < run; c++) {
            float e = v[(size_t)c * plane + i], w = e * e;
            float dx = dt[c] - xm;
            sxx += w * dx * dx;
            sxy += w * dx * (log(e) - ym);
        }
        float rate = sxx > 0.0f ? -sxy / sxx : 0.0f;
        tau = rate > 1.0f / TAU_CAP_US ? 1.0f / rate : TAU_CAP_US;
        g = 1.0f / (1.0f + pow(tau / split, sharp));
    }
    float ease = fmin(1.0f, (e0 - thr) / thr);
    tau_out[i] = tau;
    ratio_out[i] = v[(size_t)(ng - 1) * plane + i] / e0;
    score_out[i] = e0 * (1.0f + (g - 1.0f) * ease);
}
