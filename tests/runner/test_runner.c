/* The runner end to end on an in-memory recording: the OpenCL chain agrees
 * with the C chain; an injected OpenCL failure reruns that stage on the CPU
 * with a warning naming it and gives the same map; a GPR-only recording
 * skips the metal-detector stages; recipes with mistakes are refused with
 * the line named. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "minescan/error.h"
#include "runner/calibrate.h"
#include "runner/runner.h"
#include "test_util.h"

/* A small dual-sensor lane with a buried point target near (0.25, 0.2). */
static ms_recording *make_recording(int with_emi)
{
    test_rng r = {42};
    ms_recording *rec = ms_recording_new();
    size_t nt = 240, ns = 96;
    ms_gpr *g = ms_gpr_new(nt, ns);
    g->sample_interval_s = 5e-11;
    g->valid = malloc(nt * ns);
    for (size_t i = 0; i < nt; i++) {
        /* a zig-zag across a 0.5 x 0.4 m patch */
        g->x[i] = 0.5 * (double)i / (double)nt;
        g->y[i] = 0.2 + 0.18 * sin(0.3 * (double)i);
        double d2 = pow(g->x[i] - 0.25, 2) + pow(g->y[i] - 0.2, 2);
        for (size_t j = 0; j < ns; j++) {
            double t = (double)j;
            float v = (float)(3.0 * exp(-pow(t - 10, 2) / 4.0)       /* ground */
                              + 0.8 * exp(-d2 / 0.002) * sin(t * 0.9) *
                                    exp(-pow(t - 50, 2) / 30.0)       /* target */
                              + 0.05 * (test_rng_uniform(&r) - 0.5)); /* noise */
            int missing = test_rng_uniform(&r) < 0.01;
            g->data[i * ns + j] = missing ? 0.0f : v;
            g->valid[i * ns + j] = !missing;
        }
    }
    rec->gpr = g;
    if (with_emi) {
        size_t n = 180;
        ms_emi *e = ms_emi_new(n, 2);
        for (size_t i = 0; i < n; i++) {
            e->x[i] = 0.5 * (double)i / (double)n;
            e->y[i] = 0.2 + 0.18 * sin(0.25 * (double)i);
            double d2 = pow(e->x[i] - 0.25, 2) + pow(e->y[i] - 0.2, 2);
            e->data[2 * i] = (float)(0.01 * (double)i + 5.0 / pow(d2 + 0.003, 3) * 1e-7);
            e->data[2 * i + 1] = (float)test_rng_uniform(&r);
        }
        rec->emi = e;
    }
    rec->lane = (ms_lane){1, 0.0, 0.5, 0.0, 0.4};
    return rec;
}

static ms_recipe default_recipe(void)
{
    ms_recipe recipe;
    assert_int_equal(ms_recipe_load("default", &recipe), 0);
    return recipe;
}

/* Copy of the final map of a run. */
static float *final_map(ms_run *run, size_t *n)
{
    ms_shape s;
    const char *name = ms_run_final_map(run);
    assert_non_null(name);
    const float *m = ms_run_slot(run, name, &s);
    assert_non_null(m);
    *n = ms_shape_count(s);
    float *copy = malloc(*n * sizeof *copy);
    memcpy(copy, m, *n * sizeof *copy);
    return copy;
}

static float *run_map(ms_device_choice dev, ms_recording *rec, size_t *n)
{
    ms_runner *runner;
    assert_int_equal(ms_runner_create(dev, &runner), 0);
    ms_recipe recipe = default_recipe();
    ms_run *run;
    int rc = ms_run_recipe(runner, "test.h5", rec, &recipe, &run);
    if (rc)
        fprintf(stderr, "%s\n", ms_error_message());
    assert_int_equal(rc, 0);
    float *m = final_map(run, n);
    ms_run_free(run);
    ms_runner_free(runner);
    ms_recipe_free(&recipe);
    return m;
}

static void assert_maps_agree(const float *a, const float *b, size_t n,
                              double rel)
{
    double max_a = 0, diff = 0;
    for (size_t i = 0; i < n; i++) {
        max_a = fmax(max_a, fabs(a[i]));
        diff = fmax(diff, fabs((double)a[i] - b[i]));
    }
    printf("# maps: max |a| = %g, max |a - b| = %g\n", max_a, diff);
    assert_true(max_a > 0);
    assert_true(diff <= rel * max_a);
}

