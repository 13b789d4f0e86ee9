/* The stages whose windows are given in physical units: window_energy's
 * depth window (metres below the surface at a velocity, held a guard of
 * centre-frequency periods after the surface) and dewow's running mean in
 * periods of the centre frequency. Known answers on synthetic traces with
 * an echo at a known depth, the parameter checks, the warnings, the
 * built-in recipes' use of them, and the C reference against the kernel
 * on random inputs with random parameters in every mode (the registry-wide
 * parity test draws parameters that window_energy's check() mostly
 * refuses, since its two windows are alternatives). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "minescan/error.h"
#include "recipe/recipe.h"
#include "runner/runner.h"
#include "test_util.h"

static ms_cl *cl;

static int setup(void **state)
{
    cl = test_cl_open();
    return cl ? 0 : -1;
}

static int teardown(void **state)
{
    ms_cl_destroy(cl);
    return 0;
}

/* dt 0.05 ns, time zero 1 ns (sample 20), the surface 0.5 ns after it
 * (sample 30, window_energy's default surface_ns). */
#define DT 5e-11
#define T0 1e-9
#define NS 200

static void set(const ms_stage_decl *d, ms_params *p, const char *key,
                double v)
{
    assert_int_equal(ms_param_set_named(d, p, key, v), 0);
}

/* One trace, all present, zero but for a burst of 3 samples of amplitude
 * 2 centred at `t_ns` after time zero. */
static void burst_trace(float *s, float *m, double t_ns)
{
    long c = lround((T0 + t_ns * 1e-9) / DT);
    for (int j = 0; j < NS; j++) {
        s[j] = labs(j - c) <= 1 ? 2.0f : 0.0f;
        m[j] = 1.0f;
    }
}

/* window_energy on one trace: the score, and the stage's warning. */
static float energy(const ms_params *p, double f_hz, const float *s,
                    const float *m, char *warning)
{
    const ms_stage_decl *d = ms_stage_find("window_energy");
    ms_env env = {.dt_s = DT, .time_zero_s = T0, .centre_frequency_hz = f_hz,
                  .lane_x_max = 1, .lane_y_max = 1};
    ms_stage_ctx ctx = {.decl = d, .env = &env, .params = *p};
    ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {1, NS, 1}};
    ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {1, NS, 1}};
    assert_int_equal(d->check(&ctx.params), 0);
    assert_int_equal(d->shape(&ctx), 0);
    if (warning)
        strcpy(warning, ctx.warning);
    float out[1], valid[1];
    const float *in[2] = {s, m};
    float *o[2] = {out, valid};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    /* and the kernel gives the same */
    float got[1], got_valid[1];
    float *g[2] = {got, got_valid};
    assert_int_equal(ms_stage_exec_opencl(cl, &ctx, in, g), 0);
    assert_float_equal(got[0], out[0], 1e-6 * fabsf(out[0]));
    assert_float_equal(got_valid[0], valid[0], 0);
    return out[0];
}

/* window_energy's parameters for a depth window. */
static ms_params depth_window(double start_m, double end_m, double v,
                              double guard)
{
    const ms_stage_decl *d = ms_stage_find("window_energy");
    ms_params p;
    ms_stage_defaults(d, &p);
    set(d, &p, "depth_start_m", start_m);
    set(d, &p, "depth_end_m", end_m);
    set(d, &p, "velocity_m_per_ns", v);
    set(d, &p, "guard_periods", guard);
    return p;
}

