/* Alarms and scoring: hand-worked cases of the scoring convention
 * (shared/spec/recording-format.md), the ROC figures, peak finding and
 * suppression, and the output files.
 *
 * With MINESCAN_SCORE_CASES=IN.json and MINESCAN_SCORE_OUT=OUT.json set,
 * the program instead scores the cases in IN.json and writes the results
 * to OUT.json, for the independent Python implementation in
 * test_score_crosscheck.py to compare against. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minescan/detect.h"
#include "minescan/render.h"
#include "minescan/error.h"

/* ---- helpers ------------------------------------------------------------- */

#define MAX_OBJ 16

typedef struct truth_buf {
    ms_truth t;
    double x[MAX_OBJ], y[MAX_OBJ];
    int is_mine[MAX_OBJ];
} truth_buf;

static void add_obj(truth_buf *b, double x, double y, int is_mine)
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

static ms_alarm alarm_at(double x, double y, double score)
{
    ms_alarm a = {x, y, score, "gpr"};
    return a;
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *base = getenv("MINESCAN_TEST_TMP");
    snprintf(buf, n, "%s/detect_%ld_%s", base && *base ? base : "/tmp",
             (long)getpid(), name);
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

static int exists(const char *path) { return access(path, F_OK) == 0; }

#define EPS 1e-12

/* |got - want| <= eps, printing both (cmocka 1.1 compares only floats) */
#define assert_near(got, want, eps)                                            \
    do {                                                                       \
        double near_got_ = (got), near_want_ = (want);                         \
        if (!(fabs(near_got_ - near_want_) <= (eps)))                          \
            fail_msg("%s = %.17g, expected %.17g", #got, near_got_,            \
                     near_want_);                                              \
    } while (0)

/* ---- scoring convention ---------------------------------------------------
 */

/* The halo includes its boundary, also for decimal positions whose
 * difference is not exactly the halo in binary (1.35 - 1.10 > 0.25). */
static void test_halo_boundary_included(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 1.10, 2.30, 1); /* alarm at exactly 0.25 m */
    add_obj(&b, 5.00, 5.00, 1); /* alarm at 0.3, 0.4: exactly 0.5 m */
    add_obj(&b, 9.00, 1.00, 1); /* alarm just outside */
    ms_alarm a[] = {alarm_at(1.35, 2.30, 3), alarm_at(5.30, 5.40, 2),
                    alarm_at(9.2501, 1.00, 1)};
    ms_score s;
    unsigned char det[3];

    assert_int_equal(ms_score_alarms(&b.t, 10, 0.25, a, 1, -INFINITY, &s, det),
                     0);
    assert_int_equal(s.n_detected, 1);
    assert_int_equal(det[0], 1);

    assert_int_equal(
        ms_score_alarms(&b.t, 10, 0.5, a + 1, 1, -INFINITY, &s, det), 0);
    assert_int_equal(s.n_detected, 1);
    assert_int_equal(det[1], 1);

    assert_int_equal(ms_score_alarms(&b.t, 10, 0.25, a, 3, -INFINITY, &s, det),
                     0);
    assert_int_equal(s.n_detected, 1); /* the 0.5 m and 0.2501 m ones miss */
    assert_int_equal(s.n_false_alarms, 2);
    assert_int_equal(s.n_duplicates, 0);
    assert_int_equal(det[2], 0);
    assert_near(s.pd, 1.0 / 3.0, EPS);
    assert_near(s.far, 0.2, EPS);
}

/* Two alarms on one mine: one detection, one false alarm and duplicate. */
static void test_two_alarms_one_mine(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 5, 5, 1);
    ms_alarm a[] = {alarm_at(5.1, 5, 3), alarm_at(4.9, 5, 2)};
    ms_score s;
    assert_int_equal(ms_score_alarms(&b.t, 10, 0.25, a, 2, -INFINITY, &s, NULL),
                     0);
    assert_int_equal(s.n_mines, 1);
    assert_int_equal(s.n_alarms, 2);
    assert_int_equal(s.n_detected, 1);
    assert_int_equal(s.n_false_alarms, 1);
    assert_int_equal(s.n_duplicates, 1);
    assert_int_equal(s.n_clutter_alarms, 0);
    assert_near(s.pd, 1.0, EPS);
    assert_near(s.far, 0.1, EPS);

    /* the threshold drops the weaker one */
    assert_int_equal(ms_score_alarms(&b.t, 10, 0.25, a, 2, 2.5, &s, NULL), 0);
    assert_int_equal(s.n_alarms, 1);
    assert_int_equal(s.n_false_alarms, 0);
    assert_near(s.threshold, 2.5, 0);
}

