/* Evidence panels for the lane page: see evidence.h. */
#include "report/evidence.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "minescan/error.h"
#include "minescan/operator.h"
#include "minescan/render.h"

#define CROP_HALF_M 0.4   /* the map crop: 0.8 m square around the point */
#define SWEEP_HALF_M 0.6  /* the sweep's window: 0.6 m either side */
#define SWEEP_JUMP_M 0.3  /* a larger step between readings ends a sweep */
#define SWEEP_TURN_COS 0.5 /* a step more than 60 degrees off ends it too */

const char *const ms_evidence_files[MS_EVIDENCE_KINDS *
                                    MS_EVIDENCE_MAX_PER_KIND] = {
    MS_EVIDENCE_FILE_NAMES};

const char *ms_evidence_kind_name(ms_evidence_kind k)
{
    static const char *const names[] = {"mine", "missed", "false_mark"};
    return k < MS_EVIDENCE_KINDS ? names[k] : "?";
}

static void add_item(ms_evidence *ev, ms_evidence_kind kind, double x,
                     double y, const char *type)
{
    int n = 1;
    for (size_t i = 0; i < ev->n; i++)
        n += ev->items[i].kind == kind;
    if (n > MS_EVIDENCE_MAX_PER_KIND) {
        ev->n_left_out++;
        return;
    }
    ms_evidence_item *it = &ev->items[ev->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->n = n;
    it->x = x;
    it->y = y;
    it->file = ms_evidence_files[kind * MS_EVIDENCE_MAX_PER_KIND + n - 1];
    snprintf(it->type, sizeof it->type, "%s", type ? type : "");
    it->gpr_nearest_m = it->emi_nearest_m = NAN;
}

/* score.json's marks.items, when the run scored the marks there: 1 when
 * used, 0 when absent. */
static int items_from_score(const ms_outdir *o, ms_evidence *ev)
{
    char path[MS_PATH_MAX];
    ms_outdir_path(o, "score.json", path, sizeof path);
    json_t *root = json_load_file(path, 0, NULL);
    json_t *items = json_object_get(json_object_get(root, "marks"), "items");
    if (!json_is_array(items)) {
        json_decref(root);
        return 0;
    }
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        const char *kind = json_string_value(json_object_get(it, "kind"));
        json_t *jx = json_object_get(it, "x_m"), *jy = json_object_get(it, "y_m");
        const char *type = json_string_value(json_object_get(it, "type"));
        if (!kind || !json_is_number(jx) || !json_is_number(jy))
            continue;
        ms_evidence_kind k = !strcmp(kind, "found")    ? MS_EVIDENCE_MINE
                             : !strcmp(kind, "missed") ? MS_EVIDENCE_MISSED
                             : !strcmp(kind, "false_mark")
                                 ? MS_EVIDENCE_FALSE_MARK
                                 : MS_EVIDENCE_KINDS;
        if (k != MS_EVIDENCE_KINDS)
            add_item(ev, k, json_number_value(jx), json_number_value(jy),
                     type);
    }
    json_decref(root);
    ev->from_marks = 1;
    return 1;
}

/* The recording's marks, scored as score.json scores them
 * (ms_marks_score_compute: the alarms' rules), where score.json has no
 * marks items. The area only scales false marks per m2, unused here. */
static int items_from_marks(const ms_recording *rec, double halo_m,
                            ms_evidence *ev)
{
    ms_marks_score sc;
    int rc = ms_marks_score_compute(rec->truth, rec->marks, 1.0, halo_m, &sc);
    for (size_t i = 0; !rc && i < sc.n_items; i++) {
        const ms_mark_item *it = &sc.items[i];
        add_item(ev,
                 it->kind == MS_MARK_FOUND    ? MS_EVIDENCE_MINE
                 : it->kind == MS_MARK_MISSED ? MS_EVIDENCE_MISSED
                                              : MS_EVIDENCE_FALSE_MARK,
                 it->x, it->y, it->type);
    }
    ms_marks_score_free(&sc);
    if (!rc)
        ev->from_marks = 1;
    return rc;
}

/* The readings of the sweep that passed closest to (px, py): from the
 * closest one, both ways while the track goes on in the same direction,
 * without a jump, up to SWEEP_HALF_M along it. off[i0..i1] receives the
 * offsets along the sweep (increasing, 0 at the closest reading). */