static void depth_window_finds_an_echo_at_its_depth(void **state)
{
    const ms_stage_decl *d = ms_stage_find("window_energy");
    float s[NS], m[NS];
    ms_params p = depth_window(0.05, 0.15, 0.1, 0);
    /* an object 0.1 m deep in a soil of 0.1 m/ns: 2 ns after the surface */
    burst_trace(s, m, 0.5 + 2 * 0.1 / 0.1);
    /* window 1.5..3.5 ns after time zero: samples [30 + 20, 70 + 20) hold
     * the 3 samples of 4 */
    float e = energy(&p, 0, s, m, NULL);
    assert_float_equal(e, 3 * 4.0f / 40, 1e-6);
    /* at 0.2 m/ns the window is 1..2 ns after the surface: the echo (a
     * depth of 0.2 m at that velocity) lies past its end */
    set(d, &p, "velocity_m_per_ns", 0.2);
    assert_float_equal(energy(&p, 0, s, m, NULL), 0.0f, 0);
    /* at 0.05 m/ns, 2..6 ns after the surface: in (its first samples) */
    set(d, &p, "velocity_m_per_ns", 0.05);
    assert_true(energy(&p, 0, s, m, NULL) > 0.0f);
    /* the same echo 0.1 m deep in a slow soil (0.06 m/ns: 3.33 ns after
     * the surface) is in the window at that velocity, out of it at 0.1 */
    burst_trace(s, m, 0.5 + 2 * 0.1 / 0.06);
    set(d, &p, "velocity_m_per_ns", 0.06);
    assert_true(energy(&p, 0, s, m, NULL) > 0.0f);
    set(d, &p, "velocity_m_per_ns", 0.1);
    assert_float_equal(energy(&p, 0, s, m, NULL), 0.0f, 0);
    /* the surface moves the window with it: ground_align put it at 2 ns,
     * so the echo 2 ns below it is 4 ns after time zero */
    burst_trace(s, m, 2.0 + 2 * 0.1 / 0.1);
    assert_float_equal(energy(&p, 0, s, m, NULL), 0.0f, 0);
    set(d, &p, "surface_ns", 2.0);
    assert_float_equal(energy(&p, 0, s, m, NULL), 3 * 4.0f / 40, 1e-6);
}

static void guard_keeps_the_window_off_the_bounce(void **state)
{
    const ms_stage_decl *d = ms_stage_find("window_energy");
    float s[NS], m[NS];
    ms_params p = depth_window(0.0, 0.2, 0.1, 0.5);
    /* ringing 0.25 ns after the surface (samples 34..36) */
    burst_trace(s, m, 0.5 + 0.25);
    /* 3 GHz: half a period is 0.167 ns, the burst is in the window */
    assert_true(energy(&p, 3e9, s, m, NULL) > 0.0f);
    /* 1 GHz: half a period is 0.5 ns, the window starts after it (at
     * sample 40) */
    assert_float_equal(energy(&p, 1e9, s, m, NULL), 0.0f, 0);
    /* no centre frequency: no guard */
    assert_true(energy(&p, 0, s, m, NULL) > 0.0f);
    /* a depth start past the guard wins */
    set(d, &p, "depth_start_m", 0.02); /* 0.4 ns: sample 38 */
    assert_float_equal(energy(&p, 3e9, s, m, NULL), 0.0f, 0);
    /* 100 MHz: 5 ns of guard is past the window's end (4 ns): nothing,
     * and a warning that says why */
    char w[256];
    burst_trace(s, m, 0.5 + 3.0);
    assert_true(energy(&p, 1e9, s, m, NULL) > 0.0f);
    assert_float_equal(energy(&p, 1e8, s, m, w), 0.0f, 0);
    assert_non_null(strstr(w, "guard of 0.5 periods"));
    assert_non_null(strstr(w, "every score is 0"));
}

static void time_window_still_works(void **state)
{
    /* recipes written before: t_start_ns..t_end_ns after time zero */
    const ms_stage_decl *d = ms_stage_find("window_energy");
    float s[NS], m[NS];
    ms_params p;
    ms_stage_defaults(d, &p);
    set(d, &p, "t_start_ns", 1.0);
    set(d, &p, "t_end_ns", 4.0);
    burst_trace(s, m, 3.0);
    /* samples [40, 100): 3 of 60 hold 4 */
    assert_float_equal(energy(&p, 1.5e9, s, m, NULL), 3 * 4.0f / 60, 1e-6);
    burst_trace(s, m, 4.5);
    assert_float_equal(energy(&p, 1.5e9, s, m, NULL), 0.0f, 0);
}

static void expect_refused(const ms_params *p, const char *what)
{
    const ms_stage_decl *d = ms_stage_find("window_energy");
    assert_int_equal(d->check(p), MS_ERR_INVALID_INPUT);
    if (!strstr(ms_error_message(), what))
        fail_msg("'%s' does not say '%s'", ms_error_message(), what);
}