static void opencl_chain_matches_cpu_chain(void **state)
{
    ms_recording *rec = make_recording(1);
    size_t n1, n2;
    float *cpu = run_map(MS_DEVICE_CPU, rec, &n1);
    float *ocl = run_map(MS_DEVICE_OPENCL, rec, &n2);
    assert_int_equal(n1, n2);
    /* Eight stages in a chain, each within 1e-5 of its range. */
    assert_maps_agree(cpu, ocl, n1, 1e-4);
    /* The target stands out: the map's peak is near (0.25, 0.2). */
    size_t best = 0;
    for (size_t i = 0; i < n1; i++)
        if (cpu[i] > cpu[best])
            best = i;
    size_t nx = 25; /* 0.5 m / 0.02 m */
    double px = ((double)(best % nx) + 0.5) * 0.02;
    double py = ((double)(best / nx) + 0.5) * 0.02;
    printf("# peak at (%.3f, %.3f)\n", px, py);
    assert_true(hypot(px - 0.25, py - 0.2) < 0.05);
    free(cpu);
    free(ocl);
    ms_recording_free(rec);
}

static void injected_fault_falls_back_to_same_result(void **state)
{
    ms_recording *rec = make_recording(1);
    size_t n1, n2;
    float *ocl = run_map(MS_DEVICE_OPENCL, rec, &n1);
    setenv("MINESCAN_FAULT", "background_removal:CL_OUT_OF_RESOURCES", 1);
    ms_runner *runner;
    assert_int_equal(ms_runner_create(MS_DEVICE_OPENCL, &runner), 0);
    ms_recipe recipe = default_recipe();
    ms_run *run;
    assert_int_equal(ms_run_recipe(runner, "test.h5", rec, &recipe, &run), 0);
    unsetenv("MINESCAN_FAULT");
    float *fell = final_map(run, &n2);
    assert_int_equal(n1, n2);
    assert_maps_agree(ocl, fell, n1, 1e-4);
    size_t n;
    const ms_stage_report *rep = ms_run_reports(run, &n);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(rep[i].step->decl->name, "background_removal")) {
            seen = 1;
            assert_true(rep[i].fell_back);
            assert_string_equal(rep[i].device, "cpu");
            assert_non_null(strstr(rep[i].reason, "CL_OUT_OF_RESOURCES"));
        } else {
            assert_false(rep[i].fell_back);
            assert_string_equal(rep[i].device, "opencl");
        }
    }
    assert_true(seen);
    ms_run_free(run);
    ms_recipe_free(&recipe);
    ms_runner_free(runner);
    free(ocl);
    free(fell);
    ms_recording_free(rec);
}

static void failure_between_stages_reruns_all_on_cpu(void **state)
{
    /* background_removal fails, and so does copying its input back for
     * the CPU rerun: nothing intact is left on the host, so the whole
     * recipe reruns on the CPU and gives the CPU's map. (The fault is on
     * the run's first copy back; a later stage would meet it in
     * trace_stack, which reads the positions back to bin them.) */
    ms_recording *rec = make_recording(1);
    size_t n1, n2;
    float *cpu = run_map(MS_DEVICE_CPU, rec, &n1);
    setenv("MINESCAN_FAULT",
           "background_removal:CL_OUT_OF_RESOURCES,"
           "download:CL_MEM_OBJECT_ALLOCATION_FAILURE",
           1);
    ms_runner *runner;
    assert_int_equal(ms_runner_create(MS_DEVICE_OPENCL, &runner), 0);
    ms_recipe recipe = default_recipe();
    ms_run *run;
    assert_int_equal(ms_run_recipe(runner, "test.h5", rec, &recipe, &run), 0);
    unsetenv("MINESCAN_FAULT");
    float *again = final_map(run, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(cpu, again, n1 * sizeof *cpu);
    size_t n;
    const ms_stage_report *rep = ms_run_reports(run, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rep[i].device, "skipped"))
            assert_string_equal(rep[i].device, "cpu");
    ms_run_free(run);
    ms_recipe_free(&recipe);
    ms_runner_free(runner);
    free(cpu);
    free(again);
    ms_recording_free(rec);
}

static void gpr_only_recording_skips_emi_stages(void **state)
{
    ms_recording *rec = make_recording(0);
    ms_runner *runner;
    assert_int_equal(ms_runner_create(MS_DEVICE_CPU, &runner), 0);
    ms_recipe recipe = default_recipe();
    ms_run *run;
    assert_int_equal(ms_run_recipe(runner, "test.h5", rec, &recipe, &run), 0);
    size_t n;
    const ms_stage_report *rep = ms_run_reports(run, &n);
    assert_int_equal(n, recipe.n_steps);
    for (size_t i = 0; i < n; i++) {
        /* a stage skips exactly when it reads a metal-detector slot */
        int emi_side = 0;
        for (unsigned k = 0; k < rep[i].step->decl->n_in; k++)
            emi_side |= !strncmp(rep[i].step->in[k], "emi", 3);
        assert_string_equal(rep[i].device, emi_side ? "skipped" : "cpu");
    }
    assert_string_equal(ms_run_final_map(run), "gpr_z");
    ms_run_free(run);
    ms_recipe_free(&recipe);
    ms_runner_free(runner);
    ms_recording_free(rec);
}