static void sweep_window(const double *xs, const double *ys, size_t n,
                         double px, double py, size_t *i0, size_t *i1,
                         double *nearest, double *off)
{
    size_t ic = 0;
    double bd = INFINITY;
    for (size_t i = 0; i < n; i++) {
        double d = hypot(xs[i] - px, ys[i] - py);
        if (d < bd) {
            bd = d;
            ic = i;
        }
    }
    *nearest = bd;
    /* the direction of travel at the closest reading */
    double hx = 0, hy = 0;
    for (size_t w = 1; w <= 5 && hypot(hx, hy) < 1e-9; w++) {
        size_t a = ic >= w ? ic - w : 0, b = ic + w < n ? ic + w : n - 1;
        hx = xs[b] - xs[a];
        hy = ys[b] - ys[a];
    }
    double hl = hypot(hx, hy);
    if (hl < 1e-9) {
        hx = 1;
        hy = 0;
    } else {
        hx /= hl;
        hy /= hl;
    }
    size_t a = ic, b = ic;
    while (a > 0) {
        double sx = xs[a] - xs[a - 1], sy = ys[a] - ys[a - 1];
        double l = hypot(sx, sy);
        double along = (xs[a - 1] - xs[ic]) * hx + (ys[a - 1] - ys[ic]) * hy;
        if (l > SWEEP_JUMP_M || (l > 1e-9 && (sx * hx + sy * hy) / l <
                                                 SWEEP_TURN_COS) ||
            along < -SWEEP_HALF_M)
            break;
        a--;
    }
    while (b + 1 < n) {
        double sx = xs[b + 1] - xs[b], sy = ys[b + 1] - ys[b];
        double l = hypot(sx, sy);
        double along = (xs[b + 1] - xs[ic]) * hx + (ys[b + 1] - ys[ic]) * hy;
        if (l > SWEEP_JUMP_M || (l > 1e-9 && (sx * hx + sy * hy) / l <
                                                 SWEEP_TURN_COS) ||
            along > SWEEP_HALF_M)
            break;
        b++;
    }
    for (size_t i = a; i <= b; i++) {
        off[i - a] = (xs[i] - xs[ic]) * hx + (ys[i] - ys[ic]) * hy;
        if (i > a && off[i - a] < off[i - a - 1])
            off[i - a] = off[i - a - 1]; /* jitter standing still */
    }
    *i0 = a;
    *i1 = b;
}

/* Everything a panel shows besides the target itself. */
static ms_marker *crop_markers(const ms_figures *f, size_t *n)
{
    const ms_truth *t = f->rec->truth;
    const ms_marks *m = f->rec->marks;
    const ms_detection *d = f->det;
    size_t cap = (t ? t->n : 0) + (m ? m->n : 0) + d->n_alarms;
    ms_marker *mk = malloc((cap ? cap : 1) * sizeof *mk);
    *n = 0;
    if (!mk)
        return NULL;
    for (size_t i = 0; i < d->n_alarms; i++)
        mk[(*n)++] = (ms_marker){d->alarms[i].x, d->alarms[i].y,
                                 MS_MARKER_ALARM};
    for (size_t i = 0; t && i < t->n; i++)
        mk[(*n)++] = (ms_marker){t->x[i], t->y[i],
                                 t->is_mine[i] ? MS_MARKER_MINE
                                               : MS_MARKER_CLUTTER};
    for (size_t i = 0; m && i < m->n; i++)
        mk[(*n)++] = (ms_marker){m->x[i], m->y[i], MS_MARKER_OPERATOR};
    return mk;
}

void ms_evidence_title(const ms_evidence_item *it, char *buf, size_t n)
{
    const char *type = it->type[0] ? it->type : _("type not recorded");
    switch (it->kind) {
    case MS_EVIDENCE_MINE:
        snprintf(buf, n, _("Mine %d (%s), found: x %.2f m, y %.2f m"), it->n,
                 type, it->x, it->y);
        break;
    case MS_EVIDENCE_MISSED:
        snprintf(buf, n, _("Missed mine %d (%s): x %.2f m, y %.2f m"), it->n,
                 type, it->x, it->y);
        break;
    default:
        snprintf(buf, n, _("False mark %d: x %.2f m, y %.2f m"), it->n, it->x,
                 it->y);
    }
}

static const ms_marker_kind target_marker[MS_EVIDENCE_KINDS] = {
    MS_MARKER_MINE, MS_MARKER_MISSED, MS_MARKER_OPERATOR};

