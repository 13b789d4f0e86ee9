/* PNG output: maps in the lane frame and B-scans, drawn with cairo (axes,
 * colour bar, markers) and written with libpng with text chunks that record
 * the software version, the recipe and the map extent. */
#ifndef MINESCAN_RENDER_H
#define MINESCAN_RENDER_H

#include <stddef.h>

typedef enum {
    MS_CMAP_VIRIDIS = 0, /* sequential, perceptually uniform: anomaly maps */
    MS_CMAP_MAGMA,       /* sequential: energy */
    MS_CMAP_GRAY,        /* B-scans */
    MS_CMAP_BALANCE,     /* diverging blue-white-red, for signed data
                            (B-scan amplitude): blue < 0 < red */
} ms_colormap;

/* Look up colour for t in [0,1] (clamped; NaN counts as 0), interpolating
 * linearly between the 256 table entries; rgb receives 3 bytes. */
void ms_colormap_rgb(ms_colormap cmap, double t, unsigned char rgb[3]);
/* The 256-entry sRGB table (entry 0 is t = 0, entry 255 is t = 1), e.g. as
 * the palette of an indexed image. Sources are cited in colormap.c. */
const unsigned char (*ms_colormap_table(ms_colormap cmap))[3];
/* "viridis", "magma", "gray", "balance (...)": for messages and legends. */
const char *ms_colormap_name(ms_colormap cmap);

/* The neutral grey that marks map cells and samples without data (NaN),
 * shown as "no coverage" in the legend. */
#define MS_RENDER_NODATA_GRAY 150

typedef enum {
    MS_MARKER_MINE = 0,  /* truth: a mine (must be found) */
    MS_MARKER_CLUTTER,   /* truth: a harmless object */
    MS_MARKER_OPERATOR,  /* a mark the operator placed */
    MS_MARKER_ALARM,     /* an alarm from the detector */
    MS_MARKER_MISSED,    /* a mine nothing detected */
} ms_marker_kind;

typedef struct ms_marker {
    double x, y; /* metres, lane frame */
    ms_marker_kind kind;
} ms_marker;

typedef struct ms_png_text {
    const char *key, *value;
} ms_png_text;

/* Write an 8-bit PNG from `pixels` (rows `stride` bytes apart; channels 3 =
 * RGB or 4 = RGBA, not premultiplied) with text chunks "Software" =
 * "minescan " MINESCAN_VERSION followed by `text` (keys 1..79 printable
 * Latin-1 characters; a value with non-ASCII bytes is written as UTF-8
 * iTXt). Writes PATH.tmp and renames it onto PATH, so a failure never
 * leaves a partial image. MS_ERR_IO (message names the file) when the
 * folder is missing or not writable; MS_ERR_INVALID_INPUT for bad sizes or
 * keys. */
int ms_png_write(const char *path, const unsigned char *pixels, size_t width,
                 size_t height, size_t stride, int channels,
                 const ms_png_text *text, size_t n_text);

typedef struct ms_image_spec {
    const char *title;          /* drawn above the plot, may be NULL */
    const char *value_label;    /* colour-bar label, may be NULL */
    ms_colormap cmap;
    int symmetric;              /* scale to [-m, m], m = max |value| */
    double vmin, vmax;          /* used when vmin < vmax; else auto */
    const ms_png_text *text;    /* extra text chunks (version, recipe...) */
    size_t n_text;
} ms_image_spec;

