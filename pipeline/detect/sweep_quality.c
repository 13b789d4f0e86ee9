/* How well the lane was swept, from the recorded positions: coverage at
 * the sensor footprint, gaps, overlap, speed and height. See
 * minescan/operator.h. */
#include "minescan/operator.h"
#include "minescan/error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Cells per footprint diameter: fine enough that a gap one footprint wide
 * is measured within a quarter of its width. */
#define CELLS_PER_FOOTPRINT 4
#define MAX_CELLS 4000000.0
/* Speed over a window this long: sample-to-sample positions jitter. */
#define SPEED_WINDOW_S 0.2
#define MAX_OVER_LIMIT 500

ms_sweep_options ms_sweep_options_default(void)
{
    return (ms_sweep_options){0.15, 0.5};
}

typedef struct grid {
    size_t nx, ny;
    double x0, y0, cx, cy; /* origin and cell sizes */
} grid;

static double seg_dist2(double px, double py, double ax, double ay, double bx,
                        double by)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, u = 0;
    if (l2 > 0) {
        u = ((px - ax) * dx + (py - ay) * dy) / l2;
        u = u < 0 ? 0 : u > 1 ? 1 : u;
    }
    double ex = px - (ax + u * dx), ey = py - (ay + u * dy);
    return ex * ex + ey * ey;
}

static int joined(const ms_track_view *t, size_t i)
{
    return i + 1 < t->n &&
           hypot(t->x[i + 1] - t->x[i], t->y[i + 1] - t->y[i]) <=
               MS_SWEEP_JOIN_M;
}

/* Passes of one track over each cell: a cell counts a new pass when the
 * piece of track covering it (the segment from sample i to i+1, or the
 * disc at sample i when not joined) does not follow on from the piece that
 * covered it last. */
static void count_passes(const grid *g, const ms_track_view *t, double r,
                         int64_t *last, uint32_t *passes)
{
    size_t nc = g->nx * g->ny;
    for (size_t c = 0; c < nc; c++)
        last[c] = -2;
    memset(passes, 0, nc * sizeof *passes);
    for (size_t i = 0; i < t->n; i++) {
        double ax = t->x[i], ay = t->y[i];
        if (!isfinite(ax) || !isfinite(ay))
            continue;
        double bx = ax, by = ay;
        if (joined(t, i) && isfinite(t->x[i + 1]) && isfinite(t->y[i + 1])) {
            bx = t->x[i + 1];
            by = t->y[i + 1];
        }
        double lo_x = fmin(ax, bx) - r, hi_x = fmax(ax, bx) + r;
        double lo_y = fmin(ay, by) - r, hi_y = fmax(ay, by) + r;
        double fx0 = floor((lo_x - g->x0) / g->cx),
               fx1 = floor((hi_x - g->x0) / g->cx),
               fy0 = floor((lo_y - g->y0) / g->cy),
               fy1 = floor((hi_y - g->y0) / g->cy);
        if (fx1 < 0 || fy1 < 0 || fx0 >= (double)g->nx || fy0 >= (double)g->ny)
            continue;
        size_t ix0 = fx0 < 0 ? 0 : (size_t)fx0, iy0 = fy0 < 0 ? 0 : (size_t)fy0;
        size_t ix1 = fx1 >= (double)g->nx ? g->nx - 1 : (size_t)fx1;
        size_t iy1 = fy1 >= (double)g->ny ? g->ny - 1 : (size_t)fy1;
        for (size_t iy = iy0; iy <= iy1; iy++)
            for (size_t ix = ix0; ix <= ix1; ix++) {
                double px = g->x0 + ((double)ix + 0.5) * g->cx;
                double py = g->y0 + ((double)iy + 0.5) * g->cy;
                if (seg_dist2(px, py, ax, ay, bx, by) > r * r)
                    continue;
                size_t c = iy * g->nx + ix;
                if (last[c] != (int64_t)i - 1 && last[c] != (int64_t)i)
                    passes[c]++;
                last[c] = (int64_t)i;
            }
    }
}

