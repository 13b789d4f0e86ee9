/* The run's figures: see figures.h. */
#include "core/i18n.h"
#include "report/figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "minescan/operator.h"

/* Markers for the heatmap: truth (missed mines stand out), the operator's
 * marks, the alarms. */
static ms_marker *heatmap_markers(const ms_figures *f, size_t *n)
{
    const ms_truth *t = f->rec->truth;
    const ms_marks *m = f->rec->marks;
    const ms_detection *d = f->det;
    size_t cap = (t ? t->n : 0) + (m ? m->n : 0) + d->n_alarms;
    ms_marker *mk = malloc((cap ? cap : 1) * sizeof *mk);
    *n = 0;
    if (!mk)
        return NULL;
    for (size_t i = 0; t && i < t->n; i++) {
        ms_marker_kind k = !t->is_mine[i]                    ? MS_MARKER_CLUTTER
                           : d->detected && !d->detected[i] ? MS_MARKER_MISSED
                                                            : MS_MARKER_MINE;
        mk[(*n)++] = (ms_marker){t->x[i], t->y[i], k};
    }
    for (size_t i = 0; m && i < m->n; i++)
        mk[(*n)++] = (ms_marker){m->x[i], m->y[i], MS_MARKER_OPERATOR};
    for (size_t i = 0; i < d->n_alarms; i++)
        mk[(*n)++] = (ms_marker){d->alarms[i].x, d->alarms[i].y,
                                 MS_MARKER_ALARM};
    return mk;
}

/* A map as drawn: cells no coverage map counts (zero hits in every
 * sensor) are NaN, which the renderer shows as "no coverage". */
static float *masked_copy(const ms_figures *f, const ms_map_view *v)
{
    size_t n = v->nx * v->ny;
    float *out = malloc((n ? n : 1) * sizeof *out);
    if (!out)
        return NULL;
    memcpy(out, v->v, n * sizeof *out);
    const ms_map_view *hits[MS_FIGURES_MAX_COVERAGE];
    size_t n_hits = 0;
    for (size_t k = 0; k < f->n_coverage; k++)
        if (f->coverage[k].v && f->coverage[k].nx == v->nx &&
            f->coverage[k].ny == v->ny)
            hits[n_hits++] = &f->coverage[k];
    for (size_t i = 0; n_hits && i < n; i++) {
        int swept = 0;
        for (size_t k = 0; k < n_hits; k++)
            swept |= hits[k]->v[i] > 0;
        if (!swept)
            out[i] = NAN;
    }
    return out;
}

static int render_map(ms_outdir *o, const ms_figures *f, const char *file,
                      const ms_map_view *v, const char *title,
                      const char *label, ms_colormap cmap, int with_markers)
{
    float *shown = masked_copy(f, v);
    size_t n_markers = 0;
    ms_marker *markers = with_markers ? heatmap_markers(f, &n_markers) : NULL;
    if (!shown || (with_markers && !markers)) {
        free(shown);
        free(markers);
        return ms_fail(MS_ERR_NOMEM, "out of memory drawing %s", file);
    }
    ms_image_spec spec = {.title = title, .value_label = label, .cmap = cmap,
                          .text = f->text, .n_text = f->n_text};
    char path[MS_PATH_MAX];
    ms_outdir_path(o, file, path, sizeof path);
    int rc = ms_render_map(path, shown, v->nx, v->ny, v->x_min,
                           v->x_min + v->cell * (double)v->nx, v->y_min,
                           v->y_min + v->cell * (double)v->ny, markers,
                           n_markers, &spec);
    free(shown);
    free(markers);
    if (!rc)
        ms_outdir_add(o, file);
    return rc;
}

int ms_figure_heatmap(ms_outdir *o, const ms_figures *f,
                      const ms_map_view *final, const char *title,
                      double alarm_threshold)
{
    char label[256];
    snprintf(label, sizeof label, _("score (alarm at %g or more)"),
             alarm_threshold);
    return render_map(o, f, "heatmap.png", final, title, label,
                      MS_CMAP_VIRIDIS, 1);
}

int ms_figure_coverage(ms_outdir *o, const ms_figures *f, const char *sensor)
{
    if (!f->n_coverage || !f->coverage[0].v)
        return 0;
    const char *title = !strcmp(sensor, "gpr")
                            ? _("Radar coverage: traces within the gridding "
                                "radius of each cell")
                        : !strcmp(sensor, "emi")
                            ? _("Metal-detector coverage: readings within the "
                                "gridding radius of each cell")
                            : _("Coverage: readings within the gridding radius "
                                "of each cell");
    return render_map(o, f, "coverage.png", &f->coverage[0], title,
                      _("readings"), MS_CMAP_MAGMA, 0);
}

