/* The OpenCL kernel of every registered stage against its C reference, on
 * fresh random inputs of awkward sizes (one trace, one or two samples,
 * prime sizes) with missing samples, at the default parameters and at
 * random parameters across each declared range. Also builds every kernel
 * file and prints the build log of any that fails. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "minescan/error.h"
#include "opencl/kernel_sources.h"
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

static void every_kernel_builds(void **state)
{
    for (const ms_kernel_source *k = ms_kernel_sources; k->name; k++) {
        cl_program prog;
        int rc = ms_cl_program(cl, k->name, &prog);
        if (rc)
            fprintf(stderr, "kernels/%s.cl: %s\n", k->name, ms_error_message());
        assert_int_equal(rc, 0);
    }
}

/* Sizes to try: rows (traces, readings, map rows) x cols (samples,
 * channels, map columns). */
static const size_t sizes[][2] = {{1, 1},  {1, 2},   {2, 2},   {1, 257},
                                  {37, 101}, {64, 3}, {129, 64}, {7, 13}};

static float *random_array(test_rng *r, size_t n, double lo, double hi)
{
    float *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = (float)(lo + (hi - lo) * test_rng_uniform(r));
    return a;
}

/* Fill the inputs that `d` reads, consistent with each other: masks match
 * the data they qualify (and zero the data they mark missing), points lie
 * in the lane, maps share a shape. */
static void make_inputs(const ms_stage_decl *d, test_rng *r, size_t rows,
                        size_t cols, ms_stage_ctx *ctx, float *in[MS_MAX_IO])
{
    size_t channels = 1 + (size_t)(test_rng_uniform(r) * 3);
    for (unsigned i = 0; i < d->n_in; i++) {
        ms_shape s = {d->in_kinds[i], {rows, cols, 1}};
        switch (d->in_kinds[i]) {
        case MS_ARRAY_TRACES:
        case MS_ARRAY_MAP:
            /* hit counts of a volume's planes: the planes' shape */
            if (d->in_kinds[i] == MS_ARRAY_MAP && i > 0 &&
                d->in_kinds[0] == MS_ARRAY_VOLUME)
                s = (ms_shape){MS_ARRAY_MAP,
                               {ctx->in[0].dims[1], ctx->in[0].dims[2], 1}};
            in[i] = random_array(r, ms_shape_count(s), -2.0, 2.0);
            if (d->in_kinds[i] == MS_ARRAY_MAP)
                s.cell_m = 0.02; /* map stages work in metres */
            break;
        case MS_ARRAY_SERIES:
            s.dims[1] = channels;
            in[i] = random_array(r, rows * channels, -2.0, 2.0);
            break;
        case MS_ARRAY_MASK:
            s = ctx->in[0];
            s.kind = MS_ARRAY_MASK;
            in[i] = malloc(ms_shape_count(s) * sizeof(float));
            for (size_t k = 0; k < ms_shape_count(s); k++) {
                in[i][k] = test_rng_uniform(r) < 0.1 ? 0.0f : 1.0f;
                if (in[i][k] == 0.0f)
                    in[0][k] = 0.0f; /* missing samples arrive as zeros */
            }
            break;
        case MS_ARRAY_POINTS:
            s.dims[1] = 2;
            in[i] = malloc(rows * 2 * sizeof(float));
            for (size_t k = 0; k < rows; k++) {
                in[i][2 * k] = (float)(test_rng_uniform(r) *
                                       (ctx->env->lane_x_max - ctx->env->lane_x_min));
                in[i][2 * k + 1] = (float)(test_rng_uniform(r) *
                                           (ctx->env->lane_y_max - ctx->env->lane_y_min));
            }
            break;
        case MS_ARRAY_VOLUME:
            s.dims[2] = 3;
            s.cell_m = 0.02;              /* as grid_volume gives it */
            s.plane_s = 2 * ctx->env->dt_s; /* as time_bins gives it */
            s.plane_m = 0.01;             /* as migrate_kirchhoff gives it */
            in[i] = random_array(r, rows * cols * 3, -2.0, 2.0);
            break;
        }
        ctx->in[i] = s;
    }
}

/* Run `d` both ways on one input; returns 1 if they agree. */
/* Parameters: the defaults, or random values in range, redrawn until the
 * stage's own check() (t_end after t_start) accepts them. */