static void expect_recipe_error(const char *text, const char *needle)
{
    ms_recipe r;
    int rc = ms_recipe_parse(text, "test.recipe", &r);
    printf("# %s\n", ms_error_message());
    assert_int_equal(rc, MS_ERR_INVALID_INPUT);
    assert_non_null(strstr(ms_error_message(), needle));
}

static double step_param(const ms_recipe_step *st, const char *name)
{
    return ms_param_get_named(st->decl, &st->params, name);
}

/* Parsed fine, refused by ms_recipe_validate with `needle`. */
static void expect_invalid_recipe(const char *text, const char *needle)
{
    ms_recipe r;
    assert_int_equal(ms_recipe_parse(text, "test.recipe", &r), 0);
    int rc = ms_recipe_validate(&r);
    printf("# %s\n", ms_error_message());
    ms_recipe_free(&r);
    assert_int_equal(rc, MS_ERR_INVALID_INPUT);
    assert_non_null(strstr(ms_error_message(), needle));
}

static void recipe_slot_graph_is_checked(void **state)
{
    expect_invalid_recipe("stage dewow\nstage window_energy in=gpr_evn,gpr_valid\n",
                          "test.recipe:2: stage window_energy reads slot 'gpr_evn'");
    /* written only after it is read */
    expect_invalid_recipe("stage zscore in=m,h out=z\nstage grid out=m,h\n",
                          "test.recipe:1: stage zscore reads slot 'm'");
    expect_invalid_recipe("stage dewow\noutput anomaly=nothing\n",
                          "test.recipe:2: output anomaly names slot 'nothing'");
    expect_invalid_recipe("stage depth_slice in=gpr first=5 last=2\n",
                          "test.recipe:1: stage depth_slice: last (2) is above first (5)");
    /* sensor slots a recording may lack are fine; so is every built-in */
    ms_recipe r;
    assert_int_equal(ms_recipe_parse("stage emi_detrend\nstage dewow\n", "t", &r), 0);
    assert_int_equal(ms_recipe_validate(&r), 0);
    ms_recipe_free(&r);
    for (const ms_builtin_recipe *b = ms_builtin_recipes; b->name; b++) {
        assert_int_equal(ms_recipe_load(b->name, &r), 0);
        assert_int_equal(ms_recipe_validate(&r), 0);
        assert_true(r.outputs[MS_ROLE_ANOMALY].n > 0); /* each says its map */
        ms_recipe_free(&r);
    }
}

static void bad_recipes_name_the_line(void **state)
{
    expect_recipe_error("stage dewow\n\nstage nosuch\n", "test.recipe:3: unknown stage 'nosuch'");
    expect_recipe_error("# c\nstage dewow colour=red\n", "test.recipe:2: stage dewow has no parameter 'colour'");
    expect_recipe_error("stage dewow window_ns=0\n", "out of range");
    expect_recipe_error("stage background_removal window_traces=2.5\n", "not an integer");
    expect_recipe_error("stage grid in=a,b\n", "takes 3 in slot name(s)");
    expect_recipe_error("dewow\n", "must start with 'stage'");
    expect_recipe_error("# only a comment\n\n", "no stage");
    expect_recipe_error("stage dewow\noutput map=gpr\n", "test.recipe:2: unknown output 'map'");
    expect_recipe_error("stage dewow\noutput bscan=gpr\noutput bscan=gpr\n", "already given on line 2");
    expect_recipe_error("stage dewow\noutput\n", "test.recipe:2: 'output' needs");
    ms_recipe r;
    assert_int_equal(ms_recipe_parse("stage dewow window_ns=3 # wow\n"
                                     "stage grid in=a,b,c out=c,d cell_m=0.05\n",
                                     "ok", &r), 0);
    assert_int_equal(r.n_steps, 2);
    assert_float_equal(step_param(&r.steps[0], "window_ns"), 3.0, 0);
    assert_string_equal(r.steps[1].out[1], "d");
    assert_int_equal(r.steps[1].line, 2);
    assert_int_equal(ms_recipe_override(&r, "grid.radius_m=0.1"), 0);
    assert_float_equal(step_param(&r.steps[1], "radius_m"), 0.1, 0);
    assert_int_equal(ms_recipe_override(&r, "grid.radius_m=99"), MS_ERR_USAGE);
    assert_int_equal(ms_recipe_override(&r, "grid#2.radius_m=0.1"), MS_ERR_USAGE);
    assert_int_equal(ms_recipe_override(&r, "grid#x.radius_m=0.1"), MS_ERR_USAGE);
    ms_recipe_free(&r);
    /* the default recipe removes the background twice: #2 is the second */
    r = default_recipe();
    assert_int_equal(ms_recipe_override(&r, "background_removal#2.window_m=0.31"), 0);
    int seen = 0;
    for (size_t i = 0; i < r.n_steps; i++)
        if (!strcmp(r.steps[i].decl->name, "background_removal"))
            assert_float_equal(step_param(&r.steps[i], "window_m"), ++seen == 2 ? 0.31 : 2.7, 0);
    assert_int_equal(seen, 2);
    assert_int_equal(ms_recipe_override(&r, "background_removal.window_m=0.11"), 0);
    for (size_t i = 0; i < r.n_steps; i++)
        if (!strcmp(r.steps[i].decl->name, "background_removal"))
            assert_float_equal(step_param(&r.steps[i], "window_m"), 0.11, 0);
    assert_int_equal(ms_recipe_override(&r, "migrate_kirchhoff.aperture_m=0.1"),
                     MS_ERR_USAGE);
    ms_recipe_free(&r);
}

