/* score.json, roc.csv and roc.png (shared/spec/outputs.md). Every file is
 * written to a temporary name and renamed into place. */
#include "minescan/detect.h"
#include "minescan/error.h"
#include "minescan/render.h"

#include "detect/detect_internal.h"

#include <cairo.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number, or null where it is undefined (NaN, infinite). */
static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int ms_score_write_json(const char *path, const ms_score *s, const ms_roc *roc)
{
    const char *name = path ? path : "score.json";
    if (!s)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no score given", name);
    double nan = NAN;
    json_t *root = json_pack(
        "{s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, "
        "s:o, s:o, s:I, s:s}",
        "halo_m", num_or_null(s->halo_m), "area_m2", num_or_null(s->area_m2),
        /* -INFINITY ("every alarm") has no JSON form: null */
        "threshold", num_or_null(s->threshold), "n_mines",
        (json_int_t)s->n_mines, "n_clutter", (json_int_t)s->n_clutter,
        "n_alarms", (json_int_t)s->n_alarms, "n_detected",
        (json_int_t)s->n_detected, "n_false_alarms",
        (json_int_t)s->n_false_alarms, "n_clutter_alarms",
        (json_int_t)s->n_clutter_alarms, "n_duplicates",
        (json_int_t)s->n_duplicates, "pd", num_or_null(s->pd), "far_per_m2",
        num_or_null(s->far), "pd_at_far_0_1",
        num_or_null(roc ? roc->pd_at_far_0_1 : nan), "pd_at_far_1",
        num_or_null(roc ? roc->pd_at_far_1 : nan), "auc_far_1",
        num_or_null(roc ? roc->auc_far_1 : nan), "roc_points",
        (json_int_t)(roc ? roc->n : 0), "auc_interpolation",
        "step: Pd held from each ROC point to the next, the last held to "
        "FAR 1 /m^2");
    if (!root)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory building the JSON",
                       name);
    ms_detect_out o;
    int rc = ms_detect_out_open(&o, path);
    if (!rc) {
        /* 15 digits: 0.1 prints as 0.1, not 0.10000000000000001 */
        if (json_dumpf(root, o.f, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) ||
            fputc('\n', o.f) == EOF) {
            ms_detect_out_abort(&o);
            rc = ms_fail(MS_ERR_IO, "%s: writing failed", name);
        } else {
            rc = ms_detect_out_commit(&o);
        }
    }
    json_decref(root);
    return rc;
}

int ms_roc_write_csv(const char *path, const ms_roc *roc)
{
    if (!roc || (roc->n && !roc->points))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no ROC given",
                       path ? path : "roc.csv");
    ms_detect_out o;
    int rc = ms_detect_out_open(&o, path);
    if (rc)
        return rc;
    fputs("threshold,pd,far_per_m2,n_detected,n_false_alarms\n", o.f);
    for (size_t i = 0; i < roc->n; i++) {
        const ms_roc_point *p = &roc->points[i];
        /* the first point ("no alarms") has threshold inf; Pd of a lane
         * without mines is undefined: an empty field */
        fprintf(o.f, "%.9g,", p->threshold);
        if (!isnan(p->pd))
            fprintf(o.f, "%.9g", p->pd);
        fprintf(o.f, ",%.9g,%zu,%zu\n", p->far, p->n_detected,
                p->n_false_alarms);
    }
    return ms_detect_out_commit(&o);
}

/* ---- roc.png ------------------------------------------------------------- */

#define PI 3.14159265358979323846

enum {
    PNG_W = 820,
    PNG_H = 610,
    LEFT = 84,
    RIGHT = 790,
    TOP = 66,
    BOTTOM = 536
};

/* 1-2-5 step giving about `want` intervals over `span`. */
static double nice_step(double span, double want)
{
    double raw = span / want, mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double size,
                    int bold, double ax, double ay, int vertical)
{
    cairo_text_extents_t e;
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD
                                : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &e);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (vertical)
        cairo_rotate(cr, -PI / 2);
    /* anchor on the advance width and the font size (not the ink), so
     * labels line up whatever their letters */
    cairo_move_to(cr, -ax * e.x_advance, (1 - ay) * 0.75 * size);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

static void fmt_fig(char *buf, size_t n, const char *what, double v)
{
    if (isnan(v))
        snprintf(buf, n, "%s: undefined", what);
    else
        snprintf(buf, n, "%s: %.3f", what, v);
}

