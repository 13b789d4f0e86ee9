/* Overlaid score histograms (scores.png of minescan evaluate), drawn with
 * the renderers' shared plotting (plot.h). See minescan/render.h,
 * ms_render_score_hist. */
#include "core/i18n.h"
#include "minescan/error.h"
#include "minescan/render.h"
#include "render/plot.h"
#include "render/render_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    IMG_W = 960,
    PANEL_H = 380,
    NONE_W = 70,  /* the "none" column */
    NONE_GAP = 18,
    MARGIN_R = 30,
    LEGEND_ROW = 20,
    MAX_GROUPS = 8,
    MAX_MARKS = 8,
    MAX_BINS = 200
};

typedef struct group_bins {
    size_t count[MAX_BINS];
    size_t none, over, total;
} group_bins;

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (nearest rank) of a group's scores; NaN when none. */
static double group_quantile(const ms_hist_group *g, double q)
{
    size_t n = 0;
    double *v = malloc((g->n ? g->n : 1) * sizeof *v);
    if (!v)
        return NAN;
    for (size_t i = 0; i < g->n; i++)
        if (!isnan(g->v[i]))
            v[n++] = g->v[i];
    double r = NAN;
    if (n) {
        qsort(v, n, sizeof *v, dbl_cmp);
        size_t k = (size_t)ceil(q * (double)n);
        r = v[k ? k - 1 : 0];
    }
    free(v);
    return r;
}

/* Score range and bins: from min(0, lowest) to the highest group's 90th
 * percentile (and 10 % beyond every mark), rounded up to a "nice" tick, so
 * that a long tail (anti-tank mines, cans) does not squeeze the scores
 * where thresholds lie; bins a whole fraction of a tick step, 40 to 100 of
 * them. */
static void choose_axis(cairo_t *cr, const ms_hist_group *g, size_t ng,
                        const ms_hist_mark *m, size_t nm, double len_px,
                        double *lo, double *hi, size_t *n_bins, ms_ticks *xt)
{
    double low = 0, high = -INFINITY;
    for (size_t k = 0; k < ng; k++) {
        for (size_t i = 0; i < g[k].n; i++)
            if (isfinite(g[k].v[i]))
                low = fmin(low, g[k].v[i]);
        double q = group_quantile(&g[k], 0.90);
        if (isfinite(q))
            high = fmax(high, q);
    }
    for (size_t k = 0; k < nm; k++)
        if (isfinite(m[k].x))
            high = fmax(high, m[k].x * 1.1);
    if (!(high > low))
        high = low + 1;
    ms_ticks_make(xt, cr, low, high, len_px, 80.0);
    double step = xt->n > 1 ? xt->value[1] - xt->value[0] : high - low;
    *lo = floor(low / step + 1e-9) * step;
    *hi = ceil(high / step - 1e-9) * step;
    if (!(*hi > *lo))
        *hi = *lo + step;
    ms_ticks_make(xt, cr, *lo, *hi, len_px, 80.0);
    static const int split[] = {1, 2, 4, 5, 10, 20};
    double span = (*hi - *lo) / step; /* in ticks */
    size_t nb = (size_t)ceil(span - 1e-9);
    for (size_t s = 0; s < sizeof split / sizeof split[0]; s++) {
        nb = (size_t)llround(span * split[s]);
        if (nb >= 40)
            break;
    }
    *n_bins = nb < 1 ? 1 : nb > 100 ? 100 : nb;
}

static void count_bins(const ms_hist_group *g, double lo, double hi,
                       size_t nb, group_bins *b)
{
    memset(b, 0, sizeof *b);
    b->total = g->n;
    double w = (hi - lo) / (double)nb;
    for (size_t i = 0; i < g->n; i++) {
        double v = g->v[i];
        if (isnan(v)) {
            b->none++;
            continue;
        }
        double f = floor((v - lo) / w);
        size_t k = f < 0 ? 0 : f >= (double)nb ? nb - 1 : (size_t)f;
        b->over += v > hi;
        b->count[k]++;
    }
}

static double share(size_t count, size_t total)
{
    return total ? (double)count / (double)total : 0.0;
}

