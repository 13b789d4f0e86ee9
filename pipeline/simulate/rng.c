/* Random numbers and smooth random fields for the simulator.
 * Our own generator (xoshiro256**, Blackman and Vigna) so that a seed gives
 * the same lane on every platform and libc; rand() is never used. */
#include "simulate/sim_internal.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void ms_rng_seed(ms_rng *r, uint64_t seed, uint64_t stream)
{
    /* Mix the stream id in through splitmix so neighbouring seeds and
     * streams give unrelated sequences. */
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    splitmix64(&x);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0;
}

uint64_t ms_rng_next(ms_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ms_rng_uniform(ms_rng *r)
{
    return (double)(ms_rng_next(r) >> 11) * 0x1.0p-53;
}

double ms_rng_range(ms_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * ms_rng_uniform(r);
}

double ms_rng_normal(ms_rng *r)
{
    /* Marsaglia's polar method; the second value is kept for the next call. */
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, q;
    do {
        u = 2.0 * ms_rng_uniform(r) - 1.0;
        v = 2.0 * ms_rng_uniform(r) - 1.0;
        q = u * u + v * v;
    } while (q >= 1.0 || q == 0.0);
    double m = sqrt(-2.0 * log(q) / q);
    r->spare = v * m;
    r->has_spare = 1;
    return u * m;
}

uint64_t ms_rng_below(ms_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Rejection keeps it unbiased. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = ms_rng_next(r);
    while (x >= limit);
    return x % n;
}

int ms_rng_poisson(ms_rng *r, double mean)
{
    if (!(mean > 0))
        return 0;
    if (mean > 50) { /* normal approximation is plenty for object counts */
        double k = floor(mean + sqrt(mean) * ms_rng_normal(r) + 0.5);
        return k < 0 ? 0 : (int)k;
    }
    double l = exp(-mean), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= ms_rng_uniform(r);
    } while (p > l);
    return k - 1;
}

void ms_field_init(ms_field *f, ms_rng *r, double corr)
{
    /* Random Fourier features: wave vectors drawn from the spectrum of a
     * Gaussian covariance exp(-d^2 / (2 corr^2)). */
    double sk = corr > 0 ? 1.0 / corr : 0.0;
    for (int i = 0; i < MS_FIELD_MODES; i++) {
        f->kx[i] = sk * ms_rng_normal(r);
        f->ky[i] = sk * ms_rng_normal(r);
        f->phase[i] = 2 * MS_SIM_PI * ms_rng_uniform(r);
    }
}

double ms_field_at(const ms_field *f, double x, double y)
{
    double sum = 0;
    for (int i = 0; i < MS_FIELD_MODES; i++)
        sum += cos(f->kx[i] * x + f->ky[i] * y + f->phase[i]);
    return sum * sqrt(2.0 / MS_FIELD_MODES);
}
