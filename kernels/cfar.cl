/* cfar: see pipeline/stages/cfar.c. One work-item per cell; the training
 * ring is summed in float in the reference's order (model 1: a second
 * pass for the squared deviations from the mean). */
__kernel void cfar(__global const float *restrict v,
                   __global const float *restrict hits,
                   __global float *restrict out, int nx, int ny, int g, int w,
                   float scale, int model)
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
    if (!model) {
        out[i] = n > 0.0f && sum > 0.0f ? scale * n * log1p(c / sum) : 0.0f;
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
    float sd = n > 1.0f ? sqrt(ss / n) : 0.0f;
    out[i] = sd > 0.0f ? scale * (c - mu) / sd : 0.0f;
}
