/* Line recordings (a single B-scan, a cart line): ms_line_fit tells one
 * straight line of positions from anything else, along x, along y or at
 * an angle, and ms_score_write_json_line adds the line's keys to
 * score.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minescan/detect.h"
#include "minescan/error.h"
#include "test_util.h"

#define N 501 /* 5 m at 1 cm */

typedef struct pts {
    double x[N], y[N];
    size_t n;
} pts;

/* n points from (x0, y0) along the angle `deg`, `step` apart, each moved
 * across the line by up to +-jitter (deterministic). */
static void line_pts(pts *p, size_t n, double x0, double y0, double deg,
                     double step, double jitter, uint64_t seed)
{
    test_rng r = {seed};
    double a = deg * acos(-1.0) / 180.0, ux = cos(a), uy = sin(a);
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i * step;
        double o = jitter * (2.0 * test_rng_uniform(&r) - 1.0);
        if (i == 0)
            o = jitter; /* reach the jitter on both sides */
        if (i == 1)
            o = -jitter;
        p->x[i] = x0 + t * ux - o * uy;
        p->y[i] = y0 + t * uy + o * ux;
    }
}

static ms_line_kind fit1(const pts *p, ms_line *l)
{
    const double *x[1] = {p->x}, *y[1] = {p->y};
    size_t n[1] = {p->n};
    return ms_line_fit(x, y, n, 1, MS_LINE_TOL_M, l);
}

static void test_line_along_axes(void **state)
{
    (void)state;
    static pts p;
    ms_line l;
    line_pts(&p, N, 0.0, 0.5, 0.0, 0.01, 0.0, 1);
    assert_int_equal(fit1(&p, &l), MS_LINE_ALONG_X);
    assert_int_equal(l.kind, MS_LINE_ALONG_X);
    assert_true(l.y0 == 0.5);
    assert_true(fabs(l.x0 - 2.5) < 1e-12);
    assert_true(fabs(l.length_m - 5.0) < 1e-12);
    assert_true(l.ux == 1.0 && l.uy == 0.0 && l.max_offset_m == 0.0);

    /* within the tolerance either side: the line is the middle */
    line_pts(&p, N, 10.0, -3.0, 0.0, 0.01, 0.009, 2);
    assert_int_equal(fit1(&p, &l), MS_LINE_ALONG_X);
    assert_true(fabs(l.y0 + 3.0) < 1e-12);
    assert_true(fabs(l.max_offset_m - 0.009) < 1e-12);

    /* beyond it: not one line */
    line_pts(&p, N, 10.0, -3.0, 0.0, 0.01, 0.02, 3);
    assert_int_equal(fit1(&p, &l), MS_LINE_NONE);
    assert_int_equal(l.kind, MS_LINE_NONE);

    /* along y, walked backwards */
    line_pts(&p, 200, 1.25, 4.0, -90.0, 0.02, 0.004, 4);
    assert_int_equal(fit1(&p, &l), MS_LINE_ALONG_Y);
    assert_true(fabs(l.x0 - 1.25) < 1e-12);
    assert_true(fabs(l.y0 - (4.0 - 0.5 * 199 * 0.02)) < 1e-9);
    assert_true(fabs(l.length_m - 199 * 0.02) < 1e-9);
    assert_true(l.ux == 0.0 && l.uy == 1.0);
}

static void test_line_diagonal(void **state)
{
    (void)state;
    static pts p;
    ms_line l;
    /* far from the origin, where moments about 0 would cancel */
    line_pts(&p, N, 5000.0, -7000.0, 30.0, 0.01, 0.005, 5);
    assert_int_equal(fit1(&p, &l), MS_LINE_DIAGONAL);
    assert_true(fabs(atan2(l.uy, l.ux) * 180.0 / acos(-1.0) - 30.0) < 0.05);
    assert_true(fabs(l.length_m - 5.0) < 0.005);
    assert_true(l.max_offset_m <= MS_LINE_TOL_M);
    /* the middle, on the line */
    double a = 30.0 * acos(-1.0) / 180.0;
    assert_true(fabs(l.x0 - (5000.0 + 2.5 * cos(a))) < 0.01);
    assert_true(fabs(l.y0 - (-7000.0 + 2.5 * sin(a))) < 0.01);

    /* the same line walked the other way points the same way (+x) */
    line_pts(&p, N, 5000.0 + 5.0 * cos(a), -7000.0 + 5.0 * sin(a), 210.0,
             0.01, 0.0, 6);
    assert_int_equal(fit1(&p, &l), MS_LINE_DIAGONAL);
    assert_true(l.ux > 0 && fabs(atan2(l.uy, l.ux) - a) < 1e-9);

    /* too far off the axis */
    line_pts(&p, N, 0.0, 0.0, 45.0, 0.01, 0.03, 7);
    assert_int_equal(fit1(&p, &l), MS_LINE_NONE);
}

