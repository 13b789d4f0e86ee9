/* roc.png: Pd against false alarms per m2, the operating point of the
 * run's alarms and the summary figures (see minescan/render.h), drawn with
 * the renderers' shared plotting (plot.h). */
#include "core/i18n.h"
#include "minescan/detect.h"
#include "minescan/error.h"
#include "minescan/render.h"
#include "render/plot.h"
#include "render/render_time.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PI 3.14159265358979323846 /* M_PI needs _XOPEN_SOURCE */

enum {
    PNG_W = 820,
    PNG_H = 610,
    LEFT = 84,
    RIGHT = 790,
    TOP = 66,
    BOTTOM = 536
};

static void fmt_fig(char *buf, size_t n, const char *what, double v)
{
    if (isnan(v))
        snprintf(buf, n, _("%s: undefined"), what);
    else
        snprintf(buf, n, "%s: %.3f", what, v);
}

static void draw_roc(cairo_t *cr, const ms_roc *roc, const ms_score *op,
                     const char *title, double x_max, const ms_ticks *xt)
{
    const double pw = RIGHT - LEFT, ph = BOTTOM - TOP;
#define PX(f) (LEFT + (f) / x_max * pw)
#define PY(p) (BOTTOM - (p)*ph)
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);

    /* grid and tick labels */
    char buf[400];
    cairo_set_line_width(cr, 1);
    for (int k = 0; k < xt->n; k++) {
        double f = xt->value[k], x = floor(PX(f)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x, TOP);
        cairo_line_to(cr, x, BOTTOM);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, x, BOTTOM);
        cairo_line_to(cr, x, BOTTOM + 5);
        cairo_stroke(cr);
        ms_plot_text(cr, x, BOTTOM + 8, xt->label[k], 13, 0, 0.5, 0, 0);
    }
    for (int k = 0; k <= 10; k += 2) {
        double p = k / 10.0, y = floor(PY(p)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, LEFT, y);
        cairo_line_to(cr, RIGHT, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, LEFT - 5, y);
        cairo_line_to(cr, LEFT, y);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%.1f", p);
        ms_plot_text(cr, LEFT - 8, y, buf, 13, 0, 1, 0.5, 0);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, LEFT + 0.5, TOP + 0.5, pw - 1, ph - 1);
    cairo_stroke(cr);
    ms_plot_text(cr, (LEFT + RIGHT) / 2.0, BOTTOM + 30,
            _("false alarms per m² (FAR)"), 15, 0, 0.5, 0, 0);
    ms_plot_text(cr, 24, (TOP + BOTTOM) / 2.0, _("probability of detection (Pd)"), 15,
            0, 0.5, 0.5, 1);
    ms_plot_text(cr, PNG_W / 2.0, 12, title ? title : _("ROC"), 18, 1, 0.5, 0, 0);

    /* the operating limits of the summary figures */
    static const double guide[2] = {0.1, 1.0};
    static const char *const guide_text[2] = {N_("FAR 0.1 /m²"),
                                              N_("FAR 1 /m²")};
    double dashes[] = {6, 4};
    for (int g = 0; g < 2; g++) {
        double x = floor(PX(guide[g])) + 0.5;
        cairo_set_source_rgb(cr, 0.85, 0.33, 0.1);
        cairo_set_dash(cr, dashes, 2, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, x, TOP);
        cairo_line_to(cr, x, BOTTOM);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        /* staggered, so the two labels never overlap when close; left of
         * the line where the right would run off the plot */
        int left = x > RIGHT - 90;
        ms_plot_text(cr, left ? x - 4 : x + 4, TOP + 6 + 18 * g, _(guide_text[g]), 12,
                0, left ? 1 : 0, 0, 0);
    }

    int have_pd = roc->n && !isnan(roc->points[0].pd);
    if (have_pd) {
        /* the step curve the AUC integrates: Pd held until the next point */
        cairo_save(cr);
        cairo_rectangle(cr, LEFT, TOP, pw, ph);
        cairo_clip(cr);
        cairo_set_source_rgb(cr, 0.12, 0.35, 0.75);
        cairo_set_line_width(cr, 2.5);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
        cairo_move_to(cr, PX(roc->points[0].far), PY(roc->points[0].pd));
        for (size_t i = 1; i < roc->n; i++) {
            cairo_line_to(cr, PX(roc->points[i].far),
                          PY(roc->points[i - 1].pd));
            cairo_line_to(cr, PX(roc->points[i].far), PY(roc->points[i].pd));
        }
        cairo_line_to(cr, PX(x_max), PY(roc->points[roc->n - 1].pd));
        cairo_stroke(cr);
        if (roc->n <= 400) {
            for (size_t i = 0; i < roc->n; i++) {
                cairo_arc(cr, PX(roc->points[i].far), PY(roc->points[i].pd), 3,
                          0, 2 * PI);
                cairo_fill(cr);
            }
        }
        /* the operating point: what the alarms at the run's threshold give */
        if (op && !isnan(op->pd) && isfinite(op->far)) {
            double ox = PX(fmin(op->far, x_max)), oy = PY(op->pd);
            cairo_arc(cr, ox, oy, 7, 0, 2 * PI);
            cairo_set_source_rgb(cr, 1, 1, 1);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0.89, 0.10, 0.11);
            cairo_set_line_width(cr, 3);
            cairo_stroke(cr);
            snprintf(buf, sizeof buf, _("alarms at threshold %g: Pd %.2f, %.2f /m²"),
                     op->threshold, op->pd, op->far);
            int left = ox > RIGHT - 260;
            ms_plot_text(cr, left ? ox - 12 : ox + 12, oy + (oy < TOP + 30 ? 14 : -14),
                    buf, 12, 1, left ? 1 : 0, 0.5, 0);
        }
        cairo_restore(cr);
    }

    /* the figures on one line under the title, outside the plot, so they
     * never hide the curve */
    /* translated parts can be several times longer in bytes (Khmer) */
    char line[1600], part[400];
    size_t len = 0;
    line[0] = '\0';
