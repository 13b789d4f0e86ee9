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
/* bscan.png: filtered traces [n_traces][n_samples] of the recording's
 * radar along the sweep path; `slot` names them in a text chunk. */
int ms_figure_bscan(ms_outdir *o, const ms_figures *f, const float *traces,
                    size_t n_traces, size_t n_samples, const char *slot);

#endif