static void test_line_not_a_line(void **state)
{
    (void)state;
    static pts p;
    ms_line l;
    /* a hand-held zig-zag over a lane */
    p.n = N;
    for (size_t i = 0; i < N; i++) {
        p.x[i] = 0.01 * (double)i;
        p.y[i] = 0.4 * sin(0.05 * (double)i);
    }
    assert_int_equal(fit1(&p, &l), MS_LINE_NONE);
    /* every position at one spot, one position, none */
    for (size_t i = 0; i < N; i++)
        p.x[i] = 3.0, p.y[i] = 1.0 + 1e-4 * (double)(i % 3);
    assert_int_equal(fit1(&p, &l), MS_LINE_NONE);
    p.n = 1;
    assert_int_equal(fit1(&p, &l), MS_LINE_NONE);
    p.n = 0;
    assert_int_equal(fit1(&p, &l), MS_LINE_NONE);
    /* non-finite positions are ignored; a bad tolerance finds nothing */
    line_pts(&p, 100, 0.0, 0.2, 0.0, 0.01, 0.0, 8);
    p.x[3] = NAN;
    p.y[7] = INFINITY;
    assert_int_equal(fit1(&p, &l), MS_LINE_ALONG_X);
    assert_true(l.y0 == 0.2);
    const double *x[1] = {p.x}, *y[1] = {p.y};
    size_t n[1] = {p.n};
    assert_int_equal(ms_line_fit(x, y, n, 1, NAN, &l), MS_LINE_NONE);
    assert_int_equal(ms_line_fit(x, y, n, 1, -1.0, &l), MS_LINE_NONE);
}

static void test_line_two_sensors(void **state)
{
    (void)state;
    static pts g, e;
    static double ex[N], ey[N], gx[N], gy[N];
    ms_line l;
    line_pts(&g, 301, 0.0, 0.5, 0.0, 0.01, 0.0, 9);
    line_pts(&e, 151, 0.0, 0.5, 0.0, 0.02, 0.0, 10);
    memcpy(gx, g.x, sizeof gx);
    memcpy(gy, g.y, sizeof gy);
    memcpy(ex, e.x, sizeof ex);
    memcpy(ey, e.y, sizeof ey);
    ms_gpr gpr = {.n_traces = g.n, .x = gx, .y = gy};
    ms_emi emi = {.n_readings = e.n, .x = ex, .y = ey};
    ms_recording rec = {.gpr = &gpr, .emi = &emi};
    assert_int_equal(ms_recording_line(&rec, MS_LINE_TOL_M, &l),
                     MS_LINE_ALONG_X);
    assert_true(l.y0 == 0.5 && fabs(l.length_m - 3.0) < 1e-12);
    /* the metal detector on a line of its own, 5 cm to the side */
    for (size_t i = 0; i < e.n; i++)
        ey[i] = 0.55;
    assert_int_equal(ms_recording_line(&rec, MS_LINE_TOL_M, &l),
                     MS_LINE_NONE);
    /* either sensor alone is a line */
    rec.gpr = NULL;
    assert_int_equal(ms_recording_line(&rec, MS_LINE_TOL_M, &l),
                     MS_LINE_ALONG_X);
    assert_true(l.y0 == 0.55);
    rec.emi = NULL;
    assert_int_equal(ms_recording_line(&rec, MS_LINE_TOL_M, &l),
                     MS_LINE_NONE);
    assert_int_equal(ms_recording_line(NULL, MS_LINE_TOL_M, &l),
                     MS_LINE_NONE);
}

static json_t *load(const char *path)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    assert_non_null(j);
    return j;
}

