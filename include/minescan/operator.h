/* What the operator (the trainee) did on a lane: their marks scored
 * against the truth, and the quality of their sweep from the recorded
 * positions. Both go into score.json (keys "marks" and "sweep"). */
#ifndef MINESCAN_OPERATOR_H
#define MINESCAN_OPERATOR_H

#include <stddef.h>

#include "minescan/recording.h"

/* ---- marks (pipeline/detect/marks_score.c) ------------------------------ */
typedef enum ms_mark_kind {
    MS_MARK_FOUND = 0, /* a mark that found a mine: at the mine */
    MS_MARK_MISSED,    /* a mine no mark found: at the mine */
    MS_MARK_FALSE,     /* a mark that found no mine: at the mark */
} ms_mark_kind;

typedef struct ms_mark_item {
    ms_mark_kind kind;
    double x, y;           /* the mine (found, missed) or the mark (false) */
    double mark_x, mark_y; /* the mark (found, false); NaN for missed */
    double distance_m;     /* mark to mine (found); NaN otherwise */
    const char *type;      /* the truth label (found, missed) or NULL;
                              points into the truth */
    size_t truth_index;    /* found, missed: which truth entry */
    size_t mark_index;     /* found, false: which mark */
} ms_mark_item;

typedef struct ms_marks_score {
    double halo_m, area_m2;
    size_t n_mines, n_marks, found, missed, false_marks;
    double false_marks_per_m2;
    ms_mark_item *items; /* found and false in matching order, then missed */
    size_t n_items;
} ms_marks_score;

/* Scores marks by the rule that scores alarms (ms_score_alarms): marks are
 * taken in time order (file order without /marks/time, and for equal
 * times); each goes to the nearest mine within the halo (boundary
 * included) that no earlier mark found; any other mark is a false mark,
 * so each mine counts once. `marks` or `truth` may be NULL (none);
 * area_m2 finite and > 0. Free with ms_marks_score_free either way. */
int ms_marks_score_compute(const ms_truth *truth, const ms_marks *marks,
                           double area_m2, double halo_m,
                           ms_marks_score *out);
void ms_marks_score_free(ms_marks_score *s);

/* ---- sweep quality (pipeline/detect/sweep_quality.c) -------------------- */
typedef struct ms_sweep_options {
    double footprint_m;   /* sensor footprint (diameter) that counts as swept */
    double speed_limit_m_s;
} ms_sweep_options;
ms_sweep_options ms_sweep_options_default(void); /* 0.15 m, 0.5 m/s */

/* One sensor's recorded track: positions, and time and height or NULL. */
typedef struct ms_track_view {
    size_t n;
    const double *x, *y, *t, *h;
} ms_track_view;

typedef struct ms_sweep_gap {
    double x0, y0, x1, y1; /* bounding box */
    double area_m2;        /* uncovered cells' area, not the box's */
} ms_sweep_gap;

typedef struct ms_speed_point {
    double x, y, speed;
} ms_speed_point;

typedef struct ms_sweep_quality {
    double footprint_m, speed_limit_m_s, cell_m;
    ms_lane lane;             /* the rectangle covered */
    double coverage_fraction; /* lane cells within footprint/2 of the track */
    double gap_area_m2;       /* sum over `gaps` */
    ms_sweep_gap *gaps;       /* largest first */
    size_t n_gaps;
    double overlap_mean;      /* mean passes over covered cells */
    /* speeds: NaN when no track has time */
    double speed_median, speed_p95, fraction_over_limit;
    ms_speed_point *over_limit; /* one per stretch over the limit (fastest) */
    size_t n_over_limit;
    double height_median; /* NaN when no height is recorded */
    const char *speed_sensor; /* "gpr", "emi" or "" */
} ms_sweep_quality;

/* Quality of the sweep over `lane` from up to two tracks (GPR and EMI: a
 * cell is covered when either track covers it; its pass count is the
 * larger). Consecutive samples further apart than MS_SWEEP_JOIN_M are not
 * joined (the head was off the ground or the sensor off). Speed comes from
 * the first track with time, height from the first track with height.
 * Gaps are 4-connected uncovered regions of at least MS_SWEEP_MIN_GAP_CELLS
 * cells. Free with ms_sweep_quality_free either way. */
#define MS_SWEEP_JOIN_M 0.5
#define MS_SWEEP_MIN_GAP_CELLS 4
/* score.json lists this many of the largest gaps (n_gaps counts all). */
#define MS_SWEEP_MAX_GAPS_LISTED 200
int ms_sweep_quality_compute(const ms_lane *lane, const ms_track_view *tracks,
                             const char *const *names, size_t n_tracks,
                             const ms_sweep_options *o, ms_sweep_quality *out);
/* The same from a recording's GPR and EMI positions and its lane
 * (ms_recording_lane). */
int ms_sweep_quality_recording(const ms_recording *rec,
                               const ms_sweep_options *o,
                               ms_sweep_quality *out);
void ms_sweep_quality_free(ms_sweep_quality *q);

#endif
