/* depth_slice: see pipeline/stages/depth_slice.c. A work-item takes a run
 * of cells (one on a GPU; on a CPU a share of them) and, a block of cells
 * at a time as the reference, adds the planes one plane at a time, reading
 * each plane in order; each cell sums its planes in the reference's
 * order. */
__kernel void depth_slice(__global const float *restrict vol,
                          __global float *restrict out, int n, int lo, int hi)
{
    int run = (n + get_global_size(0) - 1) / get_global_size(0);
    int c0 = get_global_id(0) * run, c1 = min(c0 + run, n);
    for (int b0 = c0; b0 < c1; b0 += 4096) {
        int b1 = min(b0 + 4096, c1);
        for (int c = b0; c < b1; c++)
            out[c] = vol[(size_t)lo * n + c];
        for (int z = lo + 1; z <= hi; z++)
            for (int c = b0; c < b1; c++)
                out[c] += vol[(size_t)z * n + c];
        for (int c = b0; c < b1; c++)
            out[c] /= (float)(hi - lo + 1);
    }
}