static void draw_roc(cairo_t *cr, const ms_roc *roc, const ms_score *op,
                     const char *title,
                     double x_max, double step)
{
    const double pw = RIGHT - LEFT, ph = BOTTOM - TOP;
#define PX(f) (LEFT + (f) / x_max * pw)
#define PY(p) (BOTTOM - (p)*ph)
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);

    /* grid and tick labels */
    char buf[160];
    cairo_set_line_width(cr, 1);
    for (int k = 0; k * step <= x_max * (1 + 1e-9); k++) {
        double f = k * step, x = floor(PX(f)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x, TOP);
        cairo_line_to(cr, x, BOTTOM);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, x, BOTTOM);
        cairo_line_to(cr, x, BOTTOM + 5);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%g", f);
        text_at(cr, x, BOTTOM + 8, buf, 13, 0, 0.5, 0, 0);
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
        text_at(cr, LEFT - 8, y, buf, 13, 0, 1, 0.5, 0);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, LEFT + 0.5, TOP + 0.5, pw - 1, ph - 1);
    cairo_stroke(cr);
    text_at(cr, (LEFT + RIGHT) / 2.0, BOTTOM + 30,
            "false alarms per m\xc2\xb2 (FAR)", 15, 0, 0.5, 0, 0);
    text_at(cr, 24, (TOP + BOTTOM) / 2.0, "probability of detection (Pd)", 15,
            0, 0.5, 0.5, 1);
    text_at(cr, PNG_W / 2.0, 12, title ? title : "ROC", 18, 1, 0.5, 0, 0);

    /* the operating limits of the summary figures */
    static const double guide[2] = {0.1, 1.0};
    static const char *const guide_text[2] = {"FAR 0.1 /m\xc2\xb2",
                                              "FAR 1 /m\xc2\xb2"};
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
        text_at(cr, left ? x - 4 : x + 4, TOP + 6 + 18 * g, guide_text[g], 12,
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
            snprintf(buf, sizeof buf, "alarms at threshold %g: Pd %.2f, %.2f /m\xc2\xb2",
                     op->threshold, op->pd, op->far);
            int left = ox > RIGHT - 260;
            text_at(cr, left ? ox - 12 : ox + 12, oy + (oy < TOP + 30 ? 14 : -14),
                    buf, 12, 1, left ? 1 : 0, 0.5, 0);
        }
        cairo_restore(cr);
    }

    /* the figures on one line under the title, outside the plot, so they
     * never hide the curve */
    char line[400], part[160];
    line[0] = '\0';
    if (have_pd) {
        fmt_fig(part, sizeof part, "Pd at FAR 0.1", roc->pd_at_far_0_1);
        strcat(line, part);
        fmt_fig(part, sizeof part, "    Pd at FAR 1", roc->pd_at_far_1);
        strcat(line, part);
        fmt_fig(part, sizeof part, "    AUC (FAR 0-1)", roc->auc_far_1);
        strcat(line, part);
    } else {
        strcat(line, "No mines in this lane: Pd undefined");
    }
    if (roc->n) {
        const ms_roc_point *last = &roc->points[roc->n - 1];
        snprintf(part, sizeof part,
                 "    all peaks: %zu detected, %zu false (%.3g /m\xc2\xb2)",
                 last->n_detected, last->n_false_alarms, last->far);
        strcat(line, part);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text_at(cr, PNG_W / 2.0, 40, line, 13, 0, 0.5, 0, 0);
    if (!have_pd)
        text_at(cr, (LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0,
                "No mines in this lane: Pd is undefined", 18, 1, 0.5, 0.5, 0);
#undef PX
#undef PY
}

int ms_roc_write_png(const char *path, const ms_roc *roc, const ms_score *op,
                     const char *title)
{
    const char *name = path ? path : "roc.png";
    if (!roc || (roc->n && !roc->points))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no ROC given", name);
    /* FAR axis from 0 to max(1, largest FAR), rounded up to a whole tick */
    double far_max = 1;
    for (size_t i = 0; i < roc->n; i++)
        if (isfinite(roc->points[i].far))
            far_max = fmax(far_max, roc->points[i].far);
    double step = nice_step(far_max, 8);
    double x_max = ceil(far_max / step * (1 - 1e-12)) * step;

    cairo_surface_t *surf =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, PNG_W, PNG_H);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return ms_fail(MS_ERR_NOMEM, "%s: cannot create the image", name);
    }
    cairo_t *cr = cairo_create(surf);
    draw_roc(cr, roc, op, title, x_max, step);
    int status = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_flush(surf);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return ms_fail(MS_ERR_INTERNAL, "%s: drawing failed: %s", name,
                       cairo_status_to_string(status));
    }

    /* cairo's 0x00RRGGBB words to RGB bytes for the project's PNG writer,
     * which adds the software version as a text chunk */
    unsigned char *rgb = malloc((size_t)PNG_W * PNG_H * 3);
    if (!rgb) {
        cairo_surface_destroy(surf);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", name);
    }
    const unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int y = 0; y < PNG_H; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        unsigned char *o = rgb + (size_t)y * PNG_W * 3;
        for (int x = 0; x < PNG_W; x++) {
            o[3 * x] = (unsigned char)(row[x] >> 16);
            o[3 * x + 1] = (unsigned char)(row[x] >> 8);
            o[3 * x + 2] = (unsigned char)row[x];
        }
    }
    cairo_surface_destroy(surf);
    char area[64], axes[64];
    /* pixel edges of the plot and the axis ranges, so a pixel can be turned
     * back into (FAR, Pd) */
    snprintf(area, sizeof area, "%d %d %d %d", LEFT, TOP, RIGHT, BOTTOM);
    snprintf(axes, sizeof axes, "0 %.9g 0 1", x_max);
    ms_png_text text[] = {{"Title", title ? title : "ROC"},
                          {"minescan:plot_area", area},
                          {"minescan:roc_axes", axes}};
    int rc = ms_png_write(path, rgb, PNG_W, PNG_H, (size_t)PNG_W * 3, 3, text,
                          sizeof text / sizeof text[0]);
    free(rgb);
    return rc;
}