/* An alarm between two mines goes to the nearer one. */
static void test_nearest_mine(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 0.4, 0, 1); /* 0.25 away: in the halo, but farther */
    add_obj(&b, 0.0, 0, 1); /* 0.15 away */
    ms_alarm a[] = {alarm_at(0.15, 0, 1)};
    ms_score s;
    unsigned char det[2] = {9, 9};
    assert_int_equal(ms_score_alarms(&b.t, 4, 0.25, a, 1, -INFINITY, &s, det),
                     0);
    assert_int_equal(det[0], 0);
    assert_int_equal(det[1], 1);
    assert_near(s.pd, 0.5, EPS);
    assert_int_equal(s.n_false_alarms, 0);
}

/* Greedy by score: the strong alarm S (0.2 from A, 0.25 from B) takes A
 * first, so the weak alarm W (0.1 from A, 0.35 from B: only A in its halo)
 * finds A taken and is a duplicate false alarm; B stays missed. With the
 * scores swapped W takes A and S falls back on B. */
static void test_greedy_order(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 0.0, 0, 1);  /* A */
    add_obj(&b, 0.45, 0, 1); /* B */
    ms_alarm a[] = {alarm_at(0.1, 0, 1) /* W */, alarm_at(0.2, 0, 5) /* S */};
    ms_score s;
    unsigned char det[2];
    assert_int_equal(ms_score_alarms(&b.t, 2, 0.3, a, 2, -INFINITY, &s, det),
                     0);
    assert_int_equal(s.n_detected, 1);
    assert_int_equal(det[0], 1);
    assert_int_equal(det[1], 0);
    assert_int_equal(s.n_false_alarms, 1);
    assert_int_equal(s.n_duplicates, 1);
    assert_near(s.pd, 0.5, EPS);
    assert_near(s.far, 0.5, EPS);

    a[0].score = 9;
    assert_int_equal(ms_score_alarms(&b.t, 2, 0.3, a, 2, -INFINITY, &s, det),
                     0);
    assert_int_equal(s.n_detected, 2);
    assert_int_equal(s.n_false_alarms, 0);
    assert_near(s.pd, 1.0, EPS);

    /* equal scores: input order decides (W first, as when W is stronger) */
    a[0].score = a[1].score = 4;
    assert_int_equal(ms_score_alarms(&b.t, 2, 0.3, a, 2, -INFINITY, &s, det),
                     0);
    assert_int_equal(s.n_detected, 2);
}

/* Clutter: C at (3, 3), mine M at (3.2, 3), halo 0.25.
 *   Y (3.1, 3) score 3: near M and C; detects M (detection wins).
 *   X (2.9, 3) score 2: near C only (0.3 from M): false + clutter alarm.
 *   Z (3.05, 3) score 1: near M (detected) and C: false, duplicate, clutter.
 *   F (8, 1) score 0.5: nothing near: plain false alarm. */
static void test_clutter_alarms(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 3, 3, 0);
    add_obj(&b, 3.2, 3, 1);
    ms_alarm a[] = {alarm_at(2.9, 3, 2), alarm_at(3.05, 3, 1),
                    alarm_at(3.1, 3, 3), alarm_at(8, 1, 0.5)};
    ms_score s;
    unsigned char det[2];
    assert_int_equal(ms_score_alarms(&b.t, 8, 0.25, a, 4, -INFINITY, &s, det),
                     0);
    assert_int_equal(s.n_mines, 1);
    assert_int_equal(s.n_clutter, 1);
    assert_int_equal(s.n_detected, 1);
    assert_int_equal(s.n_false_alarms, 3);
    assert_int_equal(s.n_clutter_alarms, 2);
    assert_int_equal(s.n_duplicates, 1);
    assert_int_equal(det[0], 0); /* clutter is never "detected" */
    assert_int_equal(det[1], 1);
    assert_near(s.far, 3.0 / 8.0, EPS);
}

/* A lane without mines: Pd undefined (NaN, null in score.json), FAR still
 * counted; the ROC figures are null too. */
