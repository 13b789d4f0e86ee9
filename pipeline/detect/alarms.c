/* Alarms: the peaks of the final anomaly map, thinned by distance, and the
 * alarms.csv / alarms.geojson files (shared/spec/outputs.md). */
#include "minescan/detect.h"
#include "minescan/error.h"

#include "detect/detect_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct peak {
    size_t ix, iy;
    double v;
} peak;

typedef struct peak_list {
    peak *p;
    size_t n, cap;
} peak_list;

static int peak_push(peak_list *l, size_t ix, size_t iy, double v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        peak *p = realloc(l->p, cap * sizeof *p);
        if (!p)
            return -1;
        l->p = p;
        l->cap = cap;
    }
    l->p[l->n++] = (peak){ix, iy, v};
    return 0;
}

int ms_alarm_params_check(double threshold, double sensor_threshold,
                          double min_separation_m)
{
    if (isnan(threshold) || isnan(sensor_threshold))
        return ms_fail(MS_ERR_INVALID_INPUT, "alarms: threshold is NaN");
    if (!(min_separation_m >= 0) || !isfinite(min_separation_m))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "alarms: separation %g m (must be finite and >= 0)",
                       min_separation_m);
    return 0;
}

int ms_map_view_ok(const ms_map_view *m)
{
    return m->cell > 0 && isfinite(m->cell) && isfinite(m->x_min) &&
           isfinite(m->y_min) && (m->ny == 0 || m->nx <= SIZE_MAX / m->ny);
}

/* A plateau (8-connected cells of exactly the value v, starting at cell i)
 * is one peak when no cell around it is higher. It is filled breadth-first
 * with every member kept in `queue` (nx*ny entries), all marked `seen` so
 * that it is examined once. The peak is placed on the member nearest the
 * plateau's centroid (ties: the lowest raster index), so a flat top gives
 * one alarm at its middle. Returns 1 and sets *rep for a peak, else 0. */
static int plateau(const ms_map_view *m, unsigned char *seen, size_t *queue,
                   size_t i, size_t *rep)
{
    const float *v = m->v;
    const float top = v[i];
    size_t head = 0, tail = 0;
    int is_max = 1;
    double sx = 0, sy = 0;
    queue[tail++] = i;
    seen[i] = 1;
    while (head < tail) {
        size_t c = queue[head++];
        size_t cx = c % m->nx, cy = c / m->nx;
        sx += (double)cx;
        sy += (double)cy;
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                if ((dx == 0 && dy == 0) || (dx < 0 && cx == 0) ||
                    (dy < 0 && cy == 0) || (dx > 0 && cx + 1 == m->nx) ||
                    (dy > 0 && cy + 1 == m->ny))
                    continue;
                size_t j = (size_t)((ptrdiff_t)c + dy * (ptrdiff_t)m->nx + dx);
                float w = v[j];
                if (w > top)
                    is_max = 0; /* a shoulder; keep filling to mark it all */
                else if (w == top && !seen[j]) {
                    seen[j] = 1;
                    queue[tail++] = j;
                }
            }
        }
    }
    if (!is_max)
        return 0;
    /* distance to the centroid scaled by the member count n, so that small
     * symmetric plateaus compare exactly and ties really are ties */
    double n = (double)tail, best = INFINITY;
    for (size_t k = 0; k < tail; k++) {
        size_t c = queue[k];
        double ex = n * (double)(c % m->nx) - sx;
        double ey = n * (double)(c / m->nx) - sy;
        double d = ex * ex + ey * ey;
        if (d < best || (d == best && c < *rep)) {
            best = d;
            *rep = c;
        }
    }
    return 1;
}

static int peak_cmp(const void *a, const void *b)
{
    const peak *p = a, *q = b;
    if (p->v != q->v)
        return p->v > q->v ? -1 : 1;
    if (p->iy != q->iy)
        return p->iy < q->iy ? -1 : 1;
    return (p->ix > q->ix) - (p->ix < q->ix);
}

/* The value of a sensor map at (x, y): the cell holding the point; NaN
 * where the map is absent, the point lies outside it or the cell is NaN. */
double ms_map_cell_at(const ms_map_view *m, double x, double y)
{
    if (!m || !m->v || m->nx == 0 || m->ny == 0)
        return NAN;
    double fx = floor((x - m->x_min) / m->cell);
    double fy = floor((y - m->y_min) / m->cell);
    if (!(fx >= 0 && fx < (double)m->nx && fy >= 0 && fy < (double)m->ny))
        return NAN;
    return m->v[(size_t)fy * m->nx + (size_t)fx];
}

