/* lms_residual (two-sided linear prediction): known answers on made-up
 * traces, a brute-force least-squares oracle (every trace's normal
 * equations summed sample by sample, Gaussian elimination, the residual
 * summed sample by sample) for the C path, and the kernel against the C
 * path on lane-like inputs the registry parity test does not draw (whole
 * dropped traces, windows inside the traces, identical traces at the
 * smallest ridge). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "runner/runner.h"
#include "test_util.h"

/* dt 0.1 ns, time zero at sample 0: t ns is sample 10 t. */
static const ms_env env = {.dt_s = 1e-10, .time_zero_s = 0,
                           .lane_x_min = 0, .lane_x_max = 1,
                           .lane_y_min = 0, .lane_y_max = 1};

typedef struct lms_case {
    int nt, ns, k, g;
    double ridge, t0, t1; /* window in ns */
} lms_case;

static void setup_ctx(ms_stage_ctx *ctx, const lms_case *c)
{
    const ms_stage_decl *d = ms_stage_find("lms_residual");
    assert_non_null(d);
    memset(ctx, 0, sizeof *ctx);
    ctx->decl = d;
    ctx->env = &env;
    ms_stage_defaults(d, &ctx->params);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "neighbours", c->k), 0);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "guard", c->g), 0);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "ridge", c->ridge), 0);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "t_start_ns", c->t0), 0);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "t_end_ns", c->t1), 0);
    assert_int_equal(d->check(&ctx->params), 0);
    ctx->in[0] = (ms_shape){MS_ARRAY_TRACES, {(size_t)c->nt, (size_t)c->ns, 1}};
    ctx->in[1] = (ms_shape){MS_ARRAY_MASK, {(size_t)c->nt, (size_t)c->ns, 1}};
    assert_int_equal(d->shape(ctx), 0);
}

static void run_cpu(const lms_case *c, const float *s, const float *m,
                    float *score, float *valid)
{
    ms_stage_ctx ctx;
    setup_ctx(&ctx, c);
    const float *in[2] = {s, m};
    float *out[2] = {score, valid};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, out), 0);
}

/* A wavelet (Ricker, 1 at t = c, width w samples) at sample j. */
static double ricker(double j, double c, double w)
{
    double u = (j - c) / w;
    return (1.0 - 2.0 * u * u) * exp(-u * u);
}

static void identical_neighbours_predict_perfectly(void **state)
{
    /* Every trace the same waveform: each is exactly the mean of its
     * neighbours, so at the smallest ridge the residual is the ridge's
     * shrinkage alone, (ridge / (P + ridge))^2 of the energy. */
    lms_case c = {.nt = 40, .ns = 60, .k = 3, .g = 2, .ridge = 1e-4,
                  .t0 = 1.0, .t1 = 5.0};
    float s[40 * 60], m[40 * 60], score[40], valid[40];
    for (int i = 0; i < c.nt; i++)
        for (int j = 0; j < c.ns; j++) {
            s[i * c.ns + j] = (float)(ricker(j, 20, 3) - 0.5 * ricker(j, 33, 4));
            m[i * c.ns + j] = 1;
        }
    run_cpu(&c, s, m, score, valid);
    double energy = 0;
    for (int j = 10; j < 50; j++)
        energy += (double)s[j] * s[j] / 40.0;
    for (int i = 0; i < c.nt; i++) {
        assert_float_equal(valid[i], 1.0f, 0);
        /* the ends predict from one side only: still the same trace */
        assert_true(score[i] <= 1e-6 * energy);
    }
}