static void test_no_mines(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 1, 1, 0);
    ms_alarm a[] = {alarm_at(1, 1, 2), alarm_at(3, 1, 1)};
    ms_score s;
    ms_roc roc;
    assert_int_equal(ms_score_alarms(&b.t, 4, 0.25, a, 2, -INFINITY, &s, NULL),
                     0);
    assert_true(isnan(s.pd));
    assert_int_equal(s.n_clutter_alarms, 1);
    assert_near(s.far, 0.5, EPS);
    assert_int_equal(ms_roc_compute(&b.t, 4, 0.25, a, 2, &roc), 0);
    assert_int_equal(roc.n, 3);
    assert_true(isnan(roc.points[2].pd));
    assert_true(isnan(roc.pd_at_far_0_1));
    assert_true(isnan(roc.auc_far_1));

    char path[1024];
    tmp_path(path, sizeof path, "nomines_score.json");
    s.threshold = 1.5;
    assert_int_equal(ms_score_write_json(path, &s, &roc), 0);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "pd")));
    assert_true(json_is_null(json_object_get(j, "pd_at_far_0_1")));
    assert_true(json_is_null(json_object_get(j, "pd_at_far_1")));
    assert_true(json_is_null(json_object_get(j, "auc_far_1")));
    assert_near(json_number_value(json_object_get(j, "far_per_m2")), 0.5, EPS);
    assert_near(json_number_value(json_object_get(j, "threshold")), 1.5, 0);
    assert_int_equal(json_integer_value(json_object_get(j, "n_mines")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "n_clutter_alarms")),
                     1);
    json_decref(j);
    remove(path);

    /* roc.csv leaves Pd empty */
    tmp_path(path, sizeof path, "nomines_roc.csv");
    assert_int_equal(ms_roc_write_csv(path, &roc), 0);
    char *csv = slurp(path);
    assert_non_null(csv);
    assert_string_equal(csv, "threshold,pd,far_per_m2,n_detected,"
                             "n_false_alarms\n"
                             "inf,,0,0,0\n2,,0.25,0,1\n1,,0.5,0,2\n");
    free(csv);
    remove(path);
    /* and the plot still draws */
    tmp_path(path, sizeof path, "nomines_roc.png");
    assert_int_equal(ms_render_roc(path, &roc, NULL, "no mines"), 0);
    assert_true(exists(path));
    remove(path);
    ms_roc_free(&roc);

    /* no truth objects at all */
    assert_int_equal(ms_score_alarms(NULL, 4, 0.25, a, 2, -INFINITY, &s, NULL),
                     0);
    assert_true(isnan(s.pd));
    assert_int_equal(s.n_false_alarms, 2);
}

/* Area 10 m^2, so each false alarm adds 0.1 /m^2; 4 mines M1..M4.
 *   score 9   on M1            -> Pd .25 FAR 0
 *   score 8   false            -> Pd .25 FAR .1
 *   score 7.5 on M4            -> Pd .50 FAR .1
 *   score 7   on M2, 7 false   -> Pd .75 FAR .2   (one point for the tie)
 *   score 5   false            -> Pd .75 FAR .3
 *   score 4   on M1 again      -> Pd .75 FAR .4   (duplicate)
 *   score 3   on M3            -> Pd 1.0 FAR .4
 * Pd at FAR 0.1 = .5 (the point exactly at 0.1 counts), at FAR 1 = 1.
 * AUC = .25*.1 + .5*.1 + .75*.1 + .75*.1 + 1*.6 = .825. */
static void roc_case(truth_buf *b, ms_alarm *a, size_t *n)
{
    add_obj(b, 0, 0, 1);
    add_obj(b, 2, 0, 1);
    add_obj(b, 4, 0, 1);
    add_obj(b, 6, 0, 1);
    add_obj(b, 8, 0, 0);
    size_t k = 0;
    a[k++] = alarm_at(0.05, 0, 9);
    a[k++] = alarm_at(1, 1, 8);
    a[k++] = alarm_at(6.1, 0, 7.5);
    a[k++] = alarm_at(2, 0.1, 7);
    a[k++] = alarm_at(3, 1, 7);
    a[k++] = alarm_at(8.1, 0, 5); /* on the clutter object */
    a[k++] = alarm_at(0, -0.1, 4);
    a[k++] = alarm_at(4, 0.2, 3);
    *n = k;
}