void ms_alarm_name_detectors(char out[16], double g, double e, double thr)
{
    int use_g = g >= thr, use_e = e >= thr; /* false for NaN */
    if (!use_g && !use_e) {
        /* nobody passed: name the stronger (both on a tie) */
        if (isnan(g) && isnan(e))
            ;
        else if (isnan(e) || g > e)
            use_g = 1;
        else if (isnan(g) || e > g)
            use_e = 1;
        else
            use_g = use_e = 1;
    }
    snprintf(out, 16, "%s",
             use_g && use_e ? "gpr+emi"
             : use_g        ? "gpr"
             : use_e        ? "emi"
                            : "");
}

int ms_alarms_find(const ms_map_view *map, const ms_map_view *gpr,
                   const ms_map_view *emi, double threshold,
                   double min_separation_m, double sensor_threshold,
                   ms_alarm **out, size_t *n)
{
    if (!out || !n)
        return ms_fail(MS_ERR_INVALID_INPUT, "alarms: no output given");
    *out = NULL;
    *n = 0;
    if (!map || !map->v)
        return ms_fail(MS_ERR_INVALID_INPUT, "alarms: no anomaly map");
    if (!ms_map_view_ok(map))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "alarms: bad map geometry (cell %g m, origin %g, %g)",
                       map->cell, map->x_min, map->y_min);
    if ((gpr && gpr->v && !ms_map_view_ok(gpr)) || (emi && emi->v && !ms_map_view_ok(emi)))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "alarms: bad geometry of a sensor map");
    if (ms_alarm_params_check(threshold, sensor_threshold, min_separation_m))
        return MS_ERR_INVALID_INPUT;
    const size_t nx = map->nx, ny = map->ny;
    if (nx == 0 || ny == 0)
        return 0;

    int rc = 0;
    size_t ncell = nx * ny;
    unsigned char *seen = calloc(ncell, 1);
    size_t *queue = NULL; /* only allocated once a plateau turns up */
    peak_list pk = {0};
    size_t *head = NULL, *next = NULL;
    ms_alarm *alarms = NULL;
    if (!seen)
        goto nomem;

    /* 1. local maxima: no 8-neighbour higher (NaN cells are no data and
     * neither peaks nor neighbours; cells off the map edge do not exist) */
    for (size_t iy = 0; iy < ny; iy++) {
        for (size_t ix = 0; ix < nx; ix++) {
            size_t i = iy * nx + ix;
            float v = map->v[i];
            if (seen[i] || isnan(v) || !((double)v >= threshold))
                continue;
            int higher = 0, equal = 0;
            for (int dy = -1; dy <= 1 && !higher; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    if ((dx == 0 && dy == 0) || (dx < 0 && ix == 0) ||
                        (dy < 0 && iy == 0) || (dx > 0 && ix + 1 == nx) ||
                        (dy > 0 && iy + 1 == ny))
                        continue;
                    float w = map->v[(iy + dy) * nx + ix + dx];
                    if (w > v) {
                        higher = 1;
                        break;
                    }
                    equal |= w == v;
                }
            }
            if (higher)
                continue;
            size_t at = i;
            if (equal) {
                if (!queue && !(queue = malloc(ncell * sizeof *queue)))
                    goto nomem;
                if (!plateau(map, seen, queue, i, &at))
                    continue;
            }
            if (peak_push(&pk, at % nx, at / nx, v))
                goto nomem;
        }
    }
    if (pk.n == 0)
        goto done;

    /* 2. strongest first; equal scores in raster order (y, then x) */
    qsort(pk.p, pk.n, sizeof *pk.p, peak_cmp);

    /* 3. greedy suppression: a peak within the separation of a stronger one
     * kept is dropped. Kept peaks are binned in square buckets at least one
     * separation wide, so only the 3 x 3 buckets around a peak need
     * checking. */
    double r = (min_separation_m + MS_DIST_TOL_M) / map->cell; /* cells */
    double r2 = r * r;
    double bside = ceil(r);
    size_t bs = bside < 1                             ? 1
                : bside > (double)(nx > ny ? nx : ny) ? (nx > ny ? nx : ny)
                                                      : (size_t)bside;
    size_t nbx = (nx + bs - 1) / bs, nby = (ny + bs - 1) / bs;
    head = malloc(nbx * nby * sizeof *head);
    next = malloc(pk.n * sizeof *next);
    alarms = malloc(pk.n * sizeof *alarms);
    if (!head || !next || !alarms)
        goto nomem;
    for (size_t b = 0; b < nbx * nby; b++)
        head[b] = SIZE_MAX;
    size_t kept = 0;
    for (size_t k = 0; k < pk.n; k++) {
        const peak *p = &pk.p[k];
        size_t bx = p->ix / bs, by = p->iy / bs;
        int suppressed = 0;
        if (min_separation_m > 0) {
            for (size_t qy = by ? by - 1 : 0;
                 qy <= by + 1 && qy < nby && !suppressed; qy++) {
                for (size_t qx = bx ? bx - 1 : 0; qx <= bx + 1 && qx < nbx;
                     qx++) {
                    for (size_t s = head[qy * nbx + qx]; s != SIZE_MAX;
                         s = next[s]) {
                        double dx = (double)pk.p[s].ix - (double)p->ix;
                        double dy = (double)pk.p[s].iy - (double)p->iy;
                        if (dx * dx + dy * dy <= r2) {
                            suppressed = 1;
                            break;
                        }
                    }
                    if (suppressed)
                        break;
                }
            }
        }
        if (suppressed)
            continue;
        size_t b = by * nbx + bx;
        next[k] = head[b];
        head[b] = k;
        ms_alarm *a = &alarms[kept++];
        a->x = map->x_min + ((double)p->ix + 0.5) * map->cell;
        a->y = map->y_min + ((double)p->iy + 0.5) * map->cell;
        a->score = p->v;
        ms_alarm_name_detectors(a->detectors, ms_map_cell_at(gpr, a->x, a->y),
                                ms_map_cell_at(emi, a->x, a->y),
                                sensor_threshold);
    }
    *out = alarms;
    *n = kept;
    alarms = NULL;
    goto done;

