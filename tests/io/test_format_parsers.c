/* The field-format parsers on memory buffers (the fuzz entry points of
 * pipeline/io/formats/formats.h): a small valid file per format, built
 * here from the documented layout, parses; then every truncation, random
 * header bytes and extreme count fields give 0 or a one-line error that
 * names the file, never an allocation from a count the buffer cannot hold
 * (MS_ERR_NOMEM) and never a read outside the buffer (each input is copied
 * into an allocation of exactly its length, so the ASan build catches
 * any overrun). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/formats/formats.h"
#include "test_util.h"

#define NT 9  /* traces */
#define NS 16 /* samples */

static void le16(uint8_t *p, unsigned v) { p[0] = v & 255; p[1] = v >> 8; }
static void le32f(uint8_t *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void be16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = v & 255; }
static void be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

typedef struct buf {
    uint8_t *b;
    size_t n;
} buf;

static buf make_dzt(void)
{
    buf d = {calloc(1, 1024 + NT * NS * 2), 1024 + NT * NS * 2};
    le16(d.b, 0xFF);
    le16(d.b + 2, 1024);
    le16(d.b + 4, NS);
    le16(d.b + 6, 16);
    le32f(d.b + 14, 50.0f);
    le32f(d.b + 26, 10.0f);
    le16(d.b + 52, 1);
    memcpy(d.b + 98, "50400S", 6);
    for (size_t i = 0; i < NT * NS; i++)
        le16(d.b + 1024 + 2 * i, (unsigned)(32768 + i));
    return d;
}

static buf make_hd(void)
{
    char t[512];
    int n = snprintf(t, sizeof t,
                     "1234\r\nline\r\nNUMBER OF PTS/TRC  = %d\r\n"
                     "TOTAL TIME WINDOW  = 8\r\nNUMBER OF TRACES   = %d\r\n"
                     "POSITION UNITS     = ft\r\nTIMEZERO AT POINT  = 3\r\n"
                     "NOMINAL FREQUENCY  = 500\r\n",
                     NS, NT);
    buf d = {malloc((size_t)n), (size_t)n};
    memcpy(d.b, t, (size_t)n);
    return d;
}

static buf make_dt1(void)
{
    size_t tb = 128 + NS * 2;
    buf d = {calloc(NT, tb), NT * tb};
    for (size_t t = 0; t < NT; t++) {
        uint8_t *h = d.b + t * tb;
        le32f(h, (float)(t + 1));
        le32f(h + 4, 0.5f * (float)t);
        le32f(h + 8, NS);
        le32f(h + 20, 2);
        for (size_t k = 0; k < NS; k++)
            le16(h + 128 + 2 * k, (unsigned)(uint16_t)(int16_t)(k - t));
    }
    return d;
}

static buf make_rad(void)
{
    char t[256];
    int n = snprintf(t, sizeof t,
                     "SAMPLES:%d\r\nFREQUENCY:10000\r\nTIMEWINDOW:1.6\r\n"
                     "LAST TRACE:%d\r\nDISTANCE INTERVAL:0.02\r\n"
                     "ANTENNAS:MALA 800MHz\r\n",
                     NS, NT);
    buf d = {malloc((size_t)n), (size_t)n};
    memcpy(d.b, t, (size_t)n);
    return d;
}

static buf make_rd3(void)
{
    buf d = {calloc(NT * NS, 2), NT * NS * 2};
    for (size_t i = 0; i < NT * NS; i++)
        le16(d.b + 2 * i, (unsigned)(uint16_t)(int16_t)(100 - (int)i));
    return d;
}

static buf make_segy(void)
{
    size_t tb = 240 + NS * 4;
    buf d = {calloc(1, 3600 + NT * tb), 3600 + NT * tb};
    memset(d.b, ' ', 3200);
    d.b[0] = 'C';
    be16(d.b + 3216, 100);
    be16(d.b + 3220, NS);
    be16(d.b + 3224, 5);
    for (size_t t = 0; t < NT; t++) {
        uint8_t *h = d.b + 3600 + t * tb;
        be16(h + 70, (unsigned)(uint16_t)(int16_t)-100);
        be32(h + 72, (uint32_t)(t * 5)); /* 5 cm */
        be16(h + 88, 1);
        for (size_t k = 0; k < NS; k++) {
            float f = (float)k - (float)t;
            uint32_t v;
            memcpy(&v, &f, 4);
            be32(h + 240 + 4 * k, v);
        }
    }
    return d;
}

