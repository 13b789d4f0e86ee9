/* Ground-penetrating radar: a ray model with a Ricker wavelet.
 *
 * Each trace is a sum of delayed, scaled wavelets (the ground reflection,
 * a soil layer, every object within the beam) plus what the instrument adds
 * (direct coupling and ringing identical in every trace, low-frequency
 * wow, band-limited noise, dropped traces). Amplitudes are relative to a
 * perfect reflector at the nominal head height. MODEL.md gives the
 * equations and what is left out. */
#include "simulate/sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Distance from the antenna's phase centre to its aperture: keeps the
 * spreading loss finite as the head nears the ground. */
#define PHASE_CENTRE_M 0.10
/* Beyond this many half-power angles an object's echo is under 2 % and
 * is not computed. */
#define BEAM_CUTOFF 2.5
#define WAVELET_OVERSAMPLE 64
#define WOW_CORR_S 2.0
#define LN2 0.69314718055994530942

double ms_sim_ricker(double f, double t)
{
    double a = MS_SIM_PI * f * t;
    a *= a;
    return (1 - 2 * a) * exp(-a);
}

double ms_sim_fresnel(double eps1, double eps2)
{
    double n1 = sqrt(eps1), n2 = sqrt(eps2);
    return (n1 - n2) / (n1 + n2);
}

double ms_sim_alpha(double eps, double sigma)
{
    /* alpha = sigma/2 sqrt(mu0/(eps0 eps)) = 188.4 sigma / sqrt(eps) Np/m,
     * the low-loss limit; frequency independent (see MODEL.md). */
    return sigma * 0.5 * 376.730313668 / sqrt(eps);
}

/* Fraction of a plane reflector's echo that a finite body returns: its
 * area against the first Fresnel zone, saturating at 1. */
static double fresnel_fraction(double u)
{
    return u >= MS_SIM_PI / 2 ? 1.0 : sin(u);
}

static double spreading(const ms_scenario *s, double range_air_equiv)
{
    return (PHASE_CENTRE_M + s->head_height_m) /
           (PHASE_CENTRE_M + range_air_equiv);
}

/* Up to two echoes (top face; bottom face of a dielectric disc). */
static int object_echoes(const ms_scenario *s, const sim_obj *o, double rh,
                         double h, double eps, sim_echo out[2])
{
    double n = sqrt(eps), d = o->depth;
    double rho = sqrt(rh * rh + d * d);
    double le = h + rho / n; /* air-equivalent one-way range (paraxial) */
    double lam0 = MS_SIM_C0 / s->gpr_frequency_hz;
    double zone = lam0 * (PHASE_CENTRE_M + le);
    double F;
    if (o->shape == MS_SHAPE_DISC)
        F = fresnel_fraction(MS_SIM_PI * o->radius * o->radius / zone);
    else
        F = fresnel_fraction(2 * o->radius / sqrt(zone)) *
            fresnel_fraction(2 * o->half_length / sqrt(zone));
    /* Off the body's top face only its edge diffracts back: weaker the
     * larger the body is against the Fresnel zone. */
    double lam_s = lam0 / n;
    double D = 1.0 / sqrt(1.0 + 2 * MS_SIM_PI * rh / lam_s * F);
    double theta = atan2(rh, h + d);
    double th = s->gpr_beam_half_angle_deg * MS_SIM_PI / 180.0;
    double B = exp(-LN2 * (theta / th) * (theta / th));
    double R01 = ms_sim_fresnel(1.0, eps);
    double Rt = o->eps > 0 ? ms_sim_fresnel(eps, o->eps) : -1.0;
    double att = exp(-2 * ms_sim_alpha(eps, s->soil_conductivity_s_m) * rho);
    double amp = spreading(s, le) * F * D * B * Rt * (1 - R01 * R01) * att;
    out[0].t = 2 * rho * n / MS_SIM_C0;
    out[0].amp = amp;
    if (o->eps > 0 && o->shape == MS_SHAPE_DISC && o->height > 0) {
        /* The wave that entered the body reflects off its bottom with the
         * opposite sign: the classic double echo of a plastic mine. */
        double nb = sqrt(o->eps);
        out[1].t = out[0].t + 2 * o->height * nb / MS_SIM_C0;
        out[1].amp = -amp * (1 - Rt * Rt) * (PHASE_CENTRE_M + le) /
                     (PHASE_CENTRE_M + le + o->height / nb);
        return 2;
    }
    return 1;
}

sim_echo ms_sim_object_echo(const ms_scenario *s, const sim_obj *o, double rh,
                            double h, double eps)
{
    sim_echo e[2];
    object_echoes(s, o, rh, h, eps, e);
    return e[0];
}

double ms_simulate_gpr_noise_sigma(const ms_scenario *s)
{
    sim_obj pmn = ms_sim_obj_from_catalogue(ms_sim_catalogue_find("PMN"));
    pmn.depth = 0.05;
    sim_echo e = ms_sim_object_echo(s, &pmn, 0, s->head_height_m, s->soil_eps);
    return fabs(e.amp) * pow(10.0, -s->gpr_snr_db / 20.0);
}

