/* cfar: see pipeline/stages/cfar.c. One work-item per cell; the training
 * ring is summed in float in the reference's order (model 1: a second
 * pass for the squared deviations from the mean). */
__kernel void cfar(__global const float *restrict v,
                   __global const float *restrict hits,
                   __global float *restrict out, int nx, int ny, int g, int w,
                   float scale, int model,
                   __global const float *restrict floor_v)
{
    int x = get_global_id(0), y = get_global_id(1);
    if (x >= nx || y >= ny)
        return;
    int i = y * nx + x;
    float c = v[i];
    if (!(hits[i] > 0.0f) || (!model && !(c > 0.0f))) {
        out[i] = 0.0f;
        return;
    }
    float sum = 0.0f, n = 0.0f;
    int y0 = max(y - w, 0), y1 = min(y + w, ny - 1);
    int x0 = max(x - w, 0), x1 = min(x + w, nx - 1);
    for (int yy = y0; yy <= y1; yy++)
        for (int xx = x0; xx <= x1; xx++) {
            if (abs(yy - y) <= g && abs(xx - x) <= g)
                continue;
            int j = yy * nx + xx;
            if (hits[j] > 0.0f) {
                sum += model ? v[j] : fmax(v[j], 0.0f);
                n += 1.0f;
            }
        }
    float fl = floor_v[0];
    if (!model) {
        float m = n > 0.0f ? fmax(sum / n, fl) : 0.0f;
        out[i] = m > 0.0f ? scale * n * log1p(c / (n * m)) : 0.0f;
        return;
    }
    float mu = n > 0.0f ? sum / n : 0.0f, ss = 0.0f;
    for (int yy = y0; yy <= y1; yy++)
        for (int xx = x0; xx <= x1; xx++) {
            if (abs(yy - y) <= g && abs(xx - x) <= g)
                continue;
            int j = yy * nx + xx;
            if (hits[j] > 0.0f)
                ss += (v[j] - mu) * (v[j] - mu);
        }
    float sd = n > 1.0f ? fmax(sqrt(ss / n), fl) : 0.0f;
    out[i] = sd > 0.0f ? scale * (c - mu) / sd : 0.0f;
}

/* The noise floor (cfar.c's noise_floor): one work-group; each item sums a
 * stride of the swept cells, then a tree in local memory; model 1 makes a
 * second pass for the squared deviations from the map-wide mean. */
__kernel void cfar_floor(__global const float *restrict v,
                         __global const float *restrict hits,
                         __global float *restrict floor_v, int n, int model,
                         float floor_frac, __local float *red)
{
    int l = get_local_id(0), L = get_local_size(0);
    float sum = 0.0f, cnt = 0.0f;
    for (int i = l; i < n; i += L)
        if (hits[i] > 0.0f) {
            sum += model ? v[i] : fmax(v[i], 0.0f);
            cnt += 1.0f;
        }
    red[l] = sum;
    red[L + l] = cnt;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s >>= 1) {
        if (l < s) {
            red[l] += red[l + s];
            red[L + l] += red[L + l + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = red[0], count = red[L];
    barrier(CLK_LOCAL_MEM_FENCE);
    if (!(count > 0.0f)) {
        if (l == 0)
            floor_v[0] = 0.0f;
        return;
    }
    float mean = total / count;
    if (!model) {
        if (l == 0)
            floor_v[0] = floor_frac * mean;
        return;
    }
    float ss = 0.0f;
    for (int i = l; i < n; i += L)
        if (hits[i] > 0.0f)
            ss += (v[i] - mean) * (v[i] - mean);
    red[l] = ss;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s >>= 1) {
        if (l < s)
            red[l] += red[l + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0)
        floor_v[0] = floor_frac * sqrt(red[0] / count);
}
