/* envelope: see pipeline/stages/envelope.c (the C reference, which also
 * computes the Hilbert filter's taps and explains the choice of an FIR).
 *
 * A work-group takes `get_local_size(1)` traces and a block of
 * ENVELOPE_VEC * get_local_size(0) samples of each. It copies the filter's
 * odd taps and the block plus `half_w` samples either side (zeros beyond
 * the trace) into __local memory; then every work-item sums the taps for
 * ENVELOPE_VEC consecutive samples at once from there, as one vector and
 * with no bounds test in the loop. (A scalar body with the tap loop inside
 * is not vectorised across work-items by PoCL; the explicit vector is, on
 * every device.) The filter is odd (h[-k] = -h[k], h = 0 at even k), so
 * each pair of taps costs one multiply: h[k] * (s[j - k] - s[j + k]). */
#define ENVELOPE_VEC 8

__kernel void envelope(__global const float *s, __global const float *m,
                       __global float *out, __global const float *odd_taps,
                       int nt, int ns, int half_w, int n_odd,
                       __local float *taps, __local float *tile)
{
    int lx = get_local_id(0), ly = get_local_id(1);
    int bx = get_local_size(0), by = get_local_size(1);
    int i = get_global_id(1);
    int block = bx * ENVELOPE_VEC;
    int width = block + 2 * half_w;
    int j0 = get_group_id(0) * block - half_w; /* sample at row[0] */
    __local float *row = tile + ly * width;
    /* Rows past the last trace (the global size is rounded up) load
     * zeros and write nothing. */
    __global const float *si = s + (size_t)(i < nt ? i : 0) * ns;
    for (int q = ly * bx + lx; q < n_odd; q += bx * by)
        taps[q] = odd_taps[q];
    for (int q = lx; q < width; q += bx) {
        int at = j0 + q;
        row[q] = i < nt && at >= 0 && at < ns ? si[at] : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    int j = get_global_id(0) * ENVELOPE_VEC; /* first of this item's samples */
    if (i >= nt || j >= ns)
        return;
    __local const float *c = row + lx * ENVELOPE_VEC + half_w;
    float8 h = 0.0f;
    for (int q = 0; q < n_odd; q++)
        h += taps[q] * (vload8(0, c - 2 * q - 1) - vload8(0, c + 2 * q + 1));
    float8 x = vload8(0, c);
    float8 e = sqrt(x * x + h * h);
    size_t o = (size_t)i * ns + j;
    if (j + ENVELOPE_VEC <= ns) {
        vstore8(select((float8)0.0f, e, vload8(0, m + o) > 0.0f), 0, out + o);
    } else {
        float ev[ENVELOPE_VEC];
        vstore8(e, 0, ev);
        for (int k = 0; k < ns - j; k++)
            out[o + k] = m[o + k] > 0.0f ? ev[k] : 0.0f;
    }
}
