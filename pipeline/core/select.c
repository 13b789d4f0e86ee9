/* Exact selection: see select.h. */
#include "core/select.h"

#include <stdint.h>
#include <string.h>

/* Sort key of a finite float: keys compare as unsigned integers in the
 * order of the values. */
static inline uint32_t float_key(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u ^ ((uint32_t)((int32_t)u >> 31) | 0x80000000u);
}

static float key_float(uint32_t key)
{
    uint32_t u = key & 0x80000000u ? key & 0x7fffffffu : ~key;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* k-th smallest of the finite a[0..n-1], exactly (overwrites a): a radix
 * selection, 11 bits of the sort key at a time, each pass counting the
 * candidates left and keeping those in the chosen bin. Linear in n
 * whatever the values (a quickselect slows down on the many equal values
 * of zero padding or clipping), without branches in its passes over a, and
 * a few times faster than a quickselect on the millions of samples of a
 * long lane. */
float ms_kth_smallest(float *a, size_t n, size_t k)
{
    if (k >= n)
        return 0.0f; /* no k-th (n == 0): callers pass k < n */
    static const int shift[3] = {21, 10, 0};
    uint32_t prefix = 0, mask = 0;
    size_t hist[2][2048]; /* two, so equal neighbours do not stall */
    for (int p = 0; p < 3; p++) {
        uint32_t digits = p < 2 ? 0x7ffu : 0x3ffu;
        memset(hist, 0, sizeof hist);
        size_t i = 0;
        for (; i + 1 < n; i += 2) {
            hist[0][(float_key(a[i]) >> shift[p]) & digits]++;
            hist[1][(float_key(a[i + 1]) >> shift[p]) & digits]++;
        }
        if (i < n)
            hist[0][(float_key(a[i]) >> shift[p]) & digits]++;
        uint32_t d = 0;
        while (k >= hist[0][d] + hist[1][d]) {
            k -= hist[0][d] + hist[1][d];
            d++;
        }
        prefix |= d << shift[p];
        mask |= digits << shift[p];
        size_t m = 0;
        for (i = 0; i < n; i++) {
            float x = a[i];
            a[m] = x;
            m += (float_key(x) & mask) == prefix;
        }
        n = m;
    }
    return key_float(prefix);
}
