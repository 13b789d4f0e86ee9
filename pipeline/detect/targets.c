/* Per-target scores of a lane (the threshold at which each mine is first
 * detected, the strongest false alarm on each clutter object), what every
 * candidate peak matched, and their files targets.csv and candidates.csv:
 * what `minescan evaluate` needs to pool lanes under one common threshold.
 * See minescan/detect.h. The matching follows ms_score_alarms (score.c)
 * rule for rule; test_targets holds the two equal. */
#include "minescan/detect.h"
#include "minescan/error.h"

#include "detect/detect_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ms_target_scores_free(ms_target_scores *s)
{
    if (!s)
        return;
    free(s->detect_score);
    free(s->max_false_alarm_score);
    free(s->match);
    memset(s, 0, sizeof *s);
}

static int targets_check(const ms_truth *t, double halo_m, const ms_alarm *a,
                         size_t n)
{
    if (!(halo_m >= 0) || !isfinite(halo_m))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "targets: halo %g m (must be finite and >= 0)", halo_m);
    if (t && t->n && (!t->x || !t->y || !t->is_mine))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "targets: truth without positions or is_mine");
    for (size_t k = 0; t && k < t->n; k++)
        if (!isfinite(t->x[k]) || !isfinite(t->y[k]))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "targets: truth object %zu has no finite position",
                           k + 1);
    if (n && !a)
        return ms_fail(MS_ERR_INVALID_INPUT, "targets: no alarms given");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i].x) || !isfinite(a[i].y) || isnan(a[i].score))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "targets: alarm %zu has a position or score that "
                           "is not a number", i + 1);
    return 0;
}

/* An alarm's place in the matching order. */
typedef struct rank_key {
    double score;
    size_t at;
} rank_key;

/* Highest score first, equal scores in input order. */
static int rank_key_cmp(const void *pa, const void *pb)
{
    const rank_key *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return a->at < b->at ? -1 : a->at > b->at;
}

/* Alarm `a`, the next in matching order: the nearest undetected mine within
 * the halo (ties: lower index) takes it; otherwise it is a false alarm on
 * every clutter object within the halo. */
static void assign(const ms_truth *t, double halo_m, const ms_alarm *a,
                   unsigned char *taken, ms_target_scores *s,
                   ms_candidate_match *m)
{
    size_t mine = SIZE_MAX, clutter = SIZE_MAX;
    double mine_d = INFINITY, clutter_d = INFINITY;
    int on_mine = 0;
    size_t n = t ? t->n : 0;
    for (size_t k = 0; k < n; k++) {
        double d = hypot(a->x - t->x[k], a->y - t->y[k]);
        if (!(d <= halo_m + MS_DIST_TOL_M))
            continue;
        if (t->is_mine[k]) {
            on_mine = 1;
            if (!taken[k] && d < mine_d) {
                mine_d = d;
                mine = k;
            }
        } else if (d < clutter_d) {
            clutter_d = d;
            clutter = k;
        }
    }
    if (mine != SIZE_MAX) {
        taken[mine] = 1;
        s->detect_score[mine] = a->score;
        *m = (ms_candidate_match){MS_CANDIDATE_MINE, mine};
        return;
    }
    /* a false alarm: the first (strongest) one near a clutter object is
     * that object's highest */
    for (size_t k = 0; clutter != SIZE_MAX && k < n; k++)
        if (!t->is_mine[k] && isnan(s->max_false_alarm_score[k]) &&
            hypot(a->x - t->x[k], a->y - t->y[k]) <= halo_m + MS_DIST_TOL_M)
            s->max_false_alarm_score[k] = a->score;
    if (on_mine)
        *m = (ms_candidate_match){MS_CANDIDATE_DUPLICATE, SIZE_MAX};
    else if (clutter != SIZE_MAX)
        *m = (ms_candidate_match){MS_CANDIDATE_CLUTTER, clutter};
    else
        *m = (ms_candidate_match){MS_CANDIDATE_BACKGROUND, SIZE_MAX};
}

