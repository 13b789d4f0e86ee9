/* grid and grid_volume: see pipeline/stages/grid.c and grid_volume.c (the
 * C references) and the bins in pipeline/stages/grid_common.h. grid_gather
 * puts the values in the bins' order; then on a GPU one work-item per map
 * cell (grid; grid_volume: per cell and 32 planes) scans the spans of
 * sorted points within reach, and on a CPU each work-item takes a run of
 * cells (ms_cl_launch_runs) in a way that uses the vector unit whatever
 * PoCL's vectoriser does (grid_tiles, grid_volume_runs). The neighbours are
 * the points whose single-precision squared distance is within radius^2,
 * decided exactly as in C (hence no contraction into fma there), so the
 * hit counts are the same; the sums may add up in another order. */
#pragma OPENCL FP_CONTRACT OFF

/* Planes per work-item of grid_volume, GRID_CHUNKS vectors of 8:
 * MS_GRID_PLANES in grid_common.h. grid_acc spells out 4. */
#define GRID_CHUNKS 4
#define GRID_PLANES (8 * GRID_CHUNKS)

/* ms_grid_gather(): the points k of a run (ms_cl_launch_runs: one per
 * work-item on a GPU, a run of them on a CPU), width columns each of the
 * gathered values (0 where missing or past ncols) and mask (1 where
 * present), written at the point's place in bin order. */
__kernel void grid_gather(__global const float *v, __global const float *m,
                          __global const int *rank, int stride, int col0,
                          int ncols, int width, int n, __global float *pv,
                          __global float *pm)
{
    int run = (n + get_global_size(0) - 1) / get_global_size(0);
    int k0 = get_global_id(0) * run, k1 = min(k0 + run, n);
    for (int k = k0; k < k1; k++) {
        size_t row = (size_t)k * stride + col0;
        size_t to = (size_t)rank[k] * width;
        for (int j = 0; j < width; j++) {
            size_t at = row + min(j, max(ncols - 1, 0));
            int present = j < ncols && m[at] > 0.0f;
            pv[to + j] = present ? v[at] : 0.0f;
            pm[to + j] = present ? 1.0f : 0.0f;
        }
    }
}

/* ms_grid_span(): where cell (ix, iy) searches in bin row by. */
static int2 span(__global const int *start, __global const int *ext, int nx,
                 int ix, int iy, int by)
{
    int e = ext[abs(by - iy)];
    int bx0 = max(ix - e, 0), bx1 = min(ix + e, nx - 1);
    return e < 0 ? (int2)(0, 0)
                 : (int2)(start[by * nx + bx0], start[by * nx + bx1 + 1]);
}

/* The squared distance of sorted point p from (cx, cy), as in C. */
static float dist2(__global const float *sxy, int p, float cx, float cy)
{
    float2 q = vload2(p, sxy);
    float dx = q.x - cx, dy = q.y - cy;
    return dx * dx + dy * dy;
}

/* GPUs: one work-item per cell. */
__kernel void grid(__global const float *pv, __global const float *pm,
                   __global const float *sxy, __global const int *start,
                   __global const int *ext, int reach, __global float *map,
                   __global float *hits_out, int nx, int ny, float cell,
                   float radius)
{
    int ix = get_global_id(0), iy = get_global_id(1);
    if (ix >= nx || iy >= ny)
        return;
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius, k = -2.0f / r2max;
    float sum = 0.0f, weight = 0.0f, count = 0.0f;
    for (int by = max(iy - reach, 0); by <= min(iy + reach, ny - 1); by++) {
        int2 s = span(start, ext, nx, ix, iy, by);
        for (int p = s.x; p < s.y; p++) {
            float r2 = dist2(sxy, p, cx, cy);
            if (r2 <= r2max) {
                float w = exp(r2 * k) * pm[p];
                sum += w * pv[p];
                weight += w;
                count += pm[p];
            }
        }
    }
    map[(size_t)iy * nx + ix] = weight > 0.0f ? sum / weight : 0.0f;
    hits_out[(size_t)iy * nx + ix] = count;
}

/* CPUs: a tile of 8 cells of a row from ix0 side by side, one per vector
 * lane: each point of the tile's spans against all eight centres at once,
 * the weights of those out of reach set to 0 (no branch), so that the loop
 * runs on vector instructions whatever the device's vectoriser does. */
