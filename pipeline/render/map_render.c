/* Maps in the lane frame: x along the lane to the right, y across upwards,
 * equal metres per pixel on both axes, nearest-neighbour cells, NaN as a
 * neutral grey, axes in metres, a colour bar, and markers for truth,
 * operator marks and alarms. The extent and pixel conventions (recorded in
 * the PNG's text chunks) are documented at ms_render_map in render.h. */
#include "core/i18n.h"
#include "minescan/error.h"
#include "render/plot.h"
#include "render/render_time.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plot aims at about 1000 x 700 pixels; each cell gets at least 2
 * pixels and the shorter side at least 150 pixels, unless that would pass
 * MS_PLOT_MAX_SIDE (a very long, thin lane). */
#define TARGET_W 1000.0
#define TARGET_H 700.0
#define MIN_SIDE 150.0
#define MIN_CELL_PX 2.0

#define MARGIN 14      /* outer padding, pixels */
#define BAR_GAP 24     /* between plot and colour bar */
#define BAR_WIDTH 20
#define LEGEND_ROW 26

static double choose_scale(double w_m, double h_m, double dx, double dy)
{
    double s = fmin(TARGET_W / w_m, TARGET_H / h_m);
    s = fmax(s, MIN_CELL_PX / fmin(dx, dy));
    s = fmax(s, MIN_SIDE / fmin(w_m, h_m));
    return fmin(s, MS_PLOT_MAX_SIDE / fmax(w_m, h_m));
}

static void value_range(const float *map, size_t n, const ms_image_spec *spec,
                        double *lo, double *hi)
{
    if (spec->vmin < spec->vmax && isfinite(spec->vmin) &&
        isfinite(spec->vmax)) {
        *lo = spec->vmin;
        *hi = spec->vmax;
        return;
    }
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = map[i];
        if (isfinite(v)) {
            mn = fmin(mn, v);
            mx = fmax(mx, v);
        }
    }
    if (mn > mx) { /* nothing finite: any range will do */
        mn = spec->symmetric ? -1.0 : 0.0;
        mx = 1.0;
    }
    if (spec->symmetric) {
        double m = fmax(fabs(mn), fabs(mx));
        if (!(m > 0.0))
            m = 1.0;
        *lo = -m;
        *hi = m;
        return;
    }
    if (!(mx > mn)) { /* constant map: centre it on the scale */
        double d = mn != 0.0 ? fabs(mn) * 0.5 : 0.5;
        mn -= d;
        mx += d;
    }
    *lo = mn;
    *hi = mx;
}

/* ---- markers ------------------------------------------------------------ */

static const char *const marker_names[] = {
    [MS_MARKER_MINE] = N_("mine"),
    [MS_MARKER_CLUTTER] = N_("clutter"),
    [MS_MARKER_OPERATOR] = N_("operator mark"),
    [MS_MARKER_ALARM] = N_("alarm"),
    [MS_MARKER_MISSED] = N_("mine missed by the detector"),
};
#define N_KINDS 5
/* drawn bottom to top: alarms under truth, the operator's marks on top so
 * that a mark on a missed mine's ring still reads as a mark */
static const ms_marker_kind draw_order[N_KINDS] = {
    MS_MARKER_ALARM, MS_MARKER_CLUTTER, MS_MARKER_MINE, MS_MARKER_MISSED,
    MS_MARKER_OPERATOR};
/* legend order: what a trainer looks for first */
static const ms_marker_kind legend_order[N_KINDS] = {
    MS_MARKER_MINE, MS_MARKER_MISSED, MS_MARKER_ALARM, MS_MARKER_OPERATOR,
    MS_MARKER_CLUTTER};

/* Markers differ by shape, not only colour: mine a ring, missed mine a
 * thick struck-through ring, clutter a square, operator mark a cross, alarm
 * a diamond. Every shape gets a white halo under a dark (or red) line so that it reads
 * on both ends of any colormap. */
static void stroke_halo(cairo_t *cr, double lw, double r, double g, double b)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, lw + 2.5);
    cairo_stroke_preserve(cr);
    cairo_set_source_rgb(cr, r, g, b);
    cairo_set_line_width(cr, lw);
    cairo_stroke(cr);
}

