/* local_rx: the score worked by hand on a tiny map, and a cell off the
 * background's covariance found in correlated Gaussian noise where its
 * energy would not find it; the kernel on the same volume. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/runner.h"
#include "test_util.h"

static const ms_env env = {.dt_s = 1e-10, .time_zero_s = 0,
                           .lane_x_min = 0, .lane_x_max = 1,
                           .lane_y_min = 0, .lane_y_max = 1};

static void set(const ms_stage_decl *d, ms_stage_ctx *ctx, const char *key,
                double v)
{
    assert_int_equal(ms_param_set_named(d, &ctx->params, key, v), 0);
}

/* 18 cells in a row, 8 planes 1 cm deep (feature k is plane k). Cells
 * 0..7 and 9..16 hold +-a_i e_i: mean 0, covariance diag(a_i^2 / 8).
 * Cell 8 holds f; cell 17 is uncovered and holds a huge vector that must
 * not count. With no guard beyond the cell itself and a ring wider than
 * the row, cell 8 scores sum f_i^2 / (a_i^2 / 8 + lambda), lambda =
 * ridge * trace / 8. */
static void rx_score_by_hand(void **state)
{
    enum { NX = 18, K = 8 };
    const ms_stage_decl *d = ms_stage_find("local_rx");
    assert_non_null(d);
    float vol[K * NX] = {0}, hits[NX], out[NX];
    double a[K] = {1, 2, 0.5, 3, 1.5, 0.25, 4, 1}, f[K];
    double ridge = 0.05, tr = 0.0;
    for (int i = 0; i < K; i++) {
        vol[i * NX + i] = (float)a[i];
        vol[i * NX + 9 + i] = (float)-a[i];
        f[i] = 0.3 * (i + 1) - 1.0;
        vol[i * NX + 8] = (float)f[i];
        vol[i * NX + 17] = 1000.0f;
        tr += a[i] * a[i] / K;
    }
    for (int x = 0; x < NX; x++)
        hits[x] = x == 17 ? 0.0f : 1.0f + x % 3;
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    set(d, &ctx, "depth_start_m", 0.0);
    set(d, &ctx, "depth_end_m", 0.08);
    set(d, &ctx, "bins", K);
    set(d, &ctx, "guard_m", 0.0);
    set(d, &ctx, "outer_m", 0.4);
    set(d, &ctx, "ridge", ridge);
    ctx.in[0] = (ms_shape){MS_ARRAY_VOLUME, {K, 1, NX}, 0.02};
    ctx.in[0].plane_m = 0.01;
    ctx.in[1] = (ms_shape){MS_ARRAY_MAP, {1, NX, 1}, 0.02};
    assert_int_equal(d->shape(&ctx), 0);
    assert_string_equal(ctx.warning, "");
    const float *in[2] = {vol, hits};
    float *o[1] = {out};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    double lambda = ridge * tr / K, want = 0.0;
    for (int i = 0; i < K; i++)
        want += f[i] * f[i] / (a[i] * a[i] / K + lambda);
    assert_float_equal(out[8], want, 1e-5 * want);
    assert_float_equal(out[17], 0.0f, 0.0);
    /* a guard as wide as the row leaves no training cells: 0 */
    set(d, &ctx, "guard_m", 0.4);
    set(d, &ctx, "outer_m", 0.42);
    assert_int_equal(d->shape(&ctx), 0);
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    assert_float_equal(out[8], 0.0f, 0.0);
}