static void a_narrow_echo_scores_inside_the_window_only(void **state)
{
    /* A background that varies from trace to trace (amplitude and a
     * sub-sample shift, as a ground bounce after whole-sample alignment)
     * plus a little noise; an echo on traces 29..31, narrower than the
     * guard gap, at sample 30 (3 ns). Window 2..4 ns: trace 30 scores far
     * above the rest. Window 5..7 ns (the echo's time lies outside): it
     * does not. */
    enum { NT = 60, NS = 80 };
    float s[NT * NS], m[NT * NS], in_win[NT], out_win[NT], valid[NT];
    test_rng r = {11};
    for (int i = 0; i < NT; i++) {
        double amp = 1.0 + 0.3 * sin(0.2 * i), shift = 0.4 * sin(0.37 * i);
        for (int j = 0; j < NS; j++) {
            double v = amp * (ricker(j, 15 + shift, 3) + 0.6 * ricker(j, 35 + shift, 5) +
                              0.5 * ricker(j, 60 + shift, 4));
            v += 0.01 * (test_rng_uniform(&r) - 0.5);
            if (i >= 29 && i <= 31)
                v += 0.5 * ricker(j, 30, 2);
            s[i * NS + j] = (float)v;
            m[i * NS + j] = 1;
        }
    }
    lms_case c = {.nt = NT, .ns = NS, .k = 4, .g = 3, .ridge = 1e-3,
                  .t0 = 2.0, .t1 = 4.0};
    run_cpu(&c, s, m, in_win, valid);
    c.t0 = 5.0;
    c.t1 = 7.0;
    run_cpu(&c, s, m, out_win, valid);
    double far_in = 0, far_out = 0, near_out = 0;
    for (int i = 0; i < NT; i++) {
        if (i < 25 || i > 35) {
            far_in = fmax(far_in, in_win[i]);
            far_out = fmax(far_out, out_win[i]);
        } else
            near_out = fmax(near_out, out_win[i]);
    }
    /* the background is predicted away, the echo is not */
    assert_true(in_win[30] > 50.0 * far_in);
    /* outside the window the echo's traces look like the rest */
    assert_true(near_out < 10.0 * far_out);
    assert_true(in_win[30] > 100.0 * near_out);
}

static void missing_samples_weigh_nothing(void **state)
{
    /* What lies under a mask 0 changes nothing; a dropped trace has no
     * score; a trace missing a sample of its window is fitted and scored
     * on the rest. */
    enum { NT = 30, NS = 40 };
    float s[NT * NS], m[NT * NS], junk[NT * NS];
    float a[NT], b[NT], va[NT], vb[NT];
    test_rng r = {5};
    for (int k = 0; k < NT * NS; k++) {
        s[k] = (float)(test_rng_uniform(&r) - 0.5);
        m[k] = 1;
    }
    for (int j = 0; j < NS; j++) /* trace 12 dropped */
        m[12 * NS + j] = 0;
    m[20 * NS + 15] = m[20 * NS + 16] = 0; /* two samples of trace 20 */
    for (int k = 0; k < NT * NS; k++) {
        junk[k] = m[k] > 0 ? s[k] : 1e3f;
        s[k] = m[k] > 0 ? s[k] : 0.0f;
    }
    lms_case c = {.nt = NT, .ns = NS, .k = 2, .g = 1, .ridge = 0.01,
                  .t0 = 1.0, .t1 = 3.0};
    run_cpu(&c, s, m, a, va);
    run_cpu(&c, junk, m, b, vb);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_equal(va, vb, sizeof va);
    assert_float_equal(va[12], 0.0f, 0);
    assert_float_equal(a[12], 0.0f, 0);
    assert_float_equal(va[20], 1.0f, 0);
    /* a trace with no neighbours: nothing predicts it, the score is its
     * mean power over the present samples of the window */
    lms_case one = {.nt = 1, .ns = NS, .k = 3, .g = 0, .ridge = 0.1,
                    .t0 = 1.0, .t1 = 3.0};
    float sc, v;
    run_cpu(&one, s + 20 * NS, m + 20 * NS, &sc, &v);
    /* the window as the stage rounds it (3 ns is 30.000000000000004) */
    int lo = (int)floor(1.0 * 1e-9 / env.dt_s);
    int hi = (int)ceil(3.0 * 1e-9 / env.dt_s);
    double power = 0;
    for (int j = lo; j < hi; j++)
        power += (double)s[20 * NS + j] * s[20 * NS + j];
    power /= hi - lo - 2; /* samples 15 and 16 are missing */
    assert_float_equal(sc, power, 1e-6 * power);
    assert_float_equal(v, 1.0f, 0);
}

/* The oracle: trace by trace, the normal equations summed sample by
 * sample under the trace's mask, solved by Gaussian elimination with
 * partial pivoting, and the residual summed sample by sample. */