/* A map `map[iy * nx + ix]` of nx x ny cells on a regular grid whose OUTER
 * EDGES are [x_min, x_max] x [y_min, y_max] (metres, lane frame): cell ix
 * spans x_min + ix*dx .. x_min + (ix+1)*dx, dx = (x_max - x_min) / nx, its
 * centre at x_min + (ix + 0.5)*dx; likewise in y. Row iy = 0 is at y_min
 * and is drawn at the bottom (y up), x to the right, with equal metres per
 * pixel on both axes (to within the rounding of the plot size to whole
 * pixels, under 1 px over the extent). NaN cells are drawn in
 * MS_RENDER_NODATA_GRAY. Colour range: spec->vmin..vmax when vmin < vmax,
 * else [-m, m] with m = max |value| when spec->symmetric, else the finite
 * min..max. spec may be NULL (viridis, auto range, no title).
 *
 * Text chunks, besides "Software" and spec->text:
 *   "minescan:extent"     = "x_min x_max y_min y_max" (metres, %.9g)
 *   "minescan:plot_area"  = "left top right bottom" (pixels)
 *   "minescan:grid"       = "nx ny"
 *   "minescan:value_range"= "lo hi" (values at the colour bar's ends)
 * plot_area gives pixel EDGE coordinates: the left edge of pixel column
 * `left` is x_min, the left edge of column `right` (one past the last
 * column of the map) is x_max, the top edge of row `top` is y_max and the
 * top edge of row `bottom` is y_min. So position (x, y) lies in pixel
 *   col = floor(left + (x - x_min) / (x_max - x_min) * (right - left))
 *   row = floor(top + (y_max - y) / (y_max - y_min) * (bottom - top))
 * and the centre of pixel (col, row) is at
 *   x = x_min + (col + 0.5 - left) / (right - left) * (x_max - x_min)
 *   y = y_max - (row + 0.5 - top) / (bottom - top) * (y_max - y_min).
 * Returns 0 or a negative ms_err. */
int ms_render_map(const char *path, const float *map, size_t nx, size_t ny,
                  double x_min, double x_max, double y_min, double y_max,
                  const ms_marker *markers, size_t n_markers,
                  const ms_image_spec *spec);

/* A B-scan `data[trace * n_samples + sample]`: trace i drawn at along-track
 * distance dist_m[i] (metres, finite, non-decreasing; NULL = evenly 0..n-1,
 * labelled "trace number"), time downwards from 0 to n_samples * dt_s; the
 * plot is at most 1600 x 800 pixels (a screen's worth): each pixel shows
 * the signed value of largest magnitude among the traces whose distance
 * and the samples whose interval [j*dt, (j+1)*dt) fall in it (a small
 * hyperbola keeps its strength), or the nearest trace or sample where none
 * does ("minescan:bscan_pixel" says so). Colours: spec->vmin..vmax
 * when vmin < vmax, else symmetric about 0, [-m, m], with m = the 99th
 * percentile of |value - median of its time row over all traces| (for
 * scaling only; the data are drawn unchanged), so the direct wave and
 * ground bounce, alike in every trace, saturate instead of leaving buried
 * objects near zero; with one trace (or no lateral change) m is the 99th
 * percentile of |value|. Larger values saturate. spec NULL = the diverging
 * MS_CMAP_BALANCE map (a zeroed spec means viridis: set .cmap). Text
 * chunks: "minescan:bscan_extent" = "dist_left dist_right time_top_ns
 * time_bottom_ns" (distance in metres, or traces when dist_m is NULL;
 * dist_left/right are half a mean trace spacing beyond the first/last
 * trace, or 0.05 m / 0.5 traces when all traces share one position), "minescan:plot_area" as for maps (same pixel-edge convention, with
 * time growing downwards from row `top`), "minescan:bscan_shape" =
 * "n_traces n_samples", "minescan:value_range" = "lo hi",
 * "minescan:colormap". */
int ms_render_bscan(const char *path, const float *data, size_t n_traces,
                    size_t n_samples, const double *dist_m, double dt_s,
                    const ms_image_spec *spec);

/* roc.png: Pd against false alarms per m2 (minescan/detect.h), marking the
 * operating point `op` (the alarms at the run's threshold; NULL for none)
 * and printing Pd at FAR 0.1 and 1 and the AUC. Text chunks:
 * "minescan:plot_area" (pixel edges of the plot) and "minescan:roc_axes"
 * ("0 far_max 0 1"), so a pixel can be turned back into (FAR, Pd). */
struct ms_roc;
struct ms_score;
int ms_render_roc(const char *path, const struct ms_roc *roc,
                  const struct ms_score *op, const char *title);

/* A score histogram (minescan evaluate's scores.png): groups of scores
 * drawn as overlaid step histograms on one score axis, each bin's height
 * the share of its group's members (so groups of very different sizes
 * compare), with a legend of `label`s (the caller puts the counts there).
 * NaN in `v` is a member without a score (a mine never detected): those
 * are drawn as bars in a separate "none" column left of the axis. The
 * axis runs from min(0, lowest score) to the highest group's 90th
 * percentile (at least 10 % beyond every mark, rounded up to a tick);
 * higher scores go into the last bin, which the axis label says. `marks` are labelled
 * vertical lines (thresholds). Text chunks: "Title", "minescan:plot_area"
 * (pixel edges of the score panel), "minescan:hist_axes" ("x_lo x_hi 0
 * y_max": score and share at those edges), "minescan:hist_bins" ("n
 * width"), "minescan:hist_groups" (one line per group: "label: N members,
 * K without a score, M above x_hi"), then `text`. 0 or a negative ms_err. */
