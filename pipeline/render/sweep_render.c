/* sweep.png: the recorded track over the lane, the gaps left at the sensor
 * footprint (outlined and hatched) and where the sweep went faster than
 * the limit (triangles), equal metres per pixel on both axes. See
 * ms_render_sweep in render.h. */
#include "core/i18n.h"
#include "minescan/error.h"
#include "render/plot.h"
#include "render/render_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGET_W 1000.0
#define TARGET_H 420.0
#define MIN_SIDE 150.0
#define MARGIN 14
#define LEGEND_ROW 26

/* Diagonal hatching over a box: "not covered", in grey too. */
static void hatch(cairo_t *cr, double u0, double v0, double u1, double v1)
{
    cairo_save(cr);
    cairo_rectangle(cr, u0, v0, u1 - u0, v1 - v0);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 1.0, 0.93, 0.93);
    cairo_paint(cr);
    cairo_new_path(cr);
    for (double k = -(v1 - v0); k < u1 - u0; k += 7) {
        cairo_move_to(cr, u0 + k, v1);
        cairo_line_to(cr, u0 + k + (v1 - v0), v0);
    }
    cairo_set_source_rgb(cr, 0.8, 0.25, 0.25);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* A listed gap: its bounding box, dashed. */
static void gap_box(cairo_t *cr, double u0, double v0, double u1, double v1)
{
    double dashes[] = {6, 3};
    cairo_save(cr);
    cairo_set_dash(cr, dashes, 2, 0);
    cairo_rectangle(cr, u0, v0, u1 - u0, v1 - v0);
    cairo_set_source_rgb(cr, 0.6, 0.05, 0.05);
    cairo_set_line_width(cr, 2.0);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void swept(cairo_t *cr, double u0, double v0, double u1, double v1)
{
    cairo_save(cr);
    cairo_rectangle(cr, u0, v0, u1 - u0, v1 - v0);
    cairo_set_source_rgb(cr, 0.82, 0.88, 0.95);
    cairo_fill(cr);
    cairo_restore(cr);
}

static void fast_mark(cairo_t *cr, double x, double y)
{
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_move_to(cr, x, y - 7);
    cairo_line_to(cr, x + 6.5, y + 5);
    cairo_line_to(cr, x - 6.5, y + 5);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 4.0);
    cairo_stroke_preserve(cr);
    cairo_set_source_rgb(cr, 0.85, 0.33, 0.1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.2);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static int render_sweep(const char *path, const ms_sweep_spec *s)
{
    if (!path || !s || !(s->x_max > s->x_min) || !(s->y_max > s->y_min) ||
        !isfinite(s->x_min) || !isfinite(s->x_max) || !isfinite(s->y_min) ||
        !isfinite(s->y_max) || (s->n_track && (!s->track_x || !s->track_y)) ||
        (s->n_gaps && !s->gaps) || (s->n_fast && !s->fast))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: sweep figure: extent or "
                       "data missing", path ? path : "sweep.png");
    double w_m = s->x_max - s->x_min, h_m = s->y_max - s->y_min;
    double sc = fmin(TARGET_W / w_m, TARGET_H / h_m);
    sc = fmax(sc, MIN_SIDE / fmin(w_m, h_m));
    sc = fmin(sc, MS_PLOT_MAX_SIDE / fmax(w_m, h_m));
    long wpx = lround(w_m * sc), hpx = lround(h_m * sc);
    wpx = wpx < 1 ? 1 : wpx;
    hpx = hpx < 1 ? 1 : hpx;

    cairo_t *mc = ms_measure_context();
    ms_ticks tx, ty;
    ms_ticks_make(&tx, mc, s->x_min, s->x_max, (double)wpx, 90.0);
    ms_ticks_make(&ty, mc, s->y_max, s->y_min, (double)hpx, 45.0);
    const char *leg[4] = {_("swept at the sensor footprint"),
                          _("not covered"), _("gap"),
                          s->fast_label ? s->fast_label : ""};
    double leg_w = 0;
    for (int k = 0; k < 4; k++)
        leg_w += 22 + 6 + ms_text_width(mc, leg[k], MS_FONT_TICK, 0) + 24;
    double title_h = ms_text_height(mc, s->title, MS_FONT_TITLE, 1);
    double title_w = s->title ? ms_text_width(mc, s->title, MS_FONT_TITLE, 1)
                              : 0;
    cairo_destroy(mc);
    int left = MARGIN + ms_axis_left_size(&ty);
    int top = MARGIN + (int)ceil(title_h) + 14;
    int width = (int)fmax(fmax(left + wpx + MARGIN, title_w + 2 * MARGIN),
                          left + leg_w + MARGIN);
    int height = top + (int)hpx + ms_axis_bottom_size() + 8 + LEGEND_ROW +
                 MARGIN;
    ms_rect plot = {left, top, left + (int)wpx, top + (int)hpx};

    ms_plot p;
    int rc = ms_plot_create(&p, width, height, path);
    if (rc)
        return rc;
    cairo_t *cr = p.cr;
#define U(x) (plot.left + ((x) - s->x_min) / w_m * (double)wpx)
#define V(y) (plot.top + (s->y_max - (y)) / h_m * (double)hpx)
    cairo_save(cr);
    cairo_rectangle(cr, plot.left, plot.top, wpx, hpx);
    cairo_clip(cr);
    hatch(cr, plot.left, plot.top, plot.right, plot.bottom);
    /* the track, broken where the sensor jumped: first footprint_m wide
     * (what it covered), then its centre line */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->n_track; i++) {
            int join = i && hypot(s->track_x[i] - s->track_x[i - 1],
                                  s->track_y[i] - s->track_y[i - 1]) <=
                                s->join_m;
            if (join)
                cairo_line_to(cr, U(s->track_x[i]), V(s->track_y[i]));
            else {
                cairo_move_to(cr, U(s->track_x[i]), V(s->track_y[i]));
                cairo_close_path(cr); /* a lone reading still paints */
                cairo_move_to(cr, U(s->track_x[i]), V(s->track_y[i]));
            }
        }
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        if (pass == 0) {
            cairo_set_source_rgb(cr, 0.82, 0.88, 0.95);
            cairo_set_line_width(cr, fmax(s->footprint_m * sc, 1.0));
        } else {
            cairo_set_source_rgb(cr, 0.2, 0.3, 0.55);
            cairo_set_line_width(cr, 1.2);
        }
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < s->n_gaps; i++)
        gap_box(cr, U(s->gaps[i].x0), V(s->gaps[i].y1), U(s->gaps[i].x1),
                V(s->gaps[i].y0));
    for (size_t i = 0; i < s->n_fast; i++)
        fast_mark(cr, U(s->fast[i].x), V(s->fast[i].y));
    cairo_restore(cr);
    ms_plot_frame(cr, plot);
    ms_plot_axis_bottom(cr, plot, s->x_min, s->x_max, &tx,
                        _("x along lane (m)"));
    ms_plot_axis_left(cr, plot, s->y_max, s->y_min, &ty, _("y across (m)"));
    if (s->title)
        ms_plot_text(cr, width / 2.0, MARGIN, s->title, MS_FONT_TITLE, 1, 0.5,
                     0, 0);
    /* legend */
    double lx = left, ly = plot.bottom + ms_axis_bottom_size() + 8 +
                           LEGEND_ROW / 2.0;
    for (int k = 0; k < 4; k++) {
        if (k == 0) {
            swept(cr, lx + 2, ly - 8, lx + 20, ly + 8);
            cairo_move_to(cr, lx + 2, ly);
            cairo_line_to(cr, lx + 20, ly);
            cairo_set_source_rgb(cr, 0.2, 0.3, 0.55);
            cairo_set_line_width(cr, 1.2);
            cairo_stroke(cr);
        } else if (k == 1) {
            hatch(cr, lx + 2, ly - 8, lx + 20, ly + 8);
        } else if (k == 2) {
            gap_box(cr, lx + 2, ly - 8, lx + 20, ly + 8);
        } else if (s->n_fast || s->fast_label) {
            fast_mark(cr, lx + 11, ly);
        }
        ms_plot_text(cr, lx + 28, ly, leg[k], MS_FONT_TICK, 0, 0, 0.5, 0);
        lx += 28 + ms_text_width(cr, leg[k], MS_FONT_TICK, 0) + 24;
    }
#undef U
#undef V
    char extent[128], area[64], counts[64];
    snprintf(extent, sizeof extent, "%.9g %.9g %.9g %.9g", s->x_min,
             s->x_max, s->y_min, s->y_max);
    snprintf(area, sizeof area, "%d %d %d %d", plot.left, plot.top,
             plot.right, plot.bottom);
    snprintf(counts, sizeof counts, "%zu %zu", s->n_gaps, s->n_fast);
    const ms_png_text own[] = {{"minescan:extent", extent},
                               {"minescan:plot_area", area},
                               {"minescan:gaps_fast", counts}};
    ms_image_spec spec = {.text = s->text, .n_text = s->n_text};
    rc = ms_plot_write(&p, path, own, 3, &spec);
    ms_plot_destroy(&p);
    return rc;
}

int ms_render_sweep(const char *path, const ms_sweep_spec *spec)
{
    double t0 = ms_render_clock_begin();
    int rc = render_sweep(path, spec);
    ms_render_clock_end(t0);
    return rc;
}
