/* Alarms from an anomaly map, and scoring them against ground truth by the
 * contract's convention (shared/spec/recording-format.md, "Scoring
 * convention"). */
#ifndef MINESCAN_DETECT_H
#define MINESCAN_DETECT_H

#include <stddef.h>
#include <stdio.h>

#include "minescan/recording.h"

typedef struct ms_alarm {
    double x, y;        /* metres, lane frame */
    double score;       /* map value at the peak */
    char detectors[16]; /* "gpr", "emi" or "gpr+emi" */
} ms_alarm;

/* A map over the lane: v[iy * nx + ix], cell centre at
 * (x_min + (ix + 0.5) * cell, y_min + (iy + 0.5) * cell). */
typedef struct ms_map_view {
    const float *v;
    size_t nx, ny;
    double x_min, y_min, cell;
} ms_map_view;

/* Local maxima (8-neighbourhood) of `map` at or above `threshold`, strongest
 * first, suppressing any weaker peak within `min_separation_m` of a
 * stronger one kept. `gpr`/`emi` (either may have v == NULL) are the
 * per-sensor standardised maps used to fill `detectors`: a sensor is named
 * when its value at the peak is at least `sensor_threshold`; when none is,
 * the stronger of the two is named (both on a tie; "" when neither map has
 * a value there). Returns 0 or a negative ms_err; *out is malloc'ed (NULL
 * when n == 0).
 * Details: NaN cells are no data (neither peaks nor neighbours) and cells
 * beyond the map edge do not count, so an edge cell can be a peak. A
 * plateau (8-connected cells of equal value with nothing higher around it)
 * gives one peak, at the plateau cell nearest its centroid (ties: lowest
 * raster index). Alarms sit at cell centres. Equal scores are ordered by
 * y, then x, of the cell. A peak exactly at `min_separation_m` is
 * suppressed (boundary included, like the halo); 0 suppresses nothing. */
int ms_alarms_find(const ms_map_view *map, const ms_map_view *gpr,
                   const ms_map_view *emi, double threshold,
                   double min_separation_m, double sensor_threshold,
                   ms_alarm **out, size_t *n);

/* alarms.csv: header x_m,y_m,score,detectors; alarms.geojson: a
 * FeatureCollection of Points in the lane frame (metres). Both atomic. */
int ms_alarms_write_csv(const char *path, const ms_alarm *a, size_t n);
int ms_alarms_write_geojson(const char *path, const ms_alarm *a, size_t n);

typedef struct ms_score {
    double halo_m, area_m2, threshold;
    size_t n_mines, n_clutter, n_alarms;
    size_t n_detected, n_false_alarms, n_clutter_alarms, n_duplicates;
    double pd;  /* NaN when the lane has no mines (written as null) */
    double far; /* false alarms per m^2 */
} ms_score;

/* Score alarms whose score >= threshold (pass -INFINITY for all). Greedy
 * by score, highest first; each alarm goes to the nearest undetected mine
 * within the halo (boundary included); further alarms on a detected mine
 * are false alarms and duplicates; false alarms within the halo of an
 * is_mine = 0 object are also clutter alarms. `detected` (may be NULL)
 * receives 1 per truth entry that was detected.
 * Choices the contract leaves open: alarms of equal score are matched in
 * their order in `alarms`; a mine at the same distance as another goes to
 * the lower truth index; "within the halo" is distance <= halo_m + 1e-9 m
 * (so decimal positions at exactly the halo count despite rounding).
 * truth NULL means no objects; area_m2 must be finite and > 0. */
int ms_score_alarms(const ms_truth *truth, double area_m2, double halo_m,
                    const ms_alarm *alarms, size_t n_alarms, double threshold,
                    ms_score *out, unsigned char *detected);

typedef struct ms_roc_point {
    double threshold, pd, far;
    size_t n_detected, n_false_alarms;
} ms_roc_point;

