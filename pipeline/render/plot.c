/* Drawing shared by the renderers: see plot.h. */
#include "render/plot.h"

#include "core/clock.h"
#include "minescan/error.h"
#include "render/render_time.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT_FAMILY "DejaVu Sans, Khmer OS System"
#define PI 3.14159265358979323846 /* M_PI needs _XOPEN_SOURCE */

/* One process renders from one thread at a time (a run's outputs are
 * written one after another), so plain statics will do. */
static double render_seconds;
static int render_depth;

double ms_render_clock_begin(void)
{
    return render_depth++ ? 0.0 : ms_now_s();
}

void ms_render_clock_end(double t0)
{
    if (--render_depth == 0)
        render_seconds += ms_now_s() - t0;
}

double ms_render_seconds_take(void)
{
    double s = render_seconds;
    render_seconds = 0.0;
    return s;
}

int ms_plot_create(ms_plot *p, int width, int height, const char *path)
{
    memset(p, 0, sizeof *p);
    if (width < 1 || height < 1 || width > MS_PLOT_MAX_SIDE + 2000 ||
        height > MS_PLOT_MAX_SIDE + 2000)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: image of %d x %d pixels is out of range", path,
                       width, height);
    p->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    if (cairo_surface_status(p->surface) != CAIRO_STATUS_SUCCESS) {
        ms_plot_destroy(p);
        return ms_fail(MS_ERR_NOMEM,
                       "%s: cannot allocate a %d x %d image", path, width,
                       height);
    }
    p->cr = cairo_create(p->surface);
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS) {
        ms_plot_destroy(p);
        return ms_fail(MS_ERR_NOMEM, "%s: cannot start drawing", path);
    }
    p->width = width;
    p->height = height;
    cairo_set_source_rgb(p->cr, 1, 1, 1);
    cairo_paint(p->cr);
    return 0;
}

void ms_plot_destroy(ms_plot *p)
{
    if (p->cr)
        cairo_destroy(p->cr);
    if (p->surface)
        cairo_surface_destroy(p->surface);
    memset(p, 0, sizeof *p);
}

uint32_t *ms_plot_pixels_begin(ms_plot *p, int *stride_px)
{
    cairo_surface_flush(p->surface);
    *stride_px = cairo_image_surface_get_stride(p->surface) / 4;
    return (uint32_t *)(void *)cairo_image_surface_get_data(p->surface);
}

void ms_plot_pixels_end(ms_plot *p) { cairo_surface_mark_dirty(p->surface); }

int ms_plot_cindex(double v, double lo, double hi)
{
    if (isnan(v))
        return -1;
    double t = (v - lo) / (hi - lo);
    if (!(t > 0.0))
        return 0;
    if (t >= 1.0)
        return 255;
    return (int)floor(t * 255.0 + 0.5);
}

cairo_t *ms_measure_context(void)
{
    /* a 1 x 1 surface: text extents do not depend on the surface size */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    cairo_surface_destroy(s); /* cr keeps a reference */
    return cr;
}

/* Every label goes through Pango (HarfBuzz shaping underneath): Khmer
 * stacks consonants and reorders vowels, which cairo's toy text API cannot
 * do. The family list covers Latin and Cyrillic (DejaVu) and Khmer (Khmer
 * OS System, Debian's fonts-khmeros); fontconfig falls back for the rest. */
static PangoLayout *text_layout(cairo_t *cr, const char *s, double size,
                                int bold)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *d = pango_font_description_from_string(FONT_FAMILY);
    pango_font_description_set_absolute_size(d, size * PANGO_SCALE);
    pango_font_description_set_weight(d, bold ? PANGO_WEIGHT_BOLD
                                              : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, d);
    pango_font_description_free(d);
    pango_layout_set_text(l, s, -1);
    return l;
}

double ms_text_width(cairo_t *cr, const char *s, double size, int bold)
{
    if (!s || !*s)
        return 0.0;
    PangoLayout *l = text_layout(cr, s, size, bold);
    PangoRectangle logical;
    pango_layout_get_extents(l, NULL, &logical);
    g_object_unref(l);
    return (double)logical.width / PANGO_SCALE;
}

double ms_text_height(cairo_t *cr, const char *s, double size, int bold)
{
    PangoLayout *l = text_layout(cr, s && *s ? s : " ", size, bold);
    PangoRectangle logical;
    pango_layout_get_extents(l, NULL, &logical);
    g_object_unref(l);
    return (double)logical.height / PANGO_SCALE;
}