enum { F_DZT, F_DT1_HD, F_DT1_DATA, F_MALA_RAD, F_MALA_DATA, F_SEGY, F_N };

static const buf *original(int f)
{
    static buf b[F_N];
    if (!b[0].b) {
        b[F_DZT] = make_dzt(), b[F_DT1_HD] = make_hd();
        b[F_DT1_DATA] = make_dt1(), b[F_MALA_RAD] = make_rad();
        b[F_MALA_DATA] = make_rd3(), b[F_SEGY] = make_segy();
    }
    return &b[f];
}

/* Parse format f with one of its buffers replaced by (b, n), copied into
 * an allocation of exactly n bytes. */
static int parse(int f, const uint8_t *b, size_t n, ms_import *im)
{
    const buf hd = *original(F_DT1_HD), dt1 = *original(F_DT1_DATA);
    const buf rad = *original(F_MALA_RAD), rd3 = *original(F_MALA_DATA);
    if (!b) {
        b = original(f)->b;
        n = original(f)->n;
    }
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, b, n);
    ms_import_options opt = ms_import_options_default();
    int rc;
    switch (f) {
    case F_DZT: rc = ms_dzt_parse("x.dzt", c, n, NULL, 0, &opt, im); break;
    case F_DT1_HD:
        rc = ms_dt1_parse("x.dt1", (char *)c, n, dt1.b, dt1.n, &opt, im);
        break;
    case F_DT1_DATA:
        rc = ms_dt1_parse("x.dt1", (char *)hd.b, hd.n, c, n, &opt, im);
        break;
    case F_MALA_RAD:
        rc = ms_mala_parse("x.rd3", (char *)c, n, rd3.b, rd3.n, 2, &opt, im);
        break;
    case F_MALA_DATA:
        rc = ms_mala_parse("x.rd3", (char *)rad.b, rad.n, c, n, 2, &opt, im);
        break;
    default: rc = ms_segy_parse("x.sgy", c, n, &opt, im); break;
    }
    free(c);
    return rc;
}

/* 0, or an input/usage error with one line naming the file. */
static void check_outcome(int rc, ms_import *im)
{
    if (rc == 0) {
        assert_non_null(im->rec);
        assert_non_null(im->rec->gpr);
        assert_true(im->rec->gpr->n_samples >= 1);
        return;
    }
    if (rc != MS_ERR_INVALID_INPUT && rc != MS_ERR_USAGE)
        fail_msg("rc %d (%s): %s", rc, ms_error_name(rc), ms_error_message());
    assert_true(strncmp(ms_error_message(), "x.", 2) == 0);
    assert_null(strchr(ms_error_message(), '\n'));
}

static void test_valid_files_parse(void **state)
{
    (void)state;
    for (int f = 0; f < F_N; f++) {
        ms_import im;
        ms_import_init(&im);
        int rc = parse(f, NULL, 0, &im);
        if (rc)
            fail_msg("format %d: %s", f, ms_error_message());
        const ms_gpr *g = im.rec->gpr;
        assert_int_equal(g->n_traces, NT);
        assert_int_equal(g->n_samples, NS);
        switch (f) {
        case F_DZT:
            assert_true(g->data[NS + 3] == (float)(NS + 3));
            assert_true(g->x[2] == 2.0 / 50.0);
            assert_true(g->centre_frequency_hz == 400e6);
            break;
        case F_DT1_HD:
        case F_DT1_DATA:
            assert_true(g->data[2 * NS + 5] == 3.0f);
            assert_true(g->x[3] == 1.5 * 0.3048);
            assert_true(g->time_zero_s == 2 * 0.5e-9);
            break;
        case F_MALA_RAD:
        case F_MALA_DATA:
            assert_true(g->data[NS + 1] == (float)(100 - NS - 1));
            assert_true(fabs(g->x[4] - 0.08) < 1e-12);
            break;
        default:
            assert_true(g->data[NS * 2 + 7] == 5.0f);
            assert_true(fabs(g->x[2] - 0.1) < 1e-12);
        }
        ms_import_free(&im);
    }
}

static void test_every_truncation(void **state)
{
    (void)state;
    for (int f = 0; f < F_N; f++) {
        const buf *o = original(f);
        for (size_t n = 0; n < o->n; n += (n < 4000 ? 1 : 7)) {
            ms_import im;
            ms_import_init(&im);
            int rc = parse(f, o->b, n, &im);
            check_outcome(rc, &im);
            ms_import_free(&im);
        }
    }
}