typedef struct ms_hist_group {
    const char *label;
    const double *v;
    size_t n;
    unsigned char rgb[3];
} ms_hist_group;

typedef struct ms_hist_mark {
    double x;
    const char *label;
} ms_hist_mark;

int ms_render_score_hist(const char *path, const char *title,
                         const char *x_label, const ms_hist_group *groups,
                         size_t n_groups, const ms_hist_mark *marks,
                         size_t n_marks, const ms_png_text *text,
                         size_t n_text);

/* An evidence panel (evidence_<kind>_<n>.png): what a trainer looks at
 * for one target (a mine, a missed mine, a false mark): the map around it
 * with the point marked, the radar traces of the sweep that passed closest
 * (a window of them, offsets in metres along that sweep from its closest
 * trace), and the metal-detector response along that sweep. Parts without
 * data (no radar, no metal detector) say so. Text chunks: "minescan:extent"
 * and "minescan:plot_area" of the map crop (conventions as for
 * ms_render_map), "minescan:target" = "x y", "minescan:gpr_window" and
 * "minescan:emi_window" = "offset_left offset_right nearest_m" (metres),
 * then spec->text. The point itself is a 3 x 3 block of MS_EVIDENCE_DOT
 * pixels centred on the pixel that holds it. 0 or a negative ms_err. */
#define MS_EVIDENCE_DOT 0xff00ffu /* magenta, in no colour map used */
typedef struct ms_evidence_spec {
    const char *title;
    double x, y;          /* the target, metres, lane frame */
    ms_marker_kind kind;  /* its marker */
    double half_m;        /* the map crop spans x +- half_m, y +- half_m */
    /* the map (as for ms_render_map) and its colour range */
    const float *map;
    size_t nx, ny;
    double x_min, x_max, y_min, y_max, lo, hi;
    const ms_marker *markers; /* every marker; those in the crop are drawn */
    size_t n_markers;
    /* radar: traces [gpr_n][gpr_samples] at offsets gpr_off[] (increasing,
     * metres along the sweep, 0 = its trace closest to the target) */
    const float *gpr;
    size_t gpr_n, gpr_samples;
    const double *gpr_off;
    double dt_s, gpr_nearest_m;
    /* metal detector: one value per reading at offsets emi_off[] */
    const float *emi;
    size_t emi_n;
    const double *emi_off;
    double emi_nearest_m;
    const ms_png_text *text;
    size_t n_text;
} ms_evidence_spec;

int ms_render_evidence(const char *path, const ms_evidence_spec *spec);

/* sweep.png: the lane hatched, the recorded track painted over it
 * footprint_m wide (broken where consecutive positions are more than
 * join_m apart), so that what stays hatched is what the sensor did not
 * cover; the gaps' bounding boxes outlined (dashed), and the places the
 * sweep went faster than the limit as triangles; equal metres per pixel. Text
 * chunks: "minescan:extent" and "minescan:plot_area" (conventions as for
 * ms_render_map), "minescan:gaps_fast" = "n_gaps n_fast", then spec->text.
 * 0 or a negative ms_err. */
typedef struct ms_sweep_box {
    double x0, y0, x1, y1;
} ms_sweep_box;
typedef struct ms_sweep_spot {
    double x, y;
} ms_sweep_spot;
typedef struct ms_sweep_spec {
    const char *title;
    double x_min, x_max, y_min, y_max; /* the lane */
    const double *track_x, *track_y;
    size_t n_track;
    double join_m, footprint_m;
    const ms_sweep_box *gaps;
    size_t n_gaps;
    const ms_sweep_spot *fast;
    size_t n_fast;
    const char *fast_label; /* the legend's words for the triangles */
    const ms_png_text *text;
    size_t n_text;
} ms_sweep_spec;

int ms_render_sweep(const char *path, const ms_sweep_spec *spec);

#endif
