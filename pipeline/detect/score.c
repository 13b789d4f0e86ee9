/* Scoring alarms against ground truth by the contract's convention
 * (shared/spec/recording-format.md, "Scoring convention"), and the ROC
 * sweep over the alarm threshold. */
#include "minescan/detect.h"
#include "minescan/error.h"

#include "detect/detect_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int check_inputs(const ms_truth *t, double area_m2, double halo_m,
                        const ms_alarm *a, size_t n)
{
    if (!(area_m2 > 0) || !isfinite(area_m2))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "scoring: lane area %g m^2 (must be finite and > 0; "
                       "does the recording have a lane or any positions?)",
                       area_m2);
    if (!(halo_m >= 0) || !isfinite(halo_m))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "scoring: halo %g m (must be finite and >= 0)", halo_m);
    if (t && t->n && (!t->x || !t->y || !t->is_mine))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "scoring: truth without positions or is_mine");
    for (size_t k = 0; t && k < t->n; k++)
        if (!isfinite(t->x[k]) || !isfinite(t->y[k]))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "scoring: truth object %zu has no finite position",
                           k + 1);
    if (n && !a)
        return ms_fail(MS_ERR_INVALID_INPUT, "scoring: no alarms given");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i].x) || !isfinite(a[i].y) || isnan(a[i].score))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "scoring: alarm %zu has a position or score that "
                           "is not a number",
                           i + 1);
    return 0;
}

typedef struct ranked {
    double score;
    size_t i;
} ranked;

/* Highest score first; equal scores keep their order in the input. */
static int ranked_cmp(const void *a, const void *b)
{
    const ranked *p = a, *q = b;
    if (p->score != q->score)
        return p->score > q->score ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

/* The alarms at or above `threshold` in matching order; *n_out of them. */
static ranked *rank_alarms(const ms_alarm *a, size_t n, double threshold,
                           size_t *n_out)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    size_t m = 0;
    if (!r)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (a[i].score >= threshold)
            r[m++] = (ranked){a[i].score, i};
    qsort(r, m, sizeof *r, ranked_cmp);
    *n_out = m;
    return r;
}

typedef struct tally {
    size_t detected, false_alarms, clutter_alarms, duplicates;
} tally;

ms_halo_match ms_match_in_halo(const ms_truth *t, double halo_m, double x,
                               double y, const unsigned char *det)
{
    ms_halo_match m = {SIZE_MAX, INFINITY, 0, 0};
    for (size_t k = 0; t && k < t->n; k++) {
        double d = hypot(x - t->x[k], y - t->y[k]);
        if (!(d <= halo_m + MS_DIST_TOL_M))
            continue;
        if (!t->is_mine[k]) {
            m.near_clutter = 1;
            continue;
        }
        m.near_mine = 1;
        if (!det[k] && d < m.distance) {
            m.distance = d;
            m.mine = k;
        }
    }
    return m;
}

/* One step of the greedy matching: alarm `a` (taken in score order) goes
 * to the nearest mine within the halo that no stronger alarm has detected
 * (equal distances: the lower truth index). Otherwise it is a false alarm,
 * also a duplicate when it lies within the halo of an (already detected)
 * mine and a clutter alarm when within the halo of an is_mine = 0 object. */
static void match_one(const ms_truth *t, double halo_m, const ms_alarm *a,
                      unsigned char *det, tally *c)
{
    ms_halo_match m = ms_match_in_halo(t, halo_m, a->x, a->y, det);
    if (m.mine != SIZE_MAX) {
        det[m.mine] = 1;
        c->detected++;
        return;
    }
    c->false_alarms++;
    c->duplicates += m.near_mine;
    c->clutter_alarms += m.near_clutter;
}

static void count_truth(const ms_truth *t, size_t *mines, size_t *clutter)
{
    *mines = *clutter = 0;
    for (size_t k = 0; t && k < t->n; k++) {
        if (t->is_mine[k])
            (*mines)++;
        else
            (*clutter)++;
    }
}