/* points[0] is "no alarms" (threshold +INFINITY, Pd 0, FAR 0), then one
 * point per distinct alarm score s, high to low, scoring every alarm with
 * score >= s. A lane without mines has Pd NaN at every point, and NaN
 * summary figures. Pd at FAR L: the best Pd over the points with FAR <=
 * L * (1 + 1e-9). AUC: Pd(FAR) is a step curve, Pd of a point held until
 * the next point's FAR and the last Pd held to FAR 1; its integral over
 * [0, 1] /m^2 (points beyond 1 cut off) divided by 1 /m^2. */
typedef struct ms_roc {
    ms_roc_point *points; /* thresholds from high to low */
    size_t n;
    double pd_at_far_0_1, pd_at_far_1; /* best Pd with FAR <= 0.1 and <= 1 */
    double auc_far_1; /* area under Pd vs FAR on [0, 1] /m^2, divided by 1 */
} ms_roc;

/* Sweep the threshold over every alarm score. */
int ms_roc_compute(const ms_truth *truth, double area_m2, double halo_m,
                   const ms_alarm *alarms, size_t n_alarms, ms_roc *out);
void ms_roc_free(ms_roc *roc);

/* score.json (the ms_score at the operating threshold plus the ROC summary
 * figures; pd null for a lane without mines), roc.csv (header
 * threshold,pd,far_per_m2,n_detected,n_false_alarms); roc.png is drawn by
 * ms_render_roc (minescan/render.h). */
int ms_score_write_json(const char *path, const ms_score *s, const ms_roc *roc);

/* What turns a map into alarms: all of it is recorded in summary.json. */
typedef struct ms_detect_options {
    double alarm_threshold;  /* in units of the final map (z), >= */
    double separation_m;     /* between alarms */
    double halo_m;           /* scoring halo */
    double sensor_threshold; /* a sensor is named in `detectors` from here */
} ms_detect_options;
ms_detect_options ms_detect_options_default(void);

typedef struct ms_detection {
    ms_alarm *alarms;        /* every candidate peak, strongest first */
    size_t n_candidates;     /* peaks above 0 (the ROC sweeps them) */
    size_t n_alarms;         /* the prefix at or above alarm_threshold */
    int scored;              /* truth was given: score, roc, detected */
    ms_score score;          /* at alarm_threshold */
    ms_roc roc;
    unsigned char *detected; /* per truth entry */
} ms_detection;

/* Alarms from `final` (gpr, emi: the per-sensor maps, either may be NULL
 * or empty) and, with `truth` (may be NULL), their score over `area_m2`
 * (finite, > 0) and the ROC. 0 or a negative ms_err; free with
 * ms_detection_free either way. */
int ms_detect(const ms_map_view *final, const ms_map_view *gpr,
              const ms_map_view *emi, const ms_truth *truth, double area_m2,
              const ms_detect_options *o, ms_detection *out);
void ms_detection_free(ms_detection *d);
int ms_roc_write_csv(const char *path, const ms_roc *roc);

/* ---- per target, and pooled over many lanes (minescan evaluate) ---------
 * What a set of lanes needs to be pooled under one common threshold: for
 * every truth object the threshold at which it first counts (a mine: the
 * score of the candidate peak that detects it in the greedy matching of
 * ms_score_alarms over all candidates; a clutter object: its strongest
 * false alarm), and what every candidate peak matched. Matching at a
 * threshold t is the prefix of the full matching, so a mine is detected at
 * t exactly when its detect_score >= t, and a clutter object has a
 * clutter alarm at t exactly when its max_false_alarm_score >= t. */
typedef enum ms_candidate_kind {
    MS_CANDIDATE_BACKGROUND = 0, /* a false alarm near no truth object */
    MS_CANDIDATE_MINE,           /* detects mine `truth_index` */
    MS_CANDIDATE_DUPLICATE,      /* a false alarm on an already detected mine */
    MS_CANDIDATE_CLUTTER,        /* a false alarm near clutter `truth_index` */
} ms_candidate_kind;

