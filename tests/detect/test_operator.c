/* What the operator did: marks scored against the truth (hand-worked
 * layouts: which marks find which mine, each mine counted once, time
 * order) and sweep quality on synthetic tracks (a known uncovered band,
 * known overlap, known speed segments, joins across jumps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "minescan/operator.h"

/* ---- marks ---------------------------------------------------------------- */

#define MAX_N 16
typedef struct layout {
    ms_truth t;
    double tx[MAX_N], ty[MAX_N];
    int mine[MAX_N];
    char *label[MAX_N];
    ms_marks m;
    double mx[MAX_N], my[MAX_N], mt[MAX_N];
} layout;

static void init(layout *l)
{
    memset(l, 0, sizeof *l);
    l->t.x = l->tx;
    l->t.y = l->ty;
    l->t.is_mine = l->mine;
    l->t.label = l->label;
    l->m.x = l->mx;
    l->m.y = l->my;
    l->m.time = l->mt;
}

static void obj(layout *l, double x, double y, int mine, const char *label)
{
    size_t k = l->t.n++;
    l->tx[k] = x;
    l->ty[k] = y;
    l->mine[k] = mine;
    l->label[k] = (char *)label;
}

static void mark(layout *l, double x, double y, double t)
{
    size_t k = l->m.n++;
    l->mx[k] = x;
    l->my[k] = y;
    l->mt[k] = t;
}

static void test_marks_layout(void **state)
{
    (void)state;
    layout l;
    init(&l);
    obj(&l, 1, 1, 1, "PMN");
    obj(&l, 2, 1, 1, "PMA-2");
    obj(&l, 3, 1, 1, "M14");
    obj(&l, 4, 1, 0, "clutter:can");
    mark(&l, 1.1, 1.0, 1.0);  /* finds the PMN, 0.1 m off */
    mark(&l, 1.05, 1.0, 2.0); /* the PMN again: a false mark */
    mark(&l, 2.2, 1.0, 0.5);  /* finds the PMA-2 (first in time) */
    mark(&l, 4.0, 1.0, 3.0);  /* on the can: a false mark */
    mark(&l, 2.5, 1.0, 4.0);  /* 0.5 m from the PMA-2: a false mark */
    ms_marks_score s;
    assert_int_equal(ms_marks_score_compute(&l.t, &l.m, 10.0, 0.25, &s), 0);
    assert_int_equal(s.n_mines, 3);
    assert_int_equal(s.n_marks, 5);
    assert_int_equal(s.found, 2);
    assert_int_equal(s.missed, 1);
    assert_int_equal(s.false_marks, 3);
    assert_float_equal(s.false_marks_per_m2, 0.3, 1e-12);
    assert_int_equal(s.n_items, 6);
    /* time order: 0.5, 1, 2, 3, 4, then the missed mine */
    ms_mark_kind want[] = {MS_MARK_FOUND, MS_MARK_FOUND, MS_MARK_FALSE,
                           MS_MARK_FALSE, MS_MARK_FALSE, MS_MARK_MISSED};
    size_t want_mark[] = {2, 0, 1, 3, 4, SIZE_MAX};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(s.items[i].kind, want[i]);
        assert_int_equal(s.items[i].mark_index, want_mark[i]);
    }
    assert_string_equal(s.items[0].type, "PMA-2");
    assert_float_equal(s.items[0].distance_m, 0.2, 1e-12);
    assert_float_equal(s.items[0].x, 2.0, 0); /* at the mine */
    assert_float_equal(s.items[0].mark_x, 2.2, 0);
    assert_string_equal(s.items[1].type, "PMN");
    assert_float_equal(s.items[1].distance_m, 0.1, 1e-12);
    assert_null(s.items[2].type);
    assert_true(isnan(s.items[2].distance_m));
    assert_string_equal(s.items[5].type, "M14");
    assert_float_equal(s.items[5].x, 3.0, 0);
    ms_marks_score_free(&s);
}

