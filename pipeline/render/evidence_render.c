/* Evidence panels: the map around one target, the radar traces of the
 * sweep that passed closest and the metal detector along it, side by side
 * in one small PNG. See ms_render_evidence in render.h. */
#include "core/i18n.h"
#include "minescan/error.h"
#include "render/plot.h"
#include "render/render_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 12
#define PANEL_H 221   /* plot height of every panel, pixels (odd: the
                         * target, the crop's centre, is a pixel's centre) */
#define MAP_W 221     /* the map crop is square */
#define GPR_W 260
#define EMI_W 220
#define GAP 26        /* between a panel's plot and the next one's axis */
#define SUB_H 22      /* panel caption above each plot */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Colour half-range of the radar window: the 99th percentile of each
 * sample's distance from its time row's mean over the window (the direct
 * wave, alike in every trace, would otherwise take the whole scale). */
static double radar_halfrange(const float *d, size_t nt, size_t ns)
{
    size_t total = nt * ns;
    float *a = malloc((total ? total : 1) * sizeof *a);
    if (!a)
        return 1.0;
    size_t k = 0;
    for (size_t j = 0; j < ns; j++) {
        double mean = 0;
        size_t n = 0;
        for (size_t i = 0; i < nt; i++)
            if (isfinite(d[i * ns + j])) {
                mean += d[i * ns + j];
                n++;
            }
        mean = n ? mean / (double)n : 0.0;
        for (size_t i = 0; i < nt; i++)
            if (isfinite(d[i * ns + j]))
                a[k++] = (float)fabs(d[i * ns + j] - mean);
    }
    double m = 0;
    if (k) {
        qsort(a, k, sizeof *a, cmp_float);
        m = a[(size_t)(0.99 * (double)(k - 1))];
    }
    free(a);
    return m > 0 && isfinite(m) ? m : 1.0;
}

/* Offsets at the panel's left and right edges: half a mean spacing beyond
 * the end points (0.05 m for one point). */
static void offset_range(const double *off, size_t n, double *o0, double *o1)
{
    double half = n > 1 ? (off[n - 1] - off[0]) / (double)(n - 1) / 2 : 0;
    if (!(half > 0))
        half = 0.05;
    *o0 = off[0] - half;
    *o1 = off[n - 1] + half;
}

/* The point's offset-0 line: where the sweep came closest. */
static void zero_line(cairo_t *cr, ms_rect r, double o0, double o1)
{
    if (!(o0 < 0 && o1 > 0))
        return;
    double x = floor(r.left + (0 - o0) / (o1 - o0) * (r.right - r.left)) +
               0.5;
    double dashes[] = {4, 3};
    cairo_save(cr);
    cairo_set_dash(cr, dashes, 2, 0);
    cairo_set_line_width(cr, 1.5);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, x, r.top);
    cairo_line_to(cr, x, r.bottom);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void no_data(cairo_t *cr, ms_rect r, const char *what)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.94, 0.94, 0.94);
    cairo_rectangle(cr, r.left, r.top, r.right - r.left, r.bottom - r.top);
    cairo_fill(cr);
    cairo_restore(cr);
    ms_plot_frame(cr, r);
    ms_plot_text(cr, (r.left + r.right) / 2.0, (r.top + r.bottom) / 2.0, what,
                 MS_FONT_TICK - 2, 0, 0.5, 0.5, 0);
}