static void grid_tile(__global const float *pv, __global const float *pm,
                      __global const float *sxy, __global const int *start,
                      __global const int *ext, int reach, __global float *map,
                      __global float *hits_out, int nx, int ny, float cell,
                      float radius, int ix0, int iy)
{
    float8 cx = (convert_float8((int8)(0, 1, 2, 3, 4, 5, 6, 7) + ix0) + 0.5f) *
                cell;
    float cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius, k = -2.0f / r2max;
    float8 sum = 0.0f, weight = 0.0f, count = 0.0f;
    for (int by = max(iy - reach, 0); by <= min(iy + reach, ny - 1); by++) {
        int e = ext[abs(by - iy)];
        if (e < 0)
            continue;
        int bx0 = max(ix0 - e, 0), bx1 = min(ix0 + 7 + e, nx - 1);
        int p0 = start[by * nx + bx0], p1 = start[by * nx + bx1 + 1];
        for (int p = p0; p < p1; p++) {
            float2 q = vload2(p, sxy);
            float dy = q.y - cy, dy2 = dy * dy;
            float8 dx = q.x - cx;
            float8 r2 = dx * dx + dy2;
            int8 in = r2 <= r2max;
            float8 w = select((float8)0.0f, exp(r2 * k), in) * pm[p];
            sum += w * pv[p];
            weight += w;
            count += select((float8)0.0f, (float8)pm[p], in);
        }
    }
    float m[8], h[8];
    vstore8(select((float8)0.0f, sum / weight, weight > 0.0f), 0, m);
    vstore8(count, 0, h);
    size_t at = (size_t)iy * nx + ix0;
    for (int c = 0; c < min(8, nx - ix0); c++) {
        map[at + c] = m[c];
        hits_out[at + c] = h[c];
    }
}

/* A run of tiles (ms_cl_launch_runs), numbered row by row. */
__kernel void grid_tiles(__global const float *pv, __global const float *pm,
                         __global const float *sxy, __global const int *start,
                         __global const int *ext, int reach,
                         __global float *map, __global float *hits_out,
                         int nx, int ny, float cell, float radius)
{
    int row = (nx + 7) / 8, tiles = row * ny;
    int run = (tiles + get_global_size(0) - 1) / get_global_size(0);
    int t0 = get_global_id(0) * run, t1 = min(t0 + run, tiles);
    for (int t = t0; t < t1; t++) {
        int iy = t / row;
        grid_tile(pv, pm, sxy, start, ext, reach, map, hits_out, nx, ny, cell,
                  radius, (t - iy * row) * 8, iy);
    }
}

/* A cell's accumulators for up to GRID_CHUNKS vectors of 8 planes,
 * spelled out so that they stay in registers: weighted sums s, weights w,
 * and the hit count of the first plane. */
typedef struct grid_acc {
    float8 s0, s1, s2, s3, w0, w1, w2, w3;
    float hits;
} grid_acc;

/* Sorted point p of weight w into a's `chunks` (1 .. GRID_CHUNKS) vectors,
 * from plane z0 of its gathered values. */
static void grid_add(grid_acc *a, int p, float w, __global const float *pv,
                     __global const float *pm, int width, int z0,
                     int chunks)
{
    /* the sums may contract into fma: only the distance test is exact */
#pragma OPENCL FP_CONTRACT ON
    __global const float *v = pv + (size_t)p * width + z0;
    __global const float *m = pm + (size_t)p * width + z0;
    a->hits += pm[(size_t)p * width];
    a->s0 += w * vload8(0, v);
    a->w0 += w * vload8(0, m);
    if (chunks > 1) {
        a->s1 += w * vload8(1, v);
        a->w1 += w * vload8(1, m);
    }
    if (chunks > 2) {
        a->s2 += w * vload8(2, v);
        a->w2 += w * vload8(2, m);
    }
    if (chunks > 3) {
        a->s3 += w * vload8(3, v);
        a->w3 += w * vload8(3, m);
    }
}

/* The means of 8 planes from z of cell `at`, those before nz. */
static void grid_put(float8 s, float8 w, int z, int nz, size_t plane,
                     size_t at, __global float *vol)
{
    float r[8];
    vstore8(select((float8)0.0f, s / w, w > 0.0f), 0, r);
    for (int j = 0; j < 8; j++)
        if (z + j < nz)
            vol[(size_t)(z + j) * plane + at] = r[j];
}

static void grid_store(const grid_acc *a, int z0, int nz, int nx, int ny,
                       int ix, int iy, __global float *vol,
                       __global float *hits_out)
{
    size_t plane = (size_t)nx * ny, at = (size_t)iy * nx + ix;
    grid_put(a->s0, a->w0, z0, nz, plane, at, vol);
    grid_put(a->s1, a->w1, z0 + 8, nz, plane, at, vol);
    grid_put(a->s2, a->w2, z0 + 16, nz, plane, at, vol);
    grid_put(a->s3, a->w3, z0 + 24, nz, plane, at, vol);
    if (z0 == 0)
        hits_out[at] = a->hits;
}

#define GRID_ACC_ZERO {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}

/* Planes z0 .. z0 + GRID_PLANES - 1 of cell (ix, iy): each neighbour's
 * weight once, then its gathered values (width per point, a multiple of 8)
 * into the accumulators. */
