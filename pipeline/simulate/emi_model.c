/* Metal detector: a pulse-induction coil sampled at one or more time gates.
 *
 * Each metal object is a small dipole target whose response to a coil of
 * radius a at distance r is m a^6 / (r^2 + a^2)^3 (the r^-6 fall-off of
 * transmit field times receive sensitivity, softened inside the coil),
 * decaying between gates as exp(-t/tau). A mineralised soil adds a smooth
 * background that depends on coil height, a (a / (h + a))^3 half-space
 * response with the 1/t decay of magnetic viscosity. Plus drift and noise.
 * Units: 1 = a 1 g chunky steel object at the coil centre, first gate. */
#include "simulate/sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double ms_sim_emi_gate(const ms_scenario *s, int c)
{
    if (s->emi_channels <= 1)
        return s->emi_first_gate_s;
    /* Gates spaced logarithmically, as PI detectors do. */
    double f = (double)c / (double)(s->emi_channels - 1);
    return s->emi_first_gate_s * pow(s->emi_last_gate_s / s->emi_first_gate_s, f);
}

double ms_sim_emi_object(const ms_scenario *s, const sim_obj *o, double x,
                         double y, double hc, double t_gate)
{
    if (o->emi_m <= 0)
        return 0;
    double dx = x - o->x, dy = y - o->y;
    double dz = hc + o->depth + 0.5 * o->height; /* to the body's centre */
    double a2 = s->emi_coil_radius_m * s->emi_coil_radius_m;
    double q = a2 / (dx * dx + dy * dy + dz * dz + a2);
    double decay = o->tau_s > 0 ? exp(-(t_gate - s->emi_first_gate_s) / o->tau_s) : 1;
    return o->emi_m * decay * q * q * q;
}

int ms_sim_emi(const sim_world *w, uint64_t seed, const sim_track *tr,
               ms_emi *e)
{
    const ms_scenario *s = w->s;
    int nc = s->emi_channels;
    ms_rng r_noise, r_drift;
    ms_rng_seed(&r_noise, seed, MS_STREAM_EMI * 16 + 0);
    ms_rng_seed(&r_drift, seed, MS_STREAM_EMI * 16 + 1);
    double gate[8], drift[8] = {0}, trend[8];
    for (int c = 0; c < nc; c++) {
        gate[c] = ms_sim_emi_gate(s, c);
        /* emi.drift is the rms wander over 100 s: half a random walk, half
         * a steady trend (temperature). */
        trend[c] = s->emi_drift / 100.0 * ms_rng_normal(&r_drift) * 0.5;
    }
    double a = s->emi_coil_radius_m;
    for (size_t k = 0; k < tr->n; k++) {
        double x = tr->x[k], y = tr->y[k];
        double hc = tr->h[k] + s->emi_height_offset_m;
        hc = hc < 0.005 ? 0.005 : hc;
        double step = k ? tr->t[k] - tr->t[k - 1] : 0;
        double soil = 0;
        if (s->soil_mag_response > 0) {
            double q = a / (hc + a);
            soil = s->soil_mag_response * q * q * q *
                   (1 + s->soil_mag_variation * ms_field_at(&w->mag, x, y));
        }
        for (int c = 0; c < nc; c++) {
            double v = soil * s->emi_first_gate_s / gate[c];
            for (size_t j = 0; j < w->objects.n; j++)
                v += ms_sim_emi_object(s, &w->objects.v[j], x, y, hc, gate[c]);
            if (step > 0)
                drift[c] += s->emi_drift * 0.5 * sqrt(step / 100.0) *
                            ms_rng_normal(&r_drift);
            v += drift[c] + trend[c] * tr->t[k];
            v += s->emi_noise * ms_rng_normal(&r_noise);
            e->data[k * (size_t)nc + (size_t)c] = (float)v;
        }
        e->x[k] = x;
        e->y[k] = y;
        e->height[k] = hc;
        e->time[k] = tr->t[k];
    }
    for (int c = 0; c < nc; c++) {
        char name[32];
        snprintf(name, sizeof name, "gate_%.0fus", gate[c] * 1e6);
        e->channel_names[c] = strdup(name);
        if (!e->channel_names[c])
            return ms_fail(MS_ERR_NOMEM, "simulate: out of memory");
    }
    return 0;
}