static void brute_force(const lms_case *c, const float *s, const float *m,
                        double *score, int *valid)
{
    /* the window as the stage rounds it */
    int lo = (int)floor(c->t0 * 1e-9 / env.dt_s);
    int hi = (int)ceil(c->t1 * 1e-9 / env.dt_s);
    lo = lo < 0 ? 0 : lo > c->ns ? c->ns : lo;
    hi = hi < 0 ? 0 : hi > c->ns ? c->ns : hi;
    int np = 2 * c->k, off[16];
    for (int q = 0; q < np; q++)
        off[q] = q < c->k ? -(c->g + c->k - q) : c->g + 1 + q - c->k;
#define Y(t, j)                                                                \
    ((t) >= 0 && (t) < c->nt                                                   \
         ? (double)s[(size_t)(t) * c->ns + (j)] * m[(size_t)(t) * c->ns + (j)] \
         : 0.0)
    for (int i = 0; i < c->nt; i++) {
        double a[16][17] = {{0}}, w[16] = {0}, count = 0, tr = 0;
        for (int j = lo; j < hi; j++) {
            double mi = m[(size_t)i * c->ns + j];
            count += mi;
            for (int p = 0; p < np; p++) {
                for (int q = 0; q < np; q++)
                    a[p][q] += mi * Y(i + off[p], j) * Y(i + off[q], j);
                a[p][np] += mi * Y(i + off[p], j) * Y(i, j);
            }
        }
        for (int p = 0; p < np; p++)
            tr += a[p][p];
        if (tr > 0) {
            for (int p = 0; p < np; p++)
                a[p][p] += c->ridge * tr / np;
            for (int col = 0; col < np; col++) {
                int piv = col;
                for (int r = col + 1; r < np; r++)
                    if (fabs(a[r][col]) > fabs(a[piv][col]))
                        piv = r;
                for (int q = 0; q <= np; q++) {
                    double t = a[col][q];
                    a[col][q] = a[piv][q];
                    a[piv][q] = t;
                }
                for (int r = col + 1; r < np; r++) {
                    double f = a[r][col] / a[col][col];
                    for (int q = col; q <= np; q++)
                        a[r][q] -= f * a[col][q];
                }
            }
            for (int p = np - 1; p >= 0; p--) {
                double v = a[p][np];
                for (int q = p + 1; q < np; q++)
                    v -= a[p][q] * w[q];
                w[p] = v / a[p][p];
            }
        }
        double sum = 0;
        for (int j = lo; j < hi; j++) {
            double pred = 0;
            for (int p = 0; p < np; p++)
                pred += w[p] * Y(i + off[p], j);
            double res = Y(i, j) - pred;
            sum += m[(size_t)i * c->ns + j] * res * res;
        }
        score[i] = count > 0 ? sum / count : 0;
        valid[i] = count > 0;
    }
#undef Y
}

/* Lane-like random traces: a shared background with sub-sample wobble,
 * noise, whole dropped traces and (if `partial`) scattered missing
 * samples, the data zero under the mask. */
static void lane_like(test_rng *r, int nt, int ns, int partial, float *s,
                      float *m)
{
    for (int i = 0; i < nt; i++) {
        double shift = 2 * (test_rng_uniform(r) - 0.5);
        int dropped = test_rng_uniform(r) < 0.03;
        for (int j = 0; j < ns; j++) {
            size_t k = (size_t)i * ns + j;
            m[k] = dropped || (partial && test_rng_uniform(r) < 0.05) ? 0.0f : 1.0f;
            s[k] = m[k] * (float)(ricker(j, ns / 3.0 + shift, 3) +
                                  0.2 * (test_rng_uniform(r) - 0.5));
        }
    }
}

