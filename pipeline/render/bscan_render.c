/* B-scans: along-track distance to the right, two-way time downwards,
 * signed amplitude on a colour scale symmetric about zero. See
 * ms_render_bscan in render.h for the conventions and text chunks.
 *
 * The plot is sized for a screen, not for the recording: a lane of 30,000
 * traces becomes 1600 columns. Each column shows the traces whose distance
 * falls in it and each row the samples whose centre time falls in it,
 * reduced to the value of largest magnitude (see peak()); a column or row
 * that no trace or sample falls in (fewer of them than pixels, or a gap in
 * the sweep) shows the nearest one. So the pixel that a position maps to
 * through the text chunks always includes the trace at that position. */
#include "core/i18n.h"
#include "minescan/error.h"
#include "render/plot.h"
#include "render/render_time.h"
#include "core/select.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 14
#define BAR_GAP 24
#define BAR_WIDTH 20
/* Plot size: at least 1000 x 400 pixels so labels and hyperbolas read
 * well; grows to one pixel per trace / sample up to 1600 x 800, which with
 * the axes and colour bar still fits a 1920 x 1080 screen. */
#define MIN_W 1000
#define MAX_W 1600
#define MIN_H 400
#define MAX_H 800

static long clampl(long v, long lo, long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 99th percentile of the finite values in a[0..n-1] (overwrites a), or
 * 0. */
static double p99(float *a, size_t n)
{
    return n ? ms_kth_smallest(a, n, (size_t)floor(0.99 * (double)(n - 1)))
             : 0.0;
}

/* Half-range m of the symmetric colour scale. The direct wave and ground
 * bounce are the same in every trace and often fill several per cent of
 * the samples, so a plain percentile of |value| would land in them and
 * leave buried objects near zero. Measuring instead how far each sample
 * lies from the median of its time row (background removal, for scaling
 * only: the data are drawn as they are) lets those bands saturate while
 * hyperbolas get the full scale. Falls back to |value| when the traces are
 * all alike (one trace, or no lateral change). Computed over every sample,
 * not the reduced image, so the scale does not depend on the image size. */
static int robust_halfrange(const float *data, size_t nt, size_t ns,
                            double *m, const char *path)
{
    float *a = malloc(nt * ns * sizeof *a), *tmp = malloc(nt * sizeof *tmp);
    size_t *n_row = calloc(ns, sizeof *n_row);
    if (!a || !tmp || !n_row) {
        free(a);
        free(tmp);
        free(n_row);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    /* Time row j's finite samples go to a[j * nt ..]: transposed a block
     * of traces at a time, which stays in cache while its rows are read
     * out, so that both the traces and the rows are walked in order. */
    enum { BLOCK = 128 };
    for (size_t i0 = 0; i0 < nt; i0 += BLOCK) {
        size_t i1 = nt - i0 < BLOCK ? nt : i0 + BLOCK;
        for (size_t j = 0; j < ns; j++) {
            float *dst = a + j * nt + n_row[j];
            size_t c = 0;
            for (size_t i = i0; i < i1; i++) {
                float v = data[i * ns + j];
                dst[c] = v;
                c += isfinite(v) != 0;
            }
            n_row[j] += c;
        }
    }
    /* each sample's distance from its row's median, rows packed together */
    size_t k = 0;
    for (size_t j = 0; j < ns; j++) {
        size_t nr = n_row[j];
        if (!nr)
            continue;
        float *r = a + j * nt;
        memcpy(tmp, r, nr * sizeof *tmp);
        float med = ms_kth_smallest(tmp, nr, nr / 2);
        for (size_t i = 0; i < nr; i++)
            a[k + i] = fabsf(r[i] - med);
        k += nr;
    }
    double v = p99(a, k);
    double mx = 0.0;
    if (!(v > 0.0)) {
        k = 0;
        for (size_t i = 0; i < nt * ns; i++)
            if (isfinite(data[i])) {
                a[k++] = fabsf(data[i]);
                mx = fmax(mx, fabsf(data[i]));
            }
        v = p99(a, k);
        if (!(v > 0.0))
            v = mx; /* mostly zeros: the largest value */
    }
    free(n_row);
    free(tmp);
    free(a);
    *m = v > 0.0 ? v : 1.0;
    return 0;
}

/* The value of larger magnitude, with its sign; NaN only when both are.
 * Traces and samples that share a pixel are reduced to their peak rather
 * than their mean: a buried object's echo is a signed wavelet a few traces
 * wide, whose opposite lobes a mean over a group of traces cancels and
 * whose apex it dilutes into the background, while the peak keeps a small
 * hyperbola as strong as it is in the data. */
static inline float peak(float a, float b)
{
    return isnan(a) || fabsf(b) > fabsf(a) ? b : a;
}

/* The items (traces or samples) shown in each of npx pixels along an
 * axis that runs from `lo` at the first pixel's outer edge to `hi` at the
 * last one's: first[p] .. first[p] + count[p] - 1, those whose position
 * falls in pixel p, else (count 1) the one nearest its centre. Positions
 * pos[i] do not decrease; pos NULL means pos0 + i. */
static void pixel_items(const double *pos, double pos0, size_t n, double lo,
                        double hi, long npx, size_t *first, size_t *count)
{
    memset(count, 0, (size_t)npx * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        double x = pos ? pos[i] : pos0 + (double)i;
        double f = floor((x - lo) / (hi - lo) * (double)npx);
        long p = f < 0 ? 0 : f >= (double)npx ? npx - 1 : (long)f;
        if (count[p]++ == 0)
            first[p] = i;
    }
    for (long p = 0; p < npx; p++) {
        if (count[p])
            continue;
        double x = lo + (p + 0.5) / (double)npx * (hi - lo);
        size_t a = 0, b = n - 1;
        if (!pos) {
            double i = floor(x - pos0 + 0.5);
            a = i < 0 ? 0 : i > (double)b ? b : (size_t)i;
        } else {
            while (a < b) { /* first item at or beyond x */
                size_t mid = a + (b - a) / 2;
                if (pos[mid] < x)
                    a = mid + 1;
                else
                    b = mid;
            }
            if (a > 0 && x - pos[a - 1] <= pos[a] - x)
                a--;
        }
        first[p] = a;
        count[p] = 1;
    }
}

static int render_bscan(const char *path, const float *data,
                        size_t n_traces, size_t n_samples,
                        const double *dist_m, double dt_s,
                        const ms_image_spec *spec)
{
    static const ms_image_spec defaults = {.cmap = MS_CMAP_BALANCE};
    if (!spec)
        spec = &defaults;
    if (!path || !*path)
        return ms_fail(MS_ERR_INVALID_INPUT, "B-scan image: no file name");
    if (!data || n_traces == 0 || n_samples == 0 ||
        n_traces > SIZE_MAX / sizeof(float) / n_samples)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: cannot draw a B-scan of %zu traces x %zu samples",
                       path, n_traces, n_samples);
    if (!(isfinite(dt_s) && dt_s > 0.0))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: sample interval %g s must be positive", path,
                       dt_s);
    if (dist_m)
        for (size_t i = 0; i < n_traces; i++)
            if (!isfinite(dist_m[i]) || (i && dist_m[i] < dist_m[i - 1]))
                return ms_fail(MS_ERR_INVALID_INPUT,
                               "%s: trace %zu: distance %g m is not finite "
                               "or decreases",
                               path, i, dist_m[i]);
    int rc = ms_spec_check(spec, path);
    if (rc)
        return rc;

    /* along-track extent: half a mean spacing beyond the end traces */
    double d_first = dist_m ? dist_m[0] : 0.0;
    double d_last = dist_m ? dist_m[n_traces - 1] : (double)(n_traces - 1);
    double half = n_traces > 1 ? (d_last - d_first) / (n_traces - 1) / 2 : 0;
    if (!(half > 0.0))
        half = dist_m ? 0.05 : 0.5; /* one trace, or all at one spot */
    double d_left = d_first - half, d_right = d_last + half;
    double t_end_ns = (double)n_samples * dt_s * 1e9;

    double lo, hi;
    if (spec->vmin < spec->vmax && isfinite(spec->vmin) &&
        isfinite(spec->vmax)) {
        lo = spec->vmin;
        hi = spec->vmax;
    } else {
        double m = 1.0;
        rc = robust_halfrange(data, n_traces, n_samples, &m, path);
        if (rc)
            return rc;
        lo = -m;
        hi = m;
    }

    long wpx = clampl((long)n_traces, MIN_W, MAX_W);
    long hpx = clampl((long)n_samples, MIN_H, MAX_H);
    const char *vlabel = spec->value_label ? spec->value_label
                                            : _("amplitude");
    const char *xlabel =
        dist_m ? _("distance along track (m)") : _("trace number");

    cairo_t *mc = ms_measure_context();
    ms_ticks tx, ty;
    ms_ticks_make(&tx, mc, d_left, d_right, (double)wpx, 90.0);
    ms_ticks_make(&ty, mc, 0.0, t_end_ns, (double)hpx, 45.0);
    int left = MARGIN + ms_axis_left_size(&ty);
    int top = spec->title && *spec->title
                  ? MARGIN + (int)(MS_FONT_TITLE * 1.3) + 14
                  : MARGIN + 6;
    int width = left + (int)wpx + BAR_GAP +
                ms_colorbar_width(mc, lo, hi, (double)hpx, vlabel) + MARGIN;
    if (spec->title && *spec->title)
        width = (int)fmax(width, /* a long title widens the image, a bit */
                          fmin(ms_text_width(mc, spec->title, MS_FONT_TITLE,
                                             1) + 2 * MARGIN,
                               2000.0));
    cairo_destroy(mc);
    int height = top + (int)hpx + ms_axis_bottom_size() + MARGIN;
    ms_rect plot = {left, top, left + (int)wpx, top + (int)hpx};

    ms_plot p;
    rc = ms_plot_create(&p, width, height, path);
    if (rc)
        return rc;

    size_t *col_first = malloc((size_t)wpx * sizeof *col_first);
    size_t *col_count = malloc((size_t)wpx * sizeof *col_count);
    size_t *row_first = malloc((size_t)hpx * sizeof *row_first);
    size_t *row_count = malloc((size_t)hpx * sizeof *row_count);
    float *col = malloc(n_samples * sizeof *col);
    if (!col_first || !col_count || !row_first || !row_count || !col) {
        free(col_first);
        free(col_count);
        free(row_first);
        free(row_count);
        free(col);
        ms_plot_destroy(&p);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    /* columns by trace distance; rows by sample centre, (j + 0.5) * dt */
    pixel_items(dist_m, 0.0, n_traces, d_left, d_right, wpx, col_first,
                col_count);
    pixel_items(NULL, 0.5, n_samples, 0.0, (double)n_samples, hpx, row_first,
                row_count);
    const unsigned char(*tab)[3] = ms_colormap_table(spec->cmap);
    const unsigned char nodata[3] = {MS_RENDER_NODATA_GRAY,
                                     MS_RENDER_NODATA_GRAY,
                                     MS_RENDER_NODATA_GRAY};
    int stride;
    uint32_t *px = ms_plot_pixels_begin(&p, &stride);
    for (long c = 0; c < wpx; c++) {
        /* the column's traces, reduced to one (traces lie one after
         * another in memory, so this reads the data once, in order) */
        const float *v = data + col_first[c] * n_samples;
        if (col_count[c] > 1) {
            memcpy(col, v, n_samples * sizeof *col);
            for (size_t t = 1; t < col_count[c]; t++) {
                const float *u = v + t * n_samples;
                for (size_t j = 0; j < n_samples; j++)
                    col[j] = peak(col[j], u[j]);
            }
            v = col;
        }
        uint32_t *dst = px + (size_t)plot.top * stride + plot.left + c;
        for (long r = 0; r < hpx; r++) {
            const float *s = v + row_first[r];
            float x = s[0];
            for (size_t k = 1; k < row_count[r]; k++)
                x = peak(x, s[k]);
            int idx = ms_plot_cindex(x, lo, hi);
            dst[(size_t)r * stride] = ms_rgb32(idx < 0 ? nodata : tab[idx]);
        }
    }
    ms_plot_pixels_end(&p);
    free(col_first);
    free(col_count);
    free(row_first);
    free(row_count);
    free(col);

    cairo_t *cr = p.cr;
    ms_plot_frame(cr, plot);
    ms_plot_axis_bottom(cr, plot, d_left, d_right, &tx, xlabel);
    ms_plot_axis_left(cr, plot, 0.0, t_end_ns, &ty, _("time (ns)"));
    ms_rect bar = {plot.right + BAR_GAP, plot.top,
                   plot.right + BAR_GAP + BAR_WIDTH, plot.bottom};
    ms_plot_colorbar(&p, bar, spec->cmap, lo, hi, vlabel);
    ms_plot_title(&p, plot, spec->title);

    char extent[128], area[64], shape[64], range[64];
    snprintf(extent, sizeof extent, "%.9g %.9g %.9g %.9g", d_left, d_right,
             0.0, t_end_ns);
    snprintf(area, sizeof area, "%d %d %d %d", plot.left, plot.top,
             plot.right, plot.bottom);
    snprintf(shape, sizeof shape, "%zu %zu", n_traces, n_samples);
    snprintf(range, sizeof range, "%.9g %.9g", lo, hi);
    const ms_png_text own[] = {
        {"minescan:bscan_extent", extent},
        {"minescan:plot_area", area},
        {"minescan:bscan_shape", shape},
        {"minescan:value_range", range},
        {"minescan:colormap", ms_colormap_name(spec->cmap)},
        {"minescan:bscan_pixel", "signed peak of the traces and samples "
                                 "that fall in the pixel, else the nearest"},
    };
    rc = ms_plot_write(&p, path, own, sizeof own / sizeof own[0], spec);
    ms_plot_destroy(&p);
    return rc;
}

/* The public call, timed for summary.json (render/render_time.h). */
int ms_render_bscan(const char *path, const float *data, size_t n_traces,
                    size_t n_samples, const double *dist_m, double dt_s,
                    const ms_image_spec *spec)
{
    double t0 = ms_render_clock_begin();
    int rc = render_bscan(path, data, n_traces, n_samples, dist_m, dt_s,
                          spec);
    ms_render_clock_end(t0);
    return rc;
}