static void draw_map(ms_plot *p, ms_rect r, const ms_evidence_spec *s,
                     const ms_ticks *tx, const ms_ticks *ty)
{
    double x0 = s->x - s->half_m, x1 = s->x + s->half_m;
    double y0 = s->y - s->half_m, y1 = s->y + s->half_m;
    double dx = (s->x_max - s->x_min) / (double)s->nx;
    double dy = (s->y_max - s->y_min) / (double)s->ny;
    const unsigned char(*tab)[3] = ms_colormap_table(MS_CMAP_VIRIDIS);
    const unsigned char grey[3] = {MS_RENDER_NODATA_GRAY,
                                   MS_RENDER_NODATA_GRAY,
                                   MS_RENDER_NODATA_GRAY};
    int w = r.right - r.left, h = r.bottom - r.top, stride;
    uint32_t *px = ms_plot_pixels_begin(p, &stride);
    for (int row = 0; row < h; row++) {
        double Y = y1 - (row + 0.5) / h * (y1 - y0);
        double fy = floor((Y - s->y_min) / dy);
        for (int c = 0; c < w; c++) {
            double X = x0 + (c + 0.5) / w * (x1 - x0);
            double fx = floor((X - s->x_min) / dx);
            int idx = -1;
            if (fx >= 0 && fx < (double)s->nx && fy >= 0 &&
                fy < (double)s->ny)
                idx = ms_plot_cindex(s->map[(size_t)fy * s->nx + (size_t)fx],
                                     s->lo, s->hi);
            px[(size_t)(r.top + row) * stride + r.left + c] =
                ms_rgb32(idx < 0 ? grey : tab[idx]);
        }
    }
    ms_plot_pixels_end(p);
    cairo_t *cr = p->cr;
    ms_plot_frame(cr, r);
    ms_plot_axis_bottom(cr, r, x0, x1, tx, _("x along lane (m)"));
    ms_plot_axis_left(cr, r, y1, y0, ty, _("y across (m)"));
    cairo_save(cr);
    cairo_rectangle(cr, r.left, r.top, w, h);
    cairo_clip(cr);
    for (size_t i = 0; i < s->n_markers; i++) {
        const ms_marker *m = &s->markers[i];
        if (!isfinite(m->x) || !isfinite(m->y))
            continue;
        ms_plot_marker(cr, m->kind, r.left + (m->x - x0) / (x1 - x0) * w,
                       r.top + (y1 - m->y) / (y1 - y0) * h);
    }
    ms_plot_marker(cr, s->kind, r.left + (s->x - x0) / (x1 - x0) * w,
                   r.top + (y1 - s->y) / (y1 - y0) * h);
    cairo_restore(cr);
    /* the exact spot, last, on the pixel that holds it */
    int col = (int)floor(r.left + (s->x - x0) / (x1 - x0) * w);
    int row = (int)floor(r.top + (y1 - s->y) / (y1 - y0) * h);
    px = ms_plot_pixels_begin(p, &stride);
    for (int yy = row - 1; yy <= row + 1; yy++)
        for (int xx = col - 1; xx <= col + 1; xx++)
            if (xx >= r.left && xx < r.right && yy >= r.top && yy < r.bottom)
                px[(size_t)yy * stride + xx] = MS_EVIDENCE_DOT;
    ms_plot_pixels_end(p);
}

static void draw_gpr(ms_plot *p, ms_rect r, const ms_evidence_spec *s,
                     double o0, double o1, const ms_ticks *tx,
                     const ms_ticks *ty, double t_end_ns)
{
    double m = radar_halfrange(s->gpr, s->gpr_n, s->gpr_samples);
    const unsigned char(*tab)[3] = ms_colormap_table(MS_CMAP_BALANCE);
    int w = r.right - r.left, h = r.bottom - r.top, stride;
    uint32_t *px = ms_plot_pixels_begin(p, &stride);
    size_t k = 0;
    for (int c = 0; c < w; c++) {
        double o = o0 + (c + 0.5) / w * (o1 - o0);
        /* the nearest trace (offsets increase) */
        while (k + 1 < s->gpr_n &&
               fabs(s->gpr_off[k + 1] - o) <= fabs(s->gpr_off[k] - o))
            k++;
        const float *tr = s->gpr + k * s->gpr_samples;
        for (int row = 0; row < h; row++) {
            size_t j = (size_t)((row + 0.5) / h * (double)s->gpr_samples);
            int idx = ms_plot_cindex(tr[j], -m, m);
            px[(size_t)(r.top + row) * stride + r.left + c] =
                idx < 0 ? 0x969696u : ms_rgb32(tab[idx]);
        }
    }
    ms_plot_pixels_end(p);
    ms_plot_frame(p->cr, r);
    ms_plot_axis_bottom(p->cr, r, o0, o1, tx, _("along the sweep (m)"));
    ms_plot_axis_left(p->cr, r, 0.0, t_end_ns, ty, _("time (ns)"));
    zero_line(p->cr, r, o0, o1);
}