static void choose_params(const ms_stage_decl *d, test_rng *r,
                          ms_stage_ctx *ctx, int random_params)
{
    ms_stage_defaults(d, &ctx->params);
    for (int tries = 0; random_params && tries < 1000; tries++) {
        for (unsigned k = 0; k < d->n_params; k++) {
            const ms_param_decl *p = &d->params[k];
            /* after 100 refusals (parameters that exclude each other, as
             * an old and a new window), leave each at its default half
             * the time */
            if (tries >= 100 && test_rng_uniform(r) < 0.5)
                continue;
            double v = p->min + (p->max - p->min) * test_rng_uniform(r);
            ms_param_set(p, &ctx->params,
                         p->type == MS_PARAM_INT ? floor(v) : v);
        }
        if (!d->check || d->check(&ctx->params) == 0)
            break;
        ms_stage_defaults(d, &ctx->params);
    }
}

/* A stage that declares in_place must give the same bits when its output
 * buffer is its input (as the runner passes it on the C path). */
static void in_place_matches_out_of_place(void **state)
{
    test_rng r = {7};
    int checked = 0;
    for (size_t s = 0; ms_stage_registry[s]; s++) {
        const ms_stage_decl *d = ms_stage_registry[s];
        if (!d->in_place)
            continue;
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++)
            for (int rp = 0; rp < 2; rp++) {
                ms_env env = {.dt_s = 5e-11, .time_zero_s = 1e-10,
                              .lane_x_max = 1.0, .lane_y_max = 0.5,
                              .trace_spacing_m = 0.01};
                ms_stage_ctx ctx = {.decl = d, .env = &env};
                choose_params(d, &r, &ctx, rp);
                float *in[MS_MAX_IO] = {0}, *ref[MS_MAX_IO] = {0};
                float *alias[MS_MAX_IO] = {0};
                make_inputs(d, &r, sizes[z][0], sizes[z][1], &ctx, in);
                assert_int_equal(d->shape(&ctx), 0);
                for (unsigned k = 0; k < d->n_out; k++)
                    ref[k] = malloc((ms_shape_count(ctx.out[k]) + 1) *
                                    sizeof(float));
                assert_int_equal(ms_stage_exec_cpu(&ctx, (const float *const *)in,
                                                   ref), 0);
                /* outputs k < n_out in their input's buffer, a copy */
                const float *hin[MS_MAX_IO];
                for (unsigned k = 0; k < d->n_in; k++) {
                    size_t n = ms_shape_count(ctx.in[k]);
                    alias[k] = malloc((n + 1) * sizeof(float));
                    memcpy(alias[k], in[k], n * sizeof(float));
                    hin[k] = alias[k];
                }
                assert_int_equal(ms_stage_exec_cpu(&ctx, hin, alias), 0);
                for (unsigned k = 0; k < d->n_out; k++) {
                    size_t n = ms_shape_count(ctx.out[k]);
                    if (memcmp(ref[k], alias[k], n * sizeof(float)) != 0)
                        fail_msg("%s %zux%zu: output %u differs in place",
                                 d->name, sizes[z][0], sizes[z][1], k);
                    free(ref[k]);
                }
                for (unsigned k = 0; k < d->n_in; k++) {
                    free(in[k]);
                    free(alias[k]);
                }
                checked++;
            }
    }
    printf("# %d in-place runs checked\n", checked);
    assert_true(checked >= 3 * 16); /* dewow, ground_align, background_removal */
}