static int gap_cmp(const void *a, const void *b)
{
    double p = ((const ms_sweep_gap *)a)->area_m2,
           q = ((const ms_sweep_gap *)b)->area_m2;
    return (p < q) - (p > q);
}

/* 4-connected regions of uncovered cells (cover == 0), at least
 * MS_SWEEP_MIN_GAP_CELLS each. */
static int find_gaps(const grid *g, const uint32_t *cover, ms_sweep_quality *q)
{
    size_t nc = g->nx * g->ny, cap = 16;
    unsigned char *seen = calloc(nc, 1);
    size_t *stack = malloc(nc * sizeof *stack);
    q->gaps = malloc(cap * sizeof *q->gaps);
    if (!seen || !stack || !q->gaps) {
        free(seen);
        free(stack);
        return ms_fail(MS_ERR_NOMEM, "sweep quality: out of memory");
    }
    for (size_t s = 0; s < nc; s++) {
        if (cover[s] || seen[s])
            continue;
        size_t top = 0, count = 0;
        size_t x0 = SIZE_MAX, y0 = SIZE_MAX, x1 = 0, y1 = 0;
        stack[top++] = s;
        seen[s] = 1;
        while (top) {
            size_t c = stack[--top], ix = c % g->nx, iy = c / g->nx;
            count++;
            x0 = ix < x0 ? ix : x0;
            x1 = ix > x1 ? ix : x1;
            y0 = iy < y0 ? iy : y0;
            y1 = iy > y1 ? iy : y1;
            size_t nb[4];
            int k = 0;
            if (ix > 0)
                nb[k++] = c - 1;
            if (ix + 1 < g->nx)
                nb[k++] = c + 1;
            if (iy > 0)
                nb[k++] = c - g->nx;
            if (iy + 1 < g->ny)
                nb[k++] = c + g->nx;
            for (int j = 0; j < k; j++)
                if (!cover[nb[j]] && !seen[nb[j]]) {
                    seen[nb[j]] = 1;
                    stack[top++] = nb[j];
                }
        }
        if (count < MS_SWEEP_MIN_GAP_CELLS)
            continue;
        if (q->n_gaps == cap) {
            ms_sweep_gap *ng = realloc(q->gaps, 2 * cap * sizeof *ng);
            if (!ng) {
                free(seen);
                free(stack);
                return ms_fail(MS_ERR_NOMEM, "sweep quality: out of memory");
            }
            q->gaps = ng;
            cap *= 2;
        }
        ms_sweep_gap gp = {g->x0 + (double)x0 * g->cx, g->y0 + (double)y0 * g->cy,
                           g->x0 + (double)(x1 + 1) * g->cx,
                           g->y0 + (double)(y1 + 1) * g->cy,
                           (double)count * g->cx * g->cy};
        q->gaps[q->n_gaps++] = gp;
        q->gap_area_m2 += gp.area_m2;
    }
    qsort(q->gaps, q->n_gaps, sizeof *q->gaps, gap_cmp);
    free(seen);
    free(stack);
    return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
    double p = *(const double *)a, q = *(const double *)b;
    return (p > q) - (p < q);
}

/* The value at fraction f of sorted v[n] (linear between neighbours). */
static double quantile(const double *v, size_t n, double f)
{
    if (!n)
        return NAN;
    double k = f * (double)(n - 1);
    size_t i = (size_t)floor(k);
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (k - (double)i) * (v[i + 1] - v[i]);
}

/* Speed at each sample over the next SPEED_WINDOW_S of track (path length
 * over time), skipping windows that hold a jump or time that does not
 * advance; then the statistics and the stretches over the limit. */