static void draw_emi(ms_plot *p, ms_rect r, const ms_evidence_spec *s,
                     double o0, double o1, double lo, double hi,
                     const ms_ticks *tx, const ms_ticks *ty)
{
    cairo_t *cr = p->cr;
    ms_plot_frame(cr, r);
    ms_plot_axis_bottom(cr, r, o0, o1, tx, _("along the sweep (m)"));
    ms_plot_axis_left(cr, r, hi, lo, ty, _("response"));
    zero_line(cr, r, o0, o1);
    cairo_save(cr);
    cairo_rectangle(cr, r.left, r.top, r.right - r.left, r.bottom - r.top);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 0.12, 0.35, 0.75);
    cairo_set_line_width(cr, 2.0);
    int pen = 0;
    for (size_t i = 0; i < s->emi_n; i++) {
        if (!isfinite(s->emi[i])) {
            pen = 0;
            continue;
        }
        double x = r.left + (s->emi_off[i] - o0) / (o1 - o0) *
                                (r.right - r.left);
        double y = r.top + (hi - s->emi[i]) / (hi - lo) * (r.bottom - r.top);
        if (pen)
            cairo_line_to(cr, x, y);
        else
            cairo_move_to(cr, x, y);
        pen = 1;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

static int check_spec(const char *path, const ms_evidence_spec *s)
{
    if (!path || !*path || !s)
        return ms_fail(MS_ERR_INVALID_INPUT, "evidence panel: no file name "
                       "or description given");
    if (!s->map || !s->nx || !s->ny || !(s->x_max > s->x_min) ||
        !(s->y_max > s->y_min) || !(s->half_m > 0) || !isfinite(s->x) ||
        !isfinite(s->y) || !(s->hi > s->lo))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: the map, its range or the "
                       "target (%g, %g) is missing or not finite", path, s->x,
                       s->y);
    if ((s->n_markers && !s->markers) ||
        (s->gpr_n && (!s->gpr || !s->gpr_off || !s->gpr_samples ||
                      !(s->dt_s > 0))) ||
        (s->emi_n && (!s->emi || !s->emi_off)))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: radar or metal-detector "
                       "data announced but not given", path);
    for (size_t i = 1; i < s->gpr_n; i++)
        if (!(s->gpr_off[i] >= s->gpr_off[i - 1]))
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: radar offsets must "
                           "increase", path);
    for (size_t i = 1; i < s->emi_n; i++)
        if (!(s->emi_off[i] >= s->emi_off[i - 1]))
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: metal-detector offsets "
                           "must increase", path);
    return 0;
}