typedef struct ms_candidate_match {
    ms_candidate_kind kind;
    size_t truth_index; /* for MINE and CLUTTER, else SIZE_MAX */
} ms_candidate_match;

typedef struct ms_target_scores {
    size_t n_truth, n_alarms;
    /* per truth entry: the score of the alarm that detects the mine; NaN
     * for a mine no alarm detects and for every clutter object */
    double *detect_score;
    /* per truth entry: the highest score of a false alarm (duplicates
     * included, as ms_score_alarms counts clutter alarms) within the halo
     * of a clutter object; NaN when there is none, and for every mine */
    double *max_false_alarm_score;
    /* per alarm, in the order given. A false alarm within the halo of a
     * detected mine is a DUPLICATE even when clutter lies within its halo
     * too; otherwise CLUTTER names the nearest clutter object (equal
     * distances: the lower truth index). */
    ms_candidate_match *match;
} ms_target_scores;

/* Match every alarm (any score; NaN is refused) against `truth` (NULL: no
 * objects) with ms_score_alarms' rules and tie-breaks. 0 or a negative
 * ms_err; free with ms_target_scores_free either way. */
int ms_target_scores_compute(const ms_truth *truth, double halo_m,
                             const ms_alarm *alarms, size_t n_alarms,
                             ms_target_scores *out);
void ms_target_scores_free(ms_target_scores *s);

/* targets.csv: header index,label,is_mine,x_m,y_m,detected,detect_score,
 * max_false_alarm_score, one row per truth entry in /truth order (index
 * from 0); detected is 1 for a mine detected at `alarm_threshold` (the
 * run's alarms), empty scores where they are NaN. candidates.csv: header
 * x_m,y_m,score,match, one row per alarm in the order given, match
 * mine:INDEX, duplicate, clutter:INDEX or background. Scores are printed
 * with 9 significant digits (a float map value exactly), positions to
 * 0.1 mm. Both atomic. */
int ms_targets_write_csv(const char *path, const ms_truth *truth,
                         const ms_target_scores *s, double alarm_threshold);
int ms_candidates_write_csv(const char *path, const ms_alarm *alarms,
                            const ms_target_scores *s);
/* A CSV field as those files write their labels (RFC 4180): quoted, with
 * quotes doubled, only when it holds a comma, a quote or a line break. */
void ms_csv_write_field(FILE *f, const char *s);

/* The ROC of many lanes under one common threshold: `mine_scores` holds
 * every mine's detect_score (NaN: never detected), `false_alarm_scores`
 * the score of every candidate that detects no mine, over `area_m2` in
 * all. Points as ms_roc_compute's (the first "no alarms", then one per
 * distinct score of the union, high to low, with Pd = detected / mines and
 * FAR = false alarms / area), and the same summary figures; for the
 * candidates of one lane it gives ms_roc_compute's ROC exactly. */
int ms_roc_pool(const double *mine_scores, size_t n_mines,
                const double *false_alarm_scores, size_t n_false_alarms,
                double area_m2, ms_roc *out);

/* The operating point for a false-alarm limit: among the points with FAR
 * <= far_limit (the same 1e-9 relative slack as the ROC's figures), the
 * one with the best Pd and, of those, the highest threshold (fewest false
 * alarms for that Pd); without mines (Pd NaN), the lowest threshold within
 * the limit. Its Pd is the ROC's "Pd at FAR far_limit". Returns the point's
 * index (0, "no alarms", when nothing else qualifies). */
size_t ms_roc_operating_point(const ms_roc *roc, double far_limit);

/* ---- recordings along one straight line (a single B-scan, a cart line) ---
 * Such a recording has no width to grid: for a line along x (or y) the
 * runner makes its map a single row (column) of cells centred on the line;
 * a diagonal line is mapped over the strip around
 * it (and warned about). Either way its alarms are the peaks along its
 * traces, at their positions (ms_alarms_find_line), so each target gives
 * one alarm, on the line. Every line is also scored along its length
 * (score.json: far_per_m). */