int ms_score_alarms(const ms_truth *truth, double area_m2, double halo_m,
                    const ms_alarm *alarms, size_t n_alarms, double threshold,
                    ms_score *out, unsigned char *detected)
{
    if (!out)
        return ms_fail(MS_ERR_INVALID_INPUT, "scoring: no output given");
    memset(out, 0, sizeof *out);
    int rc = check_inputs(truth, area_m2, halo_m, alarms, n_alarms);
    if (rc)
        return rc;
    if (isnan(threshold))
        return ms_fail(MS_ERR_INVALID_INPUT, "scoring: threshold is NaN");
    size_t nt = truth ? truth->n : 0, n_used = 0;
    unsigned char *det = calloc(nt ? nt : 1, 1);
    ranked *r = rank_alarms(alarms, n_alarms, threshold, &n_used);
    if (!det || !r) {
        free(det);
        free(r);
        return ms_fail(MS_ERR_NOMEM, "scoring: out of memory");
    }
    tally c = {0};
    for (size_t k = 0; k < n_used; k++)
        match_one(truth, halo_m, &alarms[r[k].i], det, &c);

    out->halo_m = halo_m;
    out->area_m2 = area_m2;
    out->threshold = threshold;
    count_truth(truth, &out->n_mines, &out->n_clutter);
    out->n_alarms = n_used;
    out->n_detected = c.detected;
    out->n_false_alarms = c.false_alarms;
    out->n_clutter_alarms = c.clutter_alarms;
    out->n_duplicates = c.duplicates;
    out->pd = out->n_mines ? (double)c.detected / (double)out->n_mines : NAN;
    out->far = (double)c.false_alarms / area_m2;
    if (detected && nt)
        memcpy(detected, det, nt);
    free(det);
    free(r);
    return 0;
}

/* Best Pd over the points whose FAR is at or below `limit` (a relative
 * slack of 1e-9 so that e.g. 3 false alarms on 30 m^2 count at 0.1). The
 * first point (no alarms, FAR 0) always qualifies. */
static double pd_at_far(const ms_roc *roc, double limit)
{
    double best = NAN;
    for (size_t i = 0; i < roc->n; i++) {
        const ms_roc_point *p = &roc->points[i];
        if (p->far <= limit * (1 + 1e-9) && !(p->pd <= best))
            best = p->pd;
    }
    return best;
}

int ms_roc_compute(const ms_truth *truth, double area_m2, double halo_m,
                   const ms_alarm *alarms, size_t n_alarms, ms_roc *out)
{
    if (!out)
        return ms_fail(MS_ERR_INVALID_INPUT, "ROC: no output given");
    memset(out, 0, sizeof *out);
    int rc = check_inputs(truth, area_m2, halo_m, alarms, n_alarms);
    if (rc)
        return rc;
    size_t nt = truth ? truth->n : 0, n_used = 0, mines, clutter;
    count_truth(truth, &mines, &clutter);
    unsigned char *det = calloc(nt ? nt : 1, 1);
    ranked *r = rank_alarms(alarms, n_alarms, -INFINITY, &n_used);
    ms_roc_point *pts = malloc((n_used + 1) * sizeof *pts);
    if (!det || !r || !pts) {
        free(det);
        free(r);
        free(pts);
        return ms_fail(MS_ERR_NOMEM, "ROC: out of memory");
    }
    /* Lowering the threshold only appends weaker alarms to the matching
     * order, and the greedy step never revisits an earlier alarm, so the
     * matching at each threshold is a prefix of the matching of all alarms:
     * one pass, recording the counts after each group of equal scores,
     * gives every point (test_score checks this against a full re-run). */
    size_t np = 0;
    pts[np++] = (ms_roc_point){INFINITY, mines ? 0.0 : NAN, 0.0, 0, 0};
    tally c = {0};
    for (size_t k = 0; k < n_used; k++) {
        match_one(truth, halo_m, &alarms[r[k].i], det, &c);
        if (k + 1 < n_used && r[k + 1].score == r[k].score)
            continue;
        pts[np++] = (ms_roc_point){
            r[k].score, mines ? (double)c.detected / (double)mines : NAN,
            (double)c.false_alarms / area_m2, c.detected, c.false_alarms};
    }
    free(det);
    free(r);
    out->points = pts;
    out->n = np;
    out->pd_at_far_0_1 = pd_at_far(out, 0.1);
    out->pd_at_far_1 = pd_at_far(out, 1.0);
    /* Area under the step curve Pd(FAR) = Pd of the last point at or below
     * that FAR (the best Pd reachable there), i.e. Pd held constant from
     * each point to the next, and the last Pd held on to FAR = 1. Points
     * beyond FAR 1 are cut off at 1. */
    if (mines) {
        double auc = 0;
        for (size_t i = 0; i < np; i++) {
            double x0 = fmin(pts[i].far, 1.0);
            double x1 = i + 1 < np ? fmin(pts[i + 1].far, 1.0) : 1.0;
            auc += pts[i].pd * (x1 - x0);
        }
        out->auc_far_1 = auc; /* divided by the 1 /m^2 span */
    } else {
        out->auc_far_1 = NAN;
    }
    return 0;
}

void ms_roc_free(ms_roc *roc)
{
    if (!roc)
        return;
    free(roc->points);
    memset(roc, 0, sizeof *roc);
}
