/* Evidence panels (evidence_<kind>_<n>.png): for every mine the trainee
 * found, every mine missed and every false mark, the map around it, the
 * radar traces of the sweep that passed closest and the metal detector
 * along that sweep (ms_render_evidence). Which marks found which mine comes
 * from score.json's "marks" items when the run wrote them, else from the
 * recording's /marks with the alarms' matching rules (greedy in mark
 * order, nearest mine not yet found within the halo; a further mark on a
 * found mine is a false mark), else (no /marks) from the alarms. */
#ifndef MINESCAN_EVIDENCE_H
#define MINESCAN_EVIDENCE_H

#include <stddef.h>

#include "core/outdir.h"
#include "report/figures.h"

/* At most this many panels of each kind (a training lane has a handful). */
#define MS_EVIDENCE_MAX_PER_KIND 20 /* MS_EVIDENCE_NAMES20 lists 20 */

typedef enum {
    MS_EVIDENCE_MINE = 0,   /* a mine found (by the trainee; by the alarms
                               when the recording has no marks) */
    MS_EVIDENCE_MISSED,     /* a mine not found */
    MS_EVIDENCE_FALSE_MARK, /* a mark near no mine */
    MS_EVIDENCE_KINDS
} ms_evidence_kind;

typedef struct ms_evidence_item {
    ms_evidence_kind kind;
    int n;             /* 1, 2, ... within its kind */
    double x, y;       /* metres */
    const char *file;  /* evidence_<kind>_<n>.png (static) */
    char type[64];     /* the truth label, "" if none */
    double gpr_nearest_m, emi_nearest_m; /* NaN without that sensor */
} ms_evidence_item;

typedef struct ms_evidence {
    ms_evidence_item items[MS_EVIDENCE_KINDS * MS_EVIDENCE_MAX_PER_KIND];
    size_t n;
    size_t n_left_out;  /* beyond MS_EVIDENCE_MAX_PER_KIND */
    int from_marks;     /* found/missed are the trainee's (marks) */
} ms_evidence;

/* The panel's title ("Missed mine 2 (PMN-2): x 1.20 m, y 0.40 m"), in the
 * current language. */
void ms_evidence_title(const ms_evidence_item *it, char *buf, size_t n);

/* "mine", "missed", "false_mark". */
const char *ms_evidence_kind_name(ms_evidence_kind k);

/* Every file name the panels may take, for the output folder's list of
 * known names (so that a rerun removes panels it no longer writes): as an
 * initializer list, and as an array. */
#define MS_EVIDENCE_NAMES20(k)                                                 \
    "evidence_" k "_1.png", "evidence_" k "_2.png", "evidence_" k "_3.png",    \
        "evidence_" k "_4.png", "evidence_" k "_5.png",                        \
        "evidence_" k "_6.png", "evidence_" k "_7.png",                        \
        "evidence_" k "_8.png", "evidence_" k "_9.png",                        \
        "evidence_" k "_10.png", "evidence_" k "_11.png",                      \
        "evidence_" k "_12.png", "evidence_" k "_13.png",                      \
        "evidence_" k "_14.png", "evidence_" k "_15.png",                      \
        "evidence_" k "_16.png", "evidence_" k "_17.png",                      \
        "evidence_" k "_18.png", "evidence_" k "_19.png",                      \
        "evidence_" k "_20.png"
#define MS_EVIDENCE_FILE_NAMES                                                 \
    MS_EVIDENCE_NAMES20("mine"), MS_EVIDENCE_NAMES20("missed"),               \
        MS_EVIDENCE_NAMES20("false_mark")
extern const char *const ms_evidence_files[MS_EVIDENCE_KINDS *
                                           MS_EVIDENCE_MAX_PER_KIND];

/* The sensors' data for the panels: filtered radar traces
 * [n_traces][n_samples] at the recording's radar positions (NULL for
 * none) and one metal-detector value per reading at its positions
 * (`emi[i * emi_stride]`, NULL for none). */
typedef struct ms_evidence_data {
    const float *gpr;
    size_t gpr_n, gpr_samples;
    const float *emi;
    size_t emi_n, emi_stride;
} ms_evidence_data;

/* Write the panels into the folder's staging area and record them; `out`
 * lists them for the page. 0 or a negative ms_err. */
int ms_evidence_write(ms_outdir *o, const ms_figures *f,
                      const ms_map_view *final, const ms_evidence_data *d,
                      double halo_m, ms_evidence *out);

#endif