static void set_rgb(cairo_t *cr, const unsigned char c[3], double alpha)
{
    cairo_set_source_rgba(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0,
                          alpha);
}

typedef struct layout {
    ms_rect main, none;
    int have_none;
    double lo, hi, y_max;
    size_t n_bins;
} layout;

static double px_x(const layout *L, double v)
{
    return L->main.left + (v - L->lo) / (L->hi - L->lo) *
                              (L->main.right - L->main.left);
}

static double px_y(const layout *L, double s)
{
    return L->main.bottom - s / L->y_max * (L->main.bottom - L->main.top);
}

static void draw_groups(cairo_t *cr, const layout *L, const ms_hist_group *g,
                        const group_bins *b, size_t ng)
{
    double bw = (L->hi - L->lo) / (double)L->n_bins;
    cairo_save(cr);
    cairo_rectangle(cr, L->main.left, L->main.top,
                    L->main.right - L->main.left,
                    L->main.bottom - L->main.top);
    cairo_clip(cr);
    for (size_t k = 0; k < ng; k++) {
        /* the step outline, filled faintly so overlaps stay readable */
        cairo_new_path(cr);
        cairo_move_to(cr, px_x(L, L->lo), px_y(L, 0));
        for (size_t i = 0; i < L->n_bins; i++) {
            double y = px_y(L, share(b[k].count[i], b[k].total));
            cairo_line_to(cr, px_x(L, L->lo + (double)i * bw), y);
            cairo_line_to(cr, px_x(L, L->lo + (double)(i + 1) * bw), y);
        }
        cairo_line_to(cr, px_x(L, L->hi), px_y(L, 0));
        cairo_close_path(cr);
        set_rgb(cr, g[k].rgb, 0.22);
        cairo_fill_preserve(cr);
        set_rgb(cr, g[k].rgb, 1.0);
        cairo_set_line_width(cr, 2.0);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    if (!L->have_none)
        return;
    /* "none": one bar per group, side by side */
    double slot = (double)(L->none.right - L->none.left) / (double)ng;
    for (size_t k = 0; k < ng; k++) {
        double s = share(b[k].none, b[k].total);
        if (s <= 0)
            continue;
        double x0 = L->none.left + slot * (double)k + 2, x1 = x0 + slot - 4;
        double y = px_y(L, s);
        cairo_rectangle(cr, x0, y, x1 - x0, L->none.bottom - y);
        set_rgb(cr, g[k].rgb, 0.55);
        cairo_fill_preserve(cr);
        set_rgb(cr, g[k].rgb, 1.0);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
    }
}

static void draw_marks(cairo_t *cr, const layout *L, const ms_hist_mark *m,
                       size_t nm)
{
    double dashes[] = {6, 4};
    for (size_t k = 0; k < nm; k++) {
        if (!(m[k].x >= L->lo && m[k].x <= L->hi))
            continue;
        double x = floor(px_x(L, m[k].x)) + 0.5;
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        cairo_set_dash(cr, dashes, 2, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, x, L->main.top);
        cairo_line_to(cr, x, L->main.bottom);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        char tag[24];
        snprintf(tag, sizeof tag, "%zu", k + 1);
        int left = x > L->main.right - 30;
        ms_plot_text(cr, left ? x - 4 : x + 4, L->main.top + 4 + 16.0 * (k % 3),
                     tag, MS_FONT_TICK, 1, left ? 1 : 0, 0, 0);
    }
}

/* One legend row per group (a swatch) and per mark (its number and a
 * dash), under the title. */
static void draw_legend(cairo_t *cr, int top, const ms_hist_group *g,
                        size_t ng, const ms_hist_mark *m, size_t nm, int left)
{
    double y = top;
    for (size_t k = 0; k < ng; k++, y += LEGEND_ROW) {
        cairo_rectangle(cr, left + 0.5, y + 3.5, 26, 11);
        set_rgb(cr, g[k].rgb, 0.22);
        cairo_fill_preserve(cr);
        set_rgb(cr, g[k].rgb, 1.0);
        cairo_set_line_width(cr, 2.0);
        cairo_stroke(cr);
        ms_plot_text(cr, left + 36, y + 9, g[k].label, MS_FONT_TICK, 0, 0,
                     0.5, 0);
    }
    double dashes[] = {6, 4};
    for (size_t k = 0; k < nm; k++, y += LEGEND_ROW) {
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        cairo_set_dash(cr, dashes, 2, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, left + 20.5, y + 1);
        cairo_line_to(cr, left + 20.5, y + 17);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        char tag[24];
        snprintf(tag, sizeof tag, "%zu", k + 1);
        ms_plot_text(cr, left + 4, y + 9, tag, MS_FONT_TICK, 1, 0, 0.5, 0);
        ms_plot_text(cr, left + 36, y + 9, m[k].label ? m[k].label : "",
                     MS_FONT_TICK, 0, 0, 0.5, 0);
    }
}

static int check_args(const char *name, const ms_hist_group *g, size_t ng,
                      const ms_hist_mark *m, size_t nm)
{
    if (ng < 1 || ng > MAX_GROUPS || !g)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: %zu score groups (1 to %d)", name, ng,
                       MAX_GROUPS);
    if (nm > MAX_MARKS || (nm && !m))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: %zu marks (at most %d)",
                       name, nm, MAX_MARKS);
    for (size_t k = 0; k < ng; k++)
        if (g[k].n && !g[k].v)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: group %zu has no values",
                           name, k + 1);
    return 0;
}