__kernel void grid_volume(__global const float *pv, __global const float *pm,
                          __global const float *sxy, __global const int *start,
                          __global const int *ext, int reach,
                          __global float *vol,
                          __global float *hits_out, int nx, int ny, int nz,
                          int width, float cell, float radius)
{
    int ix = get_global_id(0), iy = get_global_id(1);
    int z0 = get_global_id(2) * GRID_PLANES;
    if (ix >= nx || iy >= ny || (z0 > 0 && z0 >= width))
        return;
    int chunks = min(GRID_CHUNKS, (width - z0) / 8);
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius, k = -2.0f / r2max;
    grid_acc a = GRID_ACC_ZERO;
    for (int by = max(iy - reach, 0); by <= min(iy + reach, ny - 1); by++) {
        int2 s = span(start, ext, nx, ix, iy, by);
        for (int p = s.x; p < s.y; p++) {
            float r2 = dist2(sxy, p, cx, cy);
            if (r2 <= r2max && chunks > 0)
                grid_add(&a, p, exp(r2 * k), pv, pm, width, z0, chunks);
        }
    }
    grid_store(&a, z0, nz, nx, ny, ix, iy, vol, hits_out);
}

/* CPUs (grid_volume_runs): a cell as in grid_volume, but it first lists
 * its neighbours (sorted index and squared distance), testing 8 points at
 * a time (the positions are padded for that, MS_GRID_PAD) without a
 * branch, then weighs them 8 at a time with one vector exp, then
 * accumulates them: one exponential for 8 neighbours instead of one each. */
#define GRID_LIST 64
static void grid_flush(grid_acc *a, const int *lp, float *lw, int nl, float k,
                       __global const float *pv, __global const float *pm,
                       int width, int z0, int chunks)
{
    for (int i = 0; i < nl; i += 8)
        vstore8(exp(vload8(0, lw + i) * k), 0, lw + i);
    for (int i = 0; i < nl; i++)
        grid_add(a, lp[i], lw[i], pv, pm, width, z0, chunks);
}

/* Lane j of a block of 8 onto the list if it is in reach (in.sj is -1). */
#define GRID_TAKE(j)                                                           \
    do {                                                                       \
        lp[nl] = p + j;                                                        \
        lw[nl] = r2.s##j;                                                      \
        nl -= in.s##j;                                                         \
    } while (0)

/* The cell (ix, iy), planes z0 .. z0 + GRID_PLANES - 1. */
static void grid_volume_cell(__global const float *pv, __global const float *pm,
                             __global const float *sxy,
                             __global const int *start,
                             __global const int *ext, int reach,
                             __global float *vol, __global float *hits_out,
                             int nx, int ny, int nz, int width, float cell,
                             float radius, int ix, int iy, int z0)
{
    int chunks = min(GRID_CHUNKS, (width - z0) / 8);
    float cx = ((float)ix + 0.5f) * cell, cy = ((float)iy + 0.5f) * cell;
    float r2max = radius * radius, k = -2.0f / r2max;
    grid_acc a = GRID_ACC_ZERO;
    int lp[GRID_LIST];
    float lw[GRID_LIST];
    for (int i = 0; i < GRID_LIST; i++)
        lw[i] = 0.0f;
    int nl = 0;
    int8 lane = (int8)(0, 1, 2, 3, 4, 5, 6, 7), any = (int8)(-(chunks > 0));
    for (int by = max(iy - reach, 0); by <= min(iy + reach, ny - 1); by++) {
        int2 s = span(start, ext, nx, ix, iy, by);
        for (int p = s.x; p < s.y; p += 8) {
            float8 q0 = vload8(0, sxy + 2 * (size_t)p);
            float8 q1 = vload8(1, sxy + 2 * (size_t)p);
            float8 dx = (float8)(q0.even, q1.even) - cx;
            float8 dy = (float8)(q0.odd, q1.odd) - cy;
            float8 r2 = dx * dx + dy * dy;
            int8 in = (r2 <= r2max) & (lane < s.y - p) & any;
            GRID_TAKE(0);
            GRID_TAKE(1);
            GRID_TAKE(2);
            GRID_TAKE(3);
            GRID_TAKE(4);
            GRID_TAKE(5);
            GRID_TAKE(6);
            GRID_TAKE(7);
            if (nl > GRID_LIST - 8) {
                grid_flush(&a, lp, lw, nl, k, pv, pm, width, z0, chunks);
                nl = 0;
            }
        }
    }
    grid_flush(&a, lp, lw, nl, k, pv, pm, width, z0, chunks);
    grid_store(&a, z0, nz, nx, ny, ix, iy, vol, hits_out);
}

/* A run of cells (ms_cl_launch_runs), all their planes (with none, the
 * hit counts still). */
__kernel void grid_volume_runs(__global const float *pv,
                               __global const float *pm,
                               __global const float *sxy,
                               __global const int *start,
                               __global const int *ext, int reach,
                               __global float *vol, __global float *hits_out,
                               int nx, int ny, int nz, int width, float cell,
                               float radius)
{
    int cells = nx * ny;
    int run = (cells + get_global_size(0) - 1) / get_global_size(0);
    int c0 = get_global_id(0) * run, c1 = min(c0 + run, cells);
    for (int z0 = 0; z0 == 0 || z0 < width; z0 += GRID_PLANES)
        for (int c = c0; c < c1; c++) {
            int iy = c / nx;
            grid_volume_cell(pv, pm, sxy, start, ext, reach, vol, hits_out, nx,
                             ny, nz, width, cell, radius, c - iy * nx, iy, z0);
        }
}
