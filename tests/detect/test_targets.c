/* Per-target scores (targets.c) and the pooled ROC (pool.c): hand-worked
 * cases of the matching, the files targets.csv and candidates.csv, and
 * cross-checks against ms_score_alarms and ms_roc_compute on random lanes
 * (a mine counts as detected at t exactly when its detect_score >= t, for
 * every threshold of the ROC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minescan/detect.h"
#include "minescan/error.h"
#include "test_util.h"

#define MAX_OBJ 64

typedef struct lane {
    ms_truth t;
    double x[MAX_OBJ], y[MAX_OBJ];
    int is_mine[MAX_OBJ];
    char *label[MAX_OBJ];
} lane;

static void put(lane *b, double x, double y, int is_mine)
{
    assert_true(b->t.n < MAX_OBJ);
    b->x[b->t.n] = x;
    b->y[b->t.n] = y;
    b->is_mine[b->t.n] = is_mine;
    b->t.n++;
    b->t.x = b->x;
    b->t.y = b->y;
    b->t.is_mine = b->is_mine;
}

static ms_alarm peak(double x, double y, double score)
{
    ms_alarm a = {x, y, score, "gpr"};
    return a;
}

#define EPS 1e-12

#define assert_near(got, want, eps)                                            \
    do {                                                                       \
        double near_got_ = (got), near_want_ = (want);                         \
        if (!(fabs(near_got_ - near_want_) <= (eps)))                          \
            fail_msg("%s = %.17g, expected %.17g", #got, near_got_,            \
                     near_want_);                                              \
    } while (0)

/* NaN where NaN is expected, else equal */
#define assert_score(got, want)                                                \
    do {                                                                       \
        double sg_ = (got), sw_ = (want);                                      \
        if (isnan(sw_) ? !isnan(sg_) : sg_ != sw_)                             \
            fail_msg("%s = %.17g, expected %.17g", #got, sg_, sw_);            \
    } while (0)

static void assert_match(const ms_target_scores *s, size_t i,
                         ms_candidate_kind kind, size_t index)
{
    if (s->match[i].kind != kind || s->match[i].truth_index != index)
        fail_msg("alarm %zu: match %d:%zu, expected %d:%zu", i,
                 (int)s->match[i].kind, s->match[i].truth_index, (int)kind,
                 index);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    char leaf[256];
    snprintf(leaf, sizeof leaf, "targets_%ld_%s", (long)getpid(), name);
    test_tmp_path(buf, n, leaf);
}

/* ---- hand-worked matching -------------------------------------------------
 * The ROC case of test_score.c: mines M0 (0,0), M1 (2,0), M2 (4,0), M3
 * (6,0), clutter C4 (8,0); halo 0.25.
 *   a0 9   on M0          a1 8   nothing         a2 7.5 on M3
 *   a3 7   on M1          a4 7   nothing         a5 5   on C4
 *   a6 4   on M0 (taken)  a7 3   on M2 */
static void hand_case(lane *b, ms_alarm *a, size_t *n)
{
    put(b, 0, 0, 1);
    put(b, 2, 0, 1);
    put(b, 4, 0, 1);
    put(b, 6, 0, 1);
    put(b, 8, 0, 0);
    size_t k = 0;
    a[k++] = peak(0.05, 0, 9);
    a[k++] = peak(1, 1, 8);
    a[k++] = peak(6.1, 0, 7.5);
    a[k++] = peak(2, 0.1, 7);
    a[k++] = peak(3, 1, 7);
    a[k++] = peak(8.1, 0, 5);
    a[k++] = peak(0, -0.1, 4);
    a[k++] = peak(4, 0.2, 3);
    *n = k;
}

static void test_hand_case(void **state)
{
    (void)state;
    lane b = {0};
    ms_alarm a[16];
    size_t n;
    hand_case(&b, a, &n);
    ms_target_scores s;
    assert_int_equal(ms_target_scores_compute(&b.t, 0.25, a, n, &s), 0);
    assert_int_equal(s.n_truth, 5);
    assert_int_equal(s.n_alarms, n);
    static const double det[] = {9, 7, 3, 7.5, NAN};
    static const double fa[] = {NAN, NAN, NAN, NAN, 5};
    for (size_t k = 0; k < 5; k++) {
        assert_score(s.detect_score[k], det[k]);
        assert_score(s.max_false_alarm_score[k], fa[k]);
    }
    assert_match(&s, 0, MS_CANDIDATE_MINE, 0);
    assert_match(&s, 1, MS_CANDIDATE_BACKGROUND, SIZE_MAX);
    assert_match(&s, 2, MS_CANDIDATE_MINE, 3);
    assert_match(&s, 3, MS_CANDIDATE_MINE, 1);
    assert_match(&s, 4, MS_CANDIDATE_BACKGROUND, SIZE_MAX);
    assert_match(&s, 5, MS_CANDIDATE_CLUTTER, 4);
    assert_match(&s, 6, MS_CANDIDATE_DUPLICATE, SIZE_MAX);
    assert_match(&s, 7, MS_CANDIDATE_MINE, 2);
    ms_target_scores_free(&s);
    ms_target_scores_free(&s); /* twice is harmless */
}

/* Clutter C0 (3,3), mine M1 (3.2,3), halo 0.25 (test_score's clutter case):
 *   Y (3.1,3) 3 near M1 and C0: detects M1 (detection wins)
 *   X (2.9,3) 2 near C0 only: clutter:0, C0's strongest false alarm
 *   Z (3.05,3) 1 near M1 (taken) and C0: a duplicate, and a false alarm on
 *     C0 too (weaker than X)
 *   F (8,1) 0.5: background.
 * Then a false alarm between two clutter objects counts for both, and is
 * named after the nearer. */
static void test_clutter(void **state)
{
    (void)state;
    lane b = {0};
    put(&b, 3, 3, 0);
    put(&b, 3.2, 3, 1);
    ms_alarm a[] = {peak(2.9, 3, 2), peak(3.05, 3, 1), peak(3.1, 3, 3),
                    peak(8, 1, 0.5)};
    ms_target_scores s;
    assert_int_equal(ms_target_scores_compute(&b.t, 0.25, a, 4, &s), 0);
    assert_score(s.detect_score[0], NAN);
    assert_score(s.detect_score[1], 3);
    assert_score(s.max_false_alarm_score[0], 2);
    assert_score(s.max_false_alarm_score[1], NAN);
    assert_match(&s, 0, MS_CANDIDATE_CLUTTER, 0);
    assert_match(&s, 1, MS_CANDIDATE_DUPLICATE, SIZE_MAX);
    assert_match(&s, 2, MS_CANDIDATE_MINE, 1);
    assert_match(&s, 3, MS_CANDIDATE_BACKGROUND, SIZE_MAX);
    ms_target_scores_free(&s);

    /* only the duplicate reaches C0: its score is C0's */
    assert_int_equal(ms_target_scores_compute(&b.t, 0.25, a + 1, 2, &s), 0);
    assert_score(s.max_false_alarm_score[0], 1);
    ms_target_scores_free(&s);

    lane c = {0};
    put(&c, 0, 0, 0);
    put(&c, 0.3, 0, 0);
    put(&c, 5, 5, 1);
    ms_alarm d[] = {peak(0.16, 0, 4), peak(0.14, 0.01, 2)};
    assert_int_equal(ms_target_scores_compute(&c.t, 0.25, d, 2, &s), 0);
    assert_score(s.max_false_alarm_score[0], 4);
    assert_score(s.max_false_alarm_score[1], 4);
    assert_match(&s, 0, MS_CANDIDATE_CLUTTER, 1); /* 0.14 from C1 */
    assert_match(&s, 1, MS_CANDIDATE_CLUTTER, 0);
    assert_score(s.detect_score[2], NAN);
    ms_target_scores_free(&s);
}

/* Greedy by score and the tie-breaks of ms_score_alarms: A (0,0), B
 * (0.45,0), halo 0.3; S (0.2,0) strong takes A, W (0.1,0) finds A taken. With
 * equal scores the input order decides: W first takes A, S falls back on
 * B. A mine at the same distance as another goes to the lower index. */
static void test_greedy_and_ties(void **state)
{
    (void)state;
    lane b = {0};
    put(&b, 0.0, 0, 1);
    put(&b, 0.45, 0, 1);
    ms_alarm a[] = {peak(0.1, 0, 1), peak(0.2, 0, 5)};
    ms_target_scores s;
    assert_int_equal(ms_target_scores_compute(&b.t, 0.3, a, 2, &s), 0);
    assert_score(s.detect_score[0], 5);
    assert_score(s.detect_score[1], NAN);
    assert_match(&s, 0, MS_CANDIDATE_DUPLICATE, SIZE_MAX);
    ms_target_scores_free(&s);
    a[0].score = a[1].score = 4;
    assert_int_equal(ms_target_scores_compute(&b.t, 0.3, a, 2, &s), 0);
    assert_match(&s, 0, MS_CANDIDATE_MINE, 0);
    assert_match(&s, 1, MS_CANDIDATE_MINE, 1);
    ms_target_scores_free(&s);

    lane c = {0};
    put(&c, -0.1, 0, 1);
    put(&c, 0.1, 0, 1);
    ms_alarm m[] = {peak(0, 0, 2)};
    assert_int_equal(ms_target_scores_compute(&c.t, 0.25, m, 1, &s), 0);
    assert_match(&s, 0, MS_CANDIDATE_MINE, 0);
    ms_target_scores_free(&s);

    /* no truth at all: every alarm is background */
    assert_int_equal(ms_target_scores_compute(NULL, 0.25, a, 2, &s), 0);
    assert_int_equal(s.n_truth, 0);
    assert_match(&s, 1, MS_CANDIDATE_BACKGROUND, SIZE_MAX);
    ms_target_scores_free(&s);
    /* no alarms */
    assert_int_equal(ms_target_scores_compute(&b.t, 0.3, NULL, 0, &s), 0);
    assert_score(s.detect_score[1], NAN);
    ms_target_scores_free(&s);
}

static void test_bad_input(void **state)
{
    (void)state;
    lane b = {0};
    put(&b, 0, 0, 1);
    ms_alarm a[] = {peak(0, 0, NAN)};
    ms_target_scores s;
    assert_int_equal(ms_target_scores_compute(&b.t, 0.25, a, 1, &s),
                     MS_ERR_INVALID_INPUT);
    assert_null(s.match);
    a[0].score = 1;
    assert_int_equal(ms_target_scores_compute(&b.t, NAN, a, 1, &s),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(ms_target_scores_compute(&b.t, -1, a, 1, &s),
                     MS_ERR_INVALID_INPUT);
    b.x[0] = INFINITY;
    assert_int_equal(ms_target_scores_compute(&b.t, 0.25, a, 1, &s),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(ms_target_scores_compute(&b.t, 0.25, a, 1, NULL),
                     MS_ERR_INVALID_INPUT);
    ms_target_scores_free(&s);
    ms_roc roc;
    double m[] = {1};
    assert_int_equal(ms_roc_pool(m, 1, NULL, 0, 0, &roc), MS_ERR_INVALID_INPUT);
    assert_int_equal(ms_roc_pool(m, 1, m, 1, INFINITY, &roc),
                     MS_ERR_INVALID_INPUT);
    double nan_fa[] = {NAN};
    assert_int_equal(ms_roc_pool(m, 1, nan_fa, 1, 1, &roc),
                     MS_ERR_INVALID_INPUT);
}

/* ---- files ---------------------------------------------------------------- */

static void test_files(void **state)
{
    (void)state;
    lane b = {0};
    ms_alarm a[16];
    size_t n;
    hand_case(&b, a, &n);
    static char pmn[] = "PMN", m14[] = "M14", t72[] = "Type-72",
                odd[] = "can, \"crushed\"";
    b.label[0] = pmn;
    b.label[1] = m14;
    b.label[2] = t72;
    b.label[3] = pmn;
    b.label[4] = odd;
    b.t.label = b.label;
    b.x[3] = 6.0001; /* printed in mm */
    ms_target_scores s;
    assert_int_equal(ms_target_scores_compute(&b.t, 0.25, a, n, &s), 0);
    char path[1024];
    tmp_path(path, sizeof path, "targets.csv");
    /* the run's threshold 7: M0 (9), M1 (7, boundary included) and M3 (7.5)
     * are detected, M2 (3) is not */
    assert_int_equal(ms_targets_write_csv(path, &b.t, &s, 7), 0);
    char *text = slurp(path);
    assert_non_null(text);
    assert_string_equal(
        text, "index,label,is_mine,x_m,y_m,detected,detect_score,"
              "max_false_alarm_score\n"
              "0,PMN,1,0.0000,0.0000,1,9,\n"
              "1,M14,1,2.0000,0.0000,1,7,\n"
              "2,Type-72,1,4.0000,0.0000,0,3,\n"
              "3,PMN,1,6.0001,0.0000,1,7.5,\n"
              "4,\"can, \"\"crushed\"\"\",0,8.0000,0.0000,0,,5\n");
    free(text);
    remove(path);

    tmp_path(path, sizeof path, "candidates.csv");
    a[1].score = 8.123456789012;
    assert_int_equal(ms_candidates_write_csv(path, a, &s), 0);
    text = slurp(path);
    assert_non_null(text);
    assert_string_equal(text, "x_m,y_m,score,match\n"
                              "0.0500,0.0000,9,mine:0\n"
                              "1.0000,1.0000,8.12345679,background\n"
                              "6.1000,0.0000,7.5,mine:3\n"
                              "2.0000,0.1000,7,mine:1\n"
                              "3.0000,1.0000,7,background\n"
                              "8.1000,0.0000,5,clutter:4\n"
                              "0.0000,-0.1000,4,duplicate\n"
                              "4.0000,0.2000,3,mine:2\n");
    free(text);
    remove(path);

    /* no labels: empty fields; truth and scores must belong together */
    b.t.label = NULL;
    tmp_path(path, sizeof path, "targets2.csv");
    assert_int_equal(ms_targets_write_csv(path, &b.t, &s, 100), 0);
    text = slurp(path);
    assert_non_null(strstr(text, "\n4,,0,8.0000,0.0000,0,,5\n"));
    assert_non_null(strstr(text, "\n0,,1,0.0000,0.0000,0,9,\n"));
    free(text);
    remove(path);
    b.t.n--;
    assert_int_equal(ms_targets_write_csv(path, &b.t, &s, 7),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(access(path, F_OK), -1);
    /* an unwritable place fails and leaves nothing */
    b.t.n++;
    assert_int_equal(ms_targets_write_csv("/nonexistent-dir/targets.csv",
                                          &b.t, &s, 7),
                     MS_ERR_IO);
    ms_target_scores_free(&s);
}

/* ---- pooling -------------------------------------------------------------- */

/* Lane 1: 2 mines (detected at 5, never), a false alarm at 4, 2 m^2. Lane
 * 2: 1 mine (at 3), false alarms at 5 and 1, 2 m^2. Pooled: 3 mines, 4 m^2;
 *   inf: Pd 0, FAR 0    5: 1/3, .25 (a mine and a false alarm tie)
 *   4: 1/3, .5          3: 2/3, .5          1: 2/3, .75
 * Pd at FAR .1 = 0 (no alarms), at .5 = 2/3 (threshold 3), at 1 = 2/3
 * (threshold 3, not 1: no more detections for more false alarms).
 * AUC = 1/3 * .25 + 2/3 * .5 = 5/12. */
static void test_pool_hand_case(void **state)
{
    (void)state;
    double mines[] = {5, NAN, 3}, fa[] = {4, 5, 1};
    ms_roc roc;
    assert_int_equal(ms_roc_pool(mines, 3, fa, 3, 4, &roc), 0);
    static const double thr[] = {INFINITY, 5, 4, 3, 1};
    static const double pd[] = {0, 1 / 3.0, 1 / 3.0, 2 / 3.0, 2 / 3.0};
    static const double far[] = {0, .25, .5, .5, .75};
    static const size_t nd[] = {0, 1, 1, 2, 2}, nf[] = {0, 1, 2, 2, 3};
    assert_int_equal(roc.n, 5);
    for (size_t i = 0; i < roc.n; i++) {
        assert_true(roc.points[i].threshold == thr[i]);
        assert_near(roc.points[i].pd, pd[i], EPS);
        assert_near(roc.points[i].far, far[i], EPS);
        assert_int_equal(roc.points[i].n_detected, nd[i]);
        assert_int_equal(roc.points[i].n_false_alarms, nf[i]);
    }
    assert_int_equal(ms_roc_operating_point(&roc, 0.1), 0);
    assert_int_equal(ms_roc_operating_point(&roc, 0.25), 1);
    assert_int_equal(ms_roc_operating_point(&roc, 0.5), 3);
    assert_int_equal(ms_roc_operating_point(&roc, 1.0), 3);
    assert_near(roc.pd_at_far_0_1, 0, EPS);
    assert_near(roc.pd_at_far_1, 2 / 3.0, EPS);
    assert_near(roc.auc_far_1, 5 / 12.0, EPS);
    ms_roc_free(&roc);

    /* lanes without mines: Pd undefined; the operating point is the lowest
     * threshold within the limit */
    assert_int_equal(ms_roc_pool(NULL, 0, fa, 3, 4, &roc), 0);
    assert_int_equal(roc.n, 4);
    assert_true(isnan(roc.points[3].pd));
    assert_true(isnan(roc.pd_at_far_1) && isnan(roc.auc_far_1));
    assert_int_equal(ms_roc_operating_point(&roc, 0.5), 2);
    assert_int_equal(ms_roc_operating_point(&roc, 0.1), 0);
    ms_roc_free(&roc);

    /* nothing at all: the "no alarms" point */
    assert_int_equal(ms_roc_pool(NULL, 0, NULL, 0, 1, &roc), 0);
    assert_int_equal(roc.n, 1);
    assert_int_equal(ms_roc_operating_point(&roc, 1), 0);
    ms_roc_free(&roc);
}

/* ---- cross-checks on random lanes ----------------------------------------- */

static test_rng rng = {20240611};
static double uniform(void) { return test_rng_uniform(&rng); }

/* A random lane: up to 40 objects and 60 alarms on 3 x 1 m, scores on a
 * coarse grid so that ties are common, alarms often near objects. */
static size_t random_lane(lane *b, ms_alarm *a)
{
    memset(b, 0, sizeof *b);
    size_t nt = 1 + (size_t)(uniform() * 39);
    for (size_t k = 0; k < nt; k++)
        put(b, uniform() * 3, uniform(), uniform() < 0.5);
    size_t n = (size_t)(uniform() * 60);
    for (size_t i = 0; i < n; i++) {
        double x, y;
        if (uniform() < 0.7) {
            size_t k = (size_t)(uniform() * (double)nt);
            x = b->x[k] + (uniform() - 0.5) * 0.6;
            y = b->y[k] + (uniform() - 0.5) * 0.6;
        } else {
            x = uniform() * 3;
            y = uniform();
        }
        a[i] = peak(x, y, floor(uniform() * 12) / 2);
    }
    return n;
}

/* Whether alarm `a` lies within the halo of an object of kind is_mine. */
static int near_kind(const lane *b, const ms_alarm *a, double halo, int mine)
{
    for (size_t k = 0; k < b->t.n; k++)
        if (!b->is_mine[k] == !mine &&
            hypot(a->x - b->x[k], a->y - b->y[k]) <= halo + 1e-9)
            return 1;
    return 0;
}

static void test_crosscheck_random(void **state)
{
    (void)state;
    static lane b;
    static ms_alarm a[64];
    const double area = 3.0, halo = 0.25;
    for (int trial = 0; trial < 300; trial++) {
        size_t n = random_lane(&b, a);
        ms_target_scores s;
        ms_roc roc, pooled;
        assert_int_equal(ms_target_scores_compute(&b.t, halo, a, n, &s), 0);
        assert_int_equal(ms_roc_compute(&b.t, area, halo, a, n, &roc), 0);

        /* the pooled ROC of this one lane is its ROC */
        double ms[MAX_OBJ], fs[64];
        size_t nm = 0, nf = 0;
        for (size_t k = 0; k < b.t.n; k++)
            if (b.is_mine[k])
                ms[nm++] = s.detect_score[k];
        for (size_t i = 0; i < n; i++)
            if (s.match[i].kind != MS_CANDIDATE_MINE)
                fs[nf++] = a[i].score;
        assert_int_equal(ms_roc_pool(ms, nm, fs, nf, area, &pooled), 0);
        assert_int_equal(pooled.n, roc.n);
        for (size_t i = 0; i < roc.n; i++) {
            const ms_roc_point *p = &pooled.points[i], *q = &roc.points[i];
            assert_true(p->threshold == q->threshold);
            assert_int_equal(p->n_detected, q->n_detected);
            assert_int_equal(p->n_false_alarms, q->n_false_alarms);
            assert_true(p->far == q->far);
            assert_true(isnan(q->pd) ? isnan(p->pd) : p->pd == q->pd);
        }
        assert_score(pooled.pd_at_far_0_1, roc.pd_at_far_0_1);
        assert_score(pooled.pd_at_far_1, roc.pd_at_far_1);
        if (isnan(roc.auc_far_1))
            assert_true(isnan(pooled.auc_far_1));
        else
            assert_near(pooled.auc_far_1, roc.auc_far_1, 1e-12);

        /* at every threshold of the ROC (the first: no alarms) */
        for (size_t i = 0; i < roc.n; i++) {
            double t = roc.points[i].threshold;
            ms_score sc;
            unsigned char det[MAX_OBJ];
            assert_int_equal(ms_score_alarms(&b.t, area, halo, a, n, t, &sc,
                                             det),
                             0);
            size_t n_det = 0, n_fa = 0, n_dup = 0, n_clut = 0, n_obj = 0,
                   n_obj_brute = 0;
            for (size_t k = 0; k < b.t.n; k++) {
                int d = s.detect_score[k] >= t;
                /* the same mines, not just as many */
                assert_int_equal(d, det[k]);
                n_det += d;
                n_obj += !b.is_mine[k] && s.max_false_alarm_score[k] >= t;
            }
            for (size_t j = 0; j < n; j++) {
                if (a[j].score < t || s.match[j].kind == MS_CANDIDATE_MINE)
                    continue;
                n_fa++;
                n_dup += s.match[j].kind == MS_CANDIDATE_DUPLICATE;
                n_clut += near_kind(&b, &a[j], halo, 0);
            }
            for (size_t k = 0; k < b.t.n; k++) {
                int hit = 0;
                for (size_t j = 0; j < n && !b.is_mine[k] && !hit; j++)
                    hit = a[j].score >= t &&
                          s.match[j].kind != MS_CANDIDATE_MINE &&
                          hypot(a[j].x - b.x[k], a[j].y - b.y[k]) <=
                              halo + 1e-9;
                n_obj_brute += hit;
            }
            assert_int_equal(n_det, roc.points[i].n_detected);
            assert_int_equal(n_det, sc.n_detected);
            assert_int_equal(n_fa, roc.points[i].n_false_alarms);
            assert_int_equal(n_dup, sc.n_duplicates);
            assert_int_equal(n_clut, sc.n_clutter_alarms);
            assert_int_equal(n_obj, n_obj_brute);
        }
        /* every match names an object of its kind within the halo */
        for (size_t j = 0; j < n; j++) {
            const ms_candidate_match *m = &s.match[j];
            if (m->kind == MS_CANDIDATE_MINE || m->kind == MS_CANDIDATE_CLUTTER) {
                assert_true(m->truth_index < b.t.n);
                assert_int_equal(b.is_mine[m->truth_index],
                                 m->kind == MS_CANDIDATE_MINE);
                assert_true(hypot(a[j].x - b.x[m->truth_index],
                                  a[j].y - b.y[m->truth_index]) <=
                            halo + 1e-9);
            } else {
                assert_true(m->truth_index == SIZE_MAX);
                assert_int_equal(m->kind == MS_CANDIDATE_DUPLICATE,
                                 near_kind(&b, &a[j], halo, 1));
            }
        }
        ms_roc_free(&pooled);
        ms_roc_free(&roc);
        ms_target_scores_free(&s);
    }
}

/* Pooling is additive: two lanes pooled give, at every threshold, the sums
 * of each lane's own counts over the summed area. */
static void test_pool_two_lanes(void **state)
{
    (void)state;
    static lane b[2];
    static ms_alarm a[2][64];
    for (int trial = 0; trial < 100; trial++) {
        size_t n[2];
        ms_target_scores s[2];
        ms_roc roc[2], pooled;
        double ms[2 * MAX_OBJ], fs[128];
        size_t nm = 0, nf = 0;
        const double area[2] = {3.0, 2.5};
        for (int l = 0; l < 2; l++) {
            n[l] = random_lane(&b[l], a[l]);
            assert_int_equal(
                ms_target_scores_compute(&b[l].t, 0.25, a[l], n[l], &s[l]), 0);
            assert_int_equal(
                ms_roc_compute(&b[l].t, area[l], 0.25, a[l], n[l], &roc[l]), 0);
            for (size_t k = 0; k < b[l].t.n; k++)
                if (b[l].is_mine[k])
                    ms[nm++] = s[l].detect_score[k];
            for (size_t i = 0; i < n[l]; i++)
                if (s[l].match[i].kind != MS_CANDIDATE_MINE)
                    fs[nf++] = a[l][i].score;
        }
        assert_int_equal(ms_roc_pool(ms, nm, fs, nf, area[0] + area[1],
                                     &pooled),
                         0);
        for (size_t i = 0; i < pooled.n; i++) {
            const ms_roc_point *p = &pooled.points[i];
            size_t det = 0, fa = 0;
            for (int l = 0; l < 2; l++) {
                /* the lane's own point at this threshold: the last one at
                 * or above it */
                size_t at = 0;
                for (size_t j = 0; j < roc[l].n; j++)
                    if (roc[l].points[j].threshold >= p->threshold)
                        at = j;
                det += roc[l].points[at].n_detected;
                fa += roc[l].points[at].n_false_alarms;
            }
            assert_int_equal(p->n_detected, det);
            assert_int_equal(p->n_false_alarms, fa);
            assert_near(p->far, (double)fa / 5.5, 1e-12);
            if (nm)
                assert_near(p->pd, (double)det / (double)nm, 1e-12);
        }
        ms_roc_free(&pooled);
        for (int l = 0; l < 2; l++) {
            ms_roc_free(&roc[l]);
            ms_target_scores_free(&s[l]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_case),
        cmocka_unit_test(test_clutter),
        cmocka_unit_test(test_greedy_and_ties),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_pool_hand_case),
        cmocka_unit_test(test_crosscheck_random),
        cmocka_unit_test(test_pool_two_lanes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
