/* depth_cfar: see pipeline/stages/depth_cfar.c. One work-item per cell,
 * the planes and the training square in the reference's order. */
__kernel void depth_cfar(__global const float *restrict vol,
                         __global const float *restrict hits,
                         __global float *restrict out, int nx, int ny, int g,
                         int w, int z0, int z1, float scale)
{
    int x = get_global_id(0), y = get_global_id(1);
    if (x >= nx || y >= ny)
        return;
    int i = y * nx + x;
    float best = 0.0f;
    if (hits[i] > 0.0f)
        for (int z = z0; z <= z1; z++) {
            __global const float *v = vol + (size_t)z * ny * nx;
            float c = v[i];
            if (!(c > 0.0f))
                continue;
            float sum = 0.0f, n = 0.0f;
            int y0 = max(y - w, 0), y1 = min(y + w, ny - 1);
            int x0 = max(x - w, 0), x1 = min(x + w, nx - 1);
            for (int yy = y0; yy <= y1; yy++)
                for (int xx = x0; xx <= x1; xx++) {
                    if (abs(yy - y) <= g && abs(xx - x) <= g)
                        continue;
                    int j = yy * nx + xx;
                    if (hits[j] > 0.0f) {
                        sum += fmax(v[j], 0.0f);
                        n += 1.0f;
                    }
                }
            float s = n > 0.0f && sum > 0.0f ? scale * n * log1p(c / sum)
                                             : 0.0f;
            best = fmax(best, s);
        }
    out[i] = best;
}