static void window_energy_checks_its_parameters(void **state)
{
    const ms_stage_decl *d = ms_stage_find("window_energy");
    ms_params p;
    ms_stage_defaults(d, &p);
    assert_int_equal(d->check(&p), 0);
    set(d, &p, "depth_end_m", 0.005);
    expect_refused(&p, "depth_end_m (0.005) must exceed depth_start_m");
    ms_stage_defaults(d, &p);
    set(d, &p, "t_start_ns", 1);
    expect_refused(&p, "t_start_ns (1) needs t_end_ns");
    set(d, &p, "t_end_ns", 0.5);
    expect_refused(&p, "t_end_ns (0.5) must exceed t_start_ns (1)");
    set(d, &p, "t_end_ns", 4);
    assert_int_equal(d->check(&p), 0);
    /* both windows: refused, whichever depth parameter is given */
    const char *keys[] = {"depth_start_m", "depth_end_m", "velocity_m_per_ns",
                          "surface_ns", "guard_periods"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        ms_params both = p;
        set(d, &both, keys[k], ms_param_get_named(d, &both, keys[k]) * 1.5);
        expect_refused(&both, "not both");
    }
}

static void window_warnings_speak_in_depth(void **state)
{
    const ms_stage_decl *d = ms_stage_find("window_energy");
    float s[NS], m[NS];
    char w[256];
    ms_params p;
    ms_stage_defaults(d, &p);
    burst_trace(s, m, 1.0);
    /* traces end 9 ns after time zero, 0.425 m below the surface */
    set(d, &p, "depth_end_m", 0.6);
    energy(&p, 1.5e9, s, m, w);
    assert_non_null(strstr(w, "is cut at the end of the traces"));
    assert_non_null(strstr(w, "0.425 m deep"));
    set(d, &p, "depth_start_m", 0.5);
    energy(&p, 1.5e9, s, m, w);
    assert_non_null(strstr(w, "depth window 0.5..0.6 m"));
    assert_non_null(strstr(w, "past the end of the traces"));
    /* the defaults fit these traces: no warning */
    ms_stage_defaults(d, &p);
    energy(&p, 1.5e9, s, m, w);
    assert_string_equal(w, "");
}

/* dewow on one random trace of 300 samples; returns its warning. */
static void dewow_run(const ms_params *p, double f_hz, const float *s,
                      const float *m, float *out, char *warning)
{
    const ms_stage_decl *d = ms_stage_find("dewow");
    ms_env env = {.dt_s = DT, .time_zero_s = T0, .centre_frequency_hz = f_hz,
                  .lane_x_max = 1, .lane_y_max = 1};
    ms_stage_ctx ctx = {.decl = d, .env = &env, .params = *p};
    ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {1, 300, 1}};
    ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {1, 300, 1}};
    assert_int_equal(d->shape(&ctx), 0);
    if (warning)
        strcpy(warning, ctx.warning);
    const float *in[2] = {s, m};
    float *o[1] = {out};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
}

static void dewow_window_follows_the_centre_frequency(void **state)
{
    const ms_stage_decl *d = ms_stage_find("dewow");
    test_rng r = {42};
    float s[300], m[300], a[300], b[300];
    for (int j = 0; j < 300; j++) {
        s[j] = (float)(test_rng_uniform(&r) - 0.5 + 0.01 * j);
        m[j] = test_rng_uniform(&r) < 0.9 ? 1.0f : 0.0f;
    }
    char w[256];
    ms_params periods, ns;
    ms_stage_defaults(d, &periods);
    ms_stage_defaults(d, &ns);
    set(d, &periods, "periods", 3);
    set(d, &ns, "periods", 0);
    /* 3 periods of 400 MHz are 7.5 ns, of 3 GHz 1 ns */
    static const double f[] = {4e8, 1.5e9, 3e9};
    for (size_t k = 0; k < 3; k++) {
        dewow_run(&periods, f[k], s, m, a, w);
        assert_string_equal(w, "");
        set(d, &ns, "window_ns", 3.0 / f[k] * 1e9);
        dewow_run(&ns, f[k], s, m, b, NULL); /* periods 0: window_ns */
        assert_memory_equal(a, b, sizeof a);
    }
    /* 400 MHz and 3 GHz differ */
    dewow_run(&periods, 3e9, s, m, b, NULL);
    dewow_run(&periods, 4e8, s, m, a, NULL);
    assert_true(memcmp(a, b, sizeof a) != 0);
    /* no centre frequency: window_ns, with a warning */
    set(d, &periods, "window_ns", 7.5);
    dewow_run(&periods, 0, s, m, b, w);
    assert_memory_equal(a, b, sizeof a);
    assert_non_null(strstr(w, "no centre frequency"));
    assert_non_null(strstr(w, "window_ns = 7.5 ns"));
    /* a window under two samples (0.1 periods of 3 GHz, 0.033 ns) */
    set(d, &periods, "periods", 0.1);
    dewow_run(&periods, 3e9, s, m, b, w);
    assert_non_null(strstr(w, "3 samples are used"));
}