static const lms_case cases[] = {
    {.nt = 200, .ns = 64, .k = 4, .g = 6, .ridge = 0.3, .t0 = 0.5, .t1 = 4.5},
    {.nt = 57, .ns = 33, .k = 1, .g = 0, .ridge = 1e-4, .t0 = 0.0, .t1 = 3.3},
    {.nt = 131, .ns = 50, .k = 8, .g = 3, .ridge = 0.01, .t0 = 1.2, .t1 = 3.9},
    {.nt = 9, .ns = 40, .k = 4, .g = 6, .ridge = 0.1, .t0 = 1.0, .t1 = 2.0},
    {.nt = 300, .ns = 20, .k = 2, .g = 32, .ridge = 10, .t0 = 0.0, .t1 = 100},
};

static void c_path_matches_brute_force(void **state)
{
    test_rng r = {23};
    for (size_t z = 0; z < sizeof cases / sizeof cases[0]; z++)
        for (int partial = 0; partial < 2; partial++) {
            const lms_case *c = &cases[z];
            size_t n = (size_t)c->nt * c->ns;
            float *s = malloc(n * sizeof *s), *m = malloc(n * sizeof *m);
            float *score = malloc(c->nt * sizeof *score);
            float *valid = malloc(c->nt * sizeof *valid);
            double *want = malloc(c->nt * sizeof *want);
            int *want_valid = malloc(c->nt * sizeof *want_valid);
            lane_like(&r, c->nt, c->ns, partial, s, m);
            run_cpu(c, s, m, score, valid);
            brute_force(c, s, m, want, want_valid);
            double top = 0;
            for (int i = 0; i < c->nt; i++)
                top = fmax(top, want[i]);
            for (int i = 0; i < c->nt; i++) {
                if (fabs(score[i] - want[i]) > 1e-6 * top + 1e-6 * want[i])
                    fail_msg("case %zu%s trace %d: %g, brute force %g", z,
                             partial ? " (partial masks)" : "", i, score[i],
                             want[i]);
                assert_float_equal(valid[i], (float)want_valid[i], 0);
            }
            free(s);
            free(m);
            free(score);
            free(valid);
            free(want);
            free(want_valid);
        }
}

static void kernel_matches_c_path(void **state)
{
    ms_cl *cl = test_cl_open();
    if (!cl)
        fail_msg("no OpenCL device: install pocl-opencl-icd");
    test_rng r = {29};
    const ms_stage_decl *d = ms_stage_find("lms_residual");
    for (size_t z = 0; z < sizeof cases / sizeof cases[0]; z++)
        for (int kind = 0; kind < 3; kind++) {
            const lms_case *c = &cases[z];
            size_t n = (size_t)c->nt * c->ns;
            float *s = malloc(n * sizeof *s), *m = malloc(n * sizeof *m);
            float ref[2][300], got[2][300];
            if (kind < 2)
                lane_like(&r, c->nt, c->ns, kind, s, m);
            else /* identical traces, plus a hair of noise */
                for (size_t k = 0; k < n; k++) {
                    m[k] = 1;
                    s[k] = (float)(ricker((double)(k % c->ns), c->ns / 2.0, 4) +
                                   1e-6 * test_rng_uniform(&r));
                }
            ms_stage_ctx ctx;
            setup_ctx(&ctx, c);
            const float *in[2] = {s, m};
            float *o_ref[2] = {ref[0], ref[1]}, *o_got[2] = {got[0], got[1]};
            assert_int_equal(ms_stage_exec_cpu(&ctx, in, o_ref), 0);
            assert_int_equal(ms_stage_exec_opencl(cl, &ctx, in, o_got), 0);
            double top = 0, diff = 0;
            for (int i = 0; i < c->nt; i++) {
                top = fmax(top, fabs(ref[0][i]));
                diff = fmax(diff, fabs((double)ref[0][i] - got[0][i]));
                assert_float_equal(ref[1][i], got[1][i], 0);
            }
            if (diff > d->tolerance * top)
                fail_msg("case %zu kind %d: max |cpu - opencl| %g > %g x %g", z,
                         kind, diff, d->tolerance, top);
            free(s);
            free(m);
        }
    ms_cl_destroy(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identical_neighbours_predict_perfectly),
        cmocka_unit_test(a_narrow_echo_scores_inside_the_window_only),
        cmocka_unit_test(missing_samples_weigh_nothing),
        cmocka_unit_test(c_path_matches_brute_force),
        cmocka_unit_test(kernel_matches_c_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
