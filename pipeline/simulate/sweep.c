/* How the sensor head moves over the lane.
 *
 * Hand-held: the operator swings the head across the lane in arcs of radius
 * arc_radius_m about where they stand, slowing at each end (sinusoidal
 * speed profile) and lifting the head a little there, while stepping
 * forward a random amount per swing (so swaths overlap in places and leave
 * gaps in others), with the occasional pause. Samples come at a fixed rate
 * in time, so positions are irregular.
 *
 * Cart: straight lines along the lane, evenly spaced across it, samples
 * evenly spaced along each line, alternate lines driven back. */
#include "simulate/sim_internal.h"

#include <math.h>
#include <stdlib.h>

#define CART_TURN_S 3.0   /* time to turn the cart onto the next line */
#define JITTER_CORR_S 0.7 /* correlation time of the hand's wobble */
#define WOBBLE_CORR_S 1.5 /* ... and of the head height */

typedef struct pass {
    double t0, dur, pause;
    double x0, x1, ya, yb;
} pass;

typedef struct passes {
    pass *v;
    size_t n;
} passes;

static int plan_handheld(const ms_scenario *s, ms_rng *r, passes *out)
{
    double os = s->sweep_overshoot_m, W = s->width_m, L = s->length_m;
    double span = W + 2 * os;
    size_t cap = 64, n = 0;
    pass *v = malloc(cap * sizeof *v);
    if (!v)
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory planning sweeps");
    /* On an arc the head lags at the lane edges: sweep on until the edges,
     * not only the middle, reach the end of the lane. */
    double R = s->arc_radius_m, half = 0.5 * W;
    double edge_lag = R > 0 ? R - sqrt(R * R - half * half) : 0;
    double t = 0, x = 0, ya = -os, yb = W + os;
    for (;;) {
        if (n == cap) {
            pass *nv = realloc(v, 2 * cap * sizeof *nv);
            if (!nv) {
                free(v);
                return ms_fail(MS_ERR_NOMEM,
                               "simulate: out of memory planning sweeps");
            }
            v = nv;
            cap *= 2;
        }
        double step = 1 + s->advance_variation * ms_rng_normal(r);
        step = step < 0.1 ? 0.1 : step; /* never walk backwards */
        double speed = 1 + 0.15 * ms_rng_normal(r);
        speed = speed < 0.6 ? 0.6 : speed > 1.6 ? 1.6 : speed;
        pass p = {.t0 = t,
                  .dur = span / (s->sweep_speed_m_s * speed),
                  .x0 = x,
                  .x1 = x + s->advance_m * step,
                  .ya = ya,
                  .yb = yb};
        p.pause = ms_rng_uniform(r) < s->pause_prob ? ms_rng_range(r, 0.5, 2.5)
                                                    : 0.0;
        v[n++] = p;
        t += p.dur + p.pause;
        x = p.x1;
        double tmp = ya;
        ya = yb;
        yb = tmp;
        if (x >= L + edge_lag)
            break;
    }
    out->v = v;
    out->n = n;
    return 0;
}

static int track_alloc(sim_track *t, size_t n)
{
    t->n = n;
    t->x = malloc(n * sizeof *t->x);
    t->y = malloc(n * sizeof *t->y);
    t->h = malloc(n * sizeof *t->h);
    t->t = malloc(n * sizeof *t->t);
    if (!t->x || !t->y || !t->h || !t->t) {
        ms_sim_track_free(t);
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (%zu samples)", n);
    }
    return 0;
}

void ms_sim_track_free(sim_track *t)
{
    free(t->x);
    free(t->y);
    free(t->h);
    free(t->t);
    *t = (sim_track){0};
}

/* Height of the head above the local ground, never touching it. */
static double local_height(const sim_world *w, double head, double x, double y)
{
    double h = head - ms_sim_ground_z(w, x, y);
    return h < 0.005 ? 0.005 : h;
}

