/* Simulated trainees (operator.profile): each profile scales the sweep
 * and marks parameters the way MODEL.md says, switches marks on, leaves
 * the caller's scenario alone, and `none` changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "minescan/simulate.h"

static void test_none_changes_nothing(void **state)
{
    (void)state;
    ms_scenario a, b;
    ms_scenario_init(&a);
    ms_scenario_init(&b);
    ms_sim_apply_operator_profile(&b);
    char *ja = ms_scenario_to_json(&a), *jb = ms_scenario_to_json(&b);
    assert_non_null(ja);
    assert_non_null(jb);
    assert_string_equal(ja, jb);
    assert_int_equal(b.marks, 0);
    free(ja);
    free(jb);
}

static void test_profiles_scale_the_habits(void **state)
{
    (void)state;
    ms_scenario base, careful, fast, over;
    ms_scenario_init(&base);
    careful = fast = over = base;
    careful.operator_profile = MS_SIM_OPERATOR_CAREFUL;
    fast.operator_profile = MS_SIM_OPERATOR_FAST;
    over.operator_profile = MS_SIM_OPERATOR_OVERMARKER;
    ms_sim_apply_operator_profile(&careful);
    ms_sim_apply_operator_profile(&fast);
    ms_sim_apply_operator_profile(&over);
    assert_true(careful.marks && fast.marks && over.marks);
    assert_true(careful.sweep_speed_m_s < base.sweep_speed_m_s);
    assert_true(careful.advance_m < base.advance_m);
    assert_true(fast.sweep_speed_m_s > 2 * base.sweep_speed_m_s);
    assert_true(fast.advance_m > 2 * base.advance_m);
    assert_true(fast.marks_pd < careful.marks_pd);
    assert_true(careful.marks_error_m < fast.marks_error_m);
    assert_true(over.marks_false_per_m2 > 10 * careful.marks_false_per_m2);
    assert_true(over.marks_false_per_m2 > 10 * fast.marks_false_per_m2);
    /* the over-marker sweeps as the scenario says */
    assert_true(over.sweep_speed_m_s == base.sweep_speed_m_s);
    assert_true(over.advance_m == base.advance_m);
    /* every profile stays within the parameters' ranges */
    assert_int_equal(ms_scenario_check(&careful, "careful"), 0);
    assert_int_equal(ms_scenario_check(&fast, "fast"), 0);
    assert_int_equal(ms_scenario_check(&over, "over"), 0);
}

static void test_keys_and_caller_untouched(void **state)
{
    (void)state;
    ms_scenario s;
    ms_scenario_init(&s);
    assert_int_equal(ms_scenario_set(&s, "operator.profile", "fast", "t"), 0);
    assert_int_equal(s.operator_profile, MS_SIM_OPERATOR_FAST);
    assert_int_equal(ms_scenario_set(&s, "operator-profile", "sloppy", "t"),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(
        ms_scenario_set(&s, "recording.recorded_at", "2026-11-02T09:00:00Z",
                        "t"),
        0);
    assert_int_equal(ms_scenario_set(&s, "operator-id", "t-1", "t"), 0);
    /* a short EMI-only lane, quick to simulate */
    assert_int_equal(ms_scenario_set(&s, "sensor", "emi", "t"), 0);
    assert_int_equal(ms_scenario_set(&s, "length", "1", "t"), 0);
    assert_int_equal(ms_scenario_set(&s, "n-mines", "1", "t"), 0);
    char *before = ms_scenario_to_json(&s);
    assert_non_null(before);
    ms_recording *rec = NULL;
    assert_int_equal(ms_simulate(&s, 3, &rec), 0);
    char *after = ms_scenario_to_json(&s);
    assert_non_null(after);
    assert_string_equal(before, after); /* the caller's is unchanged */
    free(before);
    free(after);
    assert_non_null(rec->marks); /* the profile switched marks on */
    assert_string_equal(rec->recorded_at, "2026-11-02T09:00:00Z");
    assert_string_equal(rec->operator_id, "t-1");
    ms_recording_free(rec);
    ms_scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none_changes_nothing),
        cmocka_unit_test(test_profiles_scale_the_habits),
        cmocka_unit_test(test_keys_and_caller_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