static void test_roc_hand_case(void **state)
{
    (void)state;
    truth_buf b = {0};
    ms_alarm a[16];
    size_t n;
    roc_case(&b, a, &n);
    ms_roc roc;
    assert_int_equal(ms_roc_compute(&b.t, 10, 0.25, a, n, &roc), 0);
    static const double thr[] = {INFINITY, 9, 8, 7.5, 7, 5, 4, 3};
    static const double pd[] = {0, .25, .25, .5, .75, .75, .75, 1};
    static const double far[] = {0, 0, .1, .1, .2, .3, .4, .4};
    assert_int_equal(roc.n, 8);
    for (size_t i = 0; i < roc.n; i++) {
        assert_true(roc.points[i].threshold == thr[i]);
        assert_near(roc.points[i].pd, pd[i], EPS);
        assert_near(roc.points[i].far, far[i], EPS);
        if (i) { /* monotone: threshold down, Pd and FAR never down */
            assert_true(roc.points[i].threshold < roc.points[i - 1].threshold);
            assert_true(roc.points[i].pd >= roc.points[i - 1].pd);
            assert_true(roc.points[i].far >= roc.points[i - 1].far);
        }
        /* every point is what a fresh scoring at its threshold gives */
        ms_score s;
        assert_int_equal(ms_score_alarms(&b.t, 10, 0.25, a, n,
                                         roc.points[i].threshold, &s, NULL),
                         0);
        assert_int_equal(s.n_detected, roc.points[i].n_detected);
        assert_int_equal(s.n_false_alarms, roc.points[i].n_false_alarms);
    }
    assert_near(roc.pd_at_far_0_1, 0.5, EPS);
    assert_near(roc.pd_at_far_1, 1.0, EPS);
    assert_near(roc.auc_far_1, 0.825, EPS);

    /* all alarms: 4 detected, 4 false, 1 on clutter, 1 duplicate */
    ms_score s;
    assert_int_equal(ms_score_alarms(&b.t, 10, 0.25, a, n, -INFINITY, &s, NULL),
                     0);
    assert_int_equal(s.n_clutter_alarms, 1);
    assert_int_equal(s.n_duplicates, 1);

    char path[1024];
    tmp_path(path, sizeof path, "roc.csv");
    assert_int_equal(ms_roc_write_csv(path, &roc), 0);
    char *csv = slurp(path);
    assert_non_null(csv);
    assert_string_equal(csv, "threshold,pd,far_per_m2,n_detected,"
                             "n_false_alarms\n"
                             "inf,0,0,0,0\n9,0.25,0,1,0\n8,0.25,0.1,1,1\n"
                             "7.5,0.5,0.1,2,1\n7,0.75,0.2,3,2\n"
                             "5,0.75,0.3,3,3\n4,0.75,0.4,3,4\n3,1,0.4,4,4\n");
    free(csv);
    remove(path);

    tmp_path(path, sizeof path, "score.json");
    s.threshold = 3;
    assert_int_equal(ms_score_write_json(path, &s, &roc), 0);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    assert_non_null(j);
    assert_near(json_number_value(json_object_get(j, "pd")), 1, EPS);
    assert_near(json_number_value(json_object_get(j, "far_per_m2")), 0.4, EPS);
    assert_near(json_number_value(json_object_get(j, "pd_at_far_0_1")), 0.5,
                EPS);
    assert_near(json_number_value(json_object_get(j, "auc_far_1")), 0.825, EPS);
    assert_near(json_number_value(json_object_get(j, "halo_m")), 0.25, 0);
    assert_int_equal(json_integer_value(json_object_get(j, "n_duplicates")), 1);
    json_decref(j);
    char *text = slurp(path);
    assert_non_null(strstr(text, "\"far_per_m2\": 0.4,")); /* not 0.400...1 */
    free(text);
    remove(path);
    ms_roc_free(&roc);
}

/* FAR beyond 1 /m^2 is cut off; a curve that stops early is extended. */
static void test_roc_limits(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 0, 0, 1);
    ms_alarm a[] = {alarm_at(5, 5, 5), alarm_at(6, 6, 4), alarm_at(0, 0, 3)};
    ms_roc roc;
    /* area 1: two false alarms reach FAR 2 before the mine is found */
    assert_int_equal(ms_roc_compute(&b.t, 1, 0.25, a, 3, &roc), 0);
    assert_int_equal(roc.n, 4);
    assert_near(roc.pd_at_far_1, 0, EPS);
    assert_near(roc.auc_far_1, 0, EPS);
    ms_roc_free(&roc);
    /* area 4: FAR .25, .5, then the mine: Pd 1 from FAR .5 on */
    assert_int_equal(ms_roc_compute(&b.t, 4, 0.25, a, 3, &roc), 0);
    assert_near(roc.pd_at_far_0_1, 0, EPS);
    assert_near(roc.pd_at_far_1, 1, EPS);
    assert_near(roc.auc_far_1, 0.5, EPS);
    ms_roc_free(&roc);
    /* only the detection: Pd 1 at FAR 0, held to FAR 1 */
    assert_int_equal(ms_roc_compute(&b.t, 4, 0.25, a + 2, 1, &roc), 0);
    assert_int_equal(roc.n, 2);
    assert_near(roc.auc_far_1, 1, EPS);
    assert_near(roc.pd_at_far_0_1, 1, EPS);
    ms_roc_free(&roc);
    /* a lane from x 6.4 to 16.4 m, 1 m wide: its area in doubles is a hair
     * under 10 m^2, so 1 false alarm is a hair over 0.1 /m^2 and must
     * still count as FAR 0.1 */
    double area = (16.4 - 6.4) * 1.0;
    assert_true(1 / area > 0.1);
    assert_int_equal(ms_roc_compute(&b.t, area, 0.25, a + 1, 2, &roc), 0);
    assert_int_equal(roc.n, 3);
    assert_near(roc.pd_at_far_0_1, 1, EPS);
    ms_roc_free(&roc);
    /* no alarms at all: the single "no alarms" point */
    assert_int_equal(ms_roc_compute(&b.t, 4, 0.25, NULL, 0, &roc), 0);
    assert_int_equal(roc.n, 1);
    assert_near(roc.auc_far_1, 0, EPS);
    ms_roc_free(&roc);
}

static void test_bad_input(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 0, 0, 1);
    ms_alarm a[] = {alarm_at(0, 0, 1)};
    ms_score s;
    ms_roc roc;
    assert_int_equal(ms_score_alarms(&b.t, 0, 0.25, a, 1, -INFINITY, &s, NULL),
                     MS_ERR_INVALID_INPUT);
    assert_non_null(strstr(ms_error_message(), "area"));
    assert_int_equal(ms_score_alarms(&b.t, 1, -1, a, 1, -INFINITY, &s, NULL),
                     MS_ERR_INVALID_INPUT);
    a[0].score = NAN;
    assert_int_equal(ms_roc_compute(&b.t, 1, 0.25, a, 1, &roc),
                     MS_ERR_INVALID_INPUT);
    assert_null(roc.points);
}