#define APPEND(sep, s)                                                         \
    len += (size_t)snprintf(line + len, len < sizeof line ? sizeof line - len \
                                                          : 0, "%s%s", sep, s)
    if (have_pd) {
        fmt_fig(part, sizeof part, _("Pd at FAR 0.1"), roc->pd_at_far_0_1);
        APPEND("", part);
        fmt_fig(part, sizeof part, _("Pd at FAR 1"), roc->pd_at_far_1);
        APPEND("    ", part);
        fmt_fig(part, sizeof part, _("AUC (FAR 0-1)"), roc->auc_far_1);
        APPEND("    ", part);
    } else {
        APPEND("", _("No mines in this lane: Pd undefined"));
    }
    if (roc->n) {
        const ms_roc_point *last = &roc->points[roc->n - 1];
        snprintf(part, sizeof part,
                 _("all peaks: %zu detected, %zu false (%.3g /m²)"),
                 last->n_detected, last->n_false_alarms, last->far);
        APPEND("    ", part);
    }
#undef APPEND
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    ms_plot_text(cr, PNG_W / 2.0, 40, line, 13, 0, 0.5, 0, 0);
    if (!have_pd)
        ms_plot_text(cr, (LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0,
                _("No mines in this lane: Pd is undefined"), 18, 1, 0.5, 0.5, 0);
#undef PX
#undef PY
}

static int render_roc(const char *path, const ms_roc *roc,
                      const ms_score *op, const char *title)
{
    const char *name = path ? path : "roc.png";
    if (!roc || (roc->n && !roc->points))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no ROC given", name);
    /* FAR axis from 0 to max(1, largest FAR), rounded up to a whole tick */
    double far_max = 1;
    for (size_t i = 0; i < roc->n; i++)
        if (isfinite(roc->points[i].far))
            far_max = fmax(far_max, roc->points[i].far);
    ms_plot p;
    int rc = ms_plot_create(&p, PNG_W, PNG_H, name);
    if (rc)
        return rc;
    /* "nice" ticks about 90 px apart; the axis ends on a whole tick at or
     * beyond the largest FAR */
    ms_ticks xt;
    ms_ticks_make(&xt, p.cr, 0.0, far_max, RIGHT - LEFT, 90.0);
    double step = xt.n > 1 ? xt.value[1] - xt.value[0] : far_max;
    double x_max = ceil(far_max / step * (1 - 1e-12)) * step;
    ms_ticks_make(&xt, p.cr, 0.0, x_max, RIGHT - LEFT, 90.0);
    draw_roc(p.cr, roc, op, title, x_max, &xt);

    char area[64], axes[64];
    /* pixel edges of the plot and the axis ranges, so a pixel can be turned
     * back into (FAR, Pd) */
    snprintf(area, sizeof area, "%d %d %d %d", LEFT, TOP, RIGHT, BOTTOM);
    snprintf(axes, sizeof axes, "0 %.9g 0 1", x_max);
    ms_png_text text[] = {{"Title", title ? title : _("ROC")},
                          {"minescan:plot_area", area},
                          {"minescan:roc_axes", axes}};
    rc = ms_plot_write(&p, name, text, sizeof text / sizeof text[0], NULL);
    ms_plot_destroy(&p);
    return rc;
}

/* The public call, timed for summary.json (render/render_time.h). */
int ms_render_roc(const char *path, const ms_roc *roc, const ms_score *op,
                  const char *title)
{
    double t0 = ms_render_clock_begin();
    int rc = render_roc(path, roc, op, title);
    ms_render_clock_end(t0);
    return rc;
}