int ms_text_unknown_glyphs(const char *s, double size, int bold)
{
    cairo_t *cr = ms_measure_context();
    PangoLayout *l = text_layout(cr, s, size, bold);
    int n = pango_layout_get_unknown_glyphs_count(l);
    g_object_unref(l);
    cairo_destroy(cr);
    return n;
}

void ms_plot_text(cairo_t *cr, double x, double y, const char *s,
                  double size, int bold, double ax, double ay, int vertical)
{
    if (!s || !*s)
        return;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (vertical)
        cairo_rotate(cr, -PI / 2);
    PangoLayout *l = text_layout(cr, s, size, bold);
    PangoRectangle logical;
    pango_layout_get_extents(l, NULL, &logical);
    /* the anchor on the logical line box (ascent + descent of the fonts
     * used), so labels of one axis share a baseline whatever letters they
     * hold */
    double w = (double)logical.width / PANGO_SCALE;
    double h = (double)logical.height / PANGO_SCALE;
    cairo_move_to(cr, round(-ax * w), round(-ay * h));
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
    cairo_restore(cr);
}

static double nice_step(double span, double max_ticks)
{
    if (max_ticks < 2)
        max_ticks = 2;
    double raw = span / max_ticks;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double nf = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0;
    return nf * mag;
}

void ms_ticks_make(ms_ticks *t, cairo_t *cr, double v_a, double v_b,
                   double len_px, double spacing_px)
{
    memset(t, 0, sizeof *t);
    double lo = fmin(v_a, v_b), hi = fmax(v_a, v_b), span = hi - lo;
    if (!(span > 0.0) || !isfinite(span))
        return;
    double step = nice_step(span, len_px / spacing_px);
    int decimals = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (decimals > 9)
        decimals = 9;
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    for (double k = k0; k <= k1 && t->n < MS_MAX_TICKS; k += 1.0) {
        double v = k * step;
        if (fabs(v) < step * 1e-6)
            v = 0.0; /* never print "-0.0" */
        t->value[t->n] = v;
        snprintf(t->label[t->n], sizeof t->label[t->n], "%.*f", decimals, v);
        double w = ms_text_width(cr, t->label[t->n], MS_FONT_TICK, 0);
        if (w > t->max_width)
            t->max_width = w;
        t->n++;
    }
}

