/* Recording writer -> reader round trips for every ms_write_options
 * variant, missing samples, dropped traces, atomic writes and allocation
 * limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minescan/recording.h"

#define NT 37 /* traces */
#define NS 50 /* samples */
#define NR 20 /* EMI readings */
#define NC 3  /* EMI channels */

static char dir[512];

static void path_in_dir(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static char *sdup(const char *s)
{
    char *r = malloc(strlen(s) + 1);
    assert_non_null(r);
    strcpy(r, s);
    return r;
}

/* A recording that uses every part of the format; five GPR samples and
 * one EMI value are missing. */
static ms_recording *make_recording(void)
{
    ms_recording *rec = ms_recording_new();
    assert_non_null(rec);
    rec->title = sdup("round trip \xc3\xbc"); /* UTF-8 */
    rec->site = sdup("test site");
    rec->lane_id = sdup("L7");
    rec->operator_id = sdup("op-3");
    rec->instrument = sdup("unit test");
    rec->recorded_at = sdup("2024-05-01T10:00:00Z");

    ms_gpr *g = ms_gpr_new(NT, NS);
    assert_non_null(g);
    for (size_t i = 0; i < NT; i++) {
        g->x[i] = 0.05 * (double)i;
        g->y[i] = 0.1 * sin((double)i);
        for (size_t j = 0; j < NS; j++)
            g->data[i * NS + j] =
                (float)(100.0 * sin(0.3 * (double)i + 0.11 * (double)j) +
                        0.5 * (double)j);
    }
    g->valid = malloc(NT * NS);
    assert_non_null(g->valid);
    memset(g->valid, 1, NT * NS);
    const size_t holes[5] = {0, 7, 99, 500, NT * NS - 1};
    for (int k = 0; k < 5; k++) {
        g->valid[holes[k]] = 0;
        g->data[holes[k]] = 0.0f;
    }
    g->height = malloc(NT * sizeof *g->height);
    g->time = malloc(NT * sizeof *g->time);
    assert_non_null(g->height);
    assert_non_null(g->time);
    for (size_t i = 0; i < NT; i++) {
        g->height[i] = 0.05 + 0.001 * (double)i;
        g->time[i] = 0.02 * (double)i;
    }
    g->sample_interval_s = 1e-10;
    g->centre_frequency_hz = 5e8;
    g->time_zero_s = 2e-9;
    g->units = sdup("mV");
    rec->gpr = g;

    ms_emi *e = ms_emi_new(NR, NC);
    assert_non_null(e);
    for (size_t i = 0; i < NR; i++) {
        e->x[i] = 0.1 * (double)i;
        e->y[i] = -0.2;
        for (size_t j = 0; j < NC; j++)
            e->data[i * NC + j] = (float)((double)j * 1000.0 + (double)i * 3.25);
    }
    e->valid = malloc(NR * NC);
    assert_non_null(e->valid);
    memset(e->valid, 1, NR * NC);
    e->valid[4] = 0;
    e->data[4] = 0.0f;
    e->units = sdup("ppm");
    e->channel_names = malloc(NC * sizeof *e->channel_names);
    assert_non_null(e->channel_names);
    e->channel_names[0] = sdup("z");
    e->channel_names[1] = sdup("x-long");
    e->channel_names[2] = sdup("quad");
    rec->emi = e;

    rec->lane.present = 1;
    rec->lane.x_min = -0.5;
    rec->lane.x_max = 2.5;
    rec->lane.y_min = -0.5;
    rec->lane.y_max = 0.5;

    ms_truth *t = ms_truth_new(4);
    assert_non_null(t);
    static const char *labels[4] = {"PMN", "clutter:can", "", "TM-46"};
    t->label = malloc(4 * sizeof *t->label);
    t->depth = malloc(4 * sizeof *t->depth);
    t->diameter = malloc(4 * sizeof *t->diameter);
    assert_non_null(t->label);
    for (int i = 0; i < 4; i++) {
        t->x[i] = 0.3 + 0.5 * i;
        t->y[i] = 0.1 * i - 0.1;
        t->is_mine[i] = i != 1;
        t->depth[i] = 0.05 * i;
        t->diameter[i] = 0.1 + 0.1 * i;
        t->label[i] = sdup(labels[i]);
    }
    rec->truth = t;

    ms_marks *m = ms_marks_new(3);
    assert_non_null(m);
    m->time = malloc(3 * sizeof *m->time);
    assert_non_null(m->time);
    for (int i = 0; i < 3; i++) {
        m->x[i] = 0.4 * i;
        m->y[i] = 0.05 * i;
        m->time[i] = 10.0 + i;
    }
    rec->marks = m;
    return rec;
}

/* Largest error integer packing may add to values spanning [lo, hi]. */
static double pack_tolerance(const float *v, const uint8_t *valid, size_t n,
                             ms_store_type t)
{
    if (t == MS_STORE_FLOAT32 || t == MS_STORE_FLOAT64)
        return 0.0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (!valid || valid[i]) {
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
        }
    double max_raw = t == MS_STORE_INT16 ? 32767.0 : 2147483647.0;
    /* half a quantum plus float32 rounding of the result */
    return 0.51 * (hi - lo) / 2 / max_raw + 1e-6 * fmax(fabs(lo), fabs(hi));
}

static void assert_str(const char *a, const char *b)
{
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
}

static void compare(const ms_recording *a, const ms_recording *b,
                    ms_store_type t)
{
    assert_int_equal(b->format_version, 1);
    assert_str(a->title, b->title);
    assert_str(a->site, b->site);
    assert_str(a->lane_id, b->lane_id);
    assert_str(a->operator_id, b->operator_id);
    assert_str(a->instrument, b->instrument);
    assert_str(a->recorded_at, b->recorded_at);

    const ms_gpr *ga = a->gpr, *gb = b->gpr;
    assert_non_null(gb);
    assert_int_equal(gb->n_traces, NT);
    assert_int_equal(gb->n_samples, NS);
    assert_true(gb->sample_interval_s == ga->sample_interval_s);
    assert_true(gb->centre_frequency_hz == ga->centre_frequency_hz);
    assert_true(gb->time_zero_s == ga->time_zero_s);
    assert_str(ga->units, gb->units);
    assert_int_equal(gb->n_missing_samples, 5);
    assert_int_equal(gb->n_dropped_traces, 0);
    assert_non_null(gb->valid);
    assert_memory_equal(ga->valid, gb->valid, NT * NS);
    double tol = pack_tolerance(ga->data, ga->valid, NT * NS, t);
    for (size_t i = 0; i < NT * NS; i++) {
        if (!ga->valid[i]) {
            assert_true(gb->data[i] == 0.0f);
            continue;
        }
        if (fabs((double)ga->data[i] - (double)gb->data[i]) > tol)
            fail_msg("gpr sample %zu: wrote %.9g, read %.9g (tolerance %g)",
                     i, (double)ga->data[i], (double)gb->data[i], tol);
    }
    assert_non_null(gb->height);
    assert_non_null(gb->time);
    for (size_t i = 0; i < NT; i++) {
        assert_true(gb->x[i] == ga->x[i]);
        assert_true(gb->y[i] == ga->y[i]);
        assert_true(gb->height[i] == ga->height[i]);
        assert_true(gb->time[i] == ga->time[i]);
    }

    const ms_emi *ea = a->emi, *eb = b->emi;
    assert_non_null(eb);
    assert_int_equal(eb->n_readings, NR);
    assert_int_equal(eb->n_channels, NC);
    assert_int_equal(eb->n_missing_samples, 1);
    assert_null(eb->height);
    assert_str(ea->units, eb->units);
    assert_non_null(eb->channel_names);
    for (size_t j = 0; j < NC; j++)
        assert_str(ea->channel_names[j], eb->channel_names[j]);
    tol = pack_tolerance(ea->data, ea->valid, NR * NC, t);
    for (size_t i = 0; i < NR * NC; i++) {
        assert_int_equal(eb->valid[i], ea->valid[i]);
        if (ea->valid[i] &&
            fabs((double)ea->data[i] - (double)eb->data[i]) > tol)
            fail_msg("emi value %zu: wrote %.9g, read %.9g", i,
                     (double)ea->data[i], (double)eb->data[i]);
    }
    for (size_t i = 0; i < NR; i++)
        assert_true(eb->x[i] == ea->x[i] && eb->y[i] == ea->y[i]);

    assert_int_equal(b->lane.present, 1);
    assert_true(b->lane.x_min == a->lane.x_min &&
                b->lane.x_max == a->lane.x_max &&
                b->lane.y_min == a->lane.y_min &&
                b->lane.y_max == a->lane.y_max);

    assert_non_null(b->truth);
    assert_int_equal(b->truth->n, 4);
    assert_non_null(b->truth->label);
    assert_non_null(b->truth->depth);
    assert_non_null(b->truth->diameter);
    for (size_t i = 0; i < 4; i++) {
        assert_true(b->truth->x[i] == a->truth->x[i]);
        assert_true(b->truth->y[i] == a->truth->y[i]);
        assert_int_equal(b->truth->is_mine[i], a->truth->is_mine[i]);
        assert_true(b->truth->depth[i] == a->truth->depth[i]);
        assert_true(b->truth->diameter[i] == a->truth->diameter[i]);
        assert_str(a->truth->label[i], b->truth->label[i]);
    }
    assert_non_null(b->marks);
    assert_int_equal(b->marks->n, 3);
    assert_non_null(b->marks->time);
    for (size_t i = 0; i < 3; i++)
        assert_true(b->marks->x[i] == a->marks->x[i] &&
                    b->marks->y[i] == a->marks->y[i] &&
                    b->marks->time[i] == a->marks->time[i]);
}

/* The options must show in the file: type, layout, filters, strings. */
static void check_storage(const char *path, const ms_write_options *o)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, "/gpr/data", H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t t = H5Dget_type(d), p = H5Dget_create_plist(d);
    static const size_t size[] = {4, 8, 2, 4};
    static const H5T_class_t cls[] = {H5T_FLOAT, H5T_FLOAT, H5T_INTEGER,
                                      H5T_INTEGER};
    assert_int_equal(H5Tget_size(t), size[o->data_type]);
    assert_int_equal(H5Tget_class(t), cls[o->data_type]);
    if (o->deflate_level > 0) {
        assert_int_equal(H5Pget_layout(p), H5D_CHUNKED);
        assert_int_equal(H5Pget_nfilters(p), o->shuffle ? 2 : 1);
    } else {
        assert_int_equal(H5Pget_layout(p), H5D_CONTIGUOUS);
        assert_int_equal(H5Pget_nfilters(p), 0);
    }
    H5Pclose(p);
    H5Tclose(t);
    H5Dclose(d);
    hid_t a = H5Aopen(f, "title", H5P_DEFAULT);
    assert_true(a >= 0);
    t = H5Aget_type(a);
    assert_int_equal(H5Tis_variable_str(t) > 0, o->variable_strings != 0);
    H5Tclose(t);
    H5Aclose(a);
    H5Fclose(f);
}

