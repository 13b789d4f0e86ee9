/* grid_volume: see pipeline/stages/grid_volume.c. One work-item per voxel,
 * scanning the points in the reference's order. */
__kernel void grid_volume(__global const float *v, __global const float *m,
                          __global const float *xy, __global float *vol,
                          __global float *hits_out, int n, int nx, int ny,
                          int nz, float cell, float radius)
{
    int ix = get_global_id(0), iy = get_global_id(1), iz = get_global_id(2);
    if (ix >= nx || iy >= ny || iz >= nz)
        return;
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius;
    float sum = 0.0f, weight = 0.0f, hits = 0.0f;
    for (int k = 0; k < n; k++) {
        float dx = xy[2 * k] - cx, dy = xy[2 * k + 1] - cy;
        float r2 = dx * dx + dy * dy;
        size_t at = (size_t)k * nz + iz;
        if (r2 <= r2max && m[at] > 0.0f) {
            float w = exp(-r2 * 2.0f / r2max);
            sum += w * v[at];
            weight += w;
            hits += 1.0f;
        }
    }
    vol[((size_t)iz * ny + iy) * nx + ix] = weight > 0.0f ? sum / weight : 0.0f;
    if (iz == 0)
        hits_out[(size_t)iy * nx + ix] = hits;
}