static void recipes_give_the_stage_defaults(void **state)
{
    /* The built-in stolt recipe gives window_energy its own defaults (so
     * that --set window_energy.t_start_ns=.. t_end_ns=.. is not refused
     * as "both"), and a time window set over them validates. The depth
     * windows of stolt's window_energy and of depth_cfar in the default
     * and gpr recipes start at the surface where ground_align put it (its
     * target_ns). */
    static const char *const names[] = {"default", "gpr", "stolt"};
    static const char *const windows[] = {"depth_cfar", "depth_cfar",
                                          "window_energy"};
    for (size_t k = 0; k < 3; k++) {
        ms_recipe r;
        assert_int_equal(ms_recipe_load(names[k], &r), 0);
        const ms_recipe_step *we = NULL, *ga = NULL, *dw = NULL;
        for (size_t i = 0; i < r.n_steps; i++) {
            const char *n = r.steps[i].decl->name;
            if (!strcmp(n, windows[k]))
                we = &r.steps[i];
            if (!strcmp(n, "ground_align"))
                ga = &r.steps[i];
            if (!strcmp(n, "dewow"))
                dw = &r.steps[i];
        }
        assert_non_null(we);
        assert_non_null(ga);
        assert_non_null(dw);
        assert_float_equal(ms_param_get_named(we->decl, &we->params,
                                              "surface_ns"),
                           ms_param_get_named(ga->decl, &ga->params,
                                              "target_ns"), 0);
        assert_true(ms_param_get_named(dw->decl, &dw->params, "periods") > 0);
        assert_int_equal(ms_recipe_validate(&r), 0);
        if (strcmp(windows[k], "window_energy")) {
            ms_recipe_free(&r);
            continue;
        }
        ms_params def;
        ms_stage_defaults(we->decl, &def);
        for (unsigned q = 0; q < we->decl->n_params; q++)
            assert_float_equal(ms_param_get(&we->decl->params[q], &we->params),
                               ms_param_get(&we->decl->params[q], &def), 0);
        assert_int_equal(ms_recipe_override(&r, "window_energy.t_start_ns=1"), 0);
        assert_int_equal(ms_recipe_validate(&r), MS_ERR_INVALID_INPUT);
        assert_int_equal(ms_recipe_override(&r, "window_energy.t_end_ns=4"), 0);
        assert_int_equal(ms_recipe_validate(&r), 0);
        assert_int_equal(ms_recipe_override(&r, "window_energy.velocity_m_per_ns=0.08"), 0);
        assert_int_equal(ms_recipe_validate(&r), MS_ERR_INVALID_INPUT);
        ms_recipe_free(&r);
    }
}

