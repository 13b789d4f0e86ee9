/* B-scans: along-track distance to the right, two-way time downwards,
 * signed amplitude on a colour scale symmetric about zero. See
 * ms_render_bscan in render.h for the conventions and text chunks. */
#include "minescan/error.h"
#include "render/plot.h"

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
 * well; grows to one pixel per trace / sample up to 3000 x 1000. */
#define MIN_W 1000
#define MAX_W 3000
#define MIN_H 400
#define MAX_H 1000

static long clampl(long v, long lo, long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* k-th smallest of a[0..n-1] (reorders a): Hoare partitioning, which stays
 * fast when many values are equal (zero padding, clipped samples). */
static float select_kth(float *a, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (lo < hi) {
        float pivot = a[lo + (hi - lo) / 2];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                float t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        /* a[lo..j] <= pivot <= a[i..hi]; anything between equals pivot */
        if (kk <= j)
            hi = j;
        else if (kk >= i)
            lo = i;
        else
            break;
    }
    return a[kk];
}

/* 99th percentile of the finite values in a[0..n-1] (reorders a), or 0. */
static double p99(float *a, size_t n)
{
    return n ? select_kth(a, n, (size_t)floor(0.99 * (double)(n - 1))) : 0.0;
}

/* Half-range m of the symmetric colour scale. The direct wave and ground
 * bounce are the same in every trace and often fill several per cent of
 * the samples, so a plain percentile of |value| would land in them and
 * leave buried objects near zero. Measuring instead how far each sample
 * lies from the median of its time row (background removal, for scaling
 * only: the data are drawn as they are) lets those bands saturate while
 * hyperbolas get the full scale. Falls back to |value| when the traces are
 * all alike (one trace, or no lateral change). */
static int robust_halfrange(const float *data, size_t nt, size_t ns,
                            double *m, const char *path)
{
    float *a = malloc(nt * ns * sizeof *a);
    float *row = malloc(nt * sizeof *row);
    if (!a || !row) {
        free(a);
        free(row);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t k = 0;
    for (size_t j = 0; j < ns; j++) {
        size_t nr = 0;
        for (size_t i = 0; i < nt; i++)
            if (isfinite(data[i * ns + j]))
                row[nr++] = data[i * ns + j];
        if (!nr)
            continue;
        float med = select_kth(row, nr, nr / 2);
        for (size_t i = 0; i < nt; i++)
            if (isfinite(data[i * ns + j]))
                a[k++] = fabsf(data[i * ns + j] - med);
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
    free(row);
    free(a);
    *m = v > 0.0 ? v : 1.0;
    return 0;
}

int ms_render_bscan(const char *path, const float *data, size_t n_traces,
                    size_t n_samples, const double *dist_m, double dt_s,
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
    const char *vlabel = spec->value_label ? spec->value_label : "amplitude";
    const char *xlabel =
        dist_m ? "distance along track (m)" : "trace number";

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

    /* column c shows the trace nearest its centre's distance; row r the
     * sample whose interval holds its centre's time */
    size_t *col_trace = malloc((size_t)wpx * sizeof *col_trace);
    if (!col_trace) {
        ms_plot_destroy(&p);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    for (long c = 0; c < wpx; c++) {
        double x = d_left + (c + 0.5) / (double)wpx * (d_right - d_left);
        size_t a = 0, b = n_traces - 1;
        if (!dist_m) {
            double i = floor(x + 0.5);
            a = i < 0 ? 0 : i > (double)b ? b : (size_t)i;
        } else {
            while (a < b) { /* first trace at or beyond x */
                size_t mid = a + (b - a) / 2;
                if (dist_m[mid] < x)
                    a = mid + 1;
                else
                    b = mid;
            }
            if (a > 0 && x - dist_m[a - 1] <= dist_m[a] - x)
                a--;
        }
        col_trace[c] = a;
    }
    const unsigned char(*tab)[3] = ms_colormap_table(spec->cmap);
    const unsigned char nodata[3] = {MS_RENDER_NODATA_GRAY,
                                     MS_RENDER_NODATA_GRAY,
                                     MS_RENDER_NODATA_GRAY};
    int stride;
    uint32_t *px = ms_plot_pixels_begin(&p, &stride);
    for (long r = 0; r < hpx; r++) {
        size_t j = (size_t)floor((r + 0.5) * (double)n_samples / (double)hpx);
        uint32_t *dst = px + (size_t)(plot.top + r) * stride + plot.left;
        for (long c = 0; c < wpx; c++) {
            int idx = ms_plot_cindex(data[col_trace[c] * n_samples + j], lo,
                                     hi);
            dst[c] = ms_rgb32(idx < 0 ? nodata : tab[idx]);
        }
    }
    ms_plot_pixels_end(&p);
    free(col_trace);

    cairo_t *cr = p.cr;
    ms_plot_frame(cr, plot);
    ms_plot_axis_bottom(cr, plot, d_left, d_right, &tx, xlabel);
    ms_plot_axis_left(cr, plot, 0.0, t_end_ns, &ty, "time (ns)");
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
    };
    rc = ms_plot_write(&p, path, own, sizeof own / sizeof own[0], spec);
    ms_plot_destroy(&p);
    return rc;
}