static int render_evidence(const char *path, const ms_evidence_spec *s)
{
    int rc = check_spec(path, s);
    if (rc)
        return rc;
    double x0 = s->x - s->half_m, x1 = s->x + s->half_m;
    double y0 = s->y - s->half_m, y1 = s->y + s->half_m;
    double g0 = 0, g1 = 1, e0 = 0, e1 = 1, elo = 0, ehi = 1;
    double t_end_ns = s->gpr_n ? (double)s->gpr_samples * s->dt_s * 1e9 : 1;
    if (s->gpr_n)
        offset_range(s->gpr_off, s->gpr_n, &g0, &g1);
    if (s->emi_n) {
        offset_range(s->emi_off, s->emi_n, &e0, &e1);
        double mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < s->emi_n; i++)
            if (isfinite(s->emi[i])) {
                mn = fmin(mn, s->emi[i]);
                mx = fmax(mx, s->emi[i]);
            }
        if (!(mx >= mn))
            mn = 0, mx = 1;
        double pad = mx > mn ? 0.08 * (mx - mn) : fmax(fabs(mn) * 0.1, 0.5);
        elo = mn - pad;
        ehi = mx + pad;
    }

    cairo_t *mc = ms_measure_context();
    ms_ticks mtx, mty, gtx, gty, etx, ety;
    ms_ticks_make(&mtx, mc, x0, x1, MAP_W, 55.0);
    ms_ticks_make(&mty, mc, y1, y0, PANEL_H, 45.0);
    ms_ticks_make(&gtx, mc, g0, g1, GPR_W, 70.0);
    ms_ticks_make(&gty, mc, 0.0, t_end_ns, PANEL_H, 45.0);
    ms_ticks_make(&etx, mc, e0, e1, EMI_W, 70.0);
    ms_ticks_make(&ety, mc, ehi, elo, PANEL_H, 45.0);
    double title_w = s->title ? ms_text_width(mc, s->title, MS_FONT_LABEL, 1)
                              : 0;
    double title_h = ms_text_height(mc, s->title, MS_FONT_LABEL, 1);
    /* the panel captions, measured: a translation may be longer or taller */
    char cap_g[400], cap_e[400];
    if (s->gpr_n)
        snprintf(cap_g, sizeof cap_g, _("radar, nearest sweep (%.2f m away)"),
                 s->gpr_nearest_m);
    else
        snprintf(cap_g, sizeof cap_g, "%s", _("radar"));
    if (s->emi_n)
        snprintf(cap_e, sizeof cap_e, _("metal detector (%.2f m away)"),
                 s->emi_nearest_m);
    else
        snprintf(cap_e, sizeof cap_e, "%s", _("metal detector"));
    double sub_h = fmax(ms_text_height(mc, cap_g, MS_FONT_TICK, 1),
                        ms_text_height(mc, cap_e, MS_FONT_TICK, 1));
    double cap_e_w = ms_text_width(mc, cap_e, MS_FONT_TICK, 1);
    cairo_destroy(mc);

    int top = MARGIN + (int)ceil(title_h) + 6 + (int)fmax(SUB_H, sub_h + 6);
    ms_rect rm = {MARGIN + ms_axis_left_size(&mty), top, 0, top + PANEL_H};
    rm.right = rm.left + MAP_W;
    ms_rect rg = {rm.right + GAP + ms_axis_left_size(&gty), top, 0,
                  top + PANEL_H};
    rg.right = rg.left + GPR_W;
    ms_rect re = {rg.right + GAP + ms_axis_left_size(&ety), top, 0,
                  top + PANEL_H};
    re.right = re.left + EMI_W;
    int width = (int)fmax(fmax(re.right, re.left + cap_e_w) + MARGIN,
                          title_w + 2 * MARGIN);
    int height = rm.bottom + ms_axis_bottom_size() + MARGIN;

    ms_plot p;
    rc = ms_plot_create(&p, width, height, path);
    if (rc)
        return rc;
    cairo_t *cr = p.cr;
    if (s->title)
        ms_plot_text(cr, MARGIN, MARGIN, s->title, MS_FONT_LABEL, 1, 0, 0, 0);
    double sub_y = top - 6;
    ms_plot_text(cr, rm.left, sub_y, _("map around it"), MS_FONT_TICK, 1, 0,
                 1, 0);
    draw_map(&p, rm, s, &mtx, &mty);

    ms_plot_text(cr, rg.left, sub_y, cap_g, MS_FONT_TICK, 1, 0, 1, 0);
    if (s->gpr_n)
        draw_gpr(&p, rg, s, g0, g1, &gtx, &gty, t_end_ns);
    else
        no_data(cr, rg, _("no data"));
    ms_plot_text(cr, re.left, sub_y, cap_e, MS_FONT_TICK, 1, 0, 1, 0);
    if (s->emi_n)
        draw_emi(&p, re, s, e0, e1, elo, ehi, &etx, &ety);
    else
        no_data(cr, re, _("no data"));

    char extent[128], area[64], target[64], gw[96], ew[96];
    snprintf(extent, sizeof extent, "%.9g %.9g %.9g %.9g", x0, x1, y0, y1);
    snprintf(area, sizeof area, "%d %d %d %d", rm.left, rm.top, rm.right,
             rm.bottom);
    snprintf(target, sizeof target, "%.9g %.9g", s->x, s->y);
    snprintf(gw, sizeof gw, s->gpr_n ? "%.6g %.6g %.6g" : "none", g0, g1,
             s->gpr_nearest_m);
    snprintf(ew, sizeof ew, s->emi_n ? "%.6g %.6g %.6g" : "none", e0, e1,
             s->emi_nearest_m);
    const ms_png_text own[] = {
        {"minescan:extent", extent},
        {"minescan:plot_area", area},
        {"minescan:target", target},
        {"minescan:gpr_window", gw},
        {"minescan:emi_window", ew},
    };
    ms_image_spec spec = {.text = s->text, .n_text = s->n_text};
    rc = ms_plot_write(&p, path, own, sizeof own / sizeof own[0], &spec);
    ms_plot_destroy(&p);
    return rc;
}

int ms_render_evidence(const char *path, const ms_evidence_spec *spec)
{
    double t0 = ms_render_clock_begin();
    int rc = render_evidence(path, spec);
    ms_render_clock_end(t0);
    return rc;
}