/* ---- peaks ---------------------------------------------------------------
 */

#define NX 60
#define NY 40
#define CELL 0.05
#define X0 1.0
#define Y0 2.0

static double cx(size_t ix) { return X0 + ((double)ix + 0.5) * CELL; }
static double cy(size_t iy) { return Y0 + ((double)iy + 0.5) * CELL; }

/* Two Gaussian blobs (peaks 5 at cell (15, 10), 3 at (40, 25), the latter
 * with a NaN neighbour), a 4 x 3 plateau of 4 (cells 48..51 x 5..7), a
 * shoulder plateau of 2 beside a 2.5 cell, and a 0.5 peak under the
 * threshold. */
static void test_peaks(void **state)
{
    (void)state;
    static float v[NX * NY], g[NX * NY], e[NX * NY];
    for (size_t iy = 0; iy < NY; iy++) {
        for (size_t ix = 0; ix < NX; ix++) {
            double r1 = hypot((double)ix - 15, (double)iy - 10);
            double r2 = hypot((double)ix - 40, (double)iy - 25);
            v[iy * NX + ix] =
                (float)(5 * exp(-r1 * r1 / 8) + 3 * exp(-r2 * r2 / 8));
            g[iy * NX + ix] = e[iy * NX + ix] = 0;
        }
    }
    v[25 * NX + 41] = NAN;
    for (size_t iy = 5; iy <= 7; iy++)
        for (size_t ix = 48; ix <= 51; ix++)
            v[iy * NX + ix] = 4;
    for (size_t ix = 30; ix <= 32; ix++)
        v[35 * NX + ix] = 2;
    v[35 * NX + 33] = 2.5;
    v[35 * NX + 5] = 0.5;
    /* sensors: blob 1 GPR only; plateau: neither passes, EMI stronger;
     * blob 2: both; shoulder peak: GPR has no data, EMI weak */
    g[10 * NX + 15] = 2;
    e[10 * NX + 15] = 0.5;
    g[6 * NX + 49] = 0.2;
    e[6 * NX + 49] = 0.7;
    g[25 * NX + 40] = e[25 * NX + 40] = 2;
    g[35 * NX + 33] = NAN;
    e[35 * NX + 33] = 0.3;

    ms_map_view m = {v, NX, NY, X0, Y0, CELL};
    ms_map_view gv = m, ev = m;
    gv.v = g;
    ev.v = e;
    ms_alarm *a = NULL;
    size_t n = 0;
    assert_int_equal(ms_alarms_find(&m, &gv, &ev, 1.0, 0, 1.5, &a, &n), 0);
    assert_int_equal(n, 4);
    /* strongest first; the plateau's centroid (49.5, 6) is as near to cell
     * 49 as to 50: the lower index wins */
    static const size_t ex[] = {15, 49, 40, 33}, ey[] = {10, 6, 25, 35};
    static const double es[] = {5, 4, 3, 2.5};
    static const char *const ed[] = {"gpr", "emi", "gpr+emi", "emi"};
    for (size_t i = 0; i < n; i++) {
        assert_near(a[i].x, cx(ex[i]), EPS);
        assert_near(a[i].y, cy(ey[i]), EPS);
        assert_near(a[i].score, es[i], 1e-6);
        assert_string_equal(a[i].detectors, ed[i]);
    }
    free(a);

    /* a lower threshold adds the 0.5 peak; nothing else (the shoulder and
     * the blob flanks are no peaks), and no sensor maps: "" */
    assert_int_equal(ms_alarms_find(&m, NULL, NULL, 0.4, 0, 1.5, &a, &n), 0);
    assert_int_equal(n, 5);
    assert_near(a[4].x, cx(5), EPS);
    assert_string_equal(a[4].detectors, "");
    free(a);

    /* nothing above the threshold */
    assert_int_equal(ms_alarms_find(&m, NULL, NULL, 100, 0, 1.5, &a, &n), 0);
    assert_int_equal(n, 0);
    assert_null(a);

    /* a map that is one flat plateau gives one alarm, in its middle */
    static float flat[5 * 3];
    for (size_t i = 0; i < 15; i++)
        flat[i] = 1;
    ms_map_view f = {flat, 5, 3, 0, 0, 1};
    assert_int_equal(ms_alarms_find(&f, NULL, NULL, 0, 0, 1, &a, &n), 0);
    assert_int_equal(n, 1);
    assert_near(a[0].x, 2.5, EPS);
    assert_near(a[0].y, 1.5, EPS);
    free(a);
}

/* Peaks 5 at cell (10, 10), 4 at (14, 10) (0.2 m from it), 3.5 at
 * (18, 10) (0.2 m from the 4, 0.4 m from the 5), 3 at (10, 16) (0.3 m). */