static double gauss(test_rng *r)
{
    double u = test_rng_uniform(r), v = test_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* A 40 x 40 x-y-time volume (planes of 0.5 ns, the window 0.01..0.21 m
 * below a surface at 0.5 ns at 0.1 m/ns: planes 1..8). The background's
 * features move together (a common amplitude s of spread 1, plus 0.1 of
 * independent noise per bin); planes 0 and 9..11, outside the window,
 * carry loud noise. Cell (25, 17) has no common part and an alternating
 * +-0.4 instead: little energy, but in a direction the background hardly
 * varies in. It must get the top score, far above the chi-square-8 tail,
 * though its energy is below the median; and the kernel agrees. */
static void rx_finds_the_off_covariance_cell(void **state)
{
    enum { N = 40, NZ = 12, K = 8, AX = 25, AY = 17 };
    const ms_stage_decl *d = ms_stage_find("local_rx");
    size_t n = (size_t)N * N;
    float *vol = malloc(NZ * n * sizeof *vol), *hits = malloc(n * sizeof *hits);
    float *out = malloc(n * sizeof *out), *got = malloc(n * sizeof *got);
    double *energy = malloc(n * sizeof *energy);
    test_rng r = {12345};
    for (size_t c = 0; c < n; c++) {
        double s = gauss(&r);
        int anomaly = c == (size_t)AY * N + AX;
        energy[c] = 0.0;
        for (int z = 0; z < NZ; z++) {
            double v = z >= 1 && z <= K ? (anomaly ? (z % 2 ? 0.4 : -0.4)
                                                   : s) + 0.1 * gauss(&r)
                                        : 50.0 * gauss(&r);
            vol[z * n + c] = (float)v;
            if (z >= 1 && z <= K)
                energy[c] += v * v;
        }
        hits[c] = test_rng_uniform(&r) < 0.05 ? 0.0f : 2.0f;
    }
    hits[AY * N + AX] = 1.0f;
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    set(d, &ctx, "depth_start_m", 0.01);
    set(d, &ctx, "depth_end_m", 0.21);
    set(d, &ctx, "velocity_m_per_ns", 0.1);
    set(d, &ctx, "surface_ns", 0.5);
    set(d, &ctx, "bins", K);
    set(d, &ctx, "guard_m", 0.04);
    set(d, &ctx, "outer_m", 0.2);
    set(d, &ctx, "ridge", 1e-3);
    ctx.in[0] = (ms_shape){MS_ARRAY_VOLUME, {NZ, N, N}, 0.02};
    ctx.in[0].plane_s = 0.5e-9;
    ctx.in[1] = (ms_shape){MS_ARRAY_MAP, {N, N, 1}, 0.02};
    assert_int_equal(d->shape(&ctx), 0);
    assert_string_equal(ctx.warning, "");
    const float *in[2] = {vol, hits};
    float *o[1] = {out};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    size_t best = 0, second = 0, quieter = 0, covered = 0;
    double mean = 0.0;
    for (size_t c = 0; c < n; c++) {
        if (!(hits[c] > 0.0f)) {
            assert_float_equal(out[c], 0.0f, 0.0);
            continue;
        }
        covered++;
        if (c != (size_t)AY * N + AX) {
            mean += out[c];
            quieter += energy[c] > energy[AY * N + AX];
        }
        if (out[c] > out[best]) {
            second = best;
            best = c;
        } else if (out[c] > out[second] || second == best) {
            second = c;
        }
    }
    mean /= (double)(covered - 1);
    printf("# anomaly %g, next %g, background mean %g (K = %d); %zu of %zu "
           "cells have more energy\n", out[best], out[second], mean, K,
           quieter, covered - 1);
    assert_int_equal(best, (size_t)AY * N + AX);
    /* chi-square with 8 degrees of freedom: mean 8, P(> 40) ~ 2e-6 */
    assert_true(mean > 0.5 * K && mean < 2.0 * K);
    assert_true(out[second] < 40.0f);
    assert_true(out[best] > 100.0f);
    assert_true(quieter > (covered - 1) / 2);
    /* the kernel on the same volume */
    ms_cl *cl = test_cl_open();
    assert_non_null(cl);
    float *g[1] = {got};
    assert_int_equal(ms_stage_exec_opencl(cl, &ctx, in, g), 0);
    double worst = 0.0;
    for (size_t c = 0; c < n; c++)
        worst = fmax(worst, fabs((double)got[c] - out[c]));
    assert_true(worst <= d->tolerance * out[best]);
    ms_cl_destroy(cl);
    free(vol);
    free(hits);
    free(out);
    free(got);
    free(energy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rx_score_by_hand),
        cmocka_unit_test(rx_finds_the_off_covariance_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