static int render_hist(const char *name, const char *title,
                       const char *x_label, const ms_hist_group *g,
                       size_t ng, const ms_hist_mark *m, size_t nm,
                       const ms_png_text *text, size_t n_text)
{
    int rc = check_args(name, g, ng, m, nm);
    if (rc)
        return rc;
    group_bins *b = calloc(ng, sizeof *b);
    if (!b)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", name);

    cairo_t *mc = ms_measure_context();
    layout L = {0};
    for (size_t k = 0; k < ng; k++)
        for (size_t i = 0; i < g[k].n && !L.have_none; i++)
            L.have_none = isnan(g[k].v[i]);
    int legend_top = 44;
    int top = legend_top + LEGEND_ROW * (int)(ng + nm) + 12;
    /* the y axis first needs its ticks' width: measure with a provisional
     * range, then lay out */
    ms_ticks xt, yt;
    double main_w_guess = IMG_W - 90 - MARGIN_R - (NONE_W + NONE_GAP);
    choose_axis(mc, g, ng, m, nm, main_w_guess, &L.lo, &L.hi, &L.n_bins, &xt);
    double y_max = 0;
    for (size_t k = 0; k < ng; k++) {
        count_bins(&g[k], L.lo, L.hi, L.n_bins, &b[k]);
        y_max = fmax(y_max, share(b[k].none, b[k].total));
        for (size_t i = 0; i < L.n_bins; i++)
            y_max = fmax(y_max, share(b[k].count[i], b[k].total));
    }
    y_max = y_max > 0 ? y_max * 1.08 : 1.0;
    ms_ticks_make(&yt, mc, 0, y_max, PANEL_H, 50.0);
    double ystep = yt.n > 1 ? yt.value[1] - yt.value[0] : y_max;
    L.y_max = ceil(y_max / ystep - 1e-9) * ystep;
    ms_ticks_make(&yt, mc, L.y_max, 0, PANEL_H, 50.0);
    int left = 12 + ms_axis_left_size(&yt);
    L.none = (ms_rect){left, top, left + NONE_W, top + PANEL_H};
    int main_left = L.have_none ? L.none.right + NONE_GAP : left;
    L.main = (ms_rect){main_left, top, IMG_W - MARGIN_R, top + PANEL_H};
    ms_ticks_make(&xt, mc, L.lo, L.hi, L.main.right - L.main.left, 80.0);
    cairo_destroy(mc);
    int height = top + PANEL_H + ms_axis_bottom_size() + 14;

    ms_plot p;
    rc = ms_plot_create(&p, IMG_W, height, name);
    if (rc) {
        free(b);
        return rc;
    }
    cairo_t *cr = p.cr;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    ms_plot_title(&p, L.main, title ? title : _("Score distributions"));
    draw_legend(cr, legend_top, g, ng, m, nm, left);
    /* horizontal grid at the share ticks */
    cairo_set_line_width(cr, 1);
    for (int k = 0; k < yt.n; k++) {
        double y = floor(px_y(&L, yt.value[k])) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, L.main.left, y);
        cairo_line_to(cr, L.main.right, y);
        cairo_stroke(cr);
    }
    draw_groups(cr, &L, g, b, ng);
    draw_marks(cr, &L, m, nm);

    size_t over = 0;
    for (size_t k = 0; k < ng; k++)
        over += b[k].over;
    char xl[1000];
    snprintf(xl, sizeof xl, "%s%s%s", x_label ? x_label : _("score"),
             over ? "  " : "",
             over ? _("(the last bin holds every higher score)") : "");
    cairo_set_source_rgb(cr, 0, 0, 0);
    ms_plot_frame(cr, L.main);
    ms_plot_axis_bottom(cr, L.main, L.lo, L.hi, &xt, xl);
    ms_rect yaxis = L.have_none ? L.none : L.main;
    ms_plot_axis_left(cr, yaxis, L.y_max, 0, &yt,
                      _("share of the group per bin"));
    if (L.have_none) {
        ms_plot_frame(cr, L.none);
        ms_plot_text(cr, (L.none.left + L.none.right) / 2.0,
                     L.none.bottom + 8, _("none"), MS_FONT_TICK, 0, 0.5, 0, 0);
        ms_plot_text(cr, (L.none.left + L.none.right) / 2.0,
                     L.none.bottom + 8 + MS_FONT_TICK * 1.3, _("(no score)"),
                     MS_FONT_TICK - 2, 0, 0.5, 0, 0);
    }

    /* text chunks: the geometry, so a pixel turns back into (score,
     * share), and the counts behind every group */
    char area[64], axes[96], bins[64];
    snprintf(area, sizeof area, "%d %d %d %d", L.main.left, L.main.top,
             L.main.right, L.main.bottom);
    snprintf(axes, sizeof axes, "%.9g %.9g 0 %.9g", L.lo, L.hi, L.y_max);
    snprintf(bins, sizeof bins, "%zu %.9g", L.n_bins,
             (L.hi - L.lo) / (double)L.n_bins);
    size_t cap = 64;
    for (size_t k = 0; k < ng; k++)
        cap += strlen(g[k].label ? g[k].label : "") + 96;
    char *groups = malloc(cap);
    ms_png_text *all = malloc((5 + n_text) * sizeof *all);
    if (!groups || !all) {
        free(groups);
        free(all);
        free(b);
        ms_plot_destroy(&p);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", name);
    }
    size_t len = 0;
    groups[0] = '\0';
    for (size_t k = 0; k < ng; k++)
        len += (size_t)snprintf(groups + len, cap - len,
                                "%s%s: %zu members, %zu without a score, "
                                "%zu above %.9g",
                                k ? "\n" : "", g[k].label ? g[k].label : "",
                                b[k].total, b[k].none, b[k].over, L.hi);
    all[0] = (ms_png_text){"Title", title ? title : _("Score distributions")};
    all[1] = (ms_png_text){"minescan:plot_area", area};
    all[2] = (ms_png_text){"minescan:hist_axes", axes};
    all[3] = (ms_png_text){"minescan:hist_bins", bins};
    all[4] = (ms_png_text){"minescan:hist_groups", groups};
    for (size_t i = 0; i < n_text; i++)
        all[5 + i] = text[i];
    rc = ms_plot_write(&p, name, all, 5 + n_text, NULL);
    free(all);
    free(groups);
    free(b);
    ms_plot_destroy(&p);
    return rc;
}

int ms_render_score_hist(const char *path, const char *title,
                         const char *x_label, const ms_hist_group *groups,
                         size_t n_groups, const ms_hist_mark *marks,
                         size_t n_marks, const ms_png_text *text,
                         size_t n_text)
{
    double t0 = ms_render_clock_begin();
    int rc = render_hist(path ? path : "scores.png", title, x_label, groups,
                         n_groups, marks, n_marks, text, n_text);
    ms_render_clock_end(t0);
    return rc;
}
