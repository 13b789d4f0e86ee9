/* ms_simulate: build the world (soil fields, objects), move the sensor head
 * over it and fill a recording with radar, metal detector, truth and marks. */
#include "simulate/sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Correlation lengths of the soil's lateral variations. */
#define EPS_CORR_M 0.5   /* moisture patches */
#define LAYER_CORR_M 0.6 /* undulation of the layer interface */
#define MAG_CORR_M 0.3   /* patches of magnetic minerals */

int ms_sim_world_init(sim_world *w, const ms_scenario *s, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    ms_rng r;
    ms_rng_seed(&r, seed, MS_STREAM_FIELDS);
    ms_field_init(&w->rough, &r, s->roughness_corr_m);
    ms_field_init(&w->eps_var, &r, EPS_CORR_M);
    ms_field_init(&w->layer, &r, LAYER_CORR_M);
    ms_field_init(&w->mag, &r, MAG_CORR_M);
    return ms_sim_layout(s, seed, &w->objects);
}

void ms_sim_world_free(sim_world *w) { ms_sim_objects_free(&w->objects); }

double ms_sim_ground_z(const sim_world *w, double x, double y)
{
    if (w->s->roughness_m <= 0)
        return 0;
    return w->s->roughness_m * ms_field_at(&w->rough, x, y);
}

double ms_sim_soil_eps(const sim_world *w, double x, double y)
{
    const ms_scenario *s = w->s;
    if (s->soil_eps_variation <= 0)
        return s->soil_eps;
    double e = s->soil_eps * (1 + s->soil_eps_variation * ms_field_at(&w->eps_var, x, y));
    return e < 1.5 ? 1.5 : e;
}

static double gpr_rate(const ms_scenario *s)
{
    return s->sweep == MS_SIM_CART ? s->cart_speed_m_s / s->cart_trace_spacing_m
                                   : s->gpr_trace_rate_hz;
}

/* The writer owns what it frees, so fill in the optional arrays the
 * allocation helpers may have left NULL. */
static int ensure(double **p, size_t n)
{
    if (!*p)
        *p = malloc((n ? n : 1) * sizeof **p);
    return *p ? 0 : -1;
}

static int add_gpr(ms_recording *rec, const sim_world *w, uint64_t seed,
                   sim_track *tr)
{
    const ms_scenario *s = w->s;
    int rc = ms_sim_track(w, seed, gpr_rate(s), tr);
    if (rc)
        return rc;
    size_t ns = (size_t)lround(s->gpr_time_window_s / s->gpr_sample_interval_s);
    ms_gpr *g = rec->gpr = ms_gpr_new(tr->n, ns);
    if (!g || ensure(&g->height, tr->n) || ensure(&g->time, tr->n))
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (%zu x %zu GPR samples)",
                       tr->n, ns);
    if (s->gpr_dropout_prob > 0 && !g->valid) {
        g->valid = malloc(tr->n * ns);
        if (!g->valid)
            return ms_fail(MS_ERR_NOMEM, "simulate: out of memory");
    }
    g->sample_interval_s = s->gpr_sample_interval_s;
    g->centre_frequency_hz = s->gpr_frequency_hz;
    g->time_zero_s = s->gpr_time_zero_s;
    g->units = strdup("relative to a perfect reflector at the nominal height");
    if (!g->units)
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory");
    return ms_sim_gpr(w, seed, tr, g);
}

static int add_emi(ms_recording *rec, const sim_world *w, uint64_t seed,
                   sim_track *tr)
{
    const ms_scenario *s = w->s;
    int rc = ms_sim_track(w, seed, s->emi_rate_hz, tr);
    if (rc)
        return rc;
    size_t nc = (size_t)s->emi_channels;
    ms_emi *e = rec->emi = ms_emi_new(tr->n, nc);
    if (!e || ensure(&e->height, tr->n) || ensure(&e->time, tr->n))
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (EMI)");
    if (!e->channel_names && !(e->channel_names = calloc(nc, sizeof(char *))))
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory");
    e->units = strdup("a.u. (1 = 1 g of steel at the coil centre)");
    if (!e->units)
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory");
    return ms_sim_emi(w, seed, tr, e);
}