/* Horizontal distance from (x, y) to the nearest point of the body. */
static double horizontal_gap(const sim_obj *o, double x, double y)
{
    double dx = x - o->x, dy = y - o->y;
    if (o->shape == MS_SHAPE_SEGMENT) {
        double along = dx * o->ux + dy * o->uy;
        along = along > o->half_length ? o->half_length
              : along < -o->half_length ? -o->half_length
                                        : along;
        dx -= along * o->ux;
        dy -= along * o->uy;
    }
    double r = sqrt(dx * dx + dy * dy) - o->radius;
    return r > 0 ? r : 0;
}

typedef struct wavelet {
    double *tab;
    double half; /* support: +-half seconds */
    double step; /* table spacing */
    size_t n;
} wavelet;

static int wavelet_init(wavelet *w, double f, double dt)
{
    /* Tabulated once, finely, so each echo costs a lookup per sample. */
    w->half = 1.3 / f;
    w->step = dt / WAVELET_OVERSAMPLE;
    w->n = (size_t)ceil(2 * w->half / w->step) + 2;
    w->tab = malloc(w->n * sizeof *w->tab);
    if (!w->tab)
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (wavelet)");
    for (size_t k = 0; k < w->n; k++)
        w->tab[k] = ms_sim_ricker(f, -w->half + (double)k * w->step);
    return 0;
}

static void add_wavelet(const wavelet *w, double *tr, size_t ns, double dt,
                        double t, double amp)
{
    double lo = ceil((t - w->half) / dt), hi = floor((t + w->half) / dt);
    if (hi < 0 || lo > (double)ns - 1)
        return;
    size_t i0 = lo < 0 ? 0 : (size_t)lo;
    size_t i1 = hi > (double)ns - 1 ? ns - 1 : (size_t)hi;
    for (size_t i = i0; i <= i1; i++) {
        double u = ((double)i * dt - t + w->half) / w->step;
        size_t k = (size_t)u;
        if (k + 1 >= w->n)
            continue;
        double fr = u - (double)k;
        tr[i] += amp * (w->tab[k] + fr * (w->tab[k + 1] - w->tab[k]));
    }
}

/* Direct coupling and antenna ringing: one fixed waveform for the whole
 * recording (the antenna does not change between traces). */
static void make_ringing(const ms_scenario *s, ms_rng *r, const wavelet *w,
                         double *ring, size_t ns, double dt)
{
    double f = s->gpr_frequency_hz, t0 = s->gpr_time_zero_s;
    memset(ring, 0, ns * sizeof *ring);
    add_wavelet(w, ring, ns, dt, t0, s->gpr_direct_coupling);
    double start = t0 + 0.3 / f;
    for (int k = 0; k < 3; k++) {
        double a = s->gpr_ringing * ms_rng_range(r, 0.4, 1.0);
        double fk = f * ms_rng_range(r, 0.6, 1.2);
        double tau = ms_rng_range(r, 0.8e-9, 2.5e-9);
        double ph = ms_rng_range(r, 0, 2 * MS_SIM_PI);
        for (size_t i = 0; i < ns; i++) {
            double t = (double)i * dt - start;
            if (t <= 0)
                continue;
            double onset = 1 - exp(-t / 0.2e-9);
            ring[i] += a * onset * exp(-t / tau) * sin(2 * MS_SIM_PI * fk * t + ph);
        }
    }
}

/* Receiver noise: white Gaussian noise through a Gaussian low-pass whose
 * -3 dB point is twice the centre frequency, scaled to unit variance. */
typedef struct noise_filter {
    double k[64];
    int half;
} noise_filter;

static void noise_filter_init(noise_filter *nf, double f, double dt)
{
    double sigma = 0.1325 / (2 * f) / dt; /* in samples */
    if (sigma < 0.3) {
        nf->half = 0;
        nf->k[0] = 1;
        return;
    }
    nf->half = (int)ceil(3 * sigma);
    if (nf->half > 31)
        nf->half = 31;
    double sum2 = 0;
    for (int i = -nf->half; i <= nf->half; i++) {
        double v = exp(-0.5 * i * i / (sigma * sigma));
        nf->k[i + nf->half] = v;
        sum2 += v * v;
    }
    for (int i = 0; i <= 2 * nf->half; i++)
        nf->k[i] /= sqrt(sum2);
}

