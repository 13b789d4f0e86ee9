/* The ROC of many lanes under one common threshold, from per-target scores
 * (targets.c), and the operating point for a false-alarm limit. See
 * minescan/detect.h (ms_roc_pool, ms_roc_operating_point). */
#include "minescan/detect.h"
#include "minescan/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A candidate in the pooled sweep: its score and whether it detects a
 * mine (else it is a false alarm). */
typedef struct sweep_event {
    double score;
    int detects;
} sweep_event;

static int event_cmp(const void *pa, const void *pb)
{
    const sweep_event *a = pa, *b = pb;
    return a->score < b->score ? 1 : a->score > b->score ? -1 : 0;
}

size_t ms_roc_operating_point(const ms_roc *roc, double far_limit)
{
    size_t best = 0;
    if (!roc || !roc->points)
        return 0;
    for (size_t i = 1; i < roc->n; i++) {
        const ms_roc_point *p = &roc->points[i];
        if (!(p->far <= far_limit * (1 + 1e-9)))
            break; /* FAR never falls as the threshold goes down */
        /* Pd never falls either: a later point wins only by a higher Pd,
         * or (no mines, Pd NaN) by being lower within the limit */
        if (isnan(p->pd) || p->pd > roc->points[best].pd)
            best = i;
    }
    return best;
}

int ms_roc_pool(const double *mine_scores, size_t n_mines,
                const double *false_alarm_scores, size_t n_false_alarms,
                double area_m2, ms_roc *out)
{
    if (!out)
        return ms_fail(MS_ERR_INVALID_INPUT, "pooled ROC: no output given");
    memset(out, 0, sizeof *out);
    if (!(area_m2 > 0) || !isfinite(area_m2))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "pooled ROC: area %g m^2 (must be finite and > 0)",
                       area_m2);
    if ((n_mines && !mine_scores) || (n_false_alarms && !false_alarm_scores))
        return ms_fail(MS_ERR_INVALID_INPUT, "pooled ROC: no scores given");
    for (size_t i = 0; i < n_false_alarms; i++)
        if (isnan(false_alarm_scores[i]))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "pooled ROC: false alarm %zu has no score", i + 1);
    size_t n_ev = n_false_alarms;
    for (size_t i = 0; i < n_mines; i++)
        n_ev += !isnan(mine_scores[i]);
    sweep_event *ev = malloc((n_ev ? n_ev : 1) * sizeof *ev);
    ms_roc_point *pts = malloc((n_ev + 1) * sizeof *pts);
    if (!ev || !pts) {
        free(ev);
        free(pts);
        return ms_fail(MS_ERR_NOMEM, "pooled ROC: out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n_mines; i++)
        if (!isnan(mine_scores[i]))
            ev[k++] = (sweep_event){mine_scores[i], 1};
    for (size_t i = 0; i < n_false_alarms; i++)
        ev[k++] = (sweep_event){false_alarm_scores[i], 0};
    qsort(ev, n_ev, sizeof *ev, event_cmp);

    /* the threshold down through every distinct score: a point after the
     * last candidate of each score */
    double mines = (double)n_mines;
    size_t np = 0, detected = 0, false_alarms = 0;
    pts[np++] = (ms_roc_point){INFINITY, n_mines ? 0.0 : NAN, 0.0, 0, 0};
    for (size_t i = 0; i < n_ev; i++) {
        if (ev[i].detects)
            detected++;
        else
            false_alarms++;
        if (i + 1 < n_ev && ev[i + 1].score == ev[i].score)
            continue;
        pts[np++] = (ms_roc_point){
            ev[i].score, n_mines ? (double)detected / mines : NAN,
            (double)false_alarms / area_m2, detected, false_alarms};
    }
    free(ev);
    out->points = pts;
    out->n = np;
    out->pd_at_far_0_1 = pts[ms_roc_operating_point(out, 0.1)].pd;
    out->pd_at_far_1 = pts[ms_roc_operating_point(out, 1.0)].pd;
    /* the step curve of ms_roc_compute: each point's Pd held to the next
     * point's FAR, the last to FAR 1, everything beyond 1 cut off */
    double auc = 0;
    for (size_t i = 0; n_mines && i < np; i++) {
        double from = fmin(pts[i].far, 1.0);
        double to = i + 1 < np ? fmin(pts[i + 1].far, 1.0) : 1.0;
        auc += pts[i].pd * (to - from);
    }
    out->auc_far_1 = n_mines ? auc : NAN;
    return 0;
}