nomem:
    rc = ms_fail(MS_ERR_NOMEM,
                 "alarms: out of memory finding peaks on a "
                 "%zu x %zu map",
                 nx, ny);
done:
    free(alarms);
    free(head);
    free(next);
    free(pk.p);
    free(queue);
    free(seen);
    return rc;
}

/* ---- files --------------------------------------------------------------- */

static int check_alarms(const char *path, const ms_alarm *a, size_t n)
{
    if (n && !a)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no alarms given", path);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i].x) || !isfinite(a[i].y) || isnan(a[i].score) ||
            memchr(a[i].detectors, '\0', sizeof a[i].detectors) == NULL)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: alarm %zu has a position or score that is "
                           "not a number, or an unterminated detector name",
                           path, i + 1);
    return 0;
}

int ms_alarms_write_csv(const char *path, const ms_alarm *a, size_t n)
{
    int rc = check_alarms(path ? path : "alarms.csv", a, n);
    ms_detect_out o;
    if (rc || (rc = ms_detect_out_open(&o, path)))
        return rc;
    fputs("x_m,y_m,score,detectors\n", o.f);
    for (size_t i = 0; i < n; i++) {
        fprintf(o.f, "%.4f,%.4f,%.6g,", a[i].x, a[i].y, a[i].score);
        ms_csv_write_field(o.f, a[i].detectors);
        fputc('\n', o.f);
    }
    return ms_detect_out_commit(&o);
}

/* Round through the decimal text the contract asks for, so that the JSON
 * (printed with 15 significant digits) shows exactly that text. */
static double rounded(const char *fmt, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return strtod(buf, NULL);
}

int ms_alarms_write_geojson(const char *path, const ms_alarm *a, size_t n)
{
    int rc = check_alarms(path ? path : "alarms.geojson", a, n);
    if (rc)
        return rc;
    json_t *root = json_object(), *features = json_array();
    int bad = !root || !features;
    if (!bad) {
        bad |=
            json_object_set_new(root, "type", json_string("FeatureCollection"));
        /* foreign members (RFC 7946 6.1): coordinates are not WGS 84 */
        bad |=
            json_object_set_new(root, "coordinate_frame", json_string("lane"));
        bad |= json_object_set_new(root, "units", json_string("m"));
        bad |= json_object_set(root, "features", features);
    }
    for (size_t i = 0; i < n && !bad; i++) {
        json_t *coords =
            json_pack("[ff]", rounded("%.4f", a[i].x), rounded("%.4f", a[i].y));
        json_t *score = isfinite(a[i].score)
                            ? json_real(rounded("%.6g", a[i].score))
                            : json_null();
        json_t *feat =
            json_pack("{s:s, s:{s:s, s:o}, s:{s:I, s:o, s:s}}", "type",
                      "Feature", "geometry", "type", "Point", "coordinates",
                      coords, "properties", "rank", (json_int_t)(i + 1),
                      "score", score, "detectors", a[i].detectors);
        bad |= !feat || json_array_append_new(features, feat);
    }
    if (bad) {
        json_decref(features);
        json_decref(root);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory building the GeoJSON",
                       path ? path : "alarms.geojson");
    }
    ms_detect_out o;
    rc = ms_detect_out_open(&o, path);
    if (!rc) {
        if (json_dumpf(root, o.f, JSON_INDENT(1) | JSON_REAL_PRECISION(15)) ||
            fputc('\n', o.f) == EOF) {
            ms_detect_out_abort(&o);
            rc = ms_fail(MS_ERR_IO, "%s: writing failed", path);
        } else {
            rc = ms_detect_out_commit(&o);
        }
    }
    json_decref(features);
    json_decref(root);
    return rc;
}