static int speeds(const ms_track_view *t, double limit, ms_sweep_quality *q)
{
    size_t n = t->n;
    double *sp = malloc((n ? n : 1) * sizeof *sp);
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    double *cum = malloc((n ? n : 1) * sizeof *cum);
    size_t *jumps = malloc((n ? n : 1) * sizeof *jumps);
    q->over_limit = malloc(MAX_OVER_LIMIT * sizeof *q->over_limit);
    if (!sp || !sorted || !cum || !jumps || !q->over_limit) {
        free(sp);
        free(sorted);
        free(cum);
        free(jumps);
        return ms_fail(MS_ERR_NOMEM, "sweep quality: out of memory");
    }
    /* cum: path length to sample i; jumps: unjoined steps or time going
     * backwards before sample i. */
    for (size_t i = 0; i < n; i++) {
        if (!i) {
            cum[0] = 0;
            jumps[0] = 0;
            continue;
        }
        double d = hypot(t->x[i] - t->x[i - 1], t->y[i] - t->y[i - 1]);
        int bad = !joined(t, i - 1) || !(t->t[i] >= t->t[i - 1]);
        cum[i] = cum[i - 1] + (bad || !isfinite(d) ? 0 : d);
        jumps[i] = jumps[i - 1] + (size_t)bad;
    }
    size_t m = 0, over = 0, j = 0;
    for (size_t i = 0; i < n; i++) {
        sp[i] = NAN;
        /* a sample without a time has no speed, and must not drag j to
         * the end of the track (nothing is ever >= a NaN) */
        if (!isfinite(t->t[i]))
            continue;
        if (j < i + 1)
            j = i + 1;
        /* a window never spans a jump (a lifted head, a clock restart):
         * stop there, so that j can serve the samples after it */
        while (j < n && jumps[j] == jumps[i] &&
               !(t->t[j] - t->t[i] >= SPEED_WINDOW_S))
            j++;
        if (j >= n || !isfinite(t->t[i]) || jumps[j] != jumps[i])
            continue;
        sp[i] = (cum[j] - cum[i]) / (t->t[j] - t->t[i]);
        sorted[m++] = sp[i];
        over += sp[i] > limit;
    }
    qsort(sorted, m, sizeof *sorted, dbl_cmp);
    q->speed_median = quantile(sorted, m, 0.5);
    q->speed_p95 = quantile(sorted, m, 0.95);
    q->fraction_over_limit = m ? (double)over / (double)m : NAN;
    /* One point per stretch of consecutive samples over the limit: its
     * fastest. */
    size_t best = SIZE_MAX;
    for (size_t i = 0; i <= n; i++) {
        int is_over = i < n && sp[i] > limit; /* NaN is not over */
        if (is_over && (best == SIZE_MAX || sp[i] > sp[best]))
            best = i;
        if (!is_over && best != SIZE_MAX) {
            if (q->n_over_limit < MAX_OVER_LIMIT)
                q->over_limit[q->n_over_limit++] =
                    (ms_speed_point){t->x[best], t->y[best], sp[best]};
            best = SIZE_MAX;
        }
    }
    free(sp);
    free(sorted);
    free(cum);
    free(jumps);
    return 0;
}

static int height_median(const ms_track_view *t, double *out)
{
    double *v = malloc((t->n ? t->n : 1) * sizeof *v);
    if (!v)
        return ms_fail(MS_ERR_NOMEM, "sweep quality: out of memory");
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        if (isfinite(t->h[i]))
            v[m++] = t->h[i];
    qsort(v, m, sizeof *v, dbl_cmp);
    *out = quantile(v, m, 0.5);
    free(v);
    return 0;
}

