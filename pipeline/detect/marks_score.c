/* The operator's marks scored against the truth by the rule that scores
 * alarms (one matching step shared with score.c): see minescan/operator.h. */
#include "minescan/operator.h"
#include "minescan/error.h"

#include "detect/detect_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct mark_order {
    double t;
    size_t i;
} mark_order;

/* Earlier marks first; equal (or no) times keep file order. */
static int order_cmp(const void *a, const void *b)
{
    const mark_order *p = a, *q = b;
    if (p->t != q->t)
        return p->t < q->t ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

static int check(const ms_truth *t, const ms_marks *m, double area_m2,
                 double halo_m)
{
    if (!(area_m2 > 0) || !isfinite(area_m2))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "marks scoring: lane area %g m^2 (must be finite and "
                       "> 0)", area_m2);
    if (!(halo_m >= 0) || !isfinite(halo_m))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "marks scoring: halo %g m (must be finite and >= 0)",
                       halo_m);
    if (t && t->n && (!t->x || !t->y || !t->is_mine))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "marks scoring: truth without positions or is_mine");
    if (m && m->n && (!m->x || !m->y))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "marks scoring: marks without positions");
    for (size_t i = 0; m && i < m->n; i++)
        if (!isfinite(m->x[i]) || !isfinite(m->y[i]))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "marks scoring: mark %zu has no finite position",
                           i + 1);
    return 0;
}

int ms_marks_score_compute(const ms_truth *truth, const ms_marks *marks,
                           double area_m2, double halo_m, ms_marks_score *out)
{
    if (!out)
        return ms_fail(MS_ERR_INVALID_INPUT, "marks scoring: no output");
    memset(out, 0, sizeof *out);
    int rc = check(truth, marks, area_m2, halo_m);
    if (rc)
        return rc;
    size_t nt = truth ? truth->n : 0, nm = marks ? marks->n : 0;
    unsigned char *det = calloc(nt ? nt : 1, 1);
    mark_order *ord = malloc((nm ? nm : 1) * sizeof *ord);
    out->items = malloc((nt + nm ? nt + nm : 1) * sizeof *out->items);
    if (!det || !ord || !out->items) {
        free(det);
        free(ord);
        ms_marks_score_free(out);
        return ms_fail(MS_ERR_NOMEM, "marks scoring: out of memory");
    }
    for (size_t i = 0; i < nm; i++)
        ord[i] = (mark_order){marks->time && isfinite(marks->time[i])
                                  ? marks->time[i]
                                  : 0.0,
                              i};
    /* Without times every key is 0: file order. */
    qsort(ord, nm, sizeof *ord, order_cmp);
    out->halo_m = halo_m;
    out->area_m2 = area_m2;
    out->n_marks = nm;
    for (size_t k = 0; k < nt; k++)
        out->n_mines += truth->is_mine[k] != 0;
    for (size_t k = 0; k < nm; k++) {
        size_t i = ord[k].i;
        double x = marks->x[i], y = marks->y[i];
        ms_halo_match m = ms_match_in_halo(truth, halo_m, x, y, det);
        ms_mark_item *it = &out->items[out->n_items++];
        if (m.mine != SIZE_MAX) {
            det[m.mine] = 1;
            out->found++;
            *it = (ms_mark_item){MS_MARK_FOUND, truth->x[m.mine],
                                 truth->y[m.mine], x, y, m.distance,
                                 truth->label ? truth->label[m.mine] : NULL,
                                 m.mine, i};
        } else {
            out->false_marks++;
            *it = (ms_mark_item){MS_MARK_FALSE, x, y, x, y, NAN, NULL,
                                 SIZE_MAX, i};
        }
    }
    for (size_t k = 0; k < nt; k++)
        if (truth->is_mine[k] && !det[k]) {
            out->missed++;
            out->items[out->n_items++] = (ms_mark_item){
                MS_MARK_MISSED, truth->x[k], truth->y[k], NAN, NAN, NAN,
                truth->label ? truth->label[k] : NULL, k, SIZE_MAX};
        }
    out->false_marks_per_m2 = (double)out->false_marks / area_m2;
    free(det);
    free(ord);
    return 0;
}

void ms_marks_score_free(ms_marks_score *s)
{
    if (!s)
        return;
    free(s->items);
    memset(s, 0, sizeof *s);
}
