/* Helpers shared by the files of pipeline/detect (private). */
#ifndef MINESCAN_DETECT_INTERNAL_H
#define MINESCAN_DETECT_INTERNAL_H

#include <stdio.h>

/* An output file written as PATH.tmp and renamed onto PATH only when
 * complete, so a failed run never leaves a half-written file under the
 * final name (the same convention as ms_png_write). */
typedef struct ms_detect_out {
    FILE *f;
    const char *path;
    char *tmp;
} ms_detect_out;

/* Returns 0 or MS_ERR_IO / MS_ERR_NOMEM with a message naming `path`. */
int ms_detect_out_open(ms_detect_out *o, const char *path);
/* Flushes, closes and renames; on any failure removes the temporary file
 * and returns MS_ERR_IO naming the file. Always releases `o`. */
int ms_detect_out_commit(ms_detect_out *o);
/* Gives up: closes and removes the temporary file. */
void ms_detect_out_abort(ms_detect_out *o);

/* Distances equal to a radius (the halo, the suppression distance) count
 * as inside it; this slack keeps that true when the radius and the
 * positions are decimal numbers that binary floating point cannot hold
 * exactly (1.35 - 1.10 > 0.25 in doubles). */
#define MS_DIST_TOL_M 1e-9

/* The matching step that scores alarms (score.c) and marks (marks_score.c):
 * the nearest mine to (x, y) within the halo (boundary included) whose
 * det[] is still 0 (equal distances: the lower truth index); mine is
 * SIZE_MAX when there is none. near_mine / near_clutter: whether any mine
 * (found or not) / any is_mine = 0 object lies within the halo. */
typedef struct ms_halo_match {
    size_t mine;
    double distance;
    int near_mine, near_clutter;
} ms_halo_match;
struct ms_truth;
ms_halo_match ms_match_in_halo(const struct ms_truth *t, double halo_m,
                               double x, double y, const unsigned char *det);

/* The alarm finders' (alarms.c, line_alarms.c) thresholds are numbers
 * and the separation finite and >= 0: 0, or MS_ERR_INVALID_INPUT with
 * the message. */
int ms_alarm_params_check(double threshold, double sensor_threshold,
                          double min_separation_m);

struct ms_map_view;
/* A map's geometry is usable (positive finite cell, finite origin). */
int ms_map_view_ok(const struct ms_map_view *m);
/* The value of a map at (x, y): the cell holding the point; NaN where the
 * map is absent, the point lies outside it or the cell is NaN. */
double ms_map_cell_at(const struct ms_map_view *m, double x, double y);
/* alarms.csv's detectors field from the GPR and EMI map values at an
 * alarm: the sensors at or above thr, else the stronger one. */
void ms_alarm_name_detectors(char out[16], double g, double e, double thr);

#endif