static void test_suppression(void **state)
{
    (void)state;
    static float v[30 * 30];
    memset(v, 0, sizeof v);
    v[10 * 30 + 10] = 5;
    v[10 * 30 + 14] = 4;
    v[10 * 30 + 18] = 3.5;
    v[16 * 30 + 10] = 3;
    ms_map_view m = {v, 30, 30, 0, 0, CELL};
    ms_alarm *a;
    size_t n;
    /* 0.19 m: all four */
    assert_int_equal(ms_alarms_find(&m, NULL, NULL, 1, 0.19, 1, &a, &n), 0);
    assert_int_equal(n, 4);
    free(a);
    /* 0.2 m (boundary included): the 4 goes; the 3.5 stays, because the
     * peak 0.2 m from it was not kept */
    assert_int_equal(ms_alarms_find(&m, NULL, NULL, 1, 0.2, 1, &a, &n), 0);
    assert_int_equal(n, 3);
    assert_near(a[0].score, 5, 0);
    assert_near(a[1].score, 3.5, 0);
    assert_near(a[2].score, 3, 0);
    free(a);
    /* 0.3 m: the 3 goes too */
    assert_int_equal(ms_alarms_find(&m, NULL, NULL, 1, 0.3, 1, &a, &n), 0);
    assert_int_equal(n, 2);
    free(a);
    /* 0.4 m: only the strongest */
    assert_int_equal(ms_alarms_find(&m, NULL, NULL, 1, 0.4, 1, &a, &n), 0);
    assert_int_equal(n, 1);
    free(a);
    /* bad separation */
    assert_int_equal(ms_alarms_find(&m, NULL, NULL, 1, -1, 1, &a, &n),
                     MS_ERR_INVALID_INPUT);
}

/* ---- files ---------------------------------------------------------------
 */

static void test_alarm_files(void **state)
{
    (void)state;
    ms_alarm a[] = {{1.23456, 0.5, 3.14159265, "gpr+emi"},
                    {10, -0.25, 2, "emi"}};
    char path[1024];
    tmp_path(path, sizeof path, "alarms.csv");
    assert_int_equal(ms_alarms_write_csv(path, a, 2), 0);
    char *csv = slurp(path);
    assert_non_null(csv);
    assert_string_equal(csv, "x_m,y_m,score,detectors\n"
                             "1.2346,0.5000,3.14159,gpr+emi\n"
                             "10.0000,-0.2500,2,emi\n");
    free(csv);
    remove(path);

    tmp_path(path, sizeof path, "alarms.geojson");
    assert_int_equal(ms_alarms_write_geojson(path, a, 2), 0);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")),
                        "FeatureCollection");
    json_t *fs = json_object_get(j, "features");
    assert_int_equal(json_array_size(fs), 2);
    json_t *f0 = json_array_get(fs, 0);
    json_t *c = json_object_get(json_object_get(f0, "geometry"), "coordinates");
    assert_near(json_number_value(json_array_get(c, 0)), 1.2346, 0);
    assert_near(json_number_value(json_array_get(c, 1)), 0.5, 0);
    json_t *p = json_object_get(f0, "properties");
    assert_near(json_number_value(json_object_get(p, "score")), 3.14159, 0);
    assert_string_equal(json_string_value(json_object_get(p, "detectors")),
                        "gpr+emi");
    json_decref(j);
    char *text = slurp(path);
    assert_non_null(strstr(text, "1.2346")); /* the rounded text, verbatim */
    free(text);
    remove(path);

    /* no alarms: header only, empty collection */
    tmp_path(path, sizeof path, "none.csv");
    assert_int_equal(ms_alarms_write_csv(path, NULL, 0), 0);
    csv = slurp(path);
    assert_string_equal(csv, "x_m,y_m,score,detectors\n");
    free(csv);
    remove(path);

    /* a missing folder: MS_ERR_IO naming the file, nothing left behind */
    const char *bad = "/nonexistent-minescan-dir/alarms.csv";
    assert_int_equal(ms_alarms_write_csv(bad, a, 2), MS_ERR_IO);
    assert_non_null(strstr(ms_error_message(), bad));
    assert_int_equal(ms_alarms_write_geojson(bad, a, 2), MS_ERR_IO);
    assert_non_null(strstr(ms_error_message(), bad));
    ms_score s = {0};
    assert_int_equal(ms_score_write_json(bad, &s, NULL), MS_ERR_IO);
    assert_non_null(strstr(ms_error_message(), bad));
}

/* roc.png: a readable image whose step curve sits where the plot_area
 * text chunk says. Two mines, one found at FAR 0: Pd 0.5 from FAR 0 to 1. */