int ms_evidence_write(ms_outdir *o, const ms_figures *f,
                      const ms_map_view *final, const ms_evidence_data *d,
                      double halo_m, ms_evidence *ev)
{
    memset(ev, 0, sizeof *ev);
    const ms_recording *rec = f->rec;
    const ms_truth *t = rec->truth;
    int rc = 0;
    if (!items_from_score(o, ev)) {
        if (t && rec->marks)
            rc = items_from_marks(rec, halo_m, ev);
        else
            for (size_t i = 0; t && i < t->n; i++)
                if (t->is_mine[i])
                    add_item(ev,
                             f->det->detected && f->det->detected[i]
                                 ? MS_EVIDENCE_MINE
                                 : MS_EVIDENCE_MISSED,
                             t->x[i], t->y[i], t->label ? t->label[i] : NULL);
    }
    if (rc || !ev->n || !final->v)
        return rc;

    /* the heatmap's colour range: the finite min..max of the map */
    size_t nm = final->nx * final->ny;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < nm; i++)
        if (isfinite(final->v[i])) {
            lo = fmin(lo, final->v[i]);
            hi = fmax(hi, final->v[i]);
        }
    if (!(hi > lo)) {
        lo = isfinite(lo) ? lo - 0.5 : 0;
        hi = lo + 1;
    }
    const ms_gpr *g = rec->gpr;
    const ms_emi *e = rec->emi;
    int use_gpr = g && d->gpr && d->gpr_n == g->n_traces && d->gpr_samples;
    int use_emi = e && d->emi && d->emi_n == e->n_readings;
    size_t n_markers;
    ms_marker *markers = crop_markers(f, &n_markers);
    size_t cap = (use_gpr ? g->n_traces : 0) + (use_emi ? e->n_readings : 0);
    double *off = malloc((cap ? cap : 1) * sizeof *off);
    float *emi_v = malloc((use_emi ? e->n_readings : 1) * sizeof *emi_v);
    if (!markers || !off || !emi_v) {
        free(markers);
        free(off);
        free(emi_v);
        return ms_fail(MS_ERR_NOMEM, "out of memory drawing the evidence "
                       "panels");
    }
    double *goff = off, *eoff = off + (use_gpr ? g->n_traces : 0);
    for (size_t k = 0; k < ev->n && !rc; k++) {
        ms_evidence_item *it = &ev->items[k];
        char title[600];
        ms_evidence_title(it, title, sizeof title);
        ms_evidence_spec s = {
            .title = title, .x = it->x, .y = it->y,
            .kind = target_marker[it->kind], .half_m = CROP_HALF_M,
            .map = final->v, .nx = final->nx, .ny = final->ny,
            .x_min = final->x_min,
            .x_max = final->x_min + final->cell * (double)final->nx,
            .y_min = final->y_min,
            .y_max = final->y_min + final->cell * (double)final->ny,
            .lo = lo, .hi = hi, .markers = markers, .n_markers = n_markers,
            .text = f->text, .n_text = f->n_text};
        size_t i0, i1;
        if (use_gpr) {
            sweep_window(g->x, g->y, g->n_traces, it->x, it->y, &i0, &i1,
                         &it->gpr_nearest_m, goff);
            s.gpr = d->gpr + i0 * d->gpr_samples;
            s.gpr_n = i1 - i0 + 1;
            s.gpr_samples = d->gpr_samples;
            s.gpr_off = goff;
            s.dt_s = g->sample_interval_s;
            s.gpr_nearest_m = it->gpr_nearest_m;
        }
        if (use_emi) {
            sweep_window(e->x, e->y, e->n_readings, it->x, it->y, &i0, &i1,
                         &it->emi_nearest_m, eoff);
            for (size_t i = i0; i <= i1; i++)
                emi_v[i - i0] = d->emi[i * d->emi_stride];
            s.emi = emi_v;
            s.emi_n = i1 - i0 + 1;
            s.emi_off = eoff;
            s.emi_nearest_m = it->emi_nearest_m;
        }
        char path[MS_PATH_MAX];
        ms_outdir_path(o, it->file, path, sizeof path);
        rc = ms_render_evidence(path, &s);
        if (!rc)
            ms_outdir_add(o, it->file);
    }
    free(markers);
    free(off);
    free(emi_v);
    return rc;
}