/* C reference against the kernel, random inputs and parameters. */
static int parity_once(const char *stage, test_rng *r, size_t rows,
                       size_t cols, int mode)
{
    const ms_stage_decl *d = ms_stage_find(stage);
    ms_env env = {.dt_s = 2e-11 + 2e-10 * test_rng_uniform(r),
                  .time_zero_s = 2e-9 * test_rng_uniform(r),
                  .centre_frequency_hz = test_rng_uniform(r) < 0.25
                                             ? 0.0
                                             : 3e8 + 3e9 * test_rng_uniform(r),
                  .lane_x_max = 1, .lane_y_max = 1};
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    /* mode 0: defaults; 1: every parameter but t_start/t_end random (the
     * depth window); 2: t_start/t_end random (the time window) */
    for (int tries = 0; mode && tries < 1000; tries++) {
        ms_stage_defaults(d, &ctx.params);
        for (unsigned k = 0; k < d->n_params; k++) {
            const ms_param_decl *pd = &d->params[k];
            int is_time = !strncmp(pd->name, "t_", 2);
            if (is_time != (mode == 2))
                continue;
            /* depths and times mostly where traces are */
            double hi = !strcmp(pd->unit, "m") || !strcmp(pd->unit, "ns")
                            ? fmin(pd->max, 20.0 * (pd->unit[0] == 'm' ? 0.05 : 1))
                            : pd->max;
            ms_param_set(pd, &ctx.params,
                         pd->min + (hi - pd->min) * test_rng_uniform(r));
        }
        if (!d->check || d->check(&ctx.params) == 0)
            break;
    }
    if (d->check && d->check(&ctx.params) != 0)
        return 0;
    ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {rows, cols, 1}};
    ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {rows, cols, 1}};
    size_t n = rows * cols;
    float *s = malloc(n * sizeof *s), *m = malloc(n * sizeof *m);
    for (size_t i = 0; i < n; i++) {
        m[i] = test_rng_uniform(r) < 0.9 ? 1.0f : 0.0f;
        s[i] = m[i] * (float)(4 * test_rng_uniform(r) - 2);
    }
    assert_int_equal(d->shape(&ctx), 0);
    int ok = 1;
    float *ref[2] = {0}, *got[2] = {0};
    for (unsigned k = 0; k < d->n_out; k++) {
        ref[k] = malloc(ms_shape_count(ctx.out[k]) * sizeof(float));
        got[k] = malloc(ms_shape_count(ctx.out[k]) * sizeof(float));
    }
    const float *in[2] = {s, m};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, ref), 0);
    assert_int_equal(ms_stage_exec_opencl(cl, &ctx, in, got), 0);
    for (unsigned k = 0; k < d->n_out; k++) {
        size_t count = ms_shape_count(ctx.out[k]);
        double max_ref = 0, max_diff = 0;
        for (size_t i = 0; i < count; i++) {
            max_ref = fmax(max_ref, fabs(ref[k][i]));
            max_diff = fmax(max_diff, fabs((double)ref[k][i] - got[k][i]));
        }
        if (max_diff > d->tolerance * max_ref) {
            fprintf(stderr, "%s output %u, %zu x %zu, mode %d: max |cpu - "
                    "opencl| %g over %g x %g\n", stage, k, rows, cols, mode,
                    max_diff, d->tolerance, max_ref);
            ok = 0;
        }
        free(ref[k]);
        free(got[k]);
    }
    free(s);
    free(m);
    return ok;
}

static void kernels_match_the_reference(void **state)
{
    const char *env = getenv("MINESCAN_TEST_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
    printf("# seed %llu (MINESCAN_TEST_SEED=%llu repeats this run)\n",
           (unsigned long long)seed, (unsigned long long)seed);
    test_rng r = {seed};
    static const size_t sizes[][2] = {{1, 1}, {1, 2}, {3, 257}, {37, 101},
                                      {129, 64}, {70, 400}};
    int failures = 0, runs = 0;
    for (int rep = 0; rep < 4; rep++)
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++)
            for (int mode = 0; mode < 3; mode++) {
                runs += 2;
                failures += !parity_once("window_energy", &r, sizes[z][0],
                                         sizes[z][1], mode);
                failures += !parity_once("dewow", &r, sizes[z][0],
                                         sizes[z][1], mode == 2 ? 0 : mode);
            }
    printf("# %d runs, %d disagreements\n", runs, failures);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(depth_window_finds_an_echo_at_its_depth),
        cmocka_unit_test(guard_keeps_the_window_off_the_bounce),
        cmocka_unit_test(time_window_still_works),
        cmocka_unit_test(window_energy_checks_its_parameters),
        cmocka_unit_test(window_warnings_speak_in_depth),
        cmocka_unit_test(dewow_window_follows_the_centre_frequency),
        cmocka_unit_test(recipes_give_the_stage_defaults),
        cmocka_unit_test(kernels_match_the_reference),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