static void test_round_trip_all_options(void **state)
{
    (void)state;
    ms_recording *rec = make_recording();
    int n_variants = 0;
    for (int type = MS_STORE_FLOAT32; type <= MS_STORE_INT32; type++)
        for (int deflate = 0; deflate <= 6; deflate += 6)
            for (int vs = 0; vs <= 1; vs++) {
                ms_write_options o = {(ms_store_type)type, deflate,
                                      deflate > 0 && vs, vs};
                char path[600];
                snprintf(path, sizeof path, "%s/rt_%d_%d_%d.h5", dir, type,
                         deflate, vs);
                int rc = ms_recording_write(path, rec, &o);
                if (rc)
                    fail_msg("write %s: %s", path, ms_error_message());
                check_storage(path, &o);
                ms_recording *back = NULL;
                ms_diag d;
                ms_diag_init(&d);
                rc = ms_recording_read(path, &back, &d);
                if (rc)
                    fail_msg("read %s: %s", path,
                             d.n ? d.lines[0] : ms_error_message());
                compare(rec, back, (ms_store_type)type);
                /* Warnings only: 5 missing GPR samples, 1 EMI value. */
                assert_int_equal(d.n, 2);
                ms_diag_free(&d);
                ms_recording_free(back);
                n_variants++;
            }
    assert_int_equal(n_variants, 16);
    ms_recording_free(rec);
}