void ms_plot_marker(cairo_t *cr, ms_marker_kind kind, double x, double y)
{
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    switch (kind) {
    case MS_MARKER_MINE:
        cairo_arc(cr, x, y, 7.0, 0, 6.283185307179586);
        stroke_halo(cr, 2.0, 0, 0, 0);
        break;
    case MS_MARKER_MISSED:
        /* a struck-through ring ("not found"): a shape of its own, so a
         * greyscale print tells it from a found mine */
        cairo_arc(cr, x, y, 11.0, 0, 6.283185307179586);
        cairo_move_to(cr, x - 7.8, y + 7.8);
        cairo_line_to(cr, x + 7.8, y - 7.8);
        stroke_halo(cr, 3.0, 0.89, 0.10, 0.11);
        break;
    case MS_MARKER_CLUTTER:
        cairo_rectangle(cr, x - 6.0, y - 6.0, 12.0, 12.0);
        stroke_halo(cr, 2.0, 0, 0, 0);
        break;
    case MS_MARKER_OPERATOR:
        cairo_move_to(cr, x - 6.5, y - 6.5);
        cairo_line_to(cr, x + 6.5, y + 6.5);
        cairo_move_to(cr, x - 6.5, y + 6.5);
        cairo_line_to(cr, x + 6.5, y - 6.5);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
        stroke_halo(cr, 2.0, 0, 0, 0);
        break;
    case MS_MARKER_ALARM:
        cairo_move_to(cr, x, y - 6.0);
        cairo_line_to(cr, x + 5.0, y);
        cairo_line_to(cr, x, y + 6.0);
        cairo_line_to(cr, x - 5.0, y);
        cairo_close_path(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        break;
    }
    cairo_restore(cr);
}

/* ---- legend ------------------------------------------------------------- */

typedef struct legend_item {
    int kind; /* ms_marker_kind, or -1 for "no coverage" */
    const char *text;
    double width;
} legend_item;

#define SWATCH 22 /* symbol box */

static int legend_layout(cairo_t *cr, legend_item *items, int n, int avail,
                         double *xs, int *rows)
{
    /* rows[i] and xs[i]: where item i goes; returns the number of rows */
    int row = 0;
    double x = 0;
    for (int i = 0; i < n; i++) {
        items[i].width =
            SWATCH + 6 + ms_text_width(cr, items[i].text, MS_FONT_TICK, 0);
        if (x > 0 && x + items[i].width > avail) {
            row++;
            x = 0;
        }
        xs[i] = x;
        rows[i] = row;
        x += items[i].width + 24;
    }
    return n ? row + 1 : 0;
}

static void draw_legend(cairo_t *cr, const legend_item *items, int n,
                        const double *xs, const int *rows, double x0,
                        double y0)
{
    for (int i = 0; i < n; i++) {
        double x = x0 + xs[i], cy = y0 + rows[i] * LEGEND_ROW + SWATCH / 2.0;
        if (items[i].kind < 0) {
            double g = MS_RENDER_NODATA_GRAY / 255.0;
            cairo_rectangle(cr, x + 3, cy - 7, 16, 14);
            cairo_set_source_rgb(cr, g, g, g);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            cairo_set_line_width(cr, 1.0);
            cairo_stroke(cr);
        } else {
            ms_plot_marker(cr, (ms_marker_kind)items[i].kind, x + SWATCH / 2.0,
                        cy);
        }
        ms_plot_text(cr, x + SWATCH + 6, cy, items[i].text, MS_FONT_TICK, 0,
                     0.0, 0.5, 0);
    }
}

/* ---- the map ------------------------------------------------------------ */

static int render_map(const char *path, const float *map, size_t nx,
                      size_t ny, double x_min, double x_max, double y_min,
                      double y_max, const ms_marker *markers,
                      size_t n_markers, const ms_image_spec *spec)
{
    static const ms_image_spec defaults = {.cmap = MS_CMAP_VIRIDIS};
    if (!spec)
        spec = &defaults;
    if (!path || !*path)
        return ms_fail(MS_ERR_INVALID_INPUT, "map image: no file name given");
    if (!map || nx == 0 || ny == 0 || nx > SIZE_MAX / sizeof(float) / ny)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: cannot draw a map of %zu x %zu cells", path, nx,
                       ny);
    if (!(isfinite(x_min) && isfinite(x_max) && isfinite(y_min) &&
          isfinite(y_max) && x_max > x_min && y_max > y_min))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: map extent x %g..%g, y %g..%g m is empty or not "
                       "finite",
                       path, x_min, x_max, y_min, y_max);
    if (n_markers && !markers)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: markers missing", path);
    for (size_t i = 0; i < n_markers; i++)
        if ((int)markers[i].kind < 0 || (int)markers[i].kind >= N_KINDS)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: marker %zu has unknown kind %d", path, i,
                           (int)markers[i].kind);
    int rc = ms_spec_check(spec, path);
    if (rc)
        return rc;

    /* geometry: one scale s (pixels per metre) for both axes */
    double w_m = x_max - x_min, h_m = y_max - y_min;
    double s = choose_scale(w_m, h_m, w_m / nx, h_m / ny);
    long wpx = lround(w_m * s), hpx = lround(h_m * s);
    if (wpx < 1)
        wpx = 1;
    if (hpx < 1)
        hpx = 1;

    double lo, hi;
    value_range(map, nx * ny, spec, &lo, &hi);
    int any_nan = 0;
    for (size_t i = 0; i < nx * ny && !any_nan; i++)
        any_nan = isnan(map[i]);

    /* layout, measured before the canvas exists */
    cairo_t *mc = ms_measure_context();
    ms_ticks tx, ty;
    ms_ticks_make(&tx, mc, x_min, x_max, (double)wpx, 90.0);
    ms_ticks_make(&ty, mc, y_max, y_min, (double)hpx, 45.0);
    const char *vlabel = spec->value_label;
    int left = MARGIN + ms_axis_left_size(&ty);
    int top = spec->title && *spec->title
                  ? MARGIN + (int)(MS_FONT_TITLE * 1.3) + 14
                  : MARGIN + 6;
    int right_w =
        BAR_GAP + ms_colorbar_width(mc, lo, hi, (double)hpx, vlabel) + MARGIN;
    int width = left + (int)wpx + right_w;
    if (spec->title && *spec->title)
        width = (int)fmax(width, /* a long title widens the image, a bit */
                          fmin(ms_text_width(mc, spec->title, MS_FONT_TITLE,
                                             1) + 2 * MARGIN,
                               2000.0));

    legend_item items[N_KINDS + 1];
    int n_items = 0;
    for (int k = 0; k < N_KINDS; k++) {
        ms_marker_kind kind = legend_order[k];
        for (size_t i = 0; i < n_markers; i++)
            if (markers[i].kind == kind) {
                items[n_items++] = (legend_item){(int)kind, _(marker_names[kind]),
                                                 0.0};
                break;
            }
    }
    if (any_nan)
        items[n_items++] = (legend_item){-1, _("no coverage"), 0.0};
    double xs[N_KINDS + 1];
    int rows[N_KINDS + 1];
    int legend_x = left;
    int n_rows =
        legend_layout(mc, items, n_items, width - left - MARGIN, xs, rows);
    if (n_rows > 1) { /* narrow plot: let the legend use the whole width */
        legend_x = MARGIN;
        n_rows = legend_layout(mc, items, n_items, width - 2 * MARGIN, xs,
                               rows);
    }
    cairo_destroy(mc);

    int axis_h = ms_axis_bottom_size();
    int height = top + (int)hpx + axis_h + MARGIN +
                 (n_rows ? 8 + n_rows * LEGEND_ROW : 0);
    ms_rect plot = {left, top, left + (int)wpx, top + (int)hpx};

    ms_plot p;
    rc = ms_plot_create(&p, width, height, path);
    if (rc)
        return rc;

    /* data: each pixel shows the cell under its centre; with pixel edges
     * `left` = x_min and `right` = x_max, column c's centre lies in cell
     * floor((c + 0.5) * nx / wpx), and row r (from the top) in cell
     * floor((hpx - r - 0.5) * ny / hpx) counted from y_min upwards */
    const unsigned char(*tab)[3] = ms_colormap_table(spec->cmap);
    const unsigned char nodata[3] = {MS_RENDER_NODATA_GRAY,
                                     MS_RENDER_NODATA_GRAY,
                                     MS_RENDER_NODATA_GRAY};
    size_t *col_cell = malloc((size_t)wpx * sizeof *col_cell);
    uint32_t *row_rgb = malloc(nx * sizeof *row_rgb);
    if (!col_cell || !row_rgb) {
        free(col_cell);
        free(row_rgb);
        ms_plot_destroy(&p);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    for (long c = 0; c < wpx; c++)
        col_cell[c] = (size_t)floor((c + 0.5) * (double)nx / (double)wpx);
    int stride;
    uint32_t *px = ms_plot_pixels_begin(&p, &stride);
    size_t row_iy = SIZE_MAX;
    for (long r = 0; r < hpx; r++) {
        size_t iy = (size_t)floor((hpx - r - 0.5) * (double)ny / (double)hpx);
        /* colours once per map row, not once per pixel: a cell spans
         * several pixels */
        if (iy != row_iy) {
            const float *src = map + iy * nx;
            for (size_t ix = 0; ix < nx; ix++) {
                int idx = ms_plot_cindex(src[ix], lo, hi);
                row_rgb[ix] = ms_rgb32(idx < 0 ? nodata : tab[idx]);
            }
            row_iy = iy;
        }
        uint32_t *dst = px + (size_t)(plot.top + r) * stride + plot.left;
        for (long c = 0; c < wpx; c++)
            dst[c] = row_rgb[col_cell[c]];
    }
    ms_plot_pixels_end(&p);
    free(col_cell);
    free(row_rgb);

    cairo_t *cr = p.cr;
    ms_plot_frame(cr, plot);
    ms_plot_axis_bottom(cr, plot, x_min, x_max, &tx, _("x along lane (m)"));
    ms_plot_axis_left(cr, plot, y_max, y_min, &ty, _("y across (m)"));
    ms_rect bar = {plot.right + BAR_GAP, plot.top,
                   plot.right + BAR_GAP + BAR_WIDTH, plot.bottom};
    ms_plot_colorbar(&p, bar, spec->cmap, lo, hi, vlabel);
    ms_plot_title(&p, plot, spec->title);

    /* markers, clipped to the plot so none spills over the axes */
    cairo_save(cr);
    cairo_rectangle(cr, plot.left, plot.top, wpx, hpx);
    cairo_clip(cr);
    for (int k = 0; k < N_KINDS; k++)
        for (size_t i = 0; i < n_markers; i++) {
            const ms_marker *m = &markers[i];
            if (m->kind != draw_order[k] || !isfinite(m->x) ||
                !isfinite(m->y))
                continue;
            double u = plot.left + (m->x - x_min) / w_m * (double)wpx;
            double v = plot.top + (y_max - m->y) / h_m * (double)hpx;
            ms_plot_marker(cr, m->kind, u, v);
        }
    cairo_restore(cr);

    if (n_items)
        draw_legend(cr, items, n_items, xs, rows, legend_x,
                    plot.bottom + axis_h + 8);

    char extent[128], area[64], grid[64], range[64];
    snprintf(extent, sizeof extent, "%.9g %.9g %.9g %.9g", x_min, x_max,
             y_min, y_max);
    snprintf(area, sizeof area, "%d %d %d %d", plot.left, plot.top,
             plot.right, plot.bottom);
    snprintf(grid, sizeof grid, "%zu %zu", nx, ny);
    snprintf(range, sizeof range, "%.9g %.9g", lo, hi);
    const ms_png_text own[] = {
        {"minescan:extent", extent},
        {"minescan:plot_area", area},
        {"minescan:grid", grid},
        {"minescan:value_range", range},
        {"minescan:colormap", ms_colormap_name(spec->cmap)},
    };
    rc = ms_plot_write(&p, path, own, sizeof own / sizeof own[0], spec);
    ms_plot_destroy(&p);
    return rc;
}

/* The public call, timed for summary.json (render/render_time.h). */
int ms_render_map(const char *path, const float *map, size_t nx, size_t ny,
                  double x_min, double x_max, double y_min, double y_max,
                  const ms_marker *markers, size_t n_markers,
                  const ms_image_spec *spec)
{
    double t0 = ms_render_clock_begin();
    int rc = render_map(path, map, nx, ny, x_min, x_max, y_min, y_max,
                        markers, n_markers, spec);
    ms_render_clock_end(t0);
    return rc;
}