/* auto on a CPU-only OpenCL device follows the stored calibration, and
 * says why when it takes the C path. */
static void auto_follows_the_calibration(void **state)
{
    ms_cl_device_info *list;
    size_t n = ms_cl_list_devices(&list);
    int pick = ms_cl_pick_device(list, n);
    if (pick < 0 || list[pick].is_gpu) {
        free(list);
        skip(); /* a GPU is always taken; no device: always the C path */
    }
    char dir[4096];
    test_tmp_path(dir, sizeof dir, "calibration-cache");
    setenv("XDG_CACHE_HOME", dir, 1);
    ms_runner *r;
    /* never measured: the C path, and the note says how to measure */
    char path[4200];
    ms_calibration_path(&list[pick], path, sizeof path);
    unlink(path);
    assert_int_equal(ms_runner_create(MS_DEVICE_AUTO, &r), 0);
    assert_string_equal(ms_runner_kind(r), "cpu");
    assert_non_null(strstr(ms_runner_choice(r), "devices --calibrate"));
    ms_runner_free(r);
    /* measured slower on one stage: the C path, naming it */
    ms_calibration c = {.opencl_faster = 0, .n_stages = 2,
                        .stages = {{"dewow#2", 1.0, 0.5},
                                   {"grid#10", 2.0, 3.0}},
                        .slower_stage = "grid#10"};
    assert_int_equal(ms_calibration_save(&list[pick], &c), 0);
    assert_int_equal(ms_runner_create(MS_DEVICE_AUTO, &r), 0);
    assert_string_equal(ms_runner_kind(r), "cpu");
    assert_non_null(strstr(ms_runner_choice(r), "grid#10 (3.0 ms against 2.0 ms"));
    ms_runner_free(r);
    /* the verdict is cached (no OpenCL loaded next time), with its reason */
    char why[1024];
    assert_int_equal(ms_auto_cached_cpu(why, sizeof why), 1);
    assert_non_null(strstr(why, "grid#10"));
    assert_int_equal(ms_runner_create(MS_DEVICE_AUTO, &r), 0);
    assert_string_equal(ms_runner_kind(r), "cpu");
    assert_string_equal(ms_runner_choice(r), why);
    ms_runner_free(r);
    /* measured faster everywhere: OpenCL */
    c.opencl_faster = 1;
    c.stages[1].opencl_ms = 1.0;
    c.slower_stage[0] = '\0';
    assert_int_equal(ms_calibration_save(&list[pick], &c), 0);
    assert_int_equal(ms_runner_create(MS_DEVICE_AUTO, &r), 0);
    assert_string_equal(ms_runner_kind(r), "opencl");
    ms_runner_free(r);
    /* --device opencl never asks */
    unlink(path);
    assert_int_equal(ms_runner_create(MS_DEVICE_OPENCL, &r), 0);
    assert_string_equal(ms_runner_kind(r), "opencl");
    ms_runner_free(r);
    unsetenv("XDG_CACHE_HOME");
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opencl_chain_matches_cpu_chain),
        cmocka_unit_test(injected_fault_falls_back_to_same_result),
        cmocka_unit_test(failure_between_stages_reruns_all_on_cpu),
        cmocka_unit_test(gpr_only_recording_skips_emi_stages),
        cmocka_unit_test(bad_recipes_name_the_line),
        cmocka_unit_test(recipe_slot_graph_is_checked),
        cmocka_unit_test(auto_follows_the_calibration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
