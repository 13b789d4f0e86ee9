/* dipole_filter: see pipeline/stages/dipole_filter.c. One work-item per
 * cell, summing its window clipped to the map in the reference's order;
 * sq is the kernel as a (2w+1) x (2w+1) array, made on the host. (A
 * version that ran the whole window for every work-item, adding 0 outside
 * the map and on unswept cells, was 1.4x slower on PoCL 3.1: it did not
 * vectorise across work-items.) */
__kernel void dipole_filter(__global const float *restrict v,
                            __global const float *restrict hits,
                            __global float *restrict out, int nx, int ny,
                            int w, __global const float *restrict sq)
{
    int x = get_global_id(0), y = get_global_id(1);
    if (x >= nx || y >= ny)
        return;
    int i = y * nx + x;
    if (!(hits[i] > 0.0f)) {
        out[i] = 0.0f;
        return;
    }
    int side = 2 * w + 1;
    float n = 0.0f, sk = 0.0f;
    int y0 = max(y - w, 0), y1 = min(y + w, ny - 1);
    int x0 = max(x - w, 0), x1 = min(x + w, nx - 1);
    /* two passes: the kernel's mean over the swept cells first, then the
     * centred sums (a nearly flat kernel would cancel in one pass) */
    for (int yy = y0; yy <= y1; yy++) {
        int kr = (yy - y + w) * side + w - x; /* sq[kr + xx] */
        for (int xx = x0; xx <= x1; xx++) {
            if (!(hits[yy * nx + xx] > 0.0f))
                continue;
            n += 1.0f;
            sk += sq[kr + xx];
        }
    }
    float kbar = sk / n, skk = 0.0f, scc = 0.0f, scv = 0.0f;
    for (int yy = y0; yy <= y1; yy++) {
        int kr = (yy - y + w) * side + w - x; /* sq[kr + xx] */
        for (int xx = x0; xx <= x1; xx++) {
            int j = yy * nx + xx;
            if (!(hits[j] > 0.0f))
                continue;
            float k = sq[kr + xx];
            float c = k - kbar;
            skk += k * k;
            scc += c * c;
            scv += c * v[j];
        }
    }
    /* sum (k - kbar) v / sqrt(sum (k - kbar)^2); 0 where the window is too
     * small for the kernel to have a shape */
    out[i] = scc > 1e-2f * skk ? scv / sqrt(scc) : 0.0f;
}