int ms_target_scores_compute(const ms_truth *truth, double halo_m,
                             const ms_alarm *alarms, size_t n_alarms,
                             ms_target_scores *out)
{
    if (!out)
        return ms_fail(MS_ERR_INVALID_INPUT, "targets: no output given");
    memset(out, 0, sizeof *out);
    int rc = targets_check(truth, halo_m, alarms, n_alarms);
    if (rc)
        return rc;
    size_t nt = truth ? truth->n : 0;
    out->n_truth = nt;
    out->n_alarms = n_alarms;
    out->detect_score = malloc((nt ? nt : 1) * sizeof *out->detect_score);
    out->max_false_alarm_score =
        malloc((nt ? nt : 1) * sizeof *out->max_false_alarm_score);
    out->match = malloc((n_alarms ? n_alarms : 1) * sizeof *out->match);
    unsigned char *taken = calloc(nt ? nt : 1, 1);
    rank_key *order = malloc((n_alarms ? n_alarms : 1) * sizeof *order);
    if (!out->detect_score || !out->max_false_alarm_score || !out->match ||
        !taken || !order) {
        free(taken);
        free(order);
        ms_target_scores_free(out);
        return ms_fail(MS_ERR_NOMEM, "targets: out of memory");
    }
    for (size_t k = 0; k < nt; k++)
        out->detect_score[k] = out->max_false_alarm_score[k] = NAN;
    for (size_t i = 0; i < n_alarms; i++)
        order[i] = (rank_key){alarms[i].score, i};
    qsort(order, n_alarms, sizeof *order, rank_key_cmp);
    for (size_t r = 0; r < n_alarms; r++)
        assign(truth, halo_m, &alarms[order[r].at], taken, out,
               &out->match[order[r].at]);
    free(taken);
    free(order);
    return 0;
}

/* ---- files --------------------------------------------------------------- */

void ms_csv_write_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A score, or nothing where it is undefined. */
static void put_score(FILE *f, double v, char end)
{
    if (!isnan(v))
        fprintf(f, "%.9g", v);
    fputc(end, f);
}

int ms_targets_write_csv(const char *path, const ms_truth *truth,
                         const ms_target_scores *s, double alarm_threshold)
{
    const char *name = path ? path : "targets.csv";
    size_t nt = truth ? truth->n : 0;
    if (!s || s->n_truth != nt || (nt && (!s->detect_score ||
                                          !s->max_false_alarm_score)))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: the target scores do not belong to this truth",
                       name);
    ms_detect_out o;
    int rc = ms_detect_out_open(&o, path);
    if (rc)
        return rc;
    fputs("index,label,is_mine,x_m,y_m,detected,detect_score,"
          "max_false_alarm_score\n", o.f);
    for (size_t k = 0; k < nt; k++) {
        int mine = truth->is_mine[k] != 0;
        fprintf(o.f, "%zu,", k);
        ms_csv_write_field(o.f, truth->label && truth->label[k]
                                    ? truth->label[k]
                                    : "");
        fprintf(o.f, ",%d,%.4f,%.4f,%d,", mine, truth->x[k], truth->y[k],
                mine && s->detect_score[k] >= alarm_threshold);
        put_score(o.f, s->detect_score[k], ',');
        put_score(o.f, s->max_false_alarm_score[k], '\n');
    }
    return ms_detect_out_commit(&o);
}

int ms_candidates_write_csv(const char *path, const ms_alarm *alarms,
                            const ms_target_scores *s)
{
    const char *name = path ? path : "candidates.csv";
    if (!s || (s->n_alarms && (!alarms || !s->match)))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: no candidates or matches given", name);
    ms_detect_out o;
    int rc = ms_detect_out_open(&o, path);
    if (rc)
        return rc;
    fputs("x_m,y_m,score,match\n", o.f);
    for (size_t i = 0; i < s->n_alarms; i++) {
        const ms_candidate_match *m = &s->match[i];
        fprintf(o.f, "%.4f,%.4f,%.9g,", alarms[i].x, alarms[i].y,
                alarms[i].score);
        switch (m->kind) {
        case MS_CANDIDATE_MINE:
            fprintf(o.f, "mine:%zu\n", m->truth_index);
            break;
        case MS_CANDIDATE_CLUTTER:
            fprintf(o.f, "clutter:%zu\n", m->truth_index);
            break;
        case MS_CANDIDATE_DUPLICATE:
            fputs("duplicate\n", o.f);
            break;
        default:
            fputs("background\n", o.f);
            break;
        }
    }
    return ms_detect_out_commit(&o);
}
