/* The run's figures: see figures.h. */
#include "core/i18n.h"
#include "report/figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"

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
