/* Alarms of a recording along one straight line (a single B-scan, a cart
 * line): peaks of the final map along the line, at the traces' positions
 * (see ms_alarms_find_line in minescan/detect.h). A 2-D peak search on a
 * map gridded around a line finds the strip's edges (fewer traces there,
 * so sharper), or, on a diagonal line, cells either side of it; along the
 * traces each target is one peak, on the line. */
#include "minescan/detect.h"
#include "minescan/error.h"

#include "detect/detect_internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct sample {
    double s, v; /* distance along the line, map value */
    size_t i;    /* the trace */
} sample;

/* The map at (x, y), bilinear between the four nearest cell centres;
 * corners off the map or NaN weigh nothing (the rest renormalised). */
static double bilinear(const ms_map_view *m, double x, double y)
{
    double fx = (x - m->x_min) / m->cell - 0.5;
    double fy = (y - m->y_min) / m->cell - 0.5;
    if (!isfinite(fx) || !isfinite(fy))
        return NAN;
    double ix = floor(fx), iy = floor(fy), wx = fx - ix, wy = fy - iy;
    double sum = 0, wsum = 0;
    for (int dy = 0; dy <= 1; dy++) {
        for (int dx = 0; dx <= 1; dx++) {
            double cx = ix + dx, cy = iy + dy;
            double w = (dx ? wx : 1 - wx) * (dy ? wy : 1 - wy);
            if (!(cx >= 0 && cx < (double)m->nx && cy >= 0 &&
                  cy < (double)m->ny) || w <= 0)
                continue;
            float v = m->v[(size_t)cy * m->nx + (size_t)cx];
            if (isnan(v))
                continue;
            sum += w * v;
            wsum += w;
        }
    }
    if (wsum > 0)
        return sum / wsum;
    /* exactly on a corner's row or column whose weight is 0: the cell */
    return ms_map_cell_at(m, x, y);
}

static int by_s(const void *a, const void *b)
{
    const sample *p = a, *q = b;
    if (p->s != q->s)
        return p->s < q->s ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

/* strongest first; ties nearer the start of the line first */
static int by_score(const void *a, const void *b)
{
    const sample *p = a, *q = b;
    if (p->v != q->v)
        return p->v > q->v ? -1 : 1;
    return by_s(a, b);
}

int ms_alarms_find_line(const ms_map_view *map, const ms_map_view *gpr,
                        const ms_map_view *emi, const double *x,
                        const double *y, size_t n, const ms_line *line,
                        double threshold, double min_separation_m,
                        double sensor_threshold, ms_alarm **out,
                        size_t *n_out)
{
    if (!out || !n_out)
        return ms_fail(MS_ERR_INVALID_INPUT, "alarms: no output given");
    *out = NULL;
    *n_out = 0;
    if (!map || !map->v || !line || line->kind == MS_LINE_NONE ||
        (n && (!x || !y)))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "alarms: no anomaly map, line or trace positions");
    if (!ms_map_view_ok(map) || (gpr && gpr->v && !ms_map_view_ok(gpr)) ||
        (emi && emi->v && !ms_map_view_ok(emi)))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "alarms: bad map geometry (cell %g m, origin %g, %g)",
                       map->cell, map->x_min, map->y_min);
    if (ms_alarm_params_check(threshold, sensor_threshold, min_separation_m))
        return MS_ERR_INVALID_INPUT;
    if (n == 0 || map->nx == 0 || map->ny == 0)
        return 0;

    sample *sm = malloc(n * sizeof *sm), *pk = malloc(n * sizeof *pk);
    ms_alarm *alarms = NULL;
    if (!sm || !pk)
        goto nomem;
    /* 1. the profile along the line: traces with a position and a value */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double v = bilinear(map, x[i], y[i]);
        if (isnan(v))
            continue;
        sm[m++] = (sample){(x[i] - line->x0) * line->ux +
                               (y[i] - line->y0) * line->uy,
                           v, i};
    }
    qsort(sm, m, sizeof *sm, by_s);

    /* 2. its peaks: a run of equal values (repeated passes over the same
     * spot, a flat top) with nothing higher either side, at the run's
     * middle trace */
    size_t np = 0;
    for (size_t a = 0; a < m;) {
        size_t b = a + 1;
        while (b < m && sm[b].v == sm[a].v)
            b++;
        int peak = sm[a].v >= threshold && (a == 0 || sm[a - 1].v < sm[a].v) &&
                   (b == m || sm[b].v < sm[a].v);
        if (peak) {
            double mid = 0.5 * (sm[a].s + sm[b - 1].s);
            size_t best = a;
            for (size_t k = a + 1; k < b; k++)
                if (fabs(sm[k].s - mid) < fabs(sm[best].s - mid))
                    best = k;
            pk[np++] = sm[best];
        }
        a = b;
    }

    /* 3. strongest first; a peak within the separation along the line of
     * a stronger one kept is dropped */
    qsort(pk, np, sizeof *pk, by_score);
    alarms = malloc((np ? np : 1) * sizeof *alarms);
    if (!alarms)
        goto nomem;
    size_t kept = 0;
    for (size_t k = 0; k < np; k++) {
        int suppressed = 0;
        for (size_t q = 0; q < kept && !suppressed; q++)
            suppressed = fabs(pk[q].s - pk[k].s) <=
                         min_separation_m + MS_DIST_TOL_M;
        if (suppressed)
            continue;
        pk[kept] = pk[k]; /* the kept peaks, for the test above */
        ms_alarm *al = &alarms[kept++];
        al->x = x[pk[k].i];
        al->y = y[pk[k].i];
        al->score = pk[k].v;
        ms_alarm_name_detectors(al->detectors,
                                ms_map_cell_at(gpr, al->x, al->y),
                                ms_map_cell_at(emi, al->x, al->y),
                                sensor_threshold);
    }
    free(sm);
    free(pk);
    *out = alarms;
    *n_out = kept;
    return 0;

nomem:
    free(sm);
    free(pk);
    free(alarms);
    return ms_fail(MS_ERR_NOMEM,
                   "alarms: out of memory finding peaks along %zu traces", n);
}