static void test_default_options(void **state)
{
    (void)state;
    ms_write_options o = ms_write_options_default();
    assert_int_equal(o.data_type, MS_STORE_FLOAT32);
    assert_int_equal(o.deflate_level, 4);
    assert_int_equal(o.shuffle, 1);
    assert_int_equal(o.variable_strings, 1);
    ms_recording *rec = make_recording();
    char path[600];
    path_in_dir(path, sizeof path, "defaults.h5");
    assert_int_equal(ms_recording_write(path, rec, NULL), 0);
    check_storage(path, &o);
    ms_recording_free(rec);
}

static void test_complete_data_has_no_mask(void **state)
{
    (void)state;
    ms_recording *rec = make_recording();
    free(rec->gpr->valid);
    rec->gpr->valid = NULL;
    free(rec->emi->valid);
    rec->emi->valid = NULL;
    /* A NaN in data with no mask is also missing. */
    rec->emi->data[5] = NAN;
    char path[600];
    path_in_dir(path, sizeof path, "nomask.h5");
    assert_int_equal(ms_recording_write(path, rec, NULL), 0);
    ms_recording *back = NULL;
    assert_int_equal(ms_recording_read(path, &back, NULL), 0);
    assert_null(back->gpr->valid);
    assert_int_equal(back->gpr->n_missing_samples, 0);
    assert_non_null(back->emi->valid);
    assert_int_equal(back->emi->n_missing_samples, 1);
    assert_int_equal(back->emi->valid[5], 0);
    assert_true(back->emi->data[5] == 0.0f);
    ms_recording_free(back);
    ms_recording_free(rec);
}