int ms_sweep_quality_compute(const ms_lane *lane, const ms_track_view *tracks,
                             const char *const *names, size_t n_tracks,
                             const ms_sweep_options *o, ms_sweep_quality *q)
{
    if (!q)
        return ms_fail(MS_ERR_INVALID_INPUT, "sweep quality: no output");
    memset(q, 0, sizeof *q);
    q->speed_median = q->speed_p95 = q->fraction_over_limit = NAN;
    q->height_median = NAN;
    q->speed_sensor = "";
    if (!o || !(o->footprint_m > 0) || !isfinite(o->footprint_m))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "sweep quality: footprint %g m (must be > 0)",
                       o ? o->footprint_m : NAN);
    if (!(o->speed_limit_m_s > 0) || !isfinite(o->speed_limit_m_s))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "sweep quality: speed limit %g m/s (must be > 0)",
                       o->speed_limit_m_s);
    double W = lane ? lane->x_max - lane->x_min : 0,
           H = lane ? lane->y_max - lane->y_min : 0;
    if (!lane || !lane->present || !(W > 0) || !(H > 0) || !isfinite(W * H))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "sweep quality: no lane with an area to cover");
    q->footprint_m = o->footprint_m;
    q->speed_limit_m_s = o->speed_limit_m_s;
    q->lane = *lane;
    double cell = o->footprint_m / CELLS_PER_FOOTPRINT;
    if (W / cell * (H / cell) > MAX_CELLS)
        cell = sqrt(W * H / MAX_CELLS);
    grid g = {(size_t)ceil(W / cell - 1e-9), (size_t)ceil(H / cell - 1e-9),
              lane->x_min, lane->y_min, 0, 0};
    g.nx = g.nx ? g.nx : 1;
    g.ny = g.ny ? g.ny : 1;
    g.cx = W / (double)g.nx;
    g.cy = H / (double)g.ny;
    q->cell_m = fmax(g.cx, g.cy);
    size_t nc = g.nx * g.ny;
    int64_t *last = malloc(nc * sizeof *last);
    uint32_t *passes = malloc(nc * sizeof *passes);
    uint32_t *cover = calloc(nc, sizeof *cover);
    int rc = 0;
    if (!last || !passes || !cover)
        rc = ms_fail(MS_ERR_NOMEM, "sweep quality: out of memory (%zu cells)",
                     nc);
    for (size_t k = 0; !rc && k < n_tracks; k++) {
        count_passes(&g, &tracks[k], 0.5 * o->footprint_m, last, passes);
        for (size_t c = 0; c < nc; c++)
            cover[c] = passes[c] > cover[c] ? passes[c] : cover[c];
    }
    if (!rc) {
        size_t covered = 0;
        double sum = 0;
        for (size_t c = 0; c < nc; c++)
            if (cover[c]) {
                covered++;
                sum += cover[c];
            }
        q->coverage_fraction = (double)covered / (double)nc;
        q->overlap_mean = covered ? sum / (double)covered : NAN;
        rc = find_gaps(&g, cover, q);
    }
    for (size_t k = 0; !rc && k < n_tracks; k++)
        if (tracks[k].t && tracks[k].n > 1) {
            rc = speeds(&tracks[k], o->speed_limit_m_s, q);
            q->speed_sensor = names ? names[k] : "";
            break;
        }
    for (size_t k = 0; !rc && k < n_tracks; k++)
        if (tracks[k].h && tracks[k].n) {
            rc = height_median(&tracks[k], &q->height_median);
            break;
        }
    free(last);
    free(passes);
    free(cover);
    return rc;
}

int ms_sweep_quality_recording(const ms_recording *rec,
                               const ms_sweep_options *o, ms_sweep_quality *q)
{
    ms_track_view tr[2];
    const char *names[2];
    size_t n = 0;
    if (rec->gpr && rec->gpr->n_traces) {
        const ms_gpr *g = rec->gpr;
        tr[n] = (ms_track_view){g->n_traces, g->x, g->y, g->time, g->height};
        names[n++] = "gpr";
    }
    if (rec->emi && rec->emi->n_readings) {
        const ms_emi *e = rec->emi;
        tr[n] = (ms_track_view){e->n_readings, e->x, e->y, e->time, e->height};
        names[n++] = "emi";
    }
    ms_lane lane = ms_recording_lane(rec);
    return ms_sweep_quality_compute(&lane, tr, names, n, o, q);
}

void ms_sweep_quality_free(ms_sweep_quality *q)
{
    if (!q)
        return;
    free(q->gaps);
    free(q->over_limit);
    memset(q, 0, sizeof *q);
}