int ms_sim_gpr(const sim_world *w, uint64_t seed, const sim_track *tr,
               ms_gpr *g)
{
    const ms_scenario *s = w->s;
    double dt = s->gpr_sample_interval_s, t0 = s->gpr_time_zero_s;
    size_t ns = g->n_samples;
    ms_rng r_ring, r_noise, r_drop, r_height, r_wow;
    ms_rng_seed(&r_ring, seed, MS_STREAM_GPR * 16 + 0);
    ms_rng_seed(&r_noise, seed, MS_STREAM_GPR * 16 + 1);
    ms_rng_seed(&r_drop, seed, MS_STREAM_GPR * 16 + 2);
    ms_rng_seed(&r_height, seed, MS_STREAM_GPR * 16 + 3);
    ms_rng_seed(&r_wow, seed, MS_STREAM_GPR * 16 + 4);
    ms_field wowf;
    ms_field_init(&wowf, &r_wow, WOW_CORR_S);

    wavelet wl;
    int rc = wavelet_init(&wl, s->gpr_frequency_hz, dt);
    if (rc)
        return rc;
    noise_filter nf;
    noise_filter_init(&nf, s->gpr_frequency_hz, dt);
    double *ring = malloc(ns * sizeof *ring);
    double *wow = malloc(ns * sizeof *wow);
    double *acc = malloc(ns * sizeof *acc);
    double *white = malloc((ns + 2 * (size_t)nf.half) * sizeof *white);
    if (!ring || !wow || !acc || !white) {
        rc = ms_fail(MS_ERR_NOMEM, "simulate: out of memory (GPR buffers)");
        goto done;
    }
    make_ringing(s, &r_ring, &wl, ring, ns, dt);
    /* Wow: a slow hump after time zero, far below the antenna band. */
    double tw = s->gpr_time_window_s / 4;
    for (size_t i = 0; i < ns; i++) {
        double t = (double)i * dt - t0;
        wow[i] = t > 0 ? (t / tw) * exp(1 - t / tw) : 0;
    }
    double sigma = s->gpr_snr_db >= 200 ? 0 : ms_simulate_gpr_noise_sigma(s);
    double th = s->gpr_beam_half_angle_deg * MS_SIM_PI / 180.0;
    double tan_cut = tan(fmin(BEAM_CUTOFF * th, 80 * MS_SIM_PI / 180));

    for (size_t k = 0; k < tr->n; k++) {
        double x = tr->x[k], y = tr->y[k], h = tr->h[k];
        double eps = ms_sim_soil_eps(w, x, y);
        double n = sqrt(eps);
        double R01 = ms_sim_fresnel(1.0, eps);
        double tg = t0 + 2 * h / MS_SIM_C0;
        double aw = s->gpr_wow * (1 + 0.2 * ms_field_at(&wowf, tr->t[k], 0));
        for (size_t i = 0; i < ns; i++)
            acc[i] = ring[i] + aw * wow[i];
        add_wavelet(&wl, acc, ns, dt, tg, R01 * spreading(s, h));
        if (s->layer_depth_m > 0) {
            double zl = s->layer_depth_m + s->layer_undulation_m * ms_field_at(&w->layer, x, y);
            zl = zl < 0.02 ? 0.02 : zl;
            double amp = ms_sim_fresnel(eps, s->layer_eps) * (1 - R01 * R01) *
                         exp(-2 * ms_sim_alpha(eps, s->soil_conductivity_s_m) * zl) *
                         spreading(s, h + zl / n);
            add_wavelet(&wl, acc, ns, dt, tg + 2 * zl * n / MS_SIM_C0, amp);
        }
        for (size_t j = 0; j < w->objects.n; j++) {
            const sim_obj *o = &w->objects.v[j];
            double reach = (h + o->depth) * tan_cut + o->radius + o->half_length;
            if (fabs(x - o->x) > reach || fabs(y - o->y) > reach)
                continue;
            double rh = horizontal_gap(o, x, y);
            if (rh > (h + o->depth) * tan_cut)
                continue;
            sim_echo e[2];
            int ne = object_echoes(s, o, rh, h, ms_sim_soil_eps(w, o->x, o->y), e);
            for (int q = 0; q < ne; q++)
                add_wavelet(&wl, acc, ns, dt, tg + e[q].t, e[q].amp);
        }
        if (sigma > 0) {
            size_t nw = ns + 2 * (size_t)nf.half;
            for (size_t i = 0; i < nw; i++)
                white[i] = ms_rng_normal(&r_noise);
            for (size_t i = 0; i < ns; i++) {
                double v = 0;
                for (int q = 0; q <= 2 * nf.half; q++)
                    v += nf.k[q] * white[i + (size_t)q];
                acc[i] += sigma * v;
            }
        }
        float *row = g->data + k * ns;
        int dropped = ms_rng_uniform(&r_drop) < s->gpr_dropout_prob;
        for (size_t i = 0; i < ns; i++)
            row[i] = dropped ? 0.0f : (float)acc[i];
        if (g->valid)
            memset(g->valid + k * ns, dropped ? 0 : 1, ns);
        g->x[k] = x;
        g->y[k] = y;
        double hm = h + s->gpr_height_noise_m * ms_rng_normal(&r_height);
        g->height[k] = hm > 0 ? hm : 0;
        g->time[k] = tr->t[k];
    }
done:
    free(wl.tab);
    free(ring);
    free(wow);
    free(acc);
    free(white);
    return rc;
}