static void test_dropped_traces(void **state)
{
    (void)state;
    ms_recording *rec = make_recording();
    rec->gpr->x[3] = NAN;
    rec->gpr->y[7] = INFINITY;
    rec->emi->x[0] = NAN;
    char path[600];
    path_in_dir(path, sizeof path, "dropped.h5");
    assert_int_equal(ms_recording_write(path, rec, NULL), 0);
    ms_recording *back = NULL;
    ms_diag d;
    ms_diag_init(&d);
    assert_int_equal(ms_recording_read(path, &back, &d), 0);
    const ms_gpr *g = back->gpr;
    assert_int_equal(g->n_traces, NT - 2);
    assert_int_equal(g->n_dropped_traces, 2);
    assert_int_equal(back->emi->n_readings, NR - 1);
    assert_int_equal(back->emi->n_dropped_readings, 1);
    /* Kept traces keep their order, data, mask and positions. */
    size_t k = 0;
    for (size_t i = 0; i < NT; i++) {
        if (i == 3 || i == 7)
            continue;
        assert_true(g->x[k] == rec->gpr->x[i]);
        assert_true(g->time[k] == rec->gpr->time[i]);
        assert_memory_equal(g->data + k * NS, rec->gpr->data + i * NS,
                            NS * sizeof(float));
        assert_memory_equal(g->valid + k * NS, rec->gpr->valid + i * NS, NS);
        k++;
    }
    /* The holes are in traces 0, 0, 1, 10 and 36, none dropped. */
    assert_int_equal(g->n_missing_samples, 5);
    int found = 0;
    for (size_t i = 0; i < d.n; i++) {
        assert_true(strncmp(d.lines[i], path, strlen(path)) == 0);
        if (strstr(d.lines[i], "/gpr/x") && strstr(d.lines[i], "2 of 37"))
            found = 1;
    }
    assert_true(found);
    ms_diag_free(&d);
    ms_recording_free(back);
    ms_recording_free(rec);
}