/* The earlier mark in time claims the mine, whatever the file order. */
static void test_marks_time_order(void **state)
{
    (void)state;
    layout l;
    init(&l);
    obj(&l, 1, 1, 1, "PMN");
    mark(&l, 1.2, 1.0, 5.0);
    mark(&l, 1.05, 1.0, 1.0);
    ms_marks_score s;
    assert_int_equal(ms_marks_score_compute(&l.t, &l.m, 1.0, 0.25, &s), 0);
    assert_int_equal(s.found, 1);
    assert_int_equal(s.false_marks, 1);
    assert_int_equal(s.items[0].mark_index, 1);
    assert_float_equal(s.items[0].distance_m, 0.05, 1e-12);
    ms_marks_score_free(&s);
    /* Without times: file order, so the first mark claims it. */
    l.m.time = NULL;
    assert_int_equal(ms_marks_score_compute(&l.t, &l.m, 1.0, 0.25, &s), 0);
    assert_int_equal(s.items[0].mark_index, 0);
    assert_float_equal(s.items[0].distance_m, 0.2, 1e-12);
    ms_marks_score_free(&s);
}

/* A mark goes to the nearest mine not yet found: two marks between two
 * mines find both. The halo's boundary counts as inside. */
static void test_marks_nearest_unfound(void **state)
{
    (void)state;
    layout l;
    init(&l);
    obj(&l, 0, 0, 1, NULL);
    obj(&l, 0.3, 0, 1, NULL);
    obj(&l, 5.0, 0, 1, NULL);
    mark(&l, 0.14, 0, 1);
    mark(&l, 0.16, 0, 2);
    mark(&l, 5.25, 0, 3); /* exactly at the halo */
    ms_marks_score s;
    assert_int_equal(ms_marks_score_compute(&l.t, &l.m, 2.0, 0.25, &s), 0);
    assert_int_equal(s.found, 3);
    assert_int_equal(s.missed, 0);
    assert_int_equal(s.false_marks, 0);
    assert_int_equal(s.items[0].truth_index, 0);
    assert_int_equal(s.items[1].truth_index, 1);
    assert_int_equal(s.items[2].truth_index, 2);
    ms_marks_score_free(&s);
}

static void test_marks_none_and_bad(void **state)
{
    (void)state;
    layout l;
    init(&l);
    obj(&l, 1, 1, 1, NULL);
    obj(&l, 2, 1, 0, NULL);
    ms_marks_score s;
    assert_int_equal(ms_marks_score_compute(&l.t, NULL, 4.0, 0.25, &s), 0);
    assert_int_equal(s.n_mines, 1);
    assert_int_equal(s.missed, 1);
    assert_int_equal(s.found + s.false_marks, 0);
    ms_marks_score_free(&s);
    mark(&l, 1, 1, 0);
    assert_int_equal(ms_marks_score_compute(NULL, &l.m, 4.0, 0.25, &s), 0);
    assert_int_equal(s.false_marks, 1);
    ms_marks_score_free(&s);
    assert_int_equal(ms_marks_score_compute(&l.t, &l.m, 0.0, 0.25, &s),
                     MS_ERR_INVALID_INPUT);
    l.mx[0] = NAN;
    assert_int_equal(ms_marks_score_compute(&l.t, &l.m, 4.0, 0.25, &s),
                     MS_ERR_INVALID_INPUT);
    ms_marks_score_free(&s);
}

/* ---- sweep quality ------------------------------------------------------ */

typedef struct track_buf {
    size_t n, cap;
    double *x, *y, *t, *h;
} track_buf;

static void push(track_buf *b, double x, double y, double t, double h)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->x = realloc(b->x, b->cap * sizeof *b->x);
        b->y = realloc(b->y, b->cap * sizeof *b->y);
        b->t = realloc(b->t, b->cap * sizeof *b->t);
        b->h = realloc(b->h, b->cap * sizeof *b->h);
        assert_non_null(b->x);
        assert_non_null(b->y);
        assert_non_null(b->t);
        assert_non_null(b->h);
    }
    b->x[b->n] = x;
    b->y[b->n] = y;
    b->t[b->n] = t;
    b->h[b->n] = h;
    b->n++;
}

static void buf_free(track_buf *b)
{
    free(b->x);
    free(b->y);
    free(b->t);
    free(b->h);
}

static ms_track_view view(const track_buf *b, int with_time)
{
    return (ms_track_view){b->n, b->x, b->y, with_time ? b->t : NULL, b->h};
}

/* Lines along x at y = 0.05, 0.15, ..., 0.95 over a 2 x 1 m lane, all
 * driven left to right (the return is a jump, not joined), with a 0.1 m
 * footprint: lines at 0.45 and 0.55 left out leave the band 0.4 < y < 0.6
 * uncovered, 0.4 m^2, and every other cell covered once. `twice`: each
 * line driven out and back, two passes. */
