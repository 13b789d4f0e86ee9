/* The run's figures, from plain inputs (maps, traces, the recording's
 * truth and marks, the alarms): heatmap.png, coverage.png, bscan.png.
 * Each is written into the output folder's staging area and recorded. */
#ifndef MINESCAN_FIGURES_H
#define MINESCAN_FIGURES_H

#include <stddef.h>

#include "core/outdir.h"
#include "minescan/detect.h"
#include "minescan/recording.h"
#include "minescan/render.h"

#define MS_FIGURES_MAX_COVERAGE 3

typedef struct ms_figures {
    const ms_recording *rec;  /* truth, marks, radar positions */
    const ms_detection *det;  /* alarms; which mines were detected */
    const ms_png_text *text;  /* carried by every PNG (recipe, parameters) */
    size_t n_text;
    /* Hit-count maps: cells that no map counts are drawn as not swept. */
    ms_map_view coverage[MS_FIGURES_MAX_COVERAGE];
    size_t n_coverage;
} ms_figures;

/* heatmap.png: `final` with truth (missed mines stand out), the operator's
 * marks and the alarms. */
int ms_figure_heatmap(ms_outdir *o, const ms_figures *f,
                      const ms_map_view *final, const char *title,
                      double alarm_threshold);
/* coverage.png: the first coverage map, titled for its sensor ("gpr",
 * "emi" or ""). Nothing when there is none. */
int ms_figure_coverage(ms_outdir *o, const ms_figures *f, const char *sensor);
/* sweep.png: the recorded track (radar, else metal detector) over the
 * lane, with the gaps at `footprint_m` and the stretches faster than
 * `speed_limit_m_s` (ms_sweep_quality_recording). Nothing when the
 * positions span no area. */
int ms_figure_sweep(ms_outdir *o, const ms_figures *f, double footprint_m,
                    double speed_limit_m_s);
/* bscan.png: filtered traces [n_traces][n_samples] of the recording's
 * radar along the sweep path; `slot` names them in a text chunk. */
int ms_figure_bscan(ms_outdir *o, const ms_figures *f, const float *traces,
                    size_t n_traces, size_t n_samples, const char *slot);

/* The depth slices' files, one per 5 cm slab from the surface to 1 m
 * (the names an output folder may hold). */
#define MS_SLICE_SLAB_M 0.05
#define MS_MAX_SLICES 20
#define MS_SLICE_FILES \
    "slice_0.00m.png", "slice_0.05m.png", "slice_0.10m.png", "slice_0.15m.png", \
    "slice_0.20m.png", "slice_0.25m.png", "slice_0.30m.png", "slice_0.35m.png", \
    "slice_0.40m.png", "slice_0.45m.png", "slice_0.50m.png", "slice_0.55m.png", \
    "slice_0.60m.png", "slice_0.65m.png", "slice_0.70m.png", "slice_0.75m.png", \
    "slice_0.80m.png", "slice_0.85m.png", "slice_0.90m.png", "slice_0.95m.png"

/* slice_<depth>m.png: a depth volume [nz][grid->ny][grid->nx] over the
 * cells of `grid` (its v unused; plane k spans [k, k + 1) * plane_m metres
 * below the surface) drawn as the RMS amplitude of each 5 cm slab (the
 * planes whose centres lie in it) down to 1 m, named by the slab's top,
 * all on one colour scale; `slot` names
 * the volume in a text chunk, "minescan:depth_m" gives the slab. */
int ms_figure_slices(ms_outdir *o, const ms_figures *f, const float *vol,
                     size_t nz, const ms_map_view *grid, double plane_m,
                     const char *slot);

#endif