static void test_random_header_corruption(void **state)
{
    (void)state;
    test_rng r = {20261202};
    static const uint8_t extremes[][4] = {
        {0xff, 0xff, 0xff, 0x7f}, {0, 0, 0, 0x80}, {0xff, 0xff, 0xff, 0xff},
        {0, 0, 0, 0},             {'9', '9', '9', '9'}, {'-', '1', 'e', '9'}};
    for (int f = 0; f < F_N; f++) {
        const buf *o = original(f);
        size_t region = f == F_DZT ? 1024 : f == F_SEGY ? 3600 + 240 : o->n;
        uint8_t *b = malloc(o->n);
        assert_non_null(b);
        for (int k = 0; k < 3000; k++) {
            memcpy(b, o->b, o->n);
            int edits = 1 + (int)(test_rng_next(&r) % 4);
            for (int e = 0; e < edits; e++) {
                size_t at = test_rng_next(&r) % (region - 4);
                if (test_rng_next(&r) & 1)
                    b[at] = (uint8_t)test_rng_next(&r);
                else
                    memcpy(b + at, extremes[test_rng_next(&r) % 6], 4);
            }
            size_t n = test_rng_next(&r) % 4 == 0 ? test_rng_next(&r) % o->n
                                                  : o->n;
            ms_import im;
            ms_import_init(&im);
            int rc = parse(f, b, n, &im);
            check_outcome(rc, &im);
            ms_import_free(&im);
        }
        free(b);
    }
}

static void test_huge_counts_are_refused_before_allocating(void **state)
{
    (void)state;
    ms_import im;
    /* DT1: 2^31 traces and 2^31 points */
    const char *hds[] = {
        "NUMBER OF TRACES = 2147483648\nNUMBER OF PTS/TRC = 16\n"
        "TOTAL TIME WINDOW = 8\n",
        "NUMBER OF TRACES = 9\nNUMBER OF PTS/TRC = 2147483648\n"
        "TOTAL TIME WINDOW = 8\n"};
    for (int i = 0; i < 2; i++) {
        ms_import_init(&im);
        int rc = parse(F_DT1_HD, (const uint8_t *)hds[i], strlen(hds[i]),
                       &im);
        assert_int_equal(rc, MS_ERR_INVALID_INPUT);
        assert_non_null(strstr(ms_error_message(), i ? "PTS/TRC" : "TRACES"));
        ms_import_free(&im);
    }
    const char *rad = "SAMPLES:2147483648\nFREQUENCY:1000\n"
                      "DISTANCE INTERVAL:0.1\n";
    ms_import_init(&im);
    assert_int_equal(parse(F_MALA_RAD, (const uint8_t *)rad, strlen(rad), &im),
                     MS_ERR_INVALID_INPUT);
    assert_non_null(strstr(ms_error_message(), "SAMPLES"));
    ms_import_free(&im);
    /* DZT: a negative sample count (int16 0x8000) */
    buf d = make_dzt();
    le16(d.b + 4, 0x8000);
    ms_import_init(&im);
    assert_int_equal(parse(F_DZT, d.b, d.n, &im), MS_ERR_INVALID_INPUT);
    assert_non_null(strstr(ms_error_message(), "rh_nsamp"));
    ms_import_free(&im);
    free(d.b);
}

static void test_detect_by_content_and_extension(void **state)
{
    (void)state;
    buf d = make_dzt(), s = make_segy();
    assert_int_equal(ms_format_detect_buffer("no_ext", d.b, d.n),
                     MS_FORMAT_DZT);
    assert_int_equal(ms_format_detect_buffer("no_ext", s.b, s.n),
                     MS_FORMAT_SEGY);
    uint8_t zero[8] = {0};
    assert_int_equal(ms_format_detect_buffer("a.dt1", zero, 8), MS_FORMAT_DT1);
    assert_int_equal(ms_format_detect_buffer("A.HD", zero, 8), MS_FORMAT_DT1);
    assert_int_equal(ms_format_detect_buffer("a.RD7", zero, 8),
                     MS_FORMAT_MALA);
    assert_int_equal(ms_format_detect_buffer("a.rad", zero, 8),
                     MS_FORMAT_MALA);
    assert_int_equal(ms_format_detect_buffer("a.txt", zero, 8),
                     MS_FORMAT_UNKNOWN);
    free(d.b);
    free(s.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_files_parse),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_random_header_corruption),
        cmocka_unit_test(test_huge_counts_are_refused_before_allocating),
        cmocka_unit_test(test_detect_by_content_and_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