static int add_truth(ms_recording *rec, const sim_objects *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++)
        n += o->v[i].tracked != 0;
    ms_truth *t = rec->truth = ms_truth_new(n);
    if (!t || ensure(&t->depth, n) || ensure(&t->diameter, n))
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (truth)");
    if (!t->label && !(t->label = calloc(n ? n : 1, sizeof(char *))))
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (truth)");
    size_t k = 0;
    for (size_t i = 0; i < o->n; i++) {
        const sim_obj *b = &o->v[i];
        if (!b->tracked)
            continue;
        t->x[k] = b->x;
        t->y[k] = b->y;
        t->is_mine[k] = b->is_mine;
        t->depth[k] = b->depth;
        t->diameter[k] = b->diameter;
        if (!(t->label[k] = strdup(b->label)))
            return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (truth)");
        k++;
    }
    return 0;
}

static int set_text(char **dst, const char *value)
{
    if (!value[0])
        return 0;
    *dst = strdup(value);
    return *dst ? 0 : ms_fail(MS_ERR_NOMEM, "simulate: out of memory");
}

static int add_attributes(ms_recording *rec, const ms_scenario *s, uint64_t seed)
{
    char buf[256];
    rec->format_version = 1;
    if (s->title[0])
        snprintf(buf, sizeof buf, "%s", s->title);
    else
        snprintf(buf, sizeof buf, "simulated %s %s lane, %.1f x %.1f m, seed %llu",
                 s->sweep == MS_SIM_CART ? "cart" : "hand-held",
                 s->sensor == MS_SIM_DUAL ? "dual-sensor"
                 : s->sensor == MS_SIM_GPR ? "GPR"
                                           : "EMI",
                 s->length_m, s->width_m, (unsigned long long)seed);
    int rc = set_text(&rec->title, buf);
    rc = rc ? rc : set_text(&rec->site, s->site[0] ? s->site : "simulated");
    rc = rc ? rc : set_text(&rec->lane_id, s->lane_id);
    rc = rc ? rc : set_text(&rec->operator_id, s->operator_id);
    rc = rc ? rc : set_text(&rec->recorded_at, s->recorded_at);
    int n = snprintf(buf, sizeof buf, "minescan simulate (seed %llu):",
                     (unsigned long long)seed);
    if (s->sensor & MS_SIM_GPR)
        n += snprintf(buf + n, sizeof buf - (size_t)n, " GPR %.2f GHz Ricker",
                      s->gpr_frequency_hz / 1e9);
    if (s->sensor & MS_SIM_EMI)
        snprintf(buf + n, sizeof buf - (size_t)n, "%s pulse-induction EMI, %d gate%s",
                 (s->sensor & MS_SIM_GPR) ? " +" : "", s->emi_channels,
                 s->emi_channels > 1 ? "s" : "");
    return rc ? rc : set_text(&rec->instrument, buf);
}

static int simulate_scenario(const ms_scenario *s, uint64_t seed,
                             ms_recording **out);

int ms_simulate(const ms_scenario *given, uint64_t seed, ms_recording **out)
{
    *out = NULL;
    if (given->operator_profile == MS_SIM_OPERATOR_NONE)
        return simulate_scenario(given, seed, out);
    /* The trainee's habits change a copy, not the caller's scenario. */
    ms_scenario s;
    int rc = ms_scenario_copy(&s, given);
    if (rc)
        return rc;
    ms_sim_apply_operator_profile(&s);
    rc = simulate_scenario(&s, seed, out);
    ms_scenario_free(&s);
    return rc;
}

static int simulate_scenario(const ms_scenario *s, uint64_t seed,
                             ms_recording **out)
{
    *out = NULL;
    int rc = ms_scenario_check(s, "scenario");
    if (rc)
        return rc;
    sim_world w;
    sim_track tg = {0}, te = {0};
    ms_recording *rec = ms_recording_new();
    if (!rec)
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory");
    rc = ms_sim_world_init(&w, s, seed);
    if (!rc)
        rc = add_attributes(rec, s, seed);
    if (!rc && (s->sensor & MS_SIM_GPR))
        rc = add_gpr(rec, &w, seed, &tg);
    if (!rc && (s->sensor & MS_SIM_EMI))
        rc = add_emi(rec, &w, seed, &te);
    if (!rc) {
        rec->lane = (ms_lane){1, 0, s->length_m, 0, s->width_m};
        rc = add_truth(rec, &w.objects);
    }
    if (!rc && s->marks)
        rc = ms_sim_marks(&w, seed, tg.n ? &tg : &te, rec);
    ms_sim_track_free(&tg);
    ms_sim_track_free(&te);
    ms_sim_world_free(&w);
    if (rc) {
        ms_recording_free(rec);
        return rc;
    }
    *out = rec;
    return 0;
}