int ms_figure_bscan(ms_outdir *o, const ms_figures *f, const float *traces,
                    size_t n_traces, size_t n_samples, const char *slot)
{
    const ms_gpr *g = f->rec->gpr;
    if (!g || n_traces != g->n_traces)
        return ms_fail(MS_ERR_INTERNAL, "bscan: %zu traces for a recording "
                       "of %zu", n_traces, g ? g->n_traces : 0);
    double *dist = malloc((n_traces ? n_traces : 1) * sizeof *dist);
    ms_png_text *text = malloc((f->n_text + 1) * sizeof *text);
    if (!dist || !text) {
        free(dist);
        free(text);
        return ms_fail(MS_ERR_NOMEM, "out of memory for the B-scan");
    }
    dist[0] = 0.0;
    for (size_t i = 1; i < n_traces; i++)
        dist[i] = dist[i - 1] + hypot(g->x[i] - g->x[i - 1],
                                      g->y[i] - g->y[i - 1]);
    memcpy(text, f->text, f->n_text * sizeof *text);
    text[f->n_text] = (ms_png_text){"minescan:slot", slot};
    ms_image_spec spec = {.title = _("Filtered B-scan along the sweep path "
                                     "(every sweep, end to end)"),
                          .value_label = _("amplitude"),
                          .cmap = MS_CMAP_BALANCE,
                          .symmetric = 1,
                          .text = text,
                          .n_text = f->n_text + 1};
    char path[MS_PATH_MAX];
    ms_outdir_path(o, "bscan.png", path, sizeof path);
    int rc = ms_render_bscan(path, traces, n_traces, n_samples, dist,
                             g->sample_interval_s, &spec);
    free(dist);
    free(text);
    if (!rc)
        ms_outdir_add(o, "bscan.png");
    return rc;
}

static const char *const slice_files[MS_MAX_SLICES] = {MS_SLICE_FILES};

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of the finite values of x; 0 when there are none (or no
 * memory for the copy: the caller then scales automatically). */
static double percentile(const float *x, size_t n, double q)
{
    float *c = malloc((n ? n : 1) * sizeof *c);
    size_t m = 0;
    for (size_t i = 0; c && i < n; i++)
        if (isfinite(x[i]))
            c[m++] = x[i];
    double v = 0.0;
    if (c && m) {
        qsort(c, m, sizeof *c, cmp_float);
        v = c[(size_t)(q * (double)(m - 1))];
    }
    free(c);
    return v;
}

int ms_figure_slices(ms_outdir *o, const ms_figures *f, const float *vol,
                     size_t nz, const ms_map_view *grid, double plane_m,
                     const char *slot)
{
    size_t n = grid->nx * grid->ny;
    /* slab s: the planes whose centres (k + 0.5) * plane_m lie in
     * [s, s + 1) * 5 cm */
    size_t first[MS_MAX_SLICES + 1], n_slabs = 0;
    for (size_t s = 0; s <= MS_MAX_SLICES; s++) {
        double k = ceil((double)s * MS_SLICE_SLAB_M / plane_m - 0.5);
        first[s] = k < 0 ? 0 : k > (double)nz ? nz : (size_t)k;
    }
    while (n_slabs < MS_MAX_SLICES && first[n_slabs] < nz)
        n_slabs++;
    float *rms = malloc((n_slabs * n > 0 ? n_slabs * n : 1) * sizeof *rms);
    ms_png_text *text = malloc((f->n_text + 2) * sizeof *text);
    if (!rms || !text) {
        free(rms);
        free(text);
        return ms_fail(MS_ERR_NOMEM, "out of memory drawing depth slices");
    }
    /* every slab first, for the one colour scale: up to the 99.5th
     * percentile, so that a few bright cells (what is left of the ground
     * bounce at the top) do not darken every slice */
    for (size_t s = 0; s < n_slabs; s++) {
        size_t k0 = first[s], k1 = first[s + 1];
        for (size_t c = 0; c < n; c++) {
            double sum = 0.0;
            for (size_t k = k0; k < k1; k++)
                sum += (double)vol[k * n + c] * vol[k * n + c];
            rms[s * n + c] = k1 > k0 ? (float)sqrt(sum / (double)(k1 - k0))
                                     : NAN;
        }
    }
    double top = percentile(rms, n_slabs * n, 0.995);
    memcpy(text, f->text, f->n_text * sizeof *text);
    text[f->n_text] = (ms_png_text){"minescan:slot", slot};
    int rc = 0;
    for (size_t s = 0; s < n_slabs && !rc; s++) {
        double d0 = (double)s * MS_SLICE_SLAB_M, d1 = d0 + MS_SLICE_SLAB_M;
        char title[160], depth[64], path[MS_PATH_MAX];
        snprintf(depth, sizeof depth, "%.9g %.9g", d0, d1);
        text[f->n_text + 1] = (ms_png_text){"minescan:depth_m", depth};
        snprintf(title, sizeof title, "Migrated radar, depth slice %.2f-%.2f "
                 "m below the surface", d0, d1);
        ms_map_view v = *grid;
        v.v = rms + s * n;
        float *shown = masked_copy(f, &v);
        if (!shown) {
            rc = ms_fail(MS_ERR_NOMEM, "out of memory drawing %s",
                         slice_files[s]);
            break;
        }
        ms_image_spec spec = {.title = title, .value_label = "RMS amplitude",
                              .cmap = MS_CMAP_MAGMA, .vmin = 0.0,
                              .vmax = top, .text = text,
                              .n_text = f->n_text + 2};
        ms_outdir_path(o, slice_files[s], path, sizeof path);
        rc = ms_render_map(path, shown, v.nx, v.ny, v.x_min,
                           v.x_min + v.cell * (double)v.nx, v.y_min,
                           v.y_min + v.cell * (double)v.ny, NULL, 0, &spec);
        free(shown);
        if (!rc)
            ms_outdir_add(o, slice_files[s]);
    }
    free(rms);
    free(text);
    return rc;
}

