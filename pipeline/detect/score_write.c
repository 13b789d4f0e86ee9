/* score.json and roc.csv (shared/spec/outputs.md); roc.png is drawn by
 * pipeline/render/roc_render.c. Every file is written to a temporary name
 * and renamed into place. */
#include "minescan/detect.h"
#include "minescan/error.h"

#include "detect/detect_internal.h"
#include "detect/operator_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number, or null where it is undefined (NaN, infinite). */
static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The score's keys as a JSON object, or NULL when out of memory. */
static json_t *score_json(const ms_score *s, const ms_roc *roc)
{
    double nan = NAN;
    return json_pack(
        "{s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, "
        "s:o, s:o, s:I, s:s}",
        "halo_m", num_or_null(s->halo_m), "area_m2", num_or_null(s->area_m2),
        /* -INFINITY ("every alarm") has no JSON form: null */
        "threshold", num_or_null(s->threshold), "n_mines",
        (json_int_t)s->n_mines, "n_clutter", (json_int_t)s->n_clutter,
        "n_alarms", (json_int_t)s->n_alarms, "n_detected",
        (json_int_t)s->n_detected, "n_false_alarms",
        (json_int_t)s->n_false_alarms, "n_clutter_alarms",
        (json_int_t)s->n_clutter_alarms, "n_duplicates",
        (json_int_t)s->n_duplicates, "pd", num_or_null(s->pd), "far_per_m2",
        num_or_null(s->far), "pd_at_far_0_1",
        num_or_null(roc ? roc->pd_at_far_0_1 : nan), "pd_at_far_1",
        num_or_null(roc ? roc->pd_at_far_1 : nan), "auc_far_1",
        num_or_null(roc ? roc->auc_far_1 : nan), "roc_points",
        (json_int_t)(roc ? roc->n : 0), "auc_interpolation",
        "step: Pd held from each ROC point to the next, the last held to "
        "FAR 1 /m^2");
}

/* Write `root` (taken) to `path` atomically. */
static int write_json(const char *path, const char *name, json_t *root)
{
    if (!root)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory building the JSON",
                       name);
    ms_detect_out o;
    int rc = ms_detect_out_open(&o, path);
    if (!rc) {
        /* 15 digits: 0.1 prints as 0.1, not 0.10000000000000001 */
        if (json_dumpf(root, o.f, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) ||
            fputc('\n', o.f) == EOF) {
            ms_detect_out_abort(&o);
            rc = ms_fail(MS_ERR_IO, "%s: writing failed", name);
        } else {
            rc = ms_detect_out_commit(&o);
        }
    }
    json_decref(root);
    return rc;
}

int ms_score_write_json(const char *path, const ms_score *s, const ms_roc *roc)
{
    const char *name = path ? path : "score.json";
    if (!s)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no score given", name);
    return write_json(path, name, score_json(s, roc));
}

int ms_score_write_json_line(const char *path, const ms_score *s,
                             const ms_roc *roc, const ms_line *line,
                             double swath_m)
{
    if (!s)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no score given",
                       path ? path : "score.json");
    return ms_score_write_lane_json(path, s, roc, line, swath_m, NULL, NULL);
}

/* Sets `key` to `v` (taken) in root; on failure releases root: NULL. */
static json_t *add_key(json_t *root, const char *key, json_t *v)
{
    if (root && (!v || json_object_set_new(root, key, v))) {
        json_decref(root);
        return NULL;
    }
    if (!root)
        json_decref(v);
    return root;
}

int ms_score_write_lane_json(const char *path, const ms_score *s,
                             const ms_roc *roc, const ms_line *line,
                             double swath_m, const ms_marks_score *marks,
                             const ms_sweep_quality *sweep)
{
    const char *name = path ? path : "score.json";
    json_t *root = s ? score_json(s, roc) : json_object();
    if (root && s && line && line->kind != MS_LINE_NONE) {
        double far_m = line->length_m > 0
                           ? (double)s->n_false_alarms / line->length_m
                           : NAN;
        root = add_key(root, "far_per_m", num_or_null(far_m));
        root = add_key(root, "line_length_m", num_or_null(line->length_m));
        root = add_key(root, "line_swath_m", num_or_null(swath_m));
    }
    if (marks)
        root = add_key(root, "marks", ms_marks_score_json(marks));
    if (sweep)
        root = add_key(root, "sweep", ms_sweep_quality_json(sweep));
    return write_json(path, name, root);
}

int ms_roc_write_csv(const char *path, const ms_roc *roc)
{
    if (!roc || (roc->n && !roc->points))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no ROC given",
                       path ? path : "roc.csv");
    ms_detect_out o;
    int rc = ms_detect_out_open(&o, path);
    if (rc)
        return rc;
    fputs("threshold,pd,far_per_m2,n_detected,n_false_alarms\n", o.f);
    for (size_t i = 0; i < roc->n; i++) {
        const ms_roc_point *p = &roc->points[i];
        /* the first point ("no alarms") has threshold inf; Pd of a lane
         * without mines is undefined: an empty field */
        fprintf(o.f, "%.9g,", p->threshold);
        if (!isnan(p->pd))
            fprintf(o.f, "%.9g", p->pd);
        fprintf(o.f, ",%.9g,%zu,%zu\n", p->far, p->n_detected,
                p->n_false_alarms);
    }
    return ms_detect_out_commit(&o);
}
