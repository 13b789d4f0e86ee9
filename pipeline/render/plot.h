/* Drawing shared by the map and B-scan renderers (private to
 * pipeline/render): a cairo RGB24 canvas, text, axes with "nice" ticks, a
 * colour bar, and writing the canvas with ms_png_write. Rectangles are in
 * pixel EDGE coordinates: columns left..right-1 and rows top..bottom-1. */
#ifndef MINESCAN_RENDER_PLOT_H
#define MINESCAN_RENDER_PLOT_H

#include "minescan/render.h"

#include <cairo.h>
#include <stdint.h>

/* Largest side of any image we draw: far below cairo's 32767 limit, and a
 * 16000 x 4000 image is still only 256 MB of pixels. */
#define MS_PLOT_MAX_SIDE 16000

typedef struct ms_rect {
    int left, top, right, bottom;
} ms_rect;

typedef struct ms_plot {
    cairo_surface_t *surface;
    cairo_t *cr;
    int width, height;
} ms_plot;

/* Font sizes in pixels, chosen to stay readable when the image is shown
 * scaled down in a browser. */
#define MS_FONT_TICK 13.0
#define MS_FONT_LABEL 15.0
#define MS_FONT_TITLE 18.0

/* A white canvas; returns 0 or MS_ERR_NOMEM naming `path`. */
int ms_plot_create(ms_plot *p, int width, int height, const char *path);
void ms_plot_destroy(ms_plot *p);

/* Direct access to the pixels (0x00RRGGBB, native endian) for the data
 * image; call ms_plot_pixels_end before drawing with cairo again. */
uint32_t *ms_plot_pixels_begin(ms_plot *p, int *stride_px);
void ms_plot_pixels_end(ms_plot *p);

static inline uint32_t ms_rgb32(const unsigned char rgb[3])
{
    return ((uint32_t)rgb[0] << 16) | ((uint32_t)rgb[1] << 8) | rgb[2];
}

/* Colour-table index for value v on the range lo..hi (rounded, clamped);
 * -1 for NaN. */
int ms_plot_cindex(double v, double lo, double hi);

/* A context for measuring text before the canvas exists. */
cairo_t *ms_measure_context(void);
double ms_text_width(cairo_t *cr, const char *s, double size, int bold);
/* The height of the line box `s` takes (Khmer's stacked vowels and
 * subscripts make it taller than a Latin line of the same size). */
double ms_text_height(cairo_t *cr, const char *s, double size, int bold);
/* Glyphs of `s` that no installed font has (drawn as boxes): 0 when every
 * character of the label can be shown. */
int ms_text_unknown_glyphs(const char *s, double size, int bold);

/* Text with its anchor at (x, y): ax 0/0.5/1 = left/centre/right,
 * ay 0/0.5/1 = top/middle/bottom of the line; `vertical` rotates it to
 * read bottom-to-top (the anchor is then in the rotated frame). */
void ms_plot_text(cairo_t *cr, double x, double y, const char *s,
                  double size, int bold, double ax, double ay, int vertical);

/* Tick values ("nice" 1-2-5 steps) and labels for an axis whose value is
 * v_a at one end and v_b at the other, about one tick per `spacing_px`. */
#define MS_MAX_TICKS 64
typedef struct ms_ticks {
    int n;
    double value[MS_MAX_TICKS];
    char label[MS_MAX_TICKS][24];
    double max_width; /* widest label, pixels at MS_FONT_TICK */
} ms_ticks;
void ms_ticks_make(ms_ticks *t, cairo_t *cr, double v_a, double v_b,
                   double len_px, double spacing_px);

/* A 1-px frame just outside r, so no data pixel is covered. */
void ms_plot_frame(cairo_t *cr, ms_rect r);
/* Ticks and labels under r (v_a at r.left, v_b at r.right) with the axis
 * label below them. */
void ms_plot_axis_bottom(cairo_t *cr, ms_rect r, double v_a, double v_b,
                         const ms_ticks *t, const char *label);
/* Ticks and labels left of r (v_a at r.top, v_b at r.bottom) with the
 * axis label rotated beside them. */
void ms_plot_axis_left(cairo_t *cr, ms_rect r, double v_a, double v_b,
                       const ms_ticks *t, const char *label);
/* Height below the plot taken by ms_plot_axis_bottom, and width left of it
 * taken by ms_plot_axis_left. */
int ms_axis_bottom_size(void);
int ms_axis_left_size(const ms_ticks *t);

/* Colour bar in `bar` (value lo at the bottom, hi at the top): labelled
 * ticks at both ends and at "nice" values between them, and the label
 * rotated on its right. ms_colorbar_width: the width it needs right of
 * bar.left for a bar len_px tall. */
void ms_plot_colorbar(ms_plot *p, ms_rect bar, ms_colormap cmap, double lo,
                      double hi, const char *label);
int ms_colorbar_width(cairo_t *cr, double lo, double hi, double len_px,
                      const char *label);

/* A heatmap marker centred at (x, y) pixels (shapes in map_render.c). */
void ms_plot_marker(cairo_t *cr, ms_marker_kind kind, double x, double y);

/* Title centred over r (or over the image when wider than r). */
void ms_plot_title(ms_plot *p, ms_rect r, const char *title);

/* Write the canvas with the renderer's own text chunks followed by
 * spec->text. Returns 0 or a negative ms_err. */
int ms_plot_write(ms_plot *p, const char *path, const ms_png_text *own,
                  size_t n_own, const ms_image_spec *spec);

/* Validate the parts of a spec every renderer uses. */
int ms_spec_check(const ms_image_spec *spec, const char *path);

#endif