static int track_handheld(const sim_world *w, ms_rng *r, double rate,
                          sim_track *out)
{
    const ms_scenario *s = w->s;
    passes ps = {0};
    /* Motion draws come first and in a fixed order, so the GPR and EMI
     * tracks (sampled at different rates) follow the same path. */
    ms_field jx, jy, hw;
    ms_field_init(&jx, r, JITTER_CORR_S);
    ms_field_init(&jy, r, JITTER_CORR_S);
    ms_field_init(&hw, r, WOBBLE_CORR_S);
    int rc = plan_handheld(s, r, &ps);
    if (rc)
        return rc;
    const pass *last = &ps.v[ps.n - 1];
    double total = last->t0 + last->dur + last->pause;
    size_t n = (size_t)floor(total * rate) + 1;
    rc = track_alloc(out, n);
    if (rc) {
        free(ps.v);
        return rc;
    }
    double R = s->arc_radius_m, yc = 0.5 * s->width_m;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        while (k + 1 < ps.n && t >= ps.v[k + 1].t0)
            k++;
        const pass *p = &ps.v[k];
        double u = (t - p->t0) / p->dur;
        u = u < 0 ? 0 : u > 1 ? 1 : u;            /* u = 1 while paused */
        double sp = 0.5 * (1 - cos(MS_SIM_PI * u)); /* slow at the ends */
        double y = p->ya + (p->yb - p->ya) * sp;
        double x = p->x0 + (p->x1 - p->x0) * sp;
        if (R > 0) { /* the head swings on an arc about the operator */
            double dy = y - yc;
            x -= R - sqrt(R * R - dy * dy);
        }
        x += s->hand_jitter_m * ms_field_at(&jx, t, 0);
        y += s->hand_jitter_m * ms_field_at(&jy, t, 0);
        double e = 2 * sp - 1, e2 = e * e;
        double head = s->head_height_m + s->height_wobble_m * ms_field_at(&hw, t, 0) +
                      s->end_lift_m * e2 * e2 * e2;
        out->x[i] = x;
        out->y[i] = y;
        out->h[i] = local_height(w, head, x, y);
        out->t[i] = t;
    }
    free(ps.v);
    return 0;
}

static int track_cart(const sim_world *w, ms_rng *r, double rate, sim_track *out)
{
    const ms_scenario *s = w->s;
    ms_field hw;
    ms_field_init(&hw, r, WOBBLE_CORR_S);
    double W = s->width_m, L = s->length_m, d = s->cart_speed_m_s / rate;
    size_t nl = (size_t)floor(W / s->line_spacing_m + 1e-9) + 1;
    size_t np = (size_t)floor(L / d + 1e-9) + 1;
    /* Lines centred across the lane. */
    double y0 = 0.5 * (W - (double)(nl - 1) * s->line_spacing_m);
    int rc = track_alloc(out, nl * np);
    if (rc)
        return rc;
    double line_time = L / s->cart_speed_m_s + CART_TURN_S;
    for (size_t j = 0; j < nl; j++) {
        for (size_t i = 0; i < np; i++) {
            size_t k = j * np + i;
            double along = (double)i * d;
            double x = (j % 2) ? L - along : along;
            double y = y0 + (double)j * s->line_spacing_m;
            double t = (double)j * line_time + along / s->cart_speed_m_s;
            double head =
                s->head_height_m + s->height_wobble_m * ms_field_at(&hw, t, 0);
            out->x[k] = x;
            out->y[k] = y;
            out->h[k] = local_height(w, head, x, y);
            out->t[k] = t;
        }
    }
    return 0;
}

int ms_sim_track(const sim_world *w, uint64_t seed, double rate_hz,
                 sim_track *out)
{
    *out = (sim_track){0};
    ms_rng r;
    ms_rng_seed(&r, seed, MS_STREAM_SWEEP);
    if (w->s->sweep == MS_SIM_CART)
        return track_cart(w, &r, rate_hz, out);
    return track_handheld(w, &r, rate_hz, out);
}
