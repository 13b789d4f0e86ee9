/* The lane page reads what score.json says about the trainee's marks and
 * the sweep (written by the marks and sweep scoring), and says so plainly
 * when they are absent; strings from the recording are escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/outdir.h"
#include "report/index_page.h"
#include "test_util.h"

static const char *const known[] = {"score.json", "index.html",
                                    "summary.json"};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Write index.html into a fresh folder's staging area, with `score` as
 * score.json there (NULL: none), and return the page. */
static char *page_for(const char *name, const char *score,
                      const ms_recording *rec, const ms_detection *det)
{
    char dir[4096], path[MS_PATH_MAX];
    test_tmp_path(dir, sizeof dir, name);
    ms_outdir o;
    assert_int_equal(ms_outdir_open(&o, dir, NULL, known, 3,
                                    "summary.json"), 0);
    if (score) {
        ms_outdir_path(&o, "score.json", path, sizeof path);
        assert_int_equal(ms_write_text_atomic(path, score, strlen(score)), 0);
        ms_outdir_add(&o, "score.json");
    }
    assert_int_equal(ms_index_write(&o, "in.h5", "default", det, rec, NULL),
                     0);
    ms_outdir_path(&o, "index.html", path, sizeof path);
    char *page = slurp(path);
    ms_outdir_close(&o);
    assert_non_null(page);
    return page;
}

static const char SCORE[] =
    "{\"n_mines\": 4, \"marks\": {\"halo_m\": 0.25, \"n_mines\": 4, "
    "\"n_marks\": 5, \"found\": 3, \"missed\": 1, \"false_marks\": 2, "
    "\"false_marks_per_m2\": 0.4, \"items\": []}, \"sweep\": "
    "{\"footprint_m\": 0.2, \"coverage_fraction\": 0.873, \"gap_area_m2\": "
    "0.41, \"gaps\": [], \"overlap_mean\": 1.4, \"speed_limit_m_per_s\": 0.5,"
    " \"speed_median_m_per_s\": 0.42, \"speed_p95_m_per_s\": 0.61, "
    "\"fraction_over_limit\": 0.12, \"over_limit\": [], "
    "\"height_median_m\": 0.05}}";

static void test_marks_and_sweep_are_shown(void **state)
{
    (void)state;
    ms_recording rec = {0};
    rec.operator_id = "trainee <b>7</b>";
    rec.lane_id = "L&1";
    rec.recorded_at = "2026-11-30";
    ms_detection det = {0};
    det.scored = 1;
    det.score = (ms_score){.n_mines = 4, .n_detected = 2, .pd = 0.5,
                           .n_false_alarms = 9, .far = 1.8};
    char *p = page_for("test_index_page_full", SCORE, &rec, &det);
    assert_non_null(strstr(p, "<td>trainee &lt;b&gt;7&lt;/b&gt;</td>"));
    assert_null(strstr(p, "<b>7"));
    assert_non_null(strstr(p, "<td>L&amp;1</td>"));
    assert_non_null(strstr(p, "Mines found by the trainee</th><td>3 of 4<"));
    assert_non_null(strstr(p, "Mines missed by the trainee</th><td>1<"));
    assert_non_null(strstr(p, "False marks</th><td>2 (0.40 per m\xc2\xb2)<"));
    assert_non_null(strstr(p, "detector</th><td>2 of 4; 9 false alarms "
                              "(1.80 per m\xc2\xb2)<"));
    assert_non_null(strstr(p, "<td>87 % of the lane; gaps 0.41 m\xc2\xb2 "
                              "(sensor footprint 0.20 m)<"));
    assert_non_null(strstr(p, "<td>median 0.42 m/s, 95th percentile 0.61 "
                              "m/s; 12 % of the track over 0.50 m/s<"));
    assert_non_null(strstr(p, "Sensor height</th><td>median 0.05 m<"));
    free(p);
}

static void test_absent_figures_are_said_so(void **state)
{
    (void)state;
    ms_recording rec = {0};
    ms_detection det = {0};
    char *p = page_for("test_index_page_bare", NULL, &rec, &det);
    assert_non_null(strstr(p, "Trainee</th><td>unknown<"));
    assert_non_null(strstr(p, "Date</th><td>not recorded<"));
    assert_non_null(strstr(p, "no ground truth"));
    assert_non_null(strstr(p, "Coverage</th><td>not measured in this run<"));
    assert_null(strstr(p, "Sensor height"));
    assert_non_null(strstr(p, "<h1>in.h5</h1>"));
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks_and_sweep_are_shown),
        cmocka_unit_test(test_absent_figures_are_said_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
