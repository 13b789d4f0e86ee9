/* migrate_kirchhoff: see pipeline/stages/migrate_kirchhoff.c. One
 * work-item per output value (cell ix, iy, depth plane k; every stride-th
 * cell, stored compactly, for the estimate's trial images): the weighted
 * mean of the input along the diffraction hyperboloid over its swept
 * cells, the same sums in the same order as the C reference
 * (migrate_row).
 * No fused multiply-adds: the sample position b + a R is interpolated
 * between samples, so one rounding more or less there moves the value by
 * the data's slope (on rough data, 10 to 100 times the rounding itself). */
#pragma OPENCL FP_CONTRACT OFF
__kernel void migrate_kirchhoff(__global const float *restrict in,
                                __global const float *restrict hits,
                                __global float *restrict out, int nx, int ny,
                                int nz_in, int nz, int rx, int ry, float c2,
                                float ap2, float dz, float a, float b,
                                int stride, int nxs, int nys)
{
    int jx = get_global_id(0), jy = get_global_id(1), k = get_global_id(2);
    if (jx >= nxs || jy >= nys || k >= nz)
        return;
    int ix = jx * stride, iy = jy * stride;
    size_t plane = (size_t)nx * (size_t)ny;
    float z = ((float)k + 0.5f) * dz, sum = 0.0f, wsum = 0.0f;
    int y0 = max(iy - ry, 0), y1 = min(iy + ry, ny - 1);
    int x0 = max(ix - rx, 0), x1 = min(ix + rx, nx - 1);
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            if (!(hits[(size_t)y * (size_t)nx + (size_t)x] > 0.0f))
                continue; /* unswept: no measurement */
            int dx = x - ix, dy = y - iy;
            float r2 = c2 * (float)(dx * dx + dy * dy);
            if (r2 > ap2)
                continue;
            float R = sqrt(z * z + r2);
            float f = b + a * R;
            /* within one sample beyond either end the term fades out
             * (samples beyond the ends as the end sample, weight falling
             * to 0), so that rounding cannot switch a whole term on or
             * off: the sum is continuous in f */
            if (!(f > -1.0f && f < (float)nz_in))
                continue;
            float fade = fmin(fmin(f + 1.0f, (float)nz_in - f), 1.0f);
            float fc = fmin(fmax(f, 0.0f), (float)(nz_in - 1));
            int i0 = (int)fc;
            int i1 = i0 + 1 < nz_in ? i0 + 1 : i0;
            float fr = fc - (float)i0, w = fade * z / R;
            size_t at = (size_t)y * (size_t)nx + (size_t)x;
            float val = in[(size_t)i0 * plane + at] * (1.0f - fr) +
                        in[(size_t)i1 * plane + at] * fr;
            sum += w * val;
            wsum += w;
        }
    out[(size_t)k * nxs * nys + (size_t)jy * (size_t)nxs + (size_t)jx] =
        wsum > 0.0f ? sum / wsum : 0.0f;
}