void ms_plot_frame(cairo_t *cr, ms_rect r)
{
    cairo_save(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    cairo_set_line_width(cr, 1.0);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_rectangle(cr, r.left - 0.5, r.top - 0.5, r.right - r.left + 1.0,
                    r.bottom - r.top + 1.0);
    cairo_stroke(cr);
    cairo_restore(cr);
}

#define TICK_LEN 6
#define TICK_GAP 4 /* between tick and label */
#define LABEL_GAP 8 /* between tick labels and axis label */

static void tick_line(cairo_t *cr, double x0, double y0, double x1,
                      double y1)
{
    cairo_save(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    cairo_set_line_width(cr, 1.0);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
    cairo_restore(cr);
}

int ms_axis_bottom_size(void)
{
    return 1 + TICK_LEN + TICK_GAP + (int)(MS_FONT_TICK * 1.3) + LABEL_GAP +
           (int)(MS_FONT_LABEL * 1.3);
}

int ms_axis_left_size(const ms_ticks *t)
{
    return 1 + TICK_LEN + TICK_GAP + (int)ceil(t->max_width) + LABEL_GAP +
           (int)(MS_FONT_LABEL * 1.3);
}

void ms_plot_axis_bottom(cairo_t *cr, ms_rect r, double v_a, double v_b,
                         const ms_ticks *t, const char *label)
{
    double w = r.right - r.left;
    double y0 = r.bottom + 1; /* below the frame */
    for (int i = 0; i < t->n; i++) {
        double x = r.left + (t->value[i] - v_a) / (v_b - v_a) * w;
        /* a tick at the extent's edge value sits on the first / last
         * column, not in the frame next to it */
        double px = floor(x) + 0.5;
        if (px > r.right - 0.5)
            px = r.right - 0.5;
        tick_line(cr, px, y0, px, y0 + TICK_LEN);
        ms_plot_text(cr, x, y0 + TICK_LEN + TICK_GAP, t->label[i],
                     MS_FONT_TICK, 0, 0.5, 0.0, 0);
    }
    double ly = y0 + TICK_LEN + TICK_GAP + MS_FONT_TICK * 1.3 + LABEL_GAP;
    ms_plot_text(cr, r.left + w / 2, ly, label, MS_FONT_LABEL, 0, 0.5, 0.0,
                 0);
}

void ms_plot_axis_left(cairo_t *cr, ms_rect r, double v_a, double v_b,
                       const ms_ticks *t, const char *label)
{
    double h = r.bottom - r.top;
    double x0 = r.left - 1; /* left of the frame */
    for (int i = 0; i < t->n; i++) {
        double y = r.top + (t->value[i] - v_a) / (v_b - v_a) * h;
        double py = floor(y) + 0.5;
        if (py > r.bottom - 0.5)
            py = r.bottom - 0.5;
        tick_line(cr, x0, py, x0 - TICK_LEN, py);
        ms_plot_text(cr, x0 - TICK_LEN - TICK_GAP, y, t->label[i],
                     MS_FONT_TICK, 0, 1.0, 0.5, 0);
    }
    double lx = x0 - TICK_LEN - TICK_GAP - ceil(t->max_width) - LABEL_GAP -
                MS_FONT_LABEL * 1.3;
    /* rotated: "top" of the text faces left, so anchor its top at lx */
    ms_plot_text(cr, lx, r.top + h / 2, label, MS_FONT_LABEL, 0, 0.5, 0.0, 1);
}

/* Colour-bar end values: enough decimals to tell the ends apart (three
 * significant digits of the span), %g style only for extreme magnitudes. */
static void format_end(char *buf, size_t n, double v, double span)
{
    if (v == 0.0)
        v = 0.0; /* -0 */
    int dec = (int)ceil(-log10(span) - 1e-9) + 2;
    if (dec < 0)
        dec = 0;
    if (dec > 6 || fabs(v) >= 1e6)
        snprintf(buf, n, "%.3g", v);
    else
        snprintf(buf, n, "%.*f", dec, v);
}

#define BAR_TICK 5
#define BAR_TICK_SPACING 80.0 /* pixels between interior ticks */
#define BAR_END_CLEARANCE 20.0 /* interior labels keep off the end labels */

typedef struct bar_ticks {
    int n;
    double value[MS_MAX_TICKS + 2];
    char label[MS_MAX_TICKS + 2][32];
    double ay[MS_MAX_TICKS + 2]; /* label anchor */
    double max_width;
} bar_ticks;

/* The two ends, plus "nice" interior values that do not crowd them. */
static void bar_ticks_make(bar_ticks *bt, cairo_t *cr, double lo, double hi,
                           double len_px)
{
    memset(bt, 0, sizeof *bt);
    double span = hi - lo;
    format_end(bt->label[0], sizeof bt->label[0], lo, span);
    bt->value[0] = lo;
    bt->ay[0] = 1.0;
    format_end(bt->label[1], sizeof bt->label[1], hi, span);
    bt->value[1] = hi;
    bt->ay[1] = 0.0;
    bt->n = 2;
    if (len_px > 0) {
        ms_ticks t;
        ms_ticks_make(&t, cr, lo, hi, len_px, BAR_TICK_SPACING);
        for (int i = 0; i < t.n; i++) {
            double off = (t.value[i] - lo) / span * len_px;
            if (off < BAR_END_CLEARANCE || len_px - off < BAR_END_CLEARANCE)
                continue;
            bt->value[bt->n] = t.value[i];
            snprintf(bt->label[bt->n], sizeof bt->label[bt->n], "%s",
                     t.label[i]);
            bt->ay[bt->n] = 0.5;
            bt->n++;
        }
    }
    for (int i = 0; i < bt->n; i++)
        bt->max_width =
            fmax(bt->max_width, ms_text_width(cr, bt->label[i], MS_FONT_TICK,
                                              0));
}

int ms_colorbar_width(cairo_t *cr, double lo, double hi, double len_px,
                      const char *label)
{
    bar_ticks bt;
    bar_ticks_make(&bt, cr, lo, hi, len_px);
    int bar_w = 20;
    int lab = label && *label ? LABEL_GAP + (int)(MS_FONT_LABEL * 1.3) : 0;
    return bar_w + 1 + BAR_TICK + TICK_GAP + (int)ceil(bt.max_width) + lab;
}

void ms_plot_colorbar(ms_plot *p, ms_rect bar, ms_colormap cmap, double lo,
                      double hi, const char *label)
{
    const unsigned char(*tab)[3] = ms_colormap_table(cmap);
    int h = bar.bottom - bar.top;
    if (h < 2 || bar.right <= bar.left)
        return;
    int stride;
    uint32_t *px = ms_plot_pixels_begin(p, &stride);
    for (int r = bar.top; r < bar.bottom; r++) {
        /* row centre -> t; bottom row is entry 0, top row entry 255 */
        double t = (bar.bottom - r - 0.5) / h;
        int idx = (int)(t * 256.0);
        if (idx > 255)
            idx = 255;
        uint32_t c = ms_rgb32(tab[idx]);
        for (int x = bar.left; x < bar.right; x++)
            px[(size_t)r * stride + x] = c;
    }
    ms_plot_pixels_end(p);
    cairo_t *cr = p->cr;
    ms_plot_frame(cr, bar);

    bar_ticks bt;
    bar_ticks_make(&bt, cr, lo, hi, h);
    double x0 = bar.right + 1;
    for (int i = 0; i < bt.n; i++) {
        double y = bar.bottom - (bt.value[i] - lo) / (hi - lo) * h;
        double py = floor(y) + 0.5;
        if (py > bar.bottom - 0.5)
            py = bar.bottom - 0.5;
        tick_line(cr, x0, py, x0 + BAR_TICK, py);
        /* end labels sit inside the bar's height, against their tick */
        if (i == 0)
            y = bar.bottom + 3;
        if (i == 1)
            y = bar.top - 3;
        ms_plot_text(cr, x0 + BAR_TICK + TICK_GAP, y, bt.label[i],
                     MS_FONT_TICK, 0, 0.0, bt.ay[i], 0);
    }
    if (label && *label) {
        double lx = x0 + BAR_TICK + TICK_GAP + ceil(bt.max_width) +
                    LABEL_GAP + MS_FONT_LABEL * 1.3;
        /* rotated to read upwards, its bottom facing right */
        ms_plot_text(cr, lx, (bar.top + bar.bottom) / 2.0, label,
                     MS_FONT_LABEL, 0, 0.5, 1.0, 1);
    }
}

void ms_plot_title(ms_plot *p, ms_rect r, const char *title)
{
    if (!title || !*title)
        return;
    double w = ms_text_width(p->cr, title, MS_FONT_TITLE, 1);
    double cx = (r.left + r.right) / 2.0;
    if (cx - w / 2 < 8 || cx + w / 2 > p->width - 8)
        cx = p->width / 2.0;
    ms_plot_text(p->cr, cx, 10, title, MS_FONT_TITLE, 1, 0.5, 0.0, 0);
}

int ms_spec_check(const ms_image_spec *spec, const char *path)
{
    if ((int)spec->cmap < MS_CMAP_VIRIDIS || (int)spec->cmap > MS_CMAP_BALANCE)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: unknown colormap %d", path,
                       (int)spec->cmap);
    if (spec->n_text && !spec->text)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: %zu text chunks announced but none given", path,
                       spec->n_text);
    return 0;
}