static void test_line_score_json(void **state)
{
    (void)state;
    char path[512], base[600];
    test_tmp_path(path, sizeof path, "test_line_score.json");
    snprintf(base, sizeof base, "%s.base", path);
    ms_score s = {.halo_m = 0.25, .area_m2 = 0.5, .threshold = 3.0,
                  .n_mines = 2, .n_alarms = 4, .n_detected = 2,
                  .n_false_alarms = 2, .pd = 1.0, .far = 4.0};
    ms_roc roc = {.pd_at_far_0_1 = 0.5, .pd_at_far_1 = 1.0, .auc_far_1 = 0.9};
    ms_line l = {.kind = MS_LINE_ALONG_X, .y0 = 0.5, .ux = 1.0,
                 .length_m = 5.0};

    assert_int_equal(ms_score_write_json_line(path, &s, &roc, &l,
                                              MS_LINE_SWATH_M), 0);
    assert_int_equal(access(base, F_OK), -1); /* nothing left behind */
    json_t *j = load(path);
    /* the contract's keys as ms_score_write_json writes them */
    assert_true(json_real_value(json_object_get(j, "area_m2")) == 0.5);
    assert_true(json_real_value(json_object_get(j, "far_per_m2")) == 4.0);
    assert_int_equal(json_integer_value(json_object_get(j, "n_false_alarms")),
                     2);
    assert_non_null(json_object_get(j, "auc_interpolation"));
    /* and the line's */
    assert_true(json_real_value(json_object_get(j, "far_per_m")) == 0.4);
    assert_true(json_real_value(json_object_get(j, "line_length_m")) == 5.0);
    assert_true(json_real_value(json_object_get(j, "line_swath_m")) == 0.1);
    json_decref(j);

    /* the area came from /lane: no swath */
    assert_int_equal(ms_score_write_json_line(path, &s, &roc, &l, NAN), 0);
    j = load(path);
    assert_true(json_is_null(json_object_get(j, "line_swath_m")));
    assert_true(json_real_value(json_object_get(j, "far_per_m")) == 0.4);
    json_decref(j);

    /* not a line: exactly ms_score_write_json's file */
    char plain[600];
    snprintf(plain, sizeof plain, "%s.plain", path);
    assert_int_equal(ms_score_write_json(plain, &s, &roc), 0);
    l.kind = MS_LINE_NONE;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(ms_score_write_json_line(path, &s, &roc,
                                                  k ? NULL : &l, 0.1), 0);
        json_t *a = load(path), *b = load(plain);
        assert_true(json_equal(a, b));
        assert_null(json_object_get(a, "far_per_m"));
        json_decref(a);
        json_decref(b);
    }
    remove(plain);

    /* an unwritable place fails, naming it */
    ms_line ok = {.kind = MS_LINE_ALONG_Y, .length_m = 2.0};
    assert_int_not_equal(ms_score_write_json_line("/nonexistent/dir/s.json",
                                                  &s, &roc, &ok, 0.1), 0);
    assert_non_null(strstr(ms_error_message(), "/nonexistent/dir/s.json"));
    remove(path);
}

/* ms_alarms_find_line: the peaks of the map along the traces, at the
 * traces. A one-row map (2 cm cells) with two bumps; traces every 1.5 cm,
 * the line swept twice (every position repeated). */
static void test_line_alarms(void **state)
{
    (void)state;
    enum { NX = 100 };
    float v[NX];
    for (size_t i = 0; i < NX; i++) {
        double xc = 0.01 + 0.02 * (double)i;
        v[i] = (float)(5.0 * exp(-0.5 * pow((xc - 0.5) / 0.04, 2)) +
                       3.0 * exp(-0.5 * pow((xc - 1.4) / 0.04, 2)));
    }
    v[NX - 1] = NAN; /* a cell that saw nothing */
    ms_map_view map = {v, NX, 1, 0.0, 0.49, 0.02};
    static double x[2 * 134], y[2 * 134];
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < 134; i++, n++) {
            x[n] = 0.015 * (double)(pass ? 133 - i : i);
            y[n] = 0.5;
        }
    ms_line l;
    const double *xs[1] = {x}, *ys[1] = {y};
    size_t ns[1] = {n};
    assert_int_equal(ms_line_fit(xs, ys, ns, 1, MS_LINE_TOL_M, &l),
                     MS_LINE_ALONG_X);
    ms_alarm *a = NULL;
    size_t na = 0;
    assert_int_equal(ms_alarms_find_line(&map, NULL, NULL, x, y, n, &l, 0.5,
                                         0.15, 1.5, &a, &na),
                     0);
    assert_int_equal(na, 2);
    /* the strongest first, each at the trace nearest its bump's top */
    assert_true(fabs(a[0].x - 0.495) < 1e-9);
    assert_true(fabs(a[1].x - 1.395) < 1e-9 || fabs(a[1].x - 1.410) < 1e-9);
    assert_true(a[0].y == 0.5 && a[1].y == 0.5);
    assert_true(a[0].score > a[1].score && a[1].score > 2.5);
    free(a);
    /* a separation wider than the bumps' distance keeps the stronger */
    assert_int_equal(ms_alarms_find_line(&map, NULL, NULL, x, y, n, &l, 0.5,
                                         1.0, 1.5, &a, &na),
                     0);
    assert_int_equal(na, 1);
    assert_true(fabs(a[0].x - 0.495) < 1e-9);
    free(a);
    /* bad input is refused, naming what is wrong */
    assert_int_not_equal(ms_alarms_find_line(&map, NULL, NULL, x, y, n, &l,
                                             NAN, 0.15, 1.5, &a, &na),
                         0);
    ms_line none = {0};
    assert_int_not_equal(ms_alarms_find_line(&map, NULL, NULL, x, y, n,
                                             &none, 0.5, 0.15, 1.5, &a, &na),
                         0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_along_axes),
        cmocka_unit_test(test_line_diagonal),
        cmocka_unit_test(test_line_not_a_line),
        cmocka_unit_test(test_line_two_sensors),
        cmocka_unit_test(test_line_score_json),
        cmocka_unit_test(test_line_alarms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