static void lines(track_buf *b, int twice)
{
    double t = 0;
    for (int j = 0; j < 10; j++) {
        double y = 0.05 + 0.1 * j;
        if (j == 4 || j == 5)
            continue;
        for (int i = 0; i <= 200; i++, t += 0.04)
            push(b, 0.01 * i, y, t, 0.05);
        for (int i = 199; twice && i >= 0; i--, t += 0.04)
            push(b, 0.01 * i, y, t, 0.05);
        if (twice) /* lifted off to the left: the next line is no join */
            push(b, -0.6, y, t += 1, 0.05);
        t += 5;
    }
}

static void test_sweep_known_gap(void **state)
{
    (void)state;
    track_buf b = {0};
    lines(&b, 0);
    ms_lane lane = {1, 0, 2, 0, 1};
    ms_track_view v = view(&b, 1);
    ms_sweep_options o = {0.1, 0.5};
    ms_sweep_quality q;
    assert_int_equal(ms_sweep_quality_compute(&lane, &v, NULL, 1, &o, &q), 0);
    assert_int_equal(q.n_gaps, 1);
    assert_float_equal(q.gaps[0].area_m2, 0.4, 1e-9);
    assert_float_equal(q.gap_area_m2, 0.4, 1e-9);
    assert_float_equal(q.gaps[0].x0, 0.0, 1e-9);
    assert_float_equal(q.gaps[0].x1, 2.0, 1e-9);
    assert_float_equal(q.gaps[0].y0, 0.4, 1e-9);
    assert_float_equal(q.gaps[0].y1, 0.6, 1e-9);
    assert_float_equal(q.coverage_fraction, 0.8, 1e-9);
    assert_float_equal(q.overlap_mean, 1.0, 1e-12);
    assert_float_equal(q.height_median, 0.05, 1e-12);
    /* 0.01 m per 0.04 s everywhere */
    assert_float_equal(q.speed_median, 0.25, 1e-9);
    assert_float_equal(q.fraction_over_limit, 0.0, 0);
    assert_int_equal(q.n_over_limit, 0);
    ms_sweep_quality_free(&q);

    /* A footprint wider than the line spacing plus the band: no gap. */
    o.footprint_m = 0.32;
    assert_int_equal(ms_sweep_quality_compute(&lane, &v, NULL, 1, &o, &q), 0);
    assert_int_equal(q.n_gaps, 0);
    assert_float_equal(q.coverage_fraction, 1.0, 0);
    assert_true(q.overlap_mean > 1.5);
    ms_sweep_quality_free(&q);
    buf_free(&b);
}

static void test_sweep_overlap_two_passes(void **state)
{
    (void)state;
    track_buf b = {0};
    lines(&b, 1);
    ms_lane lane = {1, 0, 2, 0, 1};
    ms_track_view v = view(&b, 0);
    ms_sweep_options o = {0.1, 0.5};
    ms_sweep_quality q;
    assert_int_equal(ms_sweep_quality_compute(&lane, &v, NULL, 1, &o, &q), 0);
    assert_float_equal(q.coverage_fraction, 0.8, 1e-9);
    /* out and back: two passes, except the cells at the turn, which the
     * head covers in one go (the last two columns of 80) */
    assert_true(q.overlap_mean > 1.95 && q.overlap_mean < 2.0);
    assert_true(isnan(q.speed_median)); /* no time */
    assert_true(isnan(q.fraction_over_limit));
    ms_sweep_quality_free(&q);
    buf_free(&b);
}

/* 1 m at 0.25 m/s then 1 m at 1 m/s, one sample per cm. Speeds are taken
 * over 0.2 s windows: 100 slow samples, 81 fast ones with a full window,
 * and the 3 slow samples whose window reaches into the fast stretch
 * exceed 0.5 m/s too (the window's length is the tolerance: a few
 * samples). */