int ms_plot_write(ms_plot *p, const char *path, const ms_png_text *own,
                  size_t n_own, const ms_image_spec *spec)
{
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS)
        return ms_fail(MS_ERR_INTERNAL, "%s: drawing failed: %s", path,
                       cairo_status_to_string(cairo_status(p->cr)));
    size_t n_spec = spec ? spec->n_text : 0;
    size_t w = (size_t)p->width, h = (size_t)p->height;
    unsigned char *rgb = malloc(w * h * 3);
    ms_png_text *text = malloc((n_own + n_spec + 1) * sizeof *text);
    if (!rgb || !text) {
        free(rgb);
        free(text);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    int stride;
    const uint32_t *px = ms_plot_pixels_begin(p, &stride);
    for (size_t y = 0; y < h; y++) {
        const uint32_t *row = px + y * (size_t)stride;
        unsigned char *o = rgb + y * w * 3;
        for (size_t x = 0; x < w; x++) {
            o[3 * x] = (unsigned char)(row[x] >> 16);
            o[3 * x + 1] = (unsigned char)(row[x] >> 8);
            o[3 * x + 2] = (unsigned char)row[x];
        }
    }
    for (size_t i = 0; i < n_own; i++)
        text[i] = own[i];
    for (size_t i = 0; i < n_spec; i++)
        text[n_own + i] = spec->text[i];
    int rc = ms_png_write(path, rgb, w, h, w * 3, 3, text, n_own + n_spec);
    free(text);
    free(rgb);
    return rc;
}
