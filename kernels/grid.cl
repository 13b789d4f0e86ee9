/* grid and grid_volume: see pipeline/stages/grid.c and grid_volume.c (the
 * C references) and ms_grid_cell() in pipeline/stages/grid_common.h. One
 * work-item per map cell (or voxel) scanning the points of the bins within
 * reach, in the reference's order. */
static float grid_cell(__global const float *v, __global const float *m,
                       __global const float *xy, __global const int *order,
                       __global const int *start, int reach, int nx, int ny,
                       int stride, int col, int ix, int iy, float cell,
                       float radius, float *hits)
{
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius;
    float sum = 0.0f, weight = 0.0f, count = 0.0f;
    for (int by = max(iy - reach, 0); by <= iy + reach && by < ny; by++)
        for (int bx = max(ix - reach, 0); bx <= ix + reach && bx < nx; bx++) {
            int bin = by * nx + bx;
            for (int p = start[bin]; p < start[bin + 1]; p++) {
                int k = order[p];
                float dx = xy[2 * k] - cx, dy = xy[2 * k + 1] - cy;
                float r2 = dx * dx + dy * dy;
                size_t at = (size_t)k * stride + col;
                if (r2 <= r2max && m[at] > 0.0f) {
                    float w = exp(-r2 * 2.0f / r2max);
                    sum += w * v[at];
                    weight += w;
                    count += 1.0f;
                }
            }
        }
    *hits = count;
    return weight > 0.0f ? sum / weight : 0.0f;
}

__kernel void grid(__global const float *v, __global const float *m,
                   __global const float *xy, __global const int *order,
                   __global const int *start, int reach, __global float *map,
                   __global float *hits_out, int nc, int ch, int nx, int ny,
                   float cell, float radius)
{
    int ix = get_global_id(0), iy = get_global_id(1);
    if (ix >= nx || iy >= ny)
        return;
    float hits;
    map[(size_t)iy * nx + ix] = grid_cell(v, m, xy, order, start, reach, nx,
                                          ny, nc, ch, ix, iy, cell, radius,
                                          &hits);
    hits_out[(size_t)iy * nx + ix] = hits;
}

__kernel void grid_volume(__global const float *v, __global const float *m,
                          __global const float *xy, __global const int *order,
                          __global const int *start, int reach,
                          __global float *vol, __global float *hits_out,
                          int nx, int ny, int nz, float cell, float radius)
{
    int ix = get_global_id(0), iy = get_global_id(1), iz = get_global_id(2);
    if (ix >= nx || iy >= ny || iz >= nz)
        return;
    float hits;
    vol[((size_t)iz * ny + iy) * nx + ix] =
        grid_cell(v, m, xy, order, start, reach, nx, ny, nz, iz, ix, iy, cell,
                  radius, &hits);
    if (iz == 0)
        hits_out[(size_t)iy * nx + ix] = hits;
}