static void test_roc_png(void **state)
{
    (void)state;
    truth_buf b = {0};
    add_obj(&b, 0, 0, 1);
    add_obj(&b, 5, 0, 1);
    ms_alarm a[] = {alarm_at(0, 0, 1)};
    ms_roc roc;
    assert_int_equal(ms_roc_compute(&b.t, 10, 0.25, a, 1, &roc), 0);
    char path[1024], tmp[1100];
    tmp_path(path, sizeof path, "roc.png");
    assert_int_equal(ms_render_roc(path, &roc, NULL, "ROC test"), 0);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_false(exists(tmp));

    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng could not read %s", path);
    png_init_io(png, fp);
    png_read_png(png, info, PNG_TRANSFORM_STRIP_ALPHA, NULL);
    png_textp text;
    int nt = png_get_text(png, info, &text, NULL);
    int left = -1, top = -1, right = -1, bottom = -1, have_title = 0;
    double x_max = 0;
    for (int i = 0; i < nt; i++) {
        if (!strcmp(text[i].key, "minescan:plot_area"))
            sscanf(text[i].text, "%d %d %d %d", &left, &top, &right, &bottom);
        if (!strcmp(text[i].key, "minescan:roc_axes"))
            sscanf(text[i].text, "0 %lf", &x_max);
        have_title |=
            !strcmp(text[i].key, "Title") && !strcmp(text[i].text, "ROC test");
    }
    assert_true(have_title);
    assert_true(left > 0 && right > left && bottom > top && top > 0);
    assert_near(x_max, 1, EPS);
    png_bytepp rows = png_get_rows(png, info);
    /* the curve at FAR 0.75, Pd 0.5: blue; at FAR 0.75, Pd 0.8: not */
    int col = (int)(left + 0.75 * (right - left));
    int row = (int)(bottom - 0.5 * (bottom - top));
    int blue = 0, blue_above = 0;
    for (int dy = -1; dy <= 1; dy++) {
        png_bytep p = rows[row + dy] + 3 * col;
        blue |= p[2] > 150 && p[0] < 100;
        png_bytep q = rows[(int)(bottom - 0.8 * (bottom - top)) + dy] + 3 * col;
        blue_above |= q[2] > 150 && q[0] < 100;
    }
    assert_true(blue);
    assert_false(blue_above);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    remove(path);

    assert_int_equal(
        ms_render_roc("/nonexistent-minescan-dir/roc.png", &roc, NULL, NULL),
        MS_ERR_IO);
    assert_non_null(strstr(ms_error_message(), "roc.png"));
    ms_roc_free(&roc);
}

/* ---- cross-check mode ----------------------------------------------------
 */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static double num_in(json_t *j)
{
    return json_is_null(j) ? -INFINITY : json_number_value(j);
}

static json_t *score_json(const ms_score *s, const unsigned char *det,
                          size_t nt)
{
    json_t *d = json_array();
    for (size_t k = 0; k < nt; k++)
        json_array_append_new(d, json_integer(det[k]));
    return json_pack(
        "{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, "
        "s:o}",
        "threshold", num(s->threshold), "n_mines", (json_int_t)s->n_mines,
        "n_clutter", (json_int_t)s->n_clutter, "n_alarms",
        (json_int_t)s->n_alarms, "n_detected", (json_int_t)s->n_detected,
        "n_false_alarms", (json_int_t)s->n_false_alarms, "n_clutter_alarms",
        (json_int_t)s->n_clutter_alarms, "n_duplicates",
        (json_int_t)s->n_duplicates, "pd", num(s->pd), "far", num(s->far),
        "detected", d);
}

/* One scoring case: {"area", "halo", "truth": [[x, y, is_mine]...],
 * "alarms": [[x, y, score]...], "thresholds": [t or null (= all)...]}. */