int ms_figure_sweep(ms_outdir *o, const ms_figures *f, double footprint_m,
                    double speed_limit_m_s)
{
    const ms_recording *rec = f->rec;
    ms_sweep_options so = {footprint_m, speed_limit_m_s};
    ms_sweep_quality q = {0};
    if (ms_sweep_quality_recording(rec, &so, &q) != 0) {
        ms_sweep_quality_free(&q);
        return 0; /* positions at one spot: no lane to draw */
    }
    ms_sweep_box *gaps = malloc((q.n_gaps ? q.n_gaps : 1) * sizeof *gaps);
    ms_sweep_spot *fast =
        malloc((q.n_over_limit ? q.n_over_limit : 1) * sizeof *fast);
    if (!gaps || !fast) {
        free(gaps);
        free(fast);
        ms_sweep_quality_free(&q);
        return ms_fail(MS_ERR_NOMEM, "out of memory drawing sweep.png");
    }
    for (size_t i = 0; i < q.n_gaps; i++)
        gaps[i] = (ms_sweep_box){q.gaps[i].x0, q.gaps[i].y0, q.gaps[i].x1,
                                 q.gaps[i].y1};
    for (size_t i = 0; i < q.n_over_limit; i++)
        fast[i] = (ms_sweep_spot){q.over_limit[i].x, q.over_limit[i].y};
    char title[600], fast_label[300];
    if (isnan(q.speed_median))
        snprintf(title, sizeof title, _("Sweep: gaps at the sensor "
                 "footprint (%.2f m); no times recorded, so no speed"),
                 footprint_m);
    else
        snprintf(title, sizeof title, _("Sweep: gaps at the sensor "
                 "footprint (%.2f m) and speed over %.2f m/s"), footprint_m,
                 speed_limit_m_s);
    snprintf(fast_label, sizeof fast_label, _("faster than %.2f m/s"),
             speed_limit_m_s);
    const double *tx = rec->gpr ? rec->gpr->x : rec->emi ? rec->emi->x : NULL;
    const double *ty = rec->gpr ? rec->gpr->y : rec->emi ? rec->emi->y : NULL;
    size_t nt = rec->gpr ? rec->gpr->n_traces
                         : rec->emi ? rec->emi->n_readings : 0;
    ms_sweep_spec spec = {.title = title,
                          .x_min = q.lane.x_min, .x_max = q.lane.x_max,
                          .y_min = q.lane.y_min, .y_max = q.lane.y_max,
                          .track_x = tx, .track_y = ty, .n_track = nt,
                          .join_m = MS_SWEEP_JOIN_M,
                          .footprint_m = footprint_m,
                          .gaps = gaps, .n_gaps = q.n_gaps,
                          .fast = fast, .n_fast = q.n_over_limit,
                          .fast_label = isnan(q.speed_median) ? NULL
                                                              : fast_label,
                          .text = f->text, .n_text = f->n_text};
    char path[MS_PATH_MAX];
    ms_outdir_path(o, "sweep.png", path, sizeof path);
    int rc = ms_render_sweep(path, &spec);
    free(gaps);
    free(fast);
    ms_sweep_quality_free(&q);
    if (!rc)
        ms_outdir_add(o, "sweep.png");
    return rc;
}