static int count_tmp_files(void)
{
    int n = 0;
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *e;
    while ((e = readdir(dp)))
        if (strstr(e->d_name, ".tmp."))
            n++;
    closedir(dp);
    return n;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void test_atomic_write(void **state)
{
    (void)state;
    ms_recording *rec = make_recording();
    char path[600];
    path_in_dir(path, sizeof path, "atomic.h5");
    assert_int_equal(ms_recording_write(path, rec, NULL), 0);
    size_t n0, n1;
    char *before = slurp(path, &n0);

    /* An invalid recording never replaces a good file. */
    rec->gpr->sample_interval_s = -1;
    assert_int_equal(ms_recording_write(path, rec, NULL),
                     MS_ERR_INVALID_INPUT);
    assert_non_null(strstr(ms_error_message(), "sample_interval_s"));
    char *after = slurp(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(after);
    rec->gpr->sample_interval_s = 1e-10;

    /* A failure after the whole file is written (rename onto a non-empty
     * folder) removes the temporary file. */
    char sub[600], inner[700];
    path_in_dir(sub, sizeof sub, "a_folder.h5");
    mkdir(sub, 0755);
    snprintf(inner, sizeof inner, "%s/keep", sub);
    FILE *f = fopen(inner, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(ms_recording_write(sub, rec, NULL), MS_ERR_IO);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));

    /* A folder that does not exist: nothing is created. */
    char nowhere[600];
    path_in_dir(nowhere, sizeof nowhere, "no/such/dir/x.h5");
    assert_int_equal(ms_recording_write(nowhere, rec, NULL), MS_ERR_IO);
    assert_int_not_equal(stat(nowhere, &st), 0);

    assert_int_equal(count_tmp_files(), 0);
    /* The good file is still good. */
    ms_recording *back = NULL;
    assert_int_equal(ms_recording_read(path, &back, NULL), 0);
    ms_recording_free(back);
    free(before);
    ms_recording_free(rec);
}

static void test_allocation_limits(void **state)
{
    (void)state;
    assert_null(ms_gpr_new(SIZE_MAX / 2, 4));
    assert_null(ms_emi_new(SIZE_MAX, 2));
    assert_null(ms_truth_new(SIZE_MAX / 2));
    assert_null(ms_marks_new(SIZE_MAX / 4));
    ms_truth *t = ms_truth_new(0);
    assert_non_null(t);
    assert_int_equal(t->n, 0);
    ms_truth_free(t);
}

static void test_lane(void **state)
{
    (void)state;
    ms_recording *rec = make_recording();
    assert_true(fabs(ms_recording_lane_area(rec) - 3.0) < 1e-12);
    rec->lane.present = 0;
    ms_lane l = ms_recording_lane(rec);
    assert_int_equal(l.present, 1);
    /* GPR x 0..1.8, EMI x 0..1.9; y from EMI -0.2 and GPR 0.1 sin(i). */
    assert_true(fabs(l.x_min - 0.0) < 1e-12);
    assert_true(fabs(l.x_max - 1.9) < 1e-12);
    assert_true(fabs(l.y_min - -0.2) < 1e-12);
    double ymax = -1;
    for (int i = 0; i < NT; i++)
        ymax = fmax(ymax, 0.1 * sin(i));
    assert_true(fabs(l.y_max - ymax) < 1e-12);
    assert_true(fabs(ms_recording_lane_area(rec) - 1.9 * (ymax + 0.2)) <
                1e-12);
    ms_recording *empty = ms_recording_new();
    assert_true(ms_recording_lane_area(empty) == 0.0);
    ms_recording_free(empty);
    ms_recording_free(rec);
}

static void test_reject_and_isolate(void **state)
{
    (void)state;
    char text[600];
    path_in_dir(text, sizeof text, "not_hdf5.h5");
    FILE *f = fopen(text, "w");
    assert_non_null(f);
    fputs("this is not HDF5\n", f);
    fclose(f);
    ms_diag d;
    ms_diag_init(&d);
    assert_int_equal(ms_recording_validate(text, &d), MS_ERR_INVALID_INPUT);
    assert_int_equal(d.n, 1);
    assert_true(strncmp(d.lines[0], text, strlen(text)) == 0);
    assert_non_null(strstr(d.lines[0], "not an HDF5 file"));
    ms_diag_free(&d);

    ms_recording *rec = make_recording();
    char good[600];
    path_in_dir(good, sizeof good, "isolated.h5");
    assert_int_equal(ms_recording_write(good, rec, NULL), 0);
    char *json = NULL;
    ms_diag_init(&d);
    assert_int_equal(ms_recording_validate_isolated(good, &d, &json), 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"n_traces\": 37"));
    assert_non_null(strstr(json, "\"n_mines\": 3"));
    assert_non_null(strstr(json, "\"problems\": []"));
    assert_int_equal(d.n, 2); /* the two missing-sample warnings */
    free(json);
    ms_diag_free(&d);

    json = NULL;
    ms_diag_init(&d);
    assert_int_equal(ms_recording_validate_isolated(text, &d, &json),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(json, "not an HDF5 file"));
    free(json);
    ms_diag_free(&d);
    ms_recording_free(rec);
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("MINESCAN_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/test_recording_%ld", base ? base : "/tmp",
             (long)getpid());
    mkdir(base ? base : "/tmp", 0755);
    return mkdir(dir, 0755);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_all_options),
        cmocka_unit_test(test_default_options),
        cmocka_unit_test(test_complete_data_has_no_mask),
        cmocka_unit_test(test_dropped_traces),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_allocation_limits),
        cmocka_unit_test(test_lane),
        cmocka_unit_test(test_reject_and_isolate),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