typedef enum ms_line_kind {
    MS_LINE_NONE = 0, /* not one line (or all positions at one spot) */
    MS_LINE_ALONG_X,  /* y constant within the tolerance */
    MS_LINE_ALONG_Y,  /* x constant within the tolerance */
    MS_LINE_DIAGONAL, /* straight, at an angle to the lane frame's axes */
} ms_line_kind;

typedef struct ms_line {
    ms_line_kind kind;
    /* The middle of the positions along the line, on the line: for
     * ALONG_X, y0 is the line's y (the middle of the positions' y extent),
     * for ALONG_Y x0 is its x; for DIAGONAL the line is the principal axis
     * of the positions through their centroid. */
    double x0, y0;
    double ux, uy;       /* unit direction: (1, 0), (0, 1) or the axis */
    double length_m;     /* extent of the positions along the line */
    double max_offset_m; /* largest distance of a position from the line */
} ms_line;

/* Positions within MS_LINE_TOL_M of one straight line make a line
 * recording; MS_LINE_SWATH_M is the width of the strip it sweeps, the
 * denominator of false alarms per m^2 (with its length) when the file has
 * no /lane. */
#define MS_LINE_TOL_M 0.01
#define MS_LINE_SWATH_M 0.1

/* Whether the `n_sets` position sets (x[k], y[k], n[k] points each;
 * non-finite positions are ignored) lie along one straight line: every
 * position within tol_m of it and more than 2 tol_m of extent along it.
 * ALONG_X when the y extent is at most 2 tol_m (the line is then the
 * middle of that extent), likewise ALONG_Y, else DIAGONAL when every
 * position lies within tol_m of the principal axis. Fills *out (kind NONE
 * otherwise) and returns its kind. */
ms_line_kind ms_line_fit(const double *const x[], const double *const y[],
                         const size_t n[], size_t n_sets, double tol_m,
                         ms_line *out);
/* The same over a recording's GPR trace and EMI reading positions. */
ms_line_kind ms_recording_line(const ms_recording *rec, double tol_m,
                               ms_line *out);

/* Alarms of a line recording, on the line: the map sampled at the n
 * positions (x[i], y[i]) of its traces (bilinear between cell centres,
 * leaving out NaN cells and cells off the map), ordered by distance along
 * `line`; the peaks of that profile at or above `threshold` (a run of equal
 * values counts once, at its middle), strongest first, suppressing any
 * weaker peak within `min_separation_m` along the line of a stronger one
 * kept. Each alarm lies at the position of a trace, so a diagonal line or
 * one that wanders within the line tolerance gives one alarm per target,
 * on it. `detectors` as ms_alarms_find. */
int ms_alarms_find_line(const ms_map_view *map, const ms_map_view *gpr,
                        const ms_map_view *emi, const double *x,
                        const double *y, size_t n, const ms_line *line,
                        double threshold, double min_separation_m,
                        double sensor_threshold, ms_alarm **out,
                        size_t *n_out);

/* ms_detect for a line recording: alarms by ms_alarms_find_line along the
 * trace positions (x, y, n) of `line`, then scored as ms_detect does. */
int ms_detect_line(const ms_map_view *final, const ms_map_view *gpr,
                   const ms_map_view *emi, const ms_truth *truth,
                   double area_m2, const ms_detect_options *o,
                   const ms_line *line, const double *x, const double *y,
                   size_t n, ms_detection *out);

/* score.json (ms_score_write_json) with, for a line recording (`line` not
 * NULL and not NONE), the keys line_length_m, far_per_m (false alarms per
 * metre of line at the operating threshold; null for a zero length) and
 * line_swath_m (the strip width that made area_m2 = line_length_m x
 * line_swath_m; null when /lane gave the area: pass NaN). Atomic. */
int ms_score_write_json_line(const char *path, const ms_score *s,
                             const ms_roc *roc, const ms_line *line,
                             double swath_m);

#endif
