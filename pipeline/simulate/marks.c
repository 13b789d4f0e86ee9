/* A simulated operator's marks: most mines found with a position error,
 * minimum-metal mines found less often, some metal clutter marked, and a
 * few marks on nothing at all. */
#include "simulate/sim_internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct mark {
    double x, y, t;
} mark;

/* When the head passed closest: the mark is placed a moment later. */
static double time_near(const sim_track *p, double x, double y)
{
    double best = INFINITY, t = 0;
    for (size_t i = 0; i < p->n; i++) {
        double d = hypot(p->x[i] - x, p->y[i] - y);
        if (d < best) {
            best = d;
            t = p->t[i];
        }
    }
    return t;
}

static int by_time(const void *a, const void *b)
{
    double ta = ((const mark *)a)->t, tb = ((const mark *)b)->t;
    return (ta > tb) - (ta < tb);
}

int ms_sim_marks(const sim_world *w, uint64_t seed, const sim_track *path,
                 ms_recording *rec)
{
    const ms_scenario *s = w->s;
    ms_rng r;
    ms_rng_seed(&r, seed, MS_STREAM_MARKS);
    double area = s->length_m * s->width_m;
    int n_false = ms_rng_poisson(&r, s->marks_false_per_m2 * area);
    size_t cap = w->objects.n + (size_t)n_false, n = 0;
    mark *m = malloc((cap ? cap : 1) * sizeof *m);
    if (!m)
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (marks)");
    for (size_t i = 0; i < w->objects.n; i++) {
        const sim_obj *o = &w->objects.v[i];
        if (!o->tracked)
            continue;
        double p = o->is_mine ? (o->min_metal ? s->marks_pd_min_metal : s->marks_pd)
                 : o->emi_m > 0 ? s->marks_clutter_prob
                                : 0.0;
        /* Always draw, so one object's outcome never shifts another's. */
        double u = ms_rng_uniform(&r);
        double ex = s->marks_error_m * ms_rng_normal(&r);
        double ey = s->marks_error_m * ms_rng_normal(&r);
        double lag = ms_rng_range(&r, 1.0, 3.0);
        if (u >= p)
            continue;
        m[n].x = o->x + ex;
        m[n].y = o->y + ey;
        m[n].t = time_near(path, o->x, o->y) + lag;
        n++;
    }
    for (int i = 0; i < n_false; i++) {
        m[n].x = ms_rng_range(&r, 0, s->length_m);
        m[n].y = ms_rng_range(&r, 0, s->width_m);
        m[n].t = time_near(path, m[n].x, m[n].y) + ms_rng_range(&r, 1.0, 3.0);
        n++;
    }
    qsort(m, n, sizeof *m, by_time);
    /* Attached at once, so the recording owns it on every path. */
    rec->marks = ms_marks_new(n);
    ms_marks *mk = rec->marks;
    if (mk && !mk->time && n)
        mk->time = malloc(n * sizeof *mk->time);
    if (!mk || (n && !mk->time)) {
        free(m);
        return ms_fail(MS_ERR_NOMEM, "simulate: out of memory (marks)");
    }
    for (size_t i = 0; i < n; i++) {
        mk->x[i] = m[i].x;
        mk->y[i] = m[i].y;
        mk->time[i] = m[i].t;
    }
    free(m);
    return 0;
}