static int compare_once(const ms_stage_decl *d, test_rng *r, size_t rows,
                        size_t cols, int random_params)
{
    /* half the runs without a centre frequency (a gprMax import) */
    ms_env env = {.dt_s = 5e-11, .time_zero_s = 2e-10 * test_rng_uniform(r),
                  .centre_frequency_hz = test_rng_uniform(r) < 0.5 ? 0 : 1e9,
                  .lane_x_min = 0, .lane_x_max = 1.0, .lane_y_min = 0,
                  .lane_y_max = 0.5,
                  .trace_spacing_m = 0.003 + 0.03 * test_rng_uniform(r)};
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    choose_params(d, r, &ctx, random_params);
    float *in[MS_MAX_IO] = {0};
    make_inputs(d, r, rows, cols, &ctx, in);
    /* A channel index must exist in the random input. */
    double ch = ms_param_get_named(d, &ctx.params, "channel");
    if (!isnan(ch))
        ms_param_set_named(d, &ctx.params, "channel",
                           fmod(ch, (double)ctx.in[0].dims[1]));
    /* ground_align leaves random noise alone (no bounce above it): half
     * the random draws always align (ratio 0), so both paths compare. */
    double br = ms_param_get_named(d, &ctx.params, "min_bounce_ratio");
    if (!isnan(br) && random_params && test_rng_uniform(r) < 0.5)
        ms_param_set_named(d, &ctx.params, "min_bounce_ratio", 0.0);
    int ok = 1;
    /* a stage may need the centre frequency (bandpass's corners as its
     * fractions): it refuses clearly without one; compare it with one */
    if (env.centre_frequency_hz == 0 && d->shape(&ctx) != 0)
        env.centre_frequency_hz = 1e9;
    if (d->shape(&ctx) != 0) {
        fprintf(stderr, "%s %zux%zu: shape: %s\n", d->name, rows, cols,
                ms_error_message());
        ok = 0;
    }
    for (unsigned o = 0; ok && o < d->n_out; o++) {
        size_t n = ms_shape_count(ctx.out[o]);
        float *ref[MS_MAX_IO] = {0}, *got[MS_MAX_IO] = {0};
        for (unsigned k = 0; k < d->n_out; k++) {
            ref[k] = malloc((ms_shape_count(ctx.out[k]) + 1) * sizeof(float));
            got[k] = malloc((ms_shape_count(ctx.out[k]) + 1) * sizeof(float));
        }
        int rc_cpu = ms_stage_exec_cpu(&ctx, (const float *const *)in, ref);
        int rc_cl = ms_stage_exec_opencl(cl, &ctx, (const float *const *)in, got);
        if (rc_cpu || rc_cl) {
            fprintf(stderr, "%s: cpu %d opencl %d: %s\n", d->name, rc_cpu,
                    rc_cl, ms_error_message());
            ok = 0;
        } else {
            double max_ref = 0, max_diff = 0;
            size_t worst = 0;
            for (size_t k = 0; k < n; k++) {
                if (!isfinite(ref[o][k]) || !isfinite(got[o][k])) {
                    fprintf(stderr, "%s: non-finite output at %zu\n", d->name, k);
                    ok = 0;
                    break;
                }
                max_ref = fmax(max_ref, fabs(ref[o][k]));
                double diff = fabs((double)ref[o][k] - got[o][k]);
                if (diff > max_diff) {
                    max_diff = diff;
                    worst = k;
                }
            }
            if (ok && max_diff > d->tolerance * max_ref) {
                fprintf(stderr,
                        "%s output %u (%zu x %zu, %s params): max |cpu - "
                        "opencl| = %g at %zu (cpu %g, opencl %g) exceeds %g x "
                        "max|cpu| = %g\n",
                        d->name, o, rows, cols,
                        random_params ? "random" : "default", max_diff, worst,
                        ref[o][worst], got[o][worst], d->tolerance,
                        d->tolerance * max_ref);
                ok = 0;
            }
        }
        for (unsigned k = 0; k < d->n_out; k++) {
            free(ref[k]);
            free(got[k]);
        }
    }
    for (unsigned i = 0; i < MS_MAX_IO; i++)
        free(in[i]);
    return ok;
}

static void every_stage_agrees(void **state)
{
    /* Fresh inputs each run; MINESCAN_TEST_SEED repeats a failing one. */
    const char *env = getenv("MINESCAN_TEST_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
    printf("# seed %llu (MINESCAN_TEST_SEED=%llu repeats this run)\n",
           (unsigned long long)seed, (unsigned long long)seed);
    test_rng r = {seed};
    int failures = 0, runs = 0;
    for (size_t s = 0; ms_stage_registry[s]; s++) {
        const ms_stage_decl *d = ms_stage_registry[s];
        assert_non_null(d->cpu);
        assert_non_null(d->opencl);
        assert_true(d->tolerance > 0 && d->tolerance <= 1e-5);
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++)
            for (int rp = 0; rp < 2; rp++) {
                runs++;
                failures += !compare_once(d, &r, sizes[z][0], sizes[z][1], rp);
            }
    }
    printf("# %d stage runs compared, %d disagreements\n", runs, failures);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kernel_builds),
        cmocka_unit_test(every_stage_agrees),
        cmocka_unit_test(in_place_matches_out_of_place),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
