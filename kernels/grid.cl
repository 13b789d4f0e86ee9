/* grid: see pipeline/stages/grid.c (the C reference). One work-item per
 * map cell scanning every point, in the reference's order. */
__kernel void grid(__global const float *v, __global const float *m,
                   __global const float *xy, __global float *map,
                   __global float *hits_out, int n, int nc, int ch, int nx,
                   int ny, float cell, float radius)
{
    int ix = get_global_id(0), iy = get_global_id(1);
    if (ix >= nx || iy >= ny)
        return;
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius;
    float sum = 0.0f, weight = 0.0f, hits = 0.0f;
    for (int k = 0; k < n; k++) {
        float dx = xy[2 * k] - cx, dy = xy[2 * k + 1] - cy;
        float r2 = dx * dx + dy * dy;
        size_t at = (size_t)k * nc + ch;
        if (r2 <= r2max && m[at] > 0.0f) {
            float w = exp(-r2 * 2.0f / r2max);
            sum += w * v[at];
            weight += w;
            hits += 1.0f;
        }
    }
    map[(size_t)iy * nx + ix] = weight > 0.0f ? sum / weight : 0.0f;
    hits_out[(size_t)iy * nx + ix] = hits;
}
