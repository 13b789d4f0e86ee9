/* Where the objects lie: hand-placed objects, random mines and tracked
 * clutter, and the untracked background (pebbles, metal bits, roots). */
#include "simulate/sim_internal.h"

#include <math.h>
#include <stdlib.h>

/* Tracked clutter keeps this far from any mine so that the default 0.25 m
 * scoring halo of a mine never also holds a tracked clutter item. */
#define CLUTTER_MINE_GAP_M 0.30
/* The sensor sees past the lane edges, so the background extends beyond. */
#define BACKGROUND_MARGIN_M 0.30
#define PLACE_TRIES 2000

sim_obj ms_sim_obj_from_catalogue(const ms_sim_catalogue_entry *c)
{
    sim_obj o = {0};
    o.label = c->name;
    o.tracked = 1;
    o.is_mine = c->is_mine;
    o.min_metal = c->min_metal;
    o.shape = c->shape;
    o.radius = 0.5 * c->diameter_m;
    o.half_length = 0.5 * c->length_m;
    o.ux = 1;
    o.uy = 0;
    o.height = c->height_m;
    o.eps = c->eps;
    o.emi_m = c->metal_g * c->emi_k;
    o.tau_s = c->tau_s;
    o.diameter = c->shape == MS_SHAPE_DISC ? c->diameter_m : c->length_m;
    return o;
}

static int push(sim_objects *o, const sim_obj *ob)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        sim_obj *v = realloc(o->v, cap * sizeof *v);
        if (!v)
            return ms_fail(MS_ERR_NOMEM, "simulate: out of memory placing objects");
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = *ob;
    return 0;
}

void ms_sim_objects_free(sim_objects *o)
{
    free(o->v);
    o->v = NULL;
    o->n = o->cap = 0;
}

static void set_azimuth(sim_obj *o, double az_rad)
{
    o->ux = cos(az_rad);
    o->uy = sin(az_rad);
}

/* Natural clutter varies in size: a log-normal scale around the catalogue
 * size; metal mass goes with volume, the eddy-current decay time with size
 * squared (diffusion time ~ mu sigma a^2). */
static void vary_size(sim_obj *o, ms_rng *r)
{
    double k = exp(0.35 * ms_rng_normal(r));
    k = k < 0.5 ? 0.5 : k > 2.0 ? 2.0 : k;
    o->radius *= k;
    o->half_length *= k;
    o->height *= k;
    o->diameter *= k;
    o->emi_m *= k * k * k;
    o->tau_s *= k * k;
    if (o->eps > 0 && !o->is_mine && o->eps < 10) /* stones and pebbles */
        o->eps = ms_rng_range(r, 5.0, 9.0);
    else if (o->eps >= 10) /* roots: water content varies */
        o->eps = ms_rng_range(r, 12.0, 25.0);
}

static double depth_for(const ms_scenario *s, const ms_sim_catalogue_entry *c,
                        ms_rng *r)
{
    double hi = s->mine_depth_max_m < c->depth_max_m ? s->mine_depth_max_m
                                                     : c->depth_max_m;
    double lo = s->mine_depth_min_m < hi ? s->mine_depth_min_m : hi;
    return ms_rng_range(r, lo, hi);
}

static int far_from_mines(const sim_objects *o, double x, double y, double gap)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].is_mine && hypot(o->v[i].x - x, o->v[i].y - y) < gap)
            return 0;
    return 1;
}

static int place_hand_placed(const ms_scenario *s, sim_objects *out)
{
    for (size_t i = 0; i < s->n_objects; i++) {
        const ms_sim_object *h = &s->objects[i];
        const ms_sim_catalogue_entry *c = ms_sim_catalogue_find(h->type);
        if (!c)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "objects[%zu].type: '%s' is not in the catalogue", i,
                           h->type);
        sim_obj o = ms_sim_obj_from_catalogue(c);
        o.x = h->x;
        o.y = h->y;
        o.depth = h->depth;
        o.tracked = h->tracked;
        if (h->metal_g >= 0)
            o.emi_m = h->metal_g * (c->emi_k > 0 ? c->emi_k : 1.0);
        if (h->eps >= 0)
            o.eps = h->eps;
        if (h->diameter_m > 0) {
            o.radius = 0.5 * h->diameter_m;
            if (o.shape == MS_SHAPE_DISC)
                o.diameter = h->diameter_m;
        }
        if (h->length_m > 0 && o.shape == MS_SHAPE_SEGMENT) {
            o.half_length = 0.5 * h->length_m;
            o.diameter = h->length_m;
        }
        set_azimuth(&o, h->azimuth_deg * MS_SIM_PI / 180.0);
        int rc = push(out, &o);
        if (rc)
            return rc;
    }
    return 0;
}

/* Random sequential placement can jam before the lane is full, so a jammed
 * attempt starts over (from the same stream: still deterministic). */
#define PLACE_RESTARTS 20