static void test_sweep_speed_segments(void **state)
{
    (void)state;
    track_buf b = {0};
    for (int i = 0; i <= 100; i++)
        push(&b, 0.01 * i, 0.5, 0.04 * i, NAN);
    for (int i = 1; i <= 100; i++)
        push(&b, 1 + 0.01 * i, 0.5, 4.0 + 0.01 * i, NAN);
    ms_lane lane = {1, 0, 2, 0, 1};
    ms_track_view v = view(&b, 1);
    const char *names[] = {"gpr"};
    ms_sweep_options o = {0.2, 0.5};
    ms_sweep_quality q;
    assert_int_equal(ms_sweep_quality_compute(&lane, &v, names, 1, &o, &q), 0);
    assert_float_equal(q.speed_median, 0.25, 1e-9);
    assert_float_equal(q.speed_p95, 1.0, 1e-9);
    assert_float_equal(q.fraction_over_limit, 84.0 / 181.0, 3.0 / 181.0);
    assert_int_equal(q.n_over_limit, 1);
    assert_float_equal(q.over_limit[0].speed, 1.0, 1e-9);
    assert_true(q.over_limit[0].x >= 1.0 && q.over_limit[0].x <= 2.0);
    assert_string_equal(q.speed_sensor, "gpr");
    assert_true(isnan(q.height_median)); /* heights all NaN */
    /* the band |y - 0.5| <= 0.1 of 1 m: 4 rows of 0.05 m cells */
    assert_float_equal(q.coverage_fraction, 0.2, 1e-9);
    ms_sweep_quality_free(&q);
    buf_free(&b);
}

/* A jump between two slow stretches is neither swept nor a speed: the
 * head was lifted. */
static void test_sweep_jump_not_joined(void **state)
{
    (void)state;
    track_buf b = {0};
    for (int i = 0; i <= 50; i++)
        push(&b, 0.01 * i, 0.2, 0.04 * i, 0.1);
    for (int i = 0; i <= 50; i++) /* 1 m further on, 0.1 s later */
        push(&b, 1.5 + 0.01 * i, 0.8, 2.1 + 0.04 * i, 0.1);
    ms_lane lane = {1, 0, 2, 0, 1};
    ms_track_view v = view(&b, 1);
    ms_sweep_options o = {0.1, 0.5};
    ms_sweep_quality q;
    assert_int_equal(ms_sweep_quality_compute(&lane, &v, NULL, 1, &o, &q), 0);
    assert_float_equal(q.fraction_over_limit, 0.0, 0);
    assert_float_equal(q.speed_p95, 0.25, 1e-9);
    /* two strips 0.5 m x 0.1 m (plus the discs' round ends) */
    assert_float_equal(q.coverage_fraction, 0.05, 0.01);
    assert_float_equal(q.height_median, 0.1, 0);
    ms_sweep_quality_free(&q);
    /* a lane of no area, a bad footprint */
    ms_lane flat = {1, 0, 2, 0.5, 0.5};
    assert_int_equal(ms_sweep_quality_compute(&flat, &v, NULL, 1, &o, &q),
                     MS_ERR_INVALID_INPUT);
    ms_sweep_quality_free(&q);
    o.footprint_m = 0;
    assert_int_equal(ms_sweep_quality_compute(&lane, &v, NULL, 1, &o, &q),
                     MS_ERR_INVALID_INPUT);
    ms_sweep_quality_free(&q);
    buf_free(&b);
}

/* One sample without a time, and a clock that restarts: the speed is
 * still measured on the rest of the track (neither may carry the window
 * past every later sample). */
static void test_sweep_bad_time_and_clock_restart(void **state)
{
    (void)state;
    track_buf b = {0};
    for (int i = 0; i < 200; i++) /* 0.5 m/s */
        push(&b, 0.01 * i, 0.5, 0.02 * i, NAN);
    b.t[5] = NAN;
    for (int i = 0; i < 100; i++) /* the clock restarts at 0 */
        push(&b, 2.0 + 0.01 * i, 0.5, 0.02 * i, NAN);
    ms_lane lane = {1, 0, 3, 0, 1};
    ms_track_view v = view(&b, 1);
    ms_sweep_options o = {0.1, 0.4};
    ms_sweep_quality q;
    assert_int_equal(ms_sweep_quality_compute(&lane, &v, NULL, 1, &o, &q), 0);
    assert_float_equal(q.speed_median, 0.5, 1e-9);
    assert_float_equal(q.speed_p95, 0.5, 1e-9);
    /* every measured sample is over 0.4 m/s, after the restart too */
    assert_float_equal(q.fraction_over_limit, 1.0, 0);
    assert_true(q.n_over_limit >= 2);
    ms_sweep_quality_free(&q);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks_layout),
        cmocka_unit_test(test_marks_time_order),
        cmocka_unit_test(test_marks_nearest_unfound),
        cmocka_unit_test(test_marks_none_and_bad),
        cmocka_unit_test(test_sweep_known_gap),
        cmocka_unit_test(test_sweep_overlap_two_passes),
        cmocka_unit_test(test_sweep_speed_segments),
        cmocka_unit_test(test_sweep_jump_not_joined),
        cmocka_unit_test(test_sweep_bad_time_and_clock_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