static json_t *run_score_case(json_t *c)
{
    json_t *jt = json_object_get(c, "truth"),
           *ja = json_object_get(c, "alarms");
    size_t nt = json_array_size(jt), na = json_array_size(ja);
    double area = json_number_value(json_object_get(c, "area"));
    double halo = json_number_value(json_object_get(c, "halo"));
    ms_truth t = {0};
    t.n = nt;
    t.x = calloc(nt + 1, sizeof *t.x);
    t.y = calloc(nt + 1, sizeof *t.y);
    t.is_mine = calloc(nt + 1, sizeof *t.is_mine);
    ms_alarm *a = calloc(na + 1, sizeof *a);
    unsigned char *det = calloc(nt + 1, 1);
    json_t *res = json_object(), *scores = json_array();
    for (size_t k = 0; k < nt; k++) {
        json_t *o = json_array_get(jt, k);
        t.x[k] = json_number_value(json_array_get(o, 0));
        t.y[k] = json_number_value(json_array_get(o, 1));
        t.is_mine[k] = (int)json_integer_value(json_array_get(o, 2));
    }
    for (size_t i = 0; i < na; i++) {
        json_t *o = json_array_get(ja, i);
        a[i].x = json_number_value(json_array_get(o, 0));
        a[i].y = json_number_value(json_array_get(o, 1));
        a[i].score = json_number_value(json_array_get(o, 2));
    }
    json_t *thr = json_object_get(c, "thresholds");
    for (size_t k = 0; k < json_array_size(thr); k++) {
        ms_score s;
        int rc = ms_score_alarms(&t, area, halo, a, na,
                                 num_in(json_array_get(thr, k)), &s, det);
        json_array_append_new(scores, rc ? json_string(ms_error_message())
                                         : score_json(&s, det, nt));
    }
    json_object_set_new(res, "scores", scores);
    ms_roc roc;
    if (ms_roc_compute(&t, area, halo, a, na, &roc) == 0) {
        json_t *pts = json_array();
        for (size_t i = 0; i < roc.n; i++) {
            const ms_roc_point *p = &roc.points[i];
            json_array_append_new(
                pts, json_pack("[o,o,o,I,I]", num(p->threshold), num(p->pd),
                               num(p->far), (json_int_t)p->n_detected,
                               (json_int_t)p->n_false_alarms));
        }
        json_object_set_new(res, "roc",
                            json_pack("{s:o, s:o, s:o, s:o}", "points", pts,
                                      "pd_at_far_0_1", num(roc.pd_at_far_0_1),
                                      "pd_at_far_1", num(roc.pd_at_far_1),
                                      "auc_far_1", num(roc.auc_far_1)));
        ms_roc_free(&roc);
    } else {
        json_object_set_new(res, "roc", json_string(ms_error_message()));
    }
    free(t.x);
    free(t.y);
    free(t.is_mine);
    free(a);
    free(det);
    return res;
}

/* One peak case: {"nx", "ny", "x_min", "y_min", "cell", "v": [value or
 * null (= NaN)...], "threshold", "sep"}. */
static json_t *run_peak_case(json_t *c)
{
    ms_map_view m = {0};
    m.nx = (size_t)json_integer_value(json_object_get(c, "nx"));
    m.ny = (size_t)json_integer_value(json_object_get(c, "ny"));
    m.x_min = json_number_value(json_object_get(c, "x_min"));
    m.y_min = json_number_value(json_object_get(c, "y_min"));
    m.cell = json_number_value(json_object_get(c, "cell"));
    json_t *jv = json_object_get(c, "v");
    float *v = malloc((m.nx * m.ny + 1) * sizeof *v);
    for (size_t i = 0; i < m.nx * m.ny; i++) {
        json_t *x = json_array_get(jv, i);
        v[i] = json_is_null(x) ? NAN : (float)json_number_value(x);
    }
    m.v = v;
    ms_alarm *a = NULL;
    size_t n = 0;
    int rc = ms_alarms_find(
        &m, NULL, NULL, json_number_value(json_object_get(c, "threshold")),
        json_number_value(json_object_get(c, "sep")), 0, &a, &n);
    json_t *res = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(res,
                              json_pack("[f,f,f]", a[i].x, a[i].y, a[i].score));
    free(a);
    free(v);
    return rc ? json_string(ms_error_message()) : res;
}

static int crosscheck(const char *in, const char *out)
{
    json_error_t err;
    json_t *root = json_load_file(in, 0, &err);
    if (!root) {
        fprintf(stderr, "%s:%d: %s\n", in, err.line, err.text);
        return 2;
    }
    json_t *sc = json_array(), *pk = json_array();
    json_t *cases = json_object_get(root, "score_cases");
    for (size_t i = 0; i < json_array_size(cases); i++)
        json_array_append_new(sc, run_score_case(json_array_get(cases, i)));
    cases = json_object_get(root, "peak_cases");
    for (size_t i = 0; i < json_array_size(cases); i++)
        json_array_append_new(pk, run_peak_case(json_array_get(cases, i)));
    json_t *res = json_pack("{s:o, s:o}", "score_cases", sc, "peak_cases", pk);
    /* 17 digits: every double survives the trip exactly */
    int rc = json_dump_file(res, out, JSON_REAL_PRECISION(17)) ? 3 : 0;
    if (rc)
        fprintf(stderr, "%s: cannot write\n", out);
    json_decref(res);
    json_decref(root);
    return rc;
}

int main(void)
{
    const char *in = getenv("MINESCAN_SCORE_CASES");
    const char *out = getenv("MINESCAN_SCORE_OUT");
    if (in && *in) {
        if (!out || !*out) {
            fprintf(stderr, "MINESCAN_SCORE_CASES needs MINESCAN_SCORE_OUT\n");
            return 2;
        }
        return crosscheck(in, out);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halo_boundary_included),
        cmocka_unit_test(test_two_alarms_one_mine),
        cmocka_unit_test(test_nearest_mine),
        cmocka_unit_test(test_greedy_order),
        cmocka_unit_test(test_clutter_alarms),
        cmocka_unit_test(test_no_mines),
        cmocka_unit_test(test_roc_hand_case),
        cmocka_unit_test(test_roc_limits),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_peaks),
        cmocka_unit_test(test_suppression),
        cmocka_unit_test(test_alarm_files),
        cmocka_unit_test(test_roc_png),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