static int place_mines(const ms_scenario *s, ms_rng *r, sim_objects *out)
{
    double L = s->length_m, W = s->width_m, m = s->edge_margin_m;
    size_t first = out->n;
    for (int attempt = 0; attempt < PLACE_RESTARTS; attempt++) {
        out->n = first;
        int i;
        for (i = 0; i < s->n_mines; i++) {
            /* Types in turn: the mix is exact, not left to chance. */
            const ms_sim_catalogue_entry *c =
                ms_sim_catalogue_find(s->mine_types[i % s->n_mine_types]);
            sim_obj o = ms_sim_obj_from_catalogue(c);
            int tries = 0;
            do {
                o.x = ms_rng_range(r, m, L - m);
                o.y = ms_rng_range(r, m, W - m);
            } while (!far_from_mines(out, o.x, o.y, s->mine_spacing_m) &&
                     ++tries < PLACE_TRIES);
            if (tries == PLACE_TRIES)
                break;
            o.depth = depth_for(s, c, r);
            set_azimuth(&o, ms_rng_range(r, 0, MS_SIM_PI));
            int rc = push(out, &o);
            if (rc)
                return rc;
        }
        if (i == s->n_mines)
            return 0;
    }
    return ms_fail(MS_ERR_INVALID_INPUT,
                   "population.n_mines: cannot place %d mines %.2f m apart in a "
                   "%.2f x %.2f m lane with %.2f m margins; use fewer mines, a "
                   "smaller mine_spacing_m or a longer lane",
                   s->n_mines, s->mine_spacing_m, L, W, m);
}

static int place_clutter(const ms_scenario *s, ms_rng *r, sim_objects *out)
{
    double L = s->length_m, W = s->width_m;
    int n = (int)lround(s->clutter_per_m2 * L * W);
    for (int i = 0; i < n; i++) {
        const ms_sim_catalogue_entry *c = ms_sim_catalogue_find(
            s->clutter_types[ms_rng_below(r, (uint64_t)s->n_clutter_types)]);
        sim_obj o = ms_sim_obj_from_catalogue(c);
        int tries = 0;
        do {
            o.x = ms_rng_range(r, 0.05, L - 0.05);
            o.y = ms_rng_range(r, 0.05, W - 0.05);
        } while (!far_from_mines(out, o.x, o.y, CLUTTER_MINE_GAP_M) &&
                 ++tries < PLACE_TRIES);
        if (tries == PLACE_TRIES)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "population.clutter_per_m2: no room for clutter "
                           "%.2f m away from the mines",
                           CLUTTER_MINE_GAP_M);
        o.depth = ms_rng_range(r, 0, c->depth_max_m);
        vary_size(&o, r);
        set_azimuth(&o, ms_rng_range(r, 0, MS_SIM_PI));
        int rc = push(out, &o);
        if (rc)
            return rc;
    }
    return 0;
}

static int place_background(const ms_scenario *s, ms_rng *r, sim_objects *out)
{
    static const struct {
        const char *name;
        size_t offset;
    } kinds[] = {
        {"clutter:pebble", offsetof(ms_scenario, pebbles_per_m2)},
        {"clutter:metal-bit", offsetof(ms_scenario, metal_bits_per_m2)},
        {"clutter:root", offsetof(ms_scenario, roots_per_m2)},
    };
    double b = BACKGROUND_MARGIN_M;
    double x0 = -b, x1 = s->length_m + b, y0 = -b, y1 = s->width_m + b;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        double density = *(const double *)((const char *)s + kinds[k].offset);
        const ms_sim_catalogue_entry *c = ms_sim_catalogue_find(kinds[k].name);
        int n = ms_rng_poisson(r, density * (x1 - x0) * (y1 - y0));
        for (int i = 0; i < n; i++) {
            sim_obj o = ms_sim_obj_from_catalogue(c);
            o.tracked = 0;
            o.x = ms_rng_range(r, x0, x1);
            o.y = ms_rng_range(r, y0, y1);
            o.depth = ms_rng_range(r, 0, c->depth_max_m);
            vary_size(&o, r);
            set_azimuth(&o, ms_rng_range(r, 0, MS_SIM_PI));
            int rc = push(out, &o);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int ms_sim_layout(const ms_scenario *s, uint64_t seed, sim_objects *out)
{
    *out = (sim_objects){0};
    ms_rng r, rb;
    ms_rng_seed(&r, seed, MS_STREAM_LAYOUT);
    /* Own stream: changing the background densities moves no mine. */
    ms_rng_seed(&rb, seed, MS_STREAM_BACKGROUND);
    int rc = place_hand_placed(s, out);
    if (!rc)
        rc = place_mines(s, &r, out);
    if (!rc)
        rc = place_clutter(s, &r, out);
    if (!rc)
        rc = place_background(s, &rb, out);
    if (rc)
        ms_sim_objects_free(out);
    return rc;
}
