/* Known answers for each stage's C reference on tiny inputs worked by hand
 * (the parity test then holds the kernels to the same numbers). */
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
                           .lane_x_min = 0, .lane_x_max = 0.1,
                           .lane_y_min = 0, .lane_y_max = 0.04};

/* Run stage `name` on the C path with the given inputs and parameters. */
static void run(const char *name, const ms_shape *shapes, const float **in,
                float **out, const char *key, double value)
{
    const ms_stage_decl *d = ms_stage_find(name);
    assert_non_null(d);
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    if (key)
        assert_int_equal(ms_param_set_named(d, &ctx.params, key, value), 0);
    for (unsigned i = 0; i < d->n_in; i++)
        ctx.in[i] = shapes[i];
    assert_int_equal(d->shape(&ctx), 0);
    assert_int_equal(ms_stage_exec_cpu(&ctx, (const float *const *)in, out), 0);
}

/* Run stage `name` on the C path in environment `e` with `n` parameters
 * set by name (a shape call first, which may leave a warning). */
static void run_with(const char *name, const ms_env *e, const ms_shape *shapes,
                     const float **in, float **out, const char *const keys[],
                     const double values[], int n)
{
    const ms_stage_decl *d = ms_stage_find(name);
    assert_non_null(d);
    ms_stage_ctx ctx = {.decl = d, .env = e};
    ms_stage_defaults(d, &ctx.params);
    for (int k = 0; k < n; k++)
        assert_int_equal(ms_param_set_named(d, &ctx.params, keys[k], values[k]),
                         0);
    for (unsigned i = 0; i < d->n_in; i++)
        ctx.in[i] = shapes[i];
    assert_int_equal(d->shape(&ctx), 0);
    assert_int_equal(ms_stage_exec_cpu(&ctx, (const float *const *)in, out), 0);
}

static void dewow_removes_offset_and_keeps_gaps(void **state)
{
    /* A constant offset is pure wow: it goes. A missing sample stays 0 and
     * does not drag the mean of its neighbours towards zero. */
    float s[6] = {5, 5, 5, 0, 5, 5}, m[6] = {1, 1, 1, 0, 1, 1}, out[6];
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {1, 6, 1}}, {MS_ARRAY_MASK, {1, 6, 1}}};
    const float *in[2] = {s, m};
    float *o[1] = {out};
    run("dewow", sh, in, o, "window_ns", 0.3); /* 3 samples: half = 2 */
    for (int j = 0; j < 6; j++)
        assert_float_equal(out[j], 0.0f, 1e-6);
    /* A step: 0 0 0 3 3 3. A 0.3 ns window is 3 samples; its half-width
     * is lround(1.5) = 2 samples each side. */
    float step[6] = {0, 0, 0, 3, 3, 3}, ones[6] = {1, 1, 1, 1, 1, 1};
    in[0] = step;
    in[1] = ones;
    run("dewow", sh, in, o, "window_ns", 0.3);
    /* sample 2: mean of samples 0..4 = 6/5 -> 0 - 1.2 */
    assert_float_equal(out[2], -1.2f, 1e-6);
    /* sample 5: mean of samples 3..5 = 3 -> 0 */
    assert_float_equal(out[5], 0.0f, 1e-6);
}

static void background_removal_cancels_identical_traces(void **state)
{
    float s[3 * 4] = {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 9};
    float m[12];
    for (int i = 0; i < 12; i++)
        m[i] = 1;
    float out[12];
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {3, 4, 1}}, {MS_ARRAY_MASK, {3, 4, 1}}};
    const float *in[2] = {s, m};
    float *o[1] = {out};
    run("background_removal", sh, in, o, "window_traces", 3);
    for (int j = 0; j < 3; j++) /* identical columns cancel */
        assert_float_equal(out[4 + j], 0.0f, 1e-6);
    /* last sample, trace 2: mean over traces 1..2 = (4 + 9) / 2 */
    assert_float_equal(out[11], 9.0f - 6.5f, 1e-6);
    /* last sample, trace 1: mean over traces 0..2 = 17 / 3 */
    assert_float_equal(out[7], 4.0f - 17.0f / 3.0f, 1e-5);
}

/* window_m is metres of track: at 1 cm per trace 0.03 m is the 3-trace
 * window, at 3 mm it is 10 traces (all 5 here); both windows at once are
 * refused. */
static void background_removal_window_in_metres(void **state)
{
    (void)state;
    float s[5 * 2] = {1, 2, 7, 3, 2, 8, 4, 1, 0, 5}, m[10], a[10], b[10];
    for (int i = 0; i < 10; i++)
        m[i] = 1;
    const ms_stage_decl *d = ms_stage_find("background_removal");
    assert_non_null(d);
    ms_env e = env;
    ms_stage_ctx ctx = {.decl = d, .env = &e};
    ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {5, 2, 1}};
    ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {5, 2, 1}};
    const float *in[2] = {s, m};
    float *oa[1] = {a}, *ob[1] = {b};
    ms_stage_defaults(d, &ctx.params);
    assert_int_equal(ms_param_set_named(d, &ctx.params, "window_traces", 3), 0);
    assert_int_equal(d->shape(&ctx), 0);
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, oa), 0);
    ms_stage_defaults(d, &ctx.params);
    assert_int_equal(ms_param_set_named(d, &ctx.params, "window_m", 0.03), 0);
    assert_int_equal(d->check(&ctx.params), 0);
    e.trace_spacing_m = 0.01;
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, ob), 0);
    for (int i = 0; i < 10; i++)
        assert_float_equal(a[i], b[i], 1e-6);
    e.trace_spacing_m = 0.003; /* 10 traces, the whole line: minus the mean */
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, ob), 0);
    assert_float_equal(b[0], 1.0f - 14.0f / 5.0f, 1e-5);
    assert_true(fabsf(a[0] - b[0]) > 0.1f);
    assert_int_equal(ms_param_set_named(d, &ctx.params, "window_traces", 3), 0);
    assert_int_not_equal(d->check(&ctx.params), 0);
}

static void envelope_of_a_sinusoid_is_its_amplitude(void **state)
{
    enum { N = 200 };
    float s[N], m[N], out[N];
    for (int j = 0; j < N; j++) {
        s[j] = 2.5f * sinf(2.0f * 3.14159265f * 0.2f * (float)j);
        m[j] = 1;
    }
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {1, N, 1}}, {MS_ARRAY_MASK, {1, N, 1}}};
    const float *in[2] = {s, m};
    float *o[1] = {out};
    run("envelope", sh, in, o, "half_taps", 31);
    /* Away from the ends the FIR Hilbert transform is accurate to a few %. */
    for (int j = 40; j < N - 40; j++)
        assert_float_equal(out[j], 2.5f, 0.1f);
}

/* A 1 GHz tone in the pass band (500-1500 MHz) comes through; tones at
 * 100 MHz and 3 GHz, beyond the tapers, do not; the envelope of what comes
 * through is the tone's amplitude. */
static void bandpass_keeps_the_band_and_its_envelope(void **state)
{
    enum { N = 400 };
    const double dt = env.dt_s, pi = 3.14159265358979323846;
    float s[N], m[N], out[N];
    for (int j = 0; j < N; j++) {
        double t = j * dt;
        s[j] = (float)(sin(2 * pi * 1e9 * t) + 3 * sin(2 * pi * 1e8 * t + 0.3) +
                       2 * sin(2 * pi * 3e9 * t + 1.1));
        m[j] = 1;
    }
    m[7] = 0; /* a missing sample stays zero */
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {1, N, 1}}, {MS_ARRAY_MASK, {1, N, 1}}};
    const float *in[2] = {s, m};
    float *o[1] = {out};
    const ms_stage_decl *d = ms_stage_find("bandpass");
    assert_non_null(d);
    for (int envelope = 0; envelope < 2; envelope++) {
        ms_stage_ctx ctx = {.decl = d, .env = &env};
        ms_stage_defaults(d, &ctx.params);
        /* the recording gives no centre frequency: the default corners
         * (fractions of it) are refused, clearly */
        ctx.in[0] = sh[0];
        ctx.in[1] = sh[1];
        assert_int_not_equal(d->shape(&ctx), 0);
        assert_non_null(strstr(ms_error_message(), "centre frequency"));
        assert_int_equal(ms_param_set_named(d, &ctx.params, "low_mhz", 500), 0);
        assert_int_equal(ms_param_set_named(d, &ctx.params, "high_mhz", 1500), 0);
        assert_int_equal(ms_param_set_named(d, &ctx.params, "envelope", envelope), 0);
        assert_int_equal(d->shape(&ctx), 0);
        assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
        assert_true(out[7] == 0.0f);
        for (int j = 100; j < N - 100; j++) {
            double want = envelope ? 1.0 : sin(2 * pi * 1e9 * j * dt);
            assert_float_equal(out[j], want, 0.05);
        }
    }
}

/* The C path filters two traces per transform where it can: a pair of
 * ordinary traces (4 and 5) comes out as each would alone, within
 * rounding; a trace beside a neighbour holding an infinity or 1e12 times
 * its size goes through alone, bit for bit as it would by itself (a shared
 * transform would hand it the NaN or the rounding), right after a pair
 * too (traces 6 and 7: each trace's size is taken afresh). */
static void bandpass_traces_do_not_mix(void **state)
{
    enum { N = 200, T = 8 };
    static float s[T * N], m[T * N], out[T * N], alone[N];
    test_rng r = {17};
    for (int i = 0; i < T * N; i++) {
        s[i] = (float)(2.0 * test_rng_uniform(&r) - 1.0);
        m[i] = 1.0f;
    }
    s[1 * N + 50] = INFINITY;           /* trace 1: not finite */
    for (int j = 0; j < N; j++) {
        s[3 * N + j] *= 1e12f;          /* traces 3 and 6: far larger */
        s[6 * N + j] *= 1e12f;
    }
    const char *const keys[] = {"low_mhz", "high_mhz"};
    const double values[] = {500, 1500};
    ms_shape all[2] = {{MS_ARRAY_TRACES, {T, N, 1}}, {MS_ARRAY_MASK, {T, N, 1}}};
    ms_shape one[2] = {{MS_ARRAY_TRACES, {1, N, 1}}, {MS_ARRAY_MASK, {1, N, 1}}};
    run_with("bandpass", &env, all, (const float *[]){s, m}, (float *[]){out},
             keys, values, 2);
    for (int t = 0; t < T; t++) {
        if (t == 1)
            continue;
        run_with("bandpass", &env, one, (const float *[]){s + t * N, m + t * N},
                 (float *[]){alone}, keys, values, 2);
        float top = 0.0f;
        for (int j = 0; j < N; j++)
            top = fmaxf(top, fabsf(alone[j]));
        for (int j = 0; j < N; j++) {
            if (t != 4 && t != 5)
                assert_true(out[t * N + j] == alone[j]);
            else
                assert_true(fabsf(out[t * N + j] - alone[j]) <= 1e-6f * top);
        }
    }
}

/* cfar's summed-area tables against the training ring summed cell by
 * cell (how the stage first did it, in double here), on random maps with
 * unswept holes, both noise models, windows cut by the map's edges. */
static void brute_cfar(const float *v, const float *hits, int nx, int ny,
                       int g, int w, int model, float scale, float fl,
                       float *out)
{
    for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++) {
            int i = y * nx + x;
            out[i] = 0.0f;
            if (!(hits[i] > 0.0f) || (!model && !(v[i] > 0.0f)))
                continue;
            double n = 0, s = 0, q = 0;
            for (int yy = y - w; yy <= y + w; yy++)
                for (int xx = x - w; xx <= x + w; xx++) {
                    if (yy < 0 || yy >= ny || xx < 0 || xx >= nx ||
                        (abs(yy - y) <= g && abs(xx - x) <= g) ||
                        !(hits[yy * nx + xx] > 0.0f))
                        continue;
                    double a = model ? v[yy * nx + xx]
                                     : fmax(v[yy * nx + xx], 0.0);
                    n += 1;
                    s += a;
                    q += a * a;
                }
            if (!model) {
                double m = n > 0 ? fmax(s / n, fl) : 0;
                out[i] = m > 0 ? (float)(scale * n * log1p(v[i] / (n * m))) : 0;
                continue;
            }
            double mu = n > 0 ? s / n : 0;
            double sd = n > 1 ? fmax(sqrt(fmax(q / n - mu * mu, 0)), fl) : 0;
            out[i] = sd > 0 ? (float)(scale * (v[i] - mu) / sd) : 0;
        }
}

static void cfar_matches_the_ring_summed_cell_by_cell(void **state)
{
    enum { NX = 61, NY = 23 };
    static float v[NX * NY], hits[NX * NY], got[NX * NY], want[NX * NY];
    test_rng r = {11};
    const ms_stage_decl *d = ms_stage_find("cfar");
    assert_non_null(d);
    for (int trial = 0; trial < 8; trial++) {
        int model = trial & 1;
        for (int i = 0; i < NX * NY; i++) {
            hits[i] = test_rng_uniform(&r) < 0.15 ? 0.0f : 1.0f;
            v[i] = hits[i] > 0 ? (float)(5.0 + 2.0 * test_rng_uniform(&r) -
                                         (model ? 0.0 : 5.5))
                               : 0.0f;
        }
        v[NY / 2 * NX + NX / 2] = 40.0f; /* a target, swept */
        hits[NY / 2 * NX + NX / 2] = 1.0f;
        ms_stage_ctx ctx = {.decl = d, .env = &env};
        ms_stage_defaults(d, &ctx.params);
        assert_int_equal(ms_param_set_named(d, &ctx.params, "model", model), 0);
        assert_int_equal(ms_param_set_named(d, &ctx.params, "guard_m",
                                            0.02 * (trial / 2)), 0);
        assert_int_equal(ms_param_set_named(d, &ctx.params, "train_m",
                                            0.06 + 0.04 * (trial / 2)), 0);
        /* no floor, so each cell is its own ring's statistic */
        assert_int_equal(ms_param_set_named(d, &ctx.params, "floor", 0.0), 0);
        ctx.in[0] = (ms_shape){MS_ARRAY_MAP, {NY, NX, 1}, 0.02};
        ctx.in[1] = ctx.in[0];
        assert_int_equal(d->shape(&ctx), 0);
        const float *in[2] = {v, hits};
        float *o[1] = {got};
        assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
        int g = trial / 2, w = 3 + 2 * (trial / 2);
        /* scale: the stage's value at the target over the brute force's
         * unscaled one is the same for every cell */
        brute_cfar(v, hits, NX, NY, g, w, model, 1.0f, 0.0f, want);
        double k = 0;
        int at = NY / 2 * NX + NX / 2;
        assert_true(want[at] > 0);
        k = got[at] / want[at];
        double worst = 0, top = 0;
        for (int i = 0; i < NX * NY; i++) {
            worst = fmax(worst, fabs(got[i] - k * want[i]));
            top = fmax(top, fabs(k * want[i]));
        }
        if (worst > 1e-5 * top)
            fail_msg("cfar model %d, guard %d, ring %d: %g off (of %g)",
                     model, g, w, worst, top);
    }
}

/* depth_cfar is cfar on each plane of its depth window, combined: against
 * cfar run plane by plane (both noise models, with and without a floor,
 * the strongest bin and the mean). The planes outside the window carry a
 * target of their own, so a window one plane off fails. */
static void depth_cfar_is_cfar_per_plane(void **state)
{
    enum { NX = 37, NY = 19, NZ = 7 };
    static float vol[NZ * NX * NY], hits[NX * NY], got[NX * NY],
        plane[NX * NY], want[NX * NY];
    test_rng r = {29};
    /* 0.5 ns planes from time zero; 0.025..0.125 m at 0.1 m/ns is
     * 0.5..2.5 ns: the planes centred at 0.75..2.25 ns, z = 1..4 */
    const ms_env e = {.dt_s = 1e-10, .time_zero_s = 0};
    for (int i = 0; i < NX * NY; i++)
        hits[i] = test_rng_uniform(&r) < 0.1 ? 0.0f : 1.0f;
    for (int z = 0; z < NZ; z++)
        for (int i = 0; i < NX * NY; i++)
            vol[z * NX * NY + i] =
                hits[i] > 0 ? (float)(3.0 + 2.0 * test_rng_uniform(&r)) : 0.0f;
    vol[0 * NX * NY + 5 * NX + 5] = 90.0f;  /* outside the window */
    vol[5 * NX * NY + 12 * NX + 30] = 90.0f; /* outside the window */
    vol[3 * NX * NY + 9 * NX + 18] = 30.0f;  /* inside */
    hits[5 * NX + 5] = hits[12 * NX + 30] = hits[9 * NX + 18] = 1.0f;
    for (int trial = 0; trial < 8; trial++) {
        int model = trial & 1, mode = (trial >> 1) & 1;
        double fl = trial >= 4 ? 0.2 : 0.0;
        ms_shape sh[2] = {{MS_ARRAY_VOLUME, {NZ, NY, NX}, 0.02, 0.5e-9},
                          {MS_ARRAY_MAP, {NY, NX, 1}, 0.02}};
        const float *in[2] = {vol, hits};
        float *o[1] = {got};
        static const char *const keys[] = {
            "guard_m", "train_m", "velocity_m_per_ns", "surface_ns",
            "depth_start_m", "depth_end_m", "model", "floor", "combine"};
        const double values[] = {0.04, 0.12, 0.1, 0, 0.025, 0.125,
                                 model, fl, mode};
        run_with("depth_cfar", &e, sh, in, o, keys, values, 9);
        static const char *const ckeys[] = {"guard_m", "train_m", "model",
                                            "floor"};
        const double cvalues[] = {0.04, 0.12, model, fl};
        for (int z = 1; z <= 4; z++) {
            ms_shape csh[2] = {{MS_ARRAY_MAP, {NY, NX, 1}, 0.02},
                               {MS_ARRAY_MAP, {NY, NX, 1}, 0.02}};
            const float *cin[2] = {vol + z * NX * NY, hits};
            float *co[1] = {plane};
            run_with("cfar", &e, csh, cin, co, ckeys, cvalues, 4);
            for (int i = 0; i < NX * NY; i++)
                want[i] = z == 1 ? (mode ? plane[i] / 4 : plane[i])
                                 : mode ? want[i] + plane[i] / 4
                                        : fmaxf(want[i], plane[i]);
        }
        double worst = 0, top = 0;
        for (int i = 0; i < NX * NY; i++) {
            worst = fmax(worst, fabs(got[i] - want[i]));
            top = fmax(top, fabs(want[i]));
        }
        if (worst > 1e-5 * top)
            fail_msg("depth_cfar model %d, combine %d, floor %g: %g off (of "
                     "%g)", model, mode, fl, worst, top);
        /* the targets outside the window are not seen */
        assert_true(got[5 * NX + 5] < 0.5f * got[9 * NX + 18]);
        assert_true(got[12 * NX + 30] < 0.5f * got[9 * NX + 18]);
    }
}

/* Model 1's noise floor is a robust spread of the map (1.4826 median
 * absolute deviations), not its standard deviation: one very strong
 * target (a metal anti-tank mine's echo, 1e4 times the noise) must not
 * raise the floor over every other cell and crush a moderate target's
 * score, as the standard deviation it dominates did; and the floor still
 * keeps a ripple in a quiet patch (noise 100 times weaker) from scoring as
 * high as that target. On both paths. */
static void cfar_floor_is_not_raised_by_one_strong_target(void **state)
{
    enum { NX = 60, NY = 40, B = 30 * NX + 45, RIPPLE = 3 * NX + 10 };
    static float v[NX * NY], hits[NX * NY], with[NX * NY], without[NX * NY],
        cl_with[NX * NY];
    test_rng r = {17};
    for (int i = 0; i < NX * NY; i++) {
        hits[i] = 1.0f;
        double u = test_rng_uniform(&r) + test_rng_uniform(&r) +
                   test_rng_uniform(&r) - 1.5; /* sd 0.5 */
        /* rows 0-14: a quiet patch, its noise 100 times weaker */
        v[i] = (float)(5.0 + (i < 15 * NX ? 0.01 : 2.0) * u);
    }
    v[20 * NX + 8] = 1e4f; /* the strong target */
    v[B] += 8.0f;          /* the moderate one, 8 noise sd */
    v[RIPPLE] += 0.1f;     /* a ripple in the quiet patch: 10 of its sd */
    const ms_env e = {.dt_s = 1e-10};
    ms_shape sh[2] = {{MS_ARRAY_MAP, {NY, NX, 1}, 0.02},
                      {MS_ARRAY_MAP, {NY, NX, 1}, 0.02}};
    const float *in[2] = {v, hits};
    static const char *const keys[] = {"guard_m", "train_m", "model", "floor"};
    const double on[] = {0.04, 0.12, 1, 0.5}, off[] = {0.04, 0.12, 1, 0.0};
    run_with("cfar", &e, sh, in, (float *[]){with}, keys, on, 4);
    run_with("cfar", &e, sh, in, (float *[]){without}, keys, off, 4);
    printf("# moderate target: %.3g with the floor, %.3g without; ripple in "
           "the quiet patch %.3g with, %.3g without\n", with[B], without[B],
           with[RIPPLE], without[RIPPLE]);
    assert_true(with[B] >= 0.95f * without[B]);
    assert_true(with[RIPPLE] < 0.5f * with[B]);
    assert_true(without[RIPPLE] > with[B]);
    /* the OpenCL path takes the same floor */
    ms_cl *cl = test_cl_open();
    assert_non_null(cl);
    const ms_stage_decl *d = ms_stage_find("cfar");
    ms_stage_ctx ctx = {.decl = d, .env = &e};
    ms_stage_defaults(d, &ctx.params);
    for (int k = 0; k < 4; k++)
        assert_int_equal(ms_param_set_named(d, &ctx.params, keys[k], on[k]), 0);
    ctx.in[0] = sh[0];
    ctx.in[1] = sh[1];
    assert_int_equal(d->shape(&ctx), 0);
    assert_int_equal(
        ms_stage_exec_opencl(cl, &ctx, in, (float *[]){cl_with}), 0);
    ms_cl_destroy(cl);
    for (int i = 0; i < NX * NY; i++)
        assert_true(fabsf(cl_with[i] - with[i]) <= 1e-4f * fabsf(with[B]));

    /* Most of a map one value (clipping, padding): its median absolute
     * deviation is 0, and the floor falls back to the mean absolute
     * deviation rather than vanishing. Two ripples of 0.01 in the flat
     * part, each in the other's ring: without a floor each scores far
     * above the threshold (its ring's spread is the other ripple's). */
    for (int i = 0; i < NX * NY; i++) {
        double u = test_rng_uniform(&r) + test_rng_uniform(&r) +
                   test_rng_uniform(&r) - 1.5;
        v[i] = i < 25 * NX ? 5.0f : (float)(5.0 + 2.0 * u);
    }
    v[10 * NX + 20] += 0.01f;
    v[10 * NX + 25] += 0.01f;
    run_with("cfar", &e, sh, in, (float *[]){with}, keys, on, 4);
    run_with("cfar", &e, sh, in, (float *[]){without}, keys, off, 4);
    printf("# flat map: a ripple scores %.3g with the floor, %.3g without\n",
           with[10 * NX + 20], without[10 * NX + 20]);
    assert_true(without[10 * NX + 20] > 10.0f);
    assert_true(with[10 * NX + 20] < 0.5f);
}

/* Why the default scores each depth bin on its own: a shallow residue of
 * the ground bounce (strong, varying across the map, in the first two
 * bins) and a weak echo two bins deeper. Summed over the window and
 * scored once, the echo is lost in the residue; scored per bin and the
 * bins' scores averaged, it is the map's strongest cell. */
static void depth_cfar_finds_an_echo_under_a_shallow_residue(void **state)
{
    enum { NX = 48, NY = 40, NZ = 8, TX = 30, TY = 17 };
    static float vol[NZ * NX * NY], hits[NX * NY], sum[NX * NY],
        per_bin[NX * NY], once[NX * NY];
    test_rng r = {5};
    const ms_env e = {.dt_s = 1e-10, .time_zero_s = 0};
    for (int i = 0; i < NX * NY; i++) {
        hits[i] = 1.0f;
        sum[i] = 0.0f;
    }
    double p1 = 6.28 * test_rng_uniform(&r), p2 = 6.28 * test_rng_uniform(&r);
    for (int z = 0; z < NZ; z++)
        for (int y = 0; y < NY; y++)
            for (int x = 0; x < NX; x++) {
                /* unit noise power everywhere; the residue in bins 0-1 */
                double v = 1.0 + 0.6 * (test_rng_uniform(&r) + test_rng_uniform(&r) +
                                        test_rng_uniform(&r) - 1.5);
                if (z < 2)
                    v += 12.0 * (1.0 + sin(0.9 * x + p1) * cos(0.7 * y + p2)) +
                         6.0 * test_rng_uniform(&r);
                if (z >= 4 && z <= 5 && x == TX && y == TY)
                    v += 3.0;
                vol[(z * NY + y) * NX + x] = (float)v;
                sum[y * NX + x] += (float)v / NZ;
            }
    ms_shape sh[2] = {{MS_ARRAY_VOLUME, {NZ, NY, NX}, 0.02, 0.5e-9},
                      {MS_ARRAY_MAP, {NY, NX, 1}, 0.02}};
    const float *in[2] = {vol, hits};
    float *o[1] = {per_bin};
    /* the 8 planes: 0..0.2 m at 0.1 m/ns from a surface at time zero */
    static const char *const keys[] = {
        "guard_m", "train_m", "velocity_m_per_ns", "surface_ns",
        "depth_start_m", "depth_end_m", "model", "floor", "combine"};
    static const double values[] = {0.06, 0.2, 0.1, 0, 0, 0.2, 1, 0.1, 1};
    run_with("depth_cfar", &e, sh, in, o, keys, values, 9);
    ms_shape csh[2] = {{MS_ARRAY_MAP, {NY, NX, 1}, 0.02},
                       {MS_ARRAY_MAP, {NY, NX, 1}, 0.02}};
    const float *cin[2] = {sum, hits};
    float *co[1] = {once};
    static const char *const ckeys[] = {"guard_m", "train_m", "model",
                                        "floor"};
    static const double cvalues[] = {0.06, 0.2, 1, 0.1};
    run_with("cfar", &e, csh, cin, co, ckeys, cvalues, 4);
    int best_bin = 0, best_once = 0;
    for (int i = 1; i < NX * NY; i++) {
        if (per_bin[i] > per_bin[best_bin])
            best_bin = i;
        if (once[i] > once[best_once])
            best_once = i;
    }
    int at = TY * NX + TX;
    assert_int_equal(best_bin, at);
    /* scored once, a hundred cells of residue stand above the echo */
    int above = 0;
    for (int i = 0; i < NX * NY; i++)
        above += once[i] > once[at];
    if (above < 100)
        fail_msg("the window's sum puts only %d cells above the echo", above);
}

static void window_energy_averages_present_samples(void **state)
{
    /* dt = 0.1 ns; window 0.2..0.5 ns = samples [2, 5) */
    float s[8] = {9, 9, 1, 2, 3, 9, 9, 9}, m[8] = {1, 1, 1, 0, 1, 1, 1, 1};
    float out[1], present[1];
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {1, 8, 1}}, {MS_ARRAY_MASK, {1, 8, 1}}};
    const ms_stage_decl *d = ms_stage_find("window_energy");
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    ms_param_set_named(d, &ctx.params, "t_start_ns", 0.2);
    ms_param_set_named(d, &ctx.params, "t_end_ns", 0.5);
    ctx.in[0] = sh[0];
    ctx.in[1] = sh[1];
    assert_int_equal(d->shape(&ctx), 0);
    assert_int_equal(ctx.out[0].dims[0], 1);
    const float *in[2] = {s, m};
    float *o[2] = {out, present};
    s[3] = 0; /* the reader zeroes missing samples */
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    assert_float_equal(out[0], (1.0f + 9.0f) / 2.0f, 1e-6);
    assert_float_equal(present[0], 1.0f, 0);
    /* nothing present in the window: no value, and marked missing */
    m[2] = m[4] = 0;
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    assert_float_equal(out[0], 0.0f, 0);
    assert_float_equal(present[0], 0.0f, 0);
}

static void grid_averages_and_counts_hits(void **state)
{
    /* Lane 0.1 x 0.04 m, cells of 0.02 m: 5 x 2. Three points at the
     * centre of cell (1, 0), one of them missing; one far away. */
    float v[4] = {2, 4, 0, 100}, m[4] = {1, 1, 0, 1};
    float xy[8] = {0.03f, 0.01f, 0.03f, 0.01f, 0.03f, 0.01f, 0.09f, 0.03f};
    float map[10], hits[10];
    ms_shape sh[3] = {{MS_ARRAY_SERIES, {4, 1, 1}},
                      {MS_ARRAY_MASK, {4, 1, 1}},
                      {MS_ARRAY_POINTS, {4, 2, 1}}};
    const float *in[3] = {v, m, xy};
    float *o[2] = {map, hits};
    run("grid", sh, in, o, "radius_m", 0.015);
    assert_float_equal(map[1], 3.0f, 1e-6);  /* (2 + 4) / 2: the gap is no 0 */
    assert_float_equal(hits[1], 2.0f, 0.0);  /* nor a hit */
    assert_float_equal(hits[0], 0.0f, 0.0);  /* 0.02 m away: outside */
    assert_float_equal(map[0], 0.0f, 0.0);   /* no hit: 0 */
    assert_float_equal(map[9], 100.0f, 1e-4); /* cell (4, 1) centre 0.09, 0.03 */
}

/* The binned gridding against a brute-force sum over every point, written
 * here independently, with points off the lane and radii of one to five
 * cells: a point missed by the binning would show. */
static void grid_matches_brute_force(void **state)
{
    const ms_env lane = {.dt_s = 1e-10, .lane_x_min = 0, .lane_x_max = 1.0,
                         .lane_y_min = 0, .lane_y_max = 0.5};
    const double cases[][2] = {{0.02, 0.03}, {0.05, 0.11}, {0.1, 0.1},
                               {0.013, 0.07}};
    test_rng r = {7};
    enum { N = 600 };
    float v[N], m[N], xy[2 * N];
    for (int k = 0; k < N; k++) {
        v[k] = (float)test_rng_uniform(&r);
        m[k] = test_rng_uniform(&r) < 0.1 ? 0.0f : 1.0f;
        xy[2 * k] = (float)(-0.2 + 1.4 * test_rng_uniform(&r));
        xy[2 * k + 1] = (float)(-0.2 + 0.9 * test_rng_uniform(&r));
    }
    const ms_stage_decl *d = ms_stage_find("grid");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ms_stage_ctx ctx = {.decl = d, .env = &lane};
        ms_stage_defaults(d, &ctx.params);
        ms_param_set_named(d, &ctx.params, "cell_m", cases[c][0]);
        ms_param_set_named(d, &ctx.params, "radius_m", cases[c][1]);
        ctx.in[0] = (ms_shape){MS_ARRAY_SERIES, {N, 1, 1}};
        ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {N, 1, 1}};
        ctx.in[2] = (ms_shape){MS_ARRAY_POINTS, {N, 2, 1}};
        assert_int_equal(d->shape(&ctx), 0);
        size_t ny = ctx.out[0].dims[0], nx = ctx.out[0].dims[1];
        float *map = malloc(nx * ny * sizeof *map);
        float *hits = malloc(nx * ny * sizeof *hits);
        const float *in[3] = {v, m, xy};
        float *o[2] = {map, hits};
        assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
        double cell = cases[c][0], rad = cases[c][1];
        for (size_t iy = 0; iy < ny; iy++)
            for (size_t ix = 0; ix < nx; ix++) {
                double cx = (ix + 0.5) * cell, cy = (iy + 0.5) * cell;
                double sum = 0, wsum = 0;
                int count = 0;
                for (int k = 0; k < N; k++) {
                    double r2 = pow(xy[2 * k] - cx, 2) + pow(xy[2 * k + 1] - cy, 2);
                    if (m[k] > 0 && r2 <= rad * rad) {
                        double w = exp(-r2 * 2.0 / (rad * rad));
                        sum += w * v[k];
                        wsum += w;
                        count++;
                    }
                }
                assert_float_equal(hits[iy * nx + ix], (float)count, 0);
                assert_float_equal(map[iy * nx + ix],
                                   wsum > 0 ? sum / wsum : 0.0, 1e-5);
            }
        free(map);
        free(hits);
    }
}

/* Three traces at one spot and one 1 cm away stack together within
 * 1.5 cm; one 4 cm away stays itself; a missing sample weighs nothing,
 * whatever it holds, and a sample missing from every neighbour stays
 * missing; a trace whose position is not finite is itself alone, even
 * beside another such trace. */
static void trace_stack_averages_neighbours(void **state)
{
    enum { N = 7, S = 3 };
    float s[N * S] = {1, 2, 3,   3, 4, NAN, 5, 0, 7,   9, 9, 9,
                      20, 20, 20, 7, 7, 7,  11, 11, 11};
    float m[N * S] = {1, 1, 0,   1, 1, 0,   1, 0, 0,   1, 1, 1,
                      1, 1, 1,   1, 1, 1,   1, 1, 1};
    float xy[2 * N] = {0.03f, 0.01f, 0.03f, 0.01f, 0.03f, 0.01f,
                       0.04f, 0.01f, 0.08f, 0.01f, NAN,   0.01f,
                       INFINITY, 0.01f};
    float out[N * S], valid[N * S];
    ms_shape sh[3] = {{MS_ARRAY_TRACES, {N, S, 1}},
                      {MS_ARRAY_MASK, {N, S, 1}},
                      {MS_ARRAY_POINTS, {N, 2, 1}}};
    const float *in[3] = {s, m, xy};
    float *o[2] = {out, valid};
    run("trace_stack", sh, in, o, "radius_m", 0.015);
    /* traces 0-2: each has traces 0-3 as neighbours */
    for (int i = 0; i < 3; i++) {
        assert_float_equal(out[i * S + 0], (1 + 3 + 5 + 9) / 4.0f, 1e-6);
        assert_float_equal(out[i * S + 1], (2 + 4 + 9) / 3.0f, 1e-6);
        assert_float_equal(out[i * S + 2], 9.0f, 1e-6);
        for (int k = 0; k < S; k++)
            assert_float_equal(valid[i * S + k], 1.0f, 0);
    }
    /* trace 3 (1 cm from the spot) takes the same four */
    assert_float_equal(out[3 * S + 0], (1 + 3 + 5 + 9) / 4.0f, 1e-6);
    /* trace 4, 4 cm from trace 3: alone */
    for (int k = 0; k < S; k++)
        assert_float_equal(out[4 * S + k], 20.0f, 0);
    /* traces 5 and 6 have no position: each itself */
    for (int k = 0; k < S; k++) {
        assert_float_equal(out[5 * S + k], 7.0f, 0);
        assert_float_equal(out[6 * S + k], 11.0f, 0);
    }
    /* a sample missing from every trace it stacks with stays missing */
    m[3 * S + 2] = 0;
    run("trace_stack", sh, in, o, "radius_m", 0.015);
    assert_float_equal(out[2], 0.0f, 0);
    assert_float_equal(valid[2], 0.0f, 0);
    assert_float_equal(valid[4 * S + 2], 1.0f, 0);
}

/* Every trace of xy (n) stacked at `radius` on `lane`, against brute
 * force in double: the neighbours are exactly the traces within the
 * radius. With `noise`, the ratio of the stack's power to the input's over
 * present samples and the mean of 1 / (samples averaged) go there. */
static void stack_against_brute_force(const ms_env *lane, const float *v,
                                      const float *m, const float *xy, int n,
                                      int ns, double radius, double noise[2])
{
    const ms_stage_decl *d = ms_stage_find("trace_stack");
    float *out = malloc((size_t)n * ns * sizeof *out);
    float *ok = malloc((size_t)n * ns * sizeof *ok);
    ms_stage_ctx ctx = {.decl = d, .env = lane};
    ms_stage_defaults(d, &ctx.params);
    ms_param_set_named(d, &ctx.params, "radius_m", radius);
    ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {(size_t)n, (size_t)ns, 1}};
    ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {(size_t)n, (size_t)ns, 1}};
    ctx.in[2] = (ms_shape){MS_ARRAY_POINTS, {(size_t)n, 2, 1}};
    assert_int_equal(d->shape(&ctx), 0);
    const float *in[3] = {v, m, xy};
    float *o[2] = {out, ok};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    double pin = 0, pout = 0, inv = 0;
    long terms = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < ns; j++) {
            double sum = 0;
            int count = 0;
            for (int k = 0; k < n; k++) {
                double r2 = pow(xy[2 * k] - xy[2 * i], 2) +
                            pow(xy[2 * k + 1] - xy[2 * i + 1], 2);
                if (r2 <= radius * radius && m[k * ns + j] > 0) {
                    sum += v[k * ns + j];
                    count++;
                }
            }
            assert_float_equal(ok[i * ns + j], count > 0 ? 1.0f : 0.0f, 0);
            assert_float_equal(out[i * ns + j], count ? sum / count : 0.0,
                               1e-6);
            if (m[i * ns + j] > 0) {
                pin += pow(v[i * ns + j], 2);
                pout += pow(out[i * ns + j], 2);
                inv += 1.0 / count;
                terms++;
            }
        }
    if (noise) {
        noise[0] = pout / pin;
        noise[1] = inv / (double)terms;
    }
    free(out);
    free(ok);
}

/* On random positions over and beyond a lane the neighbours are exactly
 * the traces within the radius, for radii of 4 mm to 0.2 m, and on a lane
 * so large that the bins are coarser than the radius; and stacking under
 * independent noise cuts its power by the mean of 1 / (traces averaged). */
static void trace_stack_matches_brute_force(void **state)
{
    const ms_env lane = {.dt_s = 1e-10, .lane_x_min = 0, .lane_x_max = 1.0,
                         .lane_y_min = 0, .lane_y_max = 0.5};
    const ms_env huge = {.dt_s = 1e-10, .lane_x_min = 0, .lane_x_max = 100.0,
                         .lane_y_min = 0, .lane_y_max = 50.0};
    const double radii[] = {0.004, 0.03, 0.07, 0.2};
    test_rng r = {11};
    enum { N = 500, S = 8 };
    float *v = malloc(N * S * sizeof *v), *m = malloc(N * S * sizeof *m);
    float xy[2 * N], patch[2 * N];
    for (int k = 0; k < N; k++) {
        xy[2 * k] = (float)(-0.1 + 1.2 * test_rng_uniform(&r));
        xy[2 * k + 1] = (float)(-0.1 + 0.7 * test_rng_uniform(&r));
        /* a 0.2 m patch at a corner of the huge lane and past it */
        patch[2 * k] = (float)(99.9 + 0.2 * test_rng_uniform(&r));
        patch[2 * k + 1] = (float)(-0.1 + 0.2 * test_rng_uniform(&r));
        for (int j = 0; j < S; j++) {
            v[k * S + j] = (float)(test_rng_uniform(&r) - 0.5);
            m[k * S + j] = test_rng_uniform(&r) < 0.1 ? 0.0f : 1.0f;
        }
    }
    double noise[2];
    for (size_t c = 0; c < sizeof radii / sizeof radii[0]; c++)
        stack_against_brute_force(&lane, v, m, xy, N, S, radii[c],
                                  c == 2 ? noise : NULL);
    /* at 7 cm a trace averages about 8 others: the noise's power falls
     * to the mean of 1 / count */
    print_message("# trace_stack noise power %.4f of the input's, mean 1/count "
                  "%.4f\n", noise[0], noise[1]);
    assert_true(noise[1] < 0.25);
    assert_float_equal(noise[0], noise[1], 0.1 * noise[1]);
    /* 4 mm on 100 x 50 m: the bins are 6.4 cm, not 4 mm */
    stack_against_brute_force(&huge, v, m, patch, N, S, 0.004, NULL);
    stack_against_brute_force(&huge, v, m, patch, N, S, 0.01, NULL);
    free(v);
    free(m);
}

static void zscore_standardises_over_swept_cells(void **state)
{
    /* Cell 4 was never swept: it holds 0 and must not pull the scale. */
    float v[5] = {1, 2, 3, 4, 0}, hits[5] = {1, 3, 1, 2, 0}, out[5];
    ms_shape sh[2] = {{MS_ARRAY_MAP, {1, 5, 1}}, {MS_ARRAY_MAP, {1, 5, 1}}};
    const float *in[2] = {v, hits};
    float *o[1] = {out};
    run("zscore", sh, in, o, NULL, 0);
    float sd = sqrtf(1.25f);
    assert_float_equal(out[0], -1.5f / sd, 1e-6);
    assert_float_equal(out[3], 1.5f / sd, 1e-6);
    assert_float_equal(out[4], 0.0f, 0.0);
    float flat[5] = {7, 7, 7, 7, 7};
    in[0] = flat;
    run("zscore", sh, in, o, NULL, 0);
    assert_float_equal(out[2], 0.0f, 0.0);
    /* energies of large amplitudes: squaring them must not overflow */
    float big[5] = {1e30f, 2e30f, 3e30f, 4e30f, 0};
    float small[5] = {1e-30f, 2e-30f, 3e-30f, 4e-30f, 0};
    in[0] = big;
    run("zscore", sh, in, o, NULL, 0);
    assert_float_equal(out[0], -1.5f / sd, 1e-5);
    assert_float_equal(out[3], 1.5f / sd, 1e-5);
    in[0] = small;
    run("zscore", sh, in, o, NULL, 0);
    assert_float_equal(out[3], 1.5f / sd, 1e-5);
}

static void fuse_adds_positive_parts(void **state)
{
    float g[2] = {2, -1}, e[2] = {-3, 4}, out[2];
    ms_shape sh[2] = {{MS_ARRAY_MAP, {1, 2, 1}}, {MS_ARRAY_MAP, {1, 2, 1}}};
    const float *in[2] = {g, e};
    float *o[1] = {out};
    run("fuse", sh, in, o, "w_emi", 0.5);
    assert_float_equal(out[0], 2.0f, 1e-6);
    assert_float_equal(out[1], 2.0f, 1e-6);
}

static void emi_detrend_removes_drift_keeps_spike(void **state)
{
    /* A linear drift is removed exactly away from the ends; a spike stands. */
    enum { N = 21 };
    float s[N], m[N], out[N];
    for (int i = 0; i < N; i++) {
        s[i] = 0.5f * (float)i;
        m[i] = 1;
    }
    ms_shape sh[2] = {{MS_ARRAY_SERIES, {N, 1, 1}}, {MS_ARRAY_MASK, {N, 1, 1}}};
    const float *in[2] = {s, m};
    float *o[1] = {out};
    run("emi_detrend", sh, in, o, "window_readings", 5);
    for (int i = 2; i < N - 2; i++)
        assert_float_equal(out[i], 0.0f, 1e-5);
    s[10] += 10.0f;
    run("emi_detrend", sh, in, o, "window_readings", 5);
    assert_float_equal(out[10], 10.0f - 2.0f, 1e-5);
}

/* ---- dipole_filter: the centred matched filter ---------------------- */

#define DIP_NX 70 /* wider than the 27-cell window: edge and inner cells */
#define DIP_NY 40
#define DIP_CELL 0.02

/* The stage by its definition, in double: each cell's window clipped to
 * the map, the kernel centred over its swept cells. */
static void dipole_by_definition(const float *v, const float *hits, int nx,
                                 int ny, int w, double s, double *out)
{
    for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++) {
            double n = 0, sk = 0, skk = 0, scc = 0, scv = 0;
            out[y * nx + x] = 0.0;
            if (!(hits[y * nx + x] > 0.0f))
                continue;
            for (int pass = 0; pass < 2; pass++)
                for (int yy = y - w; yy <= y + w; yy++)
                    for (int xx = x - w; xx <= x + w; xx++) {
                        if (yy < 0 || yy >= ny || xx < 0 || xx >= nx ||
                            !(hits[yy * nx + xx] > 0.0f))
                            continue;
                        double d2 = (xx - x) * (xx - x) + (yy - y) * (yy - y);
                        double k = pow(s / (d2 + s), 3);
                        if (pass == 0) {
                            n += 1;
                            sk += k;
                            continue;
                        }
                        double c = k - sk / n;
                        skk += k * k;
                        scc += c * c;
                        scv += c * v[yy * nx + xx];
                    }
            out[y * nx + x] = scc > 1e-2 * skk ? scv / sqrt(scc) : 0.0;
        }
}

static void run_dipole_sized(const float *v, const float *hits, int nx,
                             int ny, float *out)
{
    ms_shape sh[2] = {{MS_ARRAY_MAP, {ny, nx, 1}, .cell_m = DIP_CELL},
                      {MS_ARRAY_MAP, {ny, nx, 1}, .cell_m = DIP_CELL}};
    const float *in[2] = {v, hits};
    float *o[1] = {out};
    run("dipole_filter", sh, in, o, NULL, 0);
}

static void run_dipole(const float *v, const float *hits, float *out)
{
    run_dipole_sized(v, hits, DIP_NX, DIP_NY, out);
}

/* The defaults: height 0.12 m, coil radius 0.1 m, window 0.25 m. */
static const double dip_s = (0.12 * 0.12 + 0.1 * 0.1) / (DIP_CELL * DIP_CELL);
enum { DIP_W = 13 };

/* A dipole of amplitude A on a flat background b, every cell swept: the
 * background cancels, the dipole's cell scores A sqrt(sum (k - kbar)^2)
 * and is the highest; with a hole in the window (unswept cells, which
 * hold a NaN) the flat background still cancels. */
static void dipole_filter_scores_a_dipole_on_a_flat_background(void **state)
{
    static float v[DIP_NY * DIP_NX], hits[DIP_NY * DIP_NX], out[DIP_NY * DIP_NX];
    const int cx = 35, cy = 20;
    const double A = 2.0, b = 5.0;
    for (int y = 0; y < DIP_NY; y++)
        for (int x = 0; x < DIP_NX; x++) {
            double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            v[y * DIP_NX + x] = (float)(b + A * pow(dip_s / (d2 + dip_s), 3));
            hits[y * DIP_NX + x] = 1.0f;
        }
    run_dipole(v, hits, out);
    double sk = 0, scc = 0;
    for (int dy = -DIP_W; dy <= DIP_W; dy++)
        for (int dx = -DIP_W; dx <= DIP_W; dx++)
            sk += pow(dip_s / (dx * dx + dy * dy + dip_s), 3);
    double kbar = sk / ((2 * DIP_W + 1) * (2 * DIP_W + 1));
    for (int dy = -DIP_W; dy <= DIP_W; dy++)
        for (int dx = -DIP_W; dx <= DIP_W; dx++) {
            double c = pow(dip_s / (dx * dx + dy * dy + dip_s), 3) - kbar;
            scc += c * c;
        }
    double peak = A * sqrt(scc);
    assert_true(fabs(out[cy * DIP_NX + cx] - peak) < 1e-4 * peak);
    for (int i = 0; i < DIP_NY * DIP_NX; i++)
        if (i != cy * DIP_NX + cx)
            assert_true(out[i] < out[cy * DIP_NX + cx]);

    /* flat, with unswept cells holding NaN: 0 everywhere, within float
     * rounding of the background's sum */
    for (int i = 0; i < DIP_NY * DIP_NX; i++) {
        v[i] = (float)b;
        hits[i] = (i % 7 == 3) ? 0.0f : 1.0f;
        if (hits[i] == 0.0f)
            v[i] = NAN;
    }
    run_dipole(v, hits, out);
    for (int i = 0; i < DIP_NY * DIP_NX; i++) {
        assert_false(isnan(out[i]));
        assert_true(fabs(out[i]) < 1e-3 * peak);
        if (hits[i] == 0.0f)
            assert_true(out[i] == 0.0f);
    }
}

/* A random map with a fifth of its cells unswept, against the definition
 * in double: the cells near the map's edges (windows clipped) and those
 * inside (run across the row) alike; and a map wider than the C path's
 * block of cells run at once (1024), so that blocks are joined too. */
static void dipole_matches_at(int nx, int ny, unsigned seed)
{
    size_t n = (size_t)nx * (size_t)ny;
    float *v = malloc(n * sizeof *v), *hits = malloc(n * sizeof *hits);
    float *out = malloc(n * sizeof *out);
    double *want = malloc(n * sizeof *want);
    test_rng r = {seed};
    for (size_t i = 0; i < n; i++) {
        v[i] = (float)(2.0 * test_rng_uniform(&r) - 1.0);
        hits[i] = test_rng_uniform(&r) < 0.2 ? 0.0f : 3.0f;
    }
    run_dipole_sized(v, hits, nx, ny, out);
    dipole_by_definition(v, hits, nx, ny, DIP_W, dip_s, want);
    double top = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        top = fmax(top, fabs(want[i]));
        worst = fmax(worst, fabs(out[i] - want[i]));
    }
    printf("# %d x %d: %.3g of %.3g\n", nx, ny, worst, top);
    assert_true(top > 0.1);
    assert_true(worst <= 1e-5 * top);
    free(v);
    free(hits);
    free(out);
    free(want);
}

static void dipole_filter_matches_its_definition(void **state)
{
    dipole_matches_at(DIP_NX, DIP_NY, 7);
    dipole_matches_at(2100, 3, 8);
}

/* ---- emi_tau: synthetic dipoles of known decay time ------------------ */

#define TAU_NX 60
#define TAU_NY 20
#define TAU_CELL 0.02

/* Gate volume [ng][TAU_NY][TAU_NX] of dipoles (the simulator's law: m
 * a^6 / (r^2 + a^2)^3 exp(-(t - t0) / tau), coil radius 0.1 m, 0.1 m
 * below the coil) at cell centres (ix[k], TAU_NY / 2) with Gaussian noise
 * of rms `noise` (Box-Muller on the test generator). */
static void dipole_volume(float *vol, float *hits, int ng, const double *t_us,
                          const int *ix, const double *m, const double *tau_us,
                          int n, double noise, test_rng *r)
{
    const double a2 = 0.01, dz2 = 0.01;
    for (int c = 0; c < ng; c++)
        for (int y = 0; y < TAU_NY; y++)
            for (int x = 0; x < TAU_NX; x++) {
                double v = 0.0;
                for (int k = 0; k < n; k++) {
                    double dx = (x - ix[k]) * TAU_CELL;
                    double dy = (y - TAU_NY / 2) * TAU_CELL;
                    double q = a2 / (dx * dx + dy * dy + dz2 + a2);
                    v += m[k] * q * q * q * exp(-(t_us[c] - t_us[0]) / tau_us[k]);
                }
                double u1 = test_rng_uniform(r), u2 = test_rng_uniform(r);
                v += noise * sqrt(-2.0 * log(u1 + 1e-300)) * cos(6.283185307179586 * u2);
                vol[((size_t)c * TAU_NY + y) * TAU_NX + x] = (float)v;
                hits[y * TAU_NX + x] = 3.0f;
            }
}

static void run_tau(const ms_env *e, int ng, const float *vol,
                    const float *hits, float *tau, float *ratio, float *score,
                    const char *key, double value)
{
    const ms_stage_decl *d = ms_stage_find("emi_tau");
    assert_non_null(d);
    ms_stage_ctx ctx = {.decl = d, .env = e};
    ms_stage_defaults(d, &ctx.params);
    if (key)
        assert_int_equal(ms_param_set_named(d, &ctx.params, key, value), 0);
    ctx.in[0] = (ms_shape){MS_ARRAY_VOLUME, {(size_t)ng, TAU_NY, TAU_NX},
                           TAU_CELL};
    ctx.in[1] = (ms_shape){MS_ARRAY_MAP, {TAU_NY, TAU_NX, 1}, TAU_CELL};
    assert_int_equal(d->shape(&ctx), 0);
    const float *in[2] = {vol, hits};
    float *out[3] = {tau, ratio, score};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, out), 0);
}

/* Three dipoles of 20, 60 and 150 us (a minimum-metal mine, a PMN's
 * striker, a chunky fragment) under five log-spaced gates 10-100 us,
 * noise 0.002 (the peaks are 0.5-1.2): the fit recovers each tau within
 * 5 % at the dipole's cell and within 10 % over the cells where the first
 * gate exceeds 0.2 within 0.1 m of it; the gates come from the parameters (the environment
 * names none). The score ranks the slow one down. */
static void emi_tau_recovers_known_decay_times(void **state)
{
    enum { NG = 5 };
    double t_us[NG];
    for (int c = 0; c < NG; c++)
        t_us[c] = 10.0 * pow(10.0, c / 4.0);
    const int ix[3] = {10, 30, 50}; /* 0.4 m apart: their tails barely mix */
    const double m[3] = {8.0, 4.0, 10.0}, tau_us[3] = {20.0, 60.0, 150.0};
    static float vol[NG * TAU_NY * TAU_NX];
    float hits[TAU_NY * TAU_NX], tau[TAU_NY * TAU_NX];
    float ratio[TAU_NY * TAU_NX], score[TAU_NY * TAU_NX];
    test_rng r = {42};
    dipole_volume(vol, hits, NG, t_us, ix, m, tau_us, 3, 0.002, &r);
    ms_env e = env;
    const ms_stage_decl *d = ms_stage_find("emi_tau");
    ms_stage_ctx ctx = {.decl = d, .env = &e};
    ms_stage_defaults(d, &ctx.params);
    ms_param_set_named(d, &ctx.params, "first_gate_us", 10.0);
    ms_param_set_named(d, &ctx.params, "last_gate_us", 100.0);
    ctx.in[0] = (ms_shape){MS_ARRAY_VOLUME, {NG, TAU_NY, TAU_NX}, TAU_CELL};
    ctx.in[1] = (ms_shape){MS_ARRAY_MAP, {TAU_NY, TAU_NX, 1}, TAU_CELL};
    assert_int_equal(d->shape(&ctx), 0);
    assert_true(strstr(ctx.warning, "does not name") != NULL);
    const float *in[2] = {vol, hits};
    float *out[3] = {tau, ratio, score};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, out), 0);
    for (int k = 0; k < 3; k++) {
        int i = TAU_NY / 2 * TAU_NX + ix[k];
        printf("# tau %.0f us: fitted %.2f us, ratio %.4f, score %.3f of %.3f\n",
               tau_us[k], tau[i], ratio[i], score[i], vol[i]);
        assert_float_equal(tau[i], tau_us[k], 0.05 * tau_us[k]);
        assert_float_equal(ratio[i], exp(-90.0 / tau_us[k]), 0.02);
        for (int y = 0; y < TAU_NY; y++)
            for (int x = ix[k] - 5; x <= ix[k] + 5; x++)
                if (vol[y * TAU_NX + x] > 0.2f &&
                    hypot(x - ix[k], y - TAU_NY / 2) <= 5.0)
                    assert_float_equal(tau[y * TAU_NX + x], tau_us[k],
                                       0.1 * tau_us[k]);
    }
    int i20 = TAU_NY / 2 * TAU_NX + ix[0], i150 = TAU_NY / 2 * TAU_NX + ix[2];
    /* g = 1 / (1 + tau / 80): 0.8 for 20 us, 0.35 for 150 us */
    assert_float_equal(score[i20] / vol[i20], 1.0 / (1.0 + 20.0 / 80.0), 0.02);
    assert_float_equal(score[i150] / vol[i150], 1.0 / (1.0 + 150.0 / 80.0),
                       0.02);
    /* far from every dipole: below min_amplitude, no estimate, score is
     * the first gate itself */
    assert_float_equal(tau[0], 0.0f, 0.0);
    assert_float_equal(score[0], vol[0], 0.0);
}

/* The recording's own gate times win over the parameters: three gates at
 * 5, 15 and 45 us named in the environment, a 20 us dipole; the default
 * parameters (20 .. 150 us) would give another tau. Two gates far apart
 * (20, 150 us) and a 5 us dipole: the late gate is in the noise, tau is
 * only bounded, t1 - t0 over ln(e0 / min_amplitude), and the score keeps
 * the whole first gate. */
static void emi_tau_gate_times_and_bounds(void **state)
{
    double t_us[3] = {5.0, 15.0, 45.0};
    const int ix[1] = {30};
    const double m[1] = {6.0}, tau20[1] = {20.0};
    static float vol[3 * TAU_NY * TAU_NX];
    float hits[TAU_NY * TAU_NX], tau[TAU_NY * TAU_NX];
    float ratio[TAU_NY * TAU_NX], score[TAU_NY * TAU_NX];
    test_rng r = {7};
    dipole_volume(vol, hits, 3, t_us, ix, m, tau20, 1, 0.0, &r);
    ms_env e = env;
    e.n_emi_gates = 3;
    for (int c = 0; c < 3; c++)
        e.emi_gate_s[c] = t_us[c] * 1e-6;
    int i = TAU_NY / 2 * TAU_NX + ix[0];
    run_tau(&e, 3, vol, hits, tau, ratio, score, NULL, 0);
    assert_float_equal(tau[i], 20.0, 0.2);
    e.n_emi_gates = 0; /* the parameters' 20, 54.8, 150 us: wrong */
    run_tau(&e, 3, vol, hits, tau, ratio, score, NULL, 0);
    assert_true(fabs(tau[i] - 20.0) > 10.0);

    double t2[2] = {20.0, 150.0}, tau5[1] = {5.0};
    static float vol2[2 * TAU_NY * TAU_NX];
    dipole_volume(vol2, hits, 2, t2, ix, m, tau5, 1, 0.0, &r);
    run_tau(&e, 2, vol2, hits, tau, ratio, score, NULL, 0);
    double thr = 0.03; /* min_amplitude's default */
    assert_float_equal(tau[i], 130.0 / log(vol2[i] / thr), 1e-3 * tau[i]);
    assert_float_equal(score[i], vol2[i], 0.0);
    assert_float_equal(ratio[i], 0.0, 1e-6);
    /* a single gate: nothing to fit */
    run_tau(&e, 1, vol2, hits, tau, ratio, score, NULL, 0);
    assert_float_equal(tau[i], 0.0f, 0.0);
    assert_float_equal(score[i], vol2[i], 0.0);
}

/* Gate times from channel names, as the simulator and other tools write
 * them; anything not a time with its unit, or not increasing, gives none. */
static void emi_gate_times_from_channel_names(void **state)
{
    double t[MS_MAX_EMI_GATES];
    const char *sim[] = {"gate_15us", "gate_55us", "gate_200us"};
    assert_int_equal(ms_emi_gate_times(sim, 3, t), 3);
    assert_float_equal(t[0], 15e-6, 1e-12);
    assert_float_equal(t[2], 200e-6, 1e-12);
    const char *units[] = {"early 20 us", "0.15ms", "1.5e-4 s x"};
    assert_int_equal(ms_emi_gate_times(units, 2, t), 2);
    assert_float_equal(t[1], 150e-6, 1e-12);
    assert_int_equal(ms_emi_gate_times(units, 3, t), 0); /* no unit at end */
    const char *plain[] = {"Z", "X"};
    assert_int_equal(ms_emi_gate_times(plain, 2, t), 0);
    const char *back[] = {"gate_55us", "gate_15us"};
    assert_int_equal(ms_emi_gate_times(back, 2, t), 0);
    const char *micro[] = {"20 \xc2\xb5s", "150 \xc2\xb5s"};
    assert_int_equal(ms_emi_gate_times(micro, 2, t), 2);
    assert_float_equal(t[1], 150e-6, 1e-12);
    assert_int_equal(ms_emi_gate_times(NULL, 2, t), 0);
}

static void time_bins_average_present_samples(void **state)
{
    /* dt = 0.1 ns, bins of 0.2 ns = 2 samples; the last bin is short. */
    float s[5] = {1, 0, 0, 0, 9}, m[5] = {1, 0, 0, 0, 1}, out[3], present[3];
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {1, 5, 1}}, {MS_ARRAY_MASK, {1, 5, 1}}};
    const float *in[2] = {s, m};
    float *o[2] = {out, present};
    s[2] = 5;
    s[3] = 7;
    m[2] = m[3] = 1;
    run("time_bins", sh, in, o, "bin_ns", 0.2);
    assert_float_equal(out[0], 1.0f, 1e-6); /* the gap does not count */
    assert_float_equal(present[0], 1.0f, 0);
    m[2] = m[3] = 0;
    s[2] = s[3] = 0;
    run("time_bins", sh, in, o, "bin_ns", 0.2);
    assert_float_equal(out[1], 0.0f, 0); /* a bin with nothing present */
    assert_float_equal(present[1], 0.0f, 0);
    s[2] = 5;
    s[3] = 7;
    m[2] = m[3] = 1;
    run("time_bins", sh, in, o, "bin_ns", 0.2);
    assert_float_equal(out[1], 6.0f, 1e-6);
    assert_float_equal(out[2], 9.0f, 1e-6);
    /* power=1: the mean of the squares, (25 + 49) / 2 and 81 */
    static const char *const keys[] = {"bin_ns", "power"};
    static const double values[] = {0.2, 1};
    run_with("time_bins", &env, sh, in, o, keys, values, 2);
    assert_float_equal(out[0], 1.0f, 1e-6);
    assert_float_equal(out[1], 37.0f, 1e-5);
    assert_float_equal(out[2], 81.0f, 1e-5);
}

static void grid_volume_grids_every_plane(void **state)
{
    /* One point at the centre of cell (1, 0) carrying planes {2, 5}. */
    float v[2] = {2, 5}, m[2] = {1, 1}, xy[2] = {0.03f, 0.01f};
    float vol[2 * 2 * 5], hits[10];
    ms_shape sh[3] = {{MS_ARRAY_SERIES, {1, 2, 1}},
                      {MS_ARRAY_MASK, {1, 2, 1}},
                      {MS_ARRAY_POINTS, {1, 2, 1}}};
    const float *in[3] = {v, m, xy};
    float *o[2] = {vol, hits};
    run("grid_volume", sh, in, o, "radius_m", 0.015);
    assert_float_equal(vol[0 * 10 + 1], 2.0f, 1e-6);
    assert_float_equal(vol[1 * 10 + 1], 5.0f, 1e-6);
    assert_float_equal(vol[1 * 10 + 2], 0.0f, 0.0);
    assert_float_equal(hits[1], 1.0f, 0.0);
    assert_float_equal(hits[0], 0.0f, 0.0);
}

static void depth_slice_averages_planes(void **state)
{
    float vol[6] = {1, 2, 3, 4, 5, 6}, out[2];
    ms_shape sh[1] = {{MS_ARRAY_VOLUME, {3, 1, 2}}};
    const ms_stage_decl *d = ms_stage_find("depth_slice");
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_param_set_named(d, &ctx.params, "first", 1);
    ms_param_set_named(d, &ctx.params, "last", 50); /* clamped to the last plane */
    ctx.in[0] = sh[0];
    assert_int_equal(d->shape(&ctx), 0);
    const float *in[1] = {vol};
    float *o[1] = {out};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    assert_float_equal(out[0], 4.0f, 1e-6);
    assert_float_equal(out[1], 5.0f, 1e-6);
}

static void ground_align_moves_the_bounce_to_the_target(void **state)
{
    /* dt = 0.1 ns. Trace 0 has its bounce at sample 5, trace 1 at sample
     * 3 with a gap at sample 0; both go to sample 4 (0.4 ns). */
    float s[2 * 8] = {0, 0, 0, 0, 0, -9, 1, 2,  /* trace 0 */
                      0, 0, 1, 7, 2, 0, 0, 0}; /* trace 1 */
    float m[2 * 8];
    for (int i = 0; i < 16; i++)
        m[i] = 1;
    m[8] = 0;
    float out[16], out_m[16];
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {2, 8, 1}}, {MS_ARRAY_MASK, {2, 8, 1}}};
    const ms_stage_decl *d = ms_stage_find("ground_align");
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    ms_param_set_named(d, &ctx.params, "search_start_ns", 0.0);
    ms_param_set_named(d, &ctx.params, "search_end_ns", 0.8);
    ms_param_set_named(d, &ctx.params, "target_ns", 0.4);
    ctx.in[0] = sh[0];
    ctx.in[1] = sh[1];
    assert_int_equal(d->shape(&ctx), 0);
    const float *in[2] = {s, m};
    float *o[2] = {out, out_m};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    /* trace 0 shifted one sample earlier: the last sample is now missing */
    assert_float_equal(out[4], -9.0f, 0);
    assert_float_equal(out[6], 2.0f, 0);
    assert_float_equal(out_m[7], 0.0f, 0);
    assert_float_equal(out[7], 0.0f, 0);
    /* trace 1 shifted one sample later: the gap moves with it */
    assert_float_equal(out[8 + 4], 7.0f, 0);
    assert_float_equal(out_m[8 + 0], 0.0f, 0); /* shifted in from outside */
    assert_float_equal(out_m[8 + 1], 0.0f, 0); /* the original gap */
    assert_float_equal(out_m[8 + 2], 1.0f, 0);
}

static void ground_align_leaves_flat_ground_alone(void **state)
{
    /* Flat ground after background removal: no bounce left in the search
     * window (samples 0-3), only a target's echo in trace 1 and the same
     * small noise everywhere after it. The median window rms is not twice
     * the median rms after it: no trace moves. With min_bounce_ratio = 0
     * (always align) the echo would be moved onto the target time. */
    enum { NT = 3, NS = 12 };
    float s[NT * NS], m[NT * NS], out[NT * NS], out_m[NT * NS];
    for (int i = 0; i < NT * NS; i++) {
        s[i] = (i % 2 ? 0.01f : -0.01f);
        m[i] = 1;
    }
    s[1 * NS + 3] = 5.0f; /* the target's echo, late in the window */
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {NT, NS, 1}},
                      {MS_ARRAY_MASK, {NT, NS, 1}}};
    const ms_stage_decl *d = ms_stage_find("ground_align");
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    ms_param_set_named(d, &ctx.params, "search_start_ns", 0.0);
    ms_param_set_named(d, &ctx.params, "search_end_ns", 0.4);
    ms_param_set_named(d, &ctx.params, "target_ns", 0.1);
    ctx.in[0] = sh[0];
    ctx.in[1] = sh[1];
    assert_int_equal(d->shape(&ctx), 0);
    const float *in[2] = {s, m};
    float *o[2] = {out, out_m};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    assert_memory_equal(out, s, sizeof s);
    assert_memory_equal(out_m, m, sizeof m);
    /* forced: the echo is put at the target, sample 1 */
    ms_param_set_named(d, &ctx.params, "min_bounce_ratio", 0.0);
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    assert_float_equal(out[1 * NS + 1], 5.0f, 0);
    /* a bounce in every trace (the window's median rms now far above the
     * noise after it) is aligned even with the default ratio */
    ms_stage_defaults(d, &ctx.params);
    ms_param_set_named(d, &ctx.params, "search_start_ns", 0.0);
    ms_param_set_named(d, &ctx.params, "search_end_ns", 0.4);
    ms_param_set_named(d, &ctx.params, "target_ns", 0.1);
    s[0 * NS + 2] = 4.0f;
    s[2 * NS + 0] = -3.0f;
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    assert_float_equal(out[0 * NS + 1], 4.0f, 0);
    assert_float_equal(out[1 * NS + 1], 5.0f, 0);
    assert_float_equal(out[2 * NS + 1], -3.0f, 0);
    assert_float_equal(out_m[2 * NS + 0], 0.0f, 0); /* shifted in */
}

/* ---- running means against brute force ------------------------------
 * dewow, background_removal and emi_detrend keep running sums of their
 * window; these hold them to the definition, summed afresh in double for
 * every sample, where a running sum could go wrong: windows of thousands,
 * windows longer than the data, gaps longer than the window and lines with
 * nothing present. */

/* Element k of line l is at l * line_step + k * step. */
typedef struct lines_layout {
    size_t lines, n, line_step, step;
} lines_layout;

/* A large offset that the running sums must cancel to the last bit, small
 * noise, 10 % of samples missing (as zeros), line 1 missing over a stretch
 * longer than any window and line 2 missing entirely. */
static void gappy_lines(test_rng *r, lines_layout g, float *s, float *m)
{
    for (size_t l = 0; l < g.lines; l++)
        for (size_t k = 0; k < g.n; k++) {
            size_t at = l * g.line_step + k * g.step;
            int gap = (l == 1 && k >= g.n / 4 && k < g.n / 4 + 2100) || l == 2;
            m[at] = gap || test_rng_uniform(r) < 0.1 ? 0.0f : 1.0f;
            s[at] = m[at] * (float)(100.0 + l + 2.0 * test_rng_uniform(r) - 1.0);
        }
}

/* The definition: s minus the mask-weighted mean over i - half .. i + half
 * clamped to the line; 0 where missing. */
static void brute_mean_subtract(lines_layout g, const float *s, const float *m,
                                long half, float *want)
{
    for (size_t l = 0; l < g.lines; l++)
        for (long i = 0; i < (long)g.n; i++) {
            double sum = 0.0, weight = 0.0;
            for (long k = i - half < 0 ? 0 : i - half;
                 k <= i + half && k < (long)g.n; k++) {
                size_t at = l * g.line_step + (size_t)k * g.step;
                sum += (double)m[at] * s[at];
                weight += m[at];
            }
            size_t at = l * g.line_step + (size_t)i * g.step;
            want[at] = m[at] > 0.0f && weight > 0.0
                           ? s[at] - (float)(sum / weight) : 0.0f;
        }
}

/* Within a few units in the last place of the data (a sum that drifted in
 * float would be off by far more); missing samples exactly 0. */
static void assert_near_brute(const char *what, lines_layout g, const float *s,
                              const float *m, const float *got,
                              const float *want)
{
    size_t count = g.lines * g.n;
    double scale = 0.0;
    for (size_t k = 0; k < count; k++)
        scale = fmax(scale, fabs(s[k]));
    for (size_t k = 0; k < count; k++) {
        double tol = m[k] > 0.0f ? 3e-7 * scale : 0.0;
        if (fabs((double)got[k] - want[k]) > tol)
            fail_msg("%s: element %zu is %.9g, the definition gives %.9g",
                     what, k, got[k], want[k]);
    }
}

/* Run `stage` with key=value on a rows x cols array from gappy_lines, on
 * the C path and, with a device `cl`, through its kernel, and hold both to
 * the definition. The window (half-width `half`) runs along the rows
 * (across traces, readings) or along each row (a trace). */
static void check_running_mean(ms_cl *cl, const char *stage, const char *key,
                               double value, long half, ms_array_kind kind,
                               size_t rows, size_t cols, int along_rows)
{
    lines_layout g = along_rows ? (lines_layout){cols, rows, 1, cols}
                                : (lines_layout){rows, cols, cols, 1};
    size_t count = rows * cols;
    float *s = malloc(count * sizeof *s), *m = malloc(count * sizeof *m);
    float *got = malloc(count * sizeof *got), *want = malloc(count * sizeof *want);
    test_rng r = {rows * 7919 + cols};
    gappy_lines(&r, g, s, m);
    brute_mean_subtract(g, s, m, half, want);
    const ms_stage_decl *d = ms_stage_find(stage);
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    assert_int_equal(ms_param_set_named(d, &ctx.params, key, value), 0);
    ctx.in[0] = (ms_shape){kind, {rows, cols, 1}};
    ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {rows, cols, 1}};
    assert_int_equal(d->shape(&ctx), 0);
    const float *in[2] = {s, m};
    float *o[1] = {got};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    assert_near_brute(stage, g, s, m, got, want);
    if (cl) {
        memset(got, 0, count * sizeof *got);
        assert_int_equal(ms_stage_exec_opencl(cl, &ctx, in, o), 0);
        assert_near_brute(stage, g, s, m, got, want);
    }
    free(s);
    free(m);
    free(got);
    free(want);
}

static void running_means_match_brute_force(void **state)
{
    /* rows x cols; line 2 (a sample's column, a trace, a channel) is never
     * present. background_removal: windows of 2001 and 51 across 3000
     * traces, across 20000 (several chunks of the kernel's walk, each
     * priming its own window), longer than the data. dewow at dt = 0.1 ns:
     * 200 ns is a window of 2001 samples along 3000, 2 ns one of 21, 1000 ns
     * longer than the trace. emi_detrend: longer than the data, 2001, 61. */
    static const struct {
        const char *stage, *key;
        double value;
        long half;
        ms_array_kind kind;
        size_t rows, cols;
        int along_rows;
    } cases[] = {
        {"background_removal", "window_traces", 2001, 1000, MS_ARRAY_TRACES, 3000, 7, 1},
        {"background_removal", "window_traces", 2001, 1000, MS_ARRAY_TRACES, 20000, 3, 1},
        {"background_removal", "window_traces", 51, 25, MS_ARRAY_TRACES, 3000, 7, 1},
        {"background_removal", "window_traces", 2001, 1000, MS_ARRAY_TRACES, 40, 7, 1},
        {"background_removal", "window_traces", 2001, 1000, MS_ARRAY_TRACES, 1, 7, 1},
        {"dewow", "window_ns", 200.0, 1000, MS_ARRAY_TRACES, 4, 3000, 0},
        {"dewow", "window_ns", 2.0, 10, MS_ARRAY_TRACES, 4, 3000, 0},
        {"dewow", "window_ns", 1000.0, 5000, MS_ARRAY_TRACES, 4, 40, 0},
        {"emi_detrend", "window_readings", 100001, 50000, MS_ARRAY_SERIES, 3000, 3, 1},
        {"emi_detrend", "window_readings", 2001, 1000, MS_ARRAY_SERIES, 3000, 3, 1},
        {"emi_detrend", "window_readings", 61, 30, MS_ARRAY_SERIES, 3000, 3, 1},
    };
    ms_cl *cl = test_cl_open();
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        check_running_mean(cl, cases[c].stage, cases[c].key, cases[c].value,
                           cases[c].half, cases[c].kind, cases[c].rows,
                           cases[c].cols, cases[c].along_rows);
    ms_cl_destroy(cl);
}

/* A strong echo (an anti-tank mine, 10) over traces 100-119 and a weak one
 * (0.1) over traces 150-159, at the same sample, in noise of sd 0.01: the
 * plain mean over 101 traces subtracts a fifth of the strong echo,
 * inverted, from the weak one's traces (-1.43 on average where 0.1
 * stands); exclude_spreads = 3 leaves the strong echo out of the mean, so the
 * weak echo and the strong one both stand as they are (to the noise), on
 * the C path and through the kernels. */
/* background_removal over 101 traces, exclude_spreads k, shaped. */
static void set_removal(const ms_stage_decl *d, ms_stage_ctx *ctx, double k)
{
    ms_stage_defaults(d, &ctx->params);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "window_traces", 101),
                     0);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "exclude_spreads", k),
                     0);
    assert_int_equal(d->shape(ctx), 0);
}

static void background_removal_leaves_strong_echoes_out(void **state)
{
    (void)state;
    enum { NT = 300, NS = 8, AT = 5 };
    float *s = malloc(NT * NS * sizeof *s), *m = malloc(NT * NS * sizeof *m);
    float *got = malloc(NT * NS * sizeof *got);
    test_rng r = {11};
    for (int i = 0; i < NT * NS; i++) {
        m[i] = 1.0f;
        s[i] = 0.0173f * (float)(2.0 * test_rng_uniform(&r) - 1.0);
    }
    for (int i = 100; i < 120; i++)
        s[i * NS + AT] += 10.0f;
    for (int i = 150; i < 160; i++)
        s[i * NS + AT] += 0.1f;
    const ms_stage_decl *d = ms_stage_find("background_removal");
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {NT, NS, 1}};
    ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {NT, NS, 1}};
    const float *in[2] = {s, m};
    float *o[1] = {got};
    ms_cl *cl = test_cl_open();
    for (int k = 0; k < 2; k++) {
        set_removal(d, &ctx, k ? 3.0 : 0.0);
        for (int path = 0; path < (cl ? 2 : 1); path++) {
            memset(got, 0, NT * NS * sizeof *got);
            assert_int_equal(path ? ms_stage_exec_opencl(cl, &ctx, in, o)
                                  : ms_stage_exec_cpu(&ctx, in, o), 0);
            double weak = 0.0, strong = 0.0;
            for (int i = 150; i < 160; i++)
                weak += got[i * NS + AT] / 10.0;
            for (int i = 100; i < 120; i++)
                strong += got[i * NS + AT] / 20.0;
            if (k) {
                assert_float_equal(weak, 0.1, 0.02);
                assert_float_equal(strong, 10.0, 0.05);
            } else {
                assert_true(weak < -1.2); /* the ghost: -1.43 */
                assert_true(strong < 8.5);
            }
            /* away from both, the noise stays noise */
            for (int i = 200; i < NT; i++)
                assert_true(fabsf(got[i * NS + 2]) < 0.06f);
        }
    }
    /* Every seventh trace missing (mask 0, samples 0, as the readers leave
     * them), k = 3, the C path in place and the kernels: the present
     * traces of both echoes as they are, the missing samples 0. */
    float *buf = malloc(NT * NS * sizeof *buf);
    for (int i = 0; i < NT * NS; i++) {
        m[i] = (i / NS) % 7 == 3 ? 0.0f : 1.0f;
        buf[i] = m[i] > 0.0f ? s[i] : 0.0f;
    }
    memcpy(s, buf, NT * NS * sizeof *s);
    set_removal(d, &ctx, 3.0);
    for (int path = 0; path < (cl ? 2 : 1); path++) {
        const float *in2[2] = {path ? s : buf, m};
        float *o2[1] = {path ? got : buf};
        assert_int_equal(path ? ms_stage_exec_opencl(cl, &ctx, in2, o2)
                              : ms_stage_exec_cpu(&ctx, in2, o2), 0);
        const float *res = o2[0];
        double weak = 0.0, strong = 0.0;
        int nw = 0, ns = 0;
        for (int i = 100; i < 160; i++) {
            if (m[i * NS + AT] == 0.0f) {
                assert_true(res[i * NS + AT] == 0.0f);
                continue;
            }
            if (i >= 150)
                weak += res[i * NS + AT], nw++;
            else if (i < 120)
                strong += res[i * NS + AT], ns++;
        }
        assert_true(nw > 0 && ns > 0);
        assert_float_equal(weak / nw, 0.1, 0.02);
        assert_float_equal(strong / ns, 10.0, 0.05);
    }
    ms_cl_destroy(cl);
    free(buf);
    free(s);
    free(m);
    free(got);
}

/* ---- gain --------------------------------------------------------------
 * dt = 0.1 ns and time zero at 0.3 ns (sample 3), so that t counts from
 * time zero plus t_ref_ns, not from sample 0. */
static const ms_env gain_env = {.dt_s = 1e-10, .time_zero_s = 3e-10};

/* Run gain on the C path with n key=value pairs on top of the
 * defaults. */
static void run_gain(size_t nt, size_t ns, const float *s, const float *m,
                     float *out, const char *const *keys,
                     const double *values, int n)
{
    const ms_stage_decl *d = ms_stage_find("gain");
    assert_non_null(d);
    ms_stage_ctx ctx = {.decl = d, .env = &gain_env};
    ms_stage_defaults(d, &ctx.params);
    for (int k = 0; k < n; k++)
        assert_int_equal(ms_param_set_named(d, &ctx.params, keys[k], values[k]), 0);
    ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {nt, ns, 1}};
    ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {nt, ns, 1}};
    assert_int_equal(d->shape(&ctx), 0);
    const float *in[2] = {s, m};
    float *o[1] = {out};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
}

static void gain_tpow_of_a_constant_trace_is_the_curve(void **state)
{
    enum { N = 200 };
    float s[N], m[N], out[N];
    for (int j = 0; j < N; j++) {
        s[j] = 2.0f;
        m[j] = 1;
    }
    const char *keys[] = {"tpow", "t_ref_ns"};
    const double values[] = {1.5, 2.0};
    run_gain(1, N, s, m, out, keys, values, 2);
    for (int j = 0; j < N; j++) {
        /* ns after time zero (0.3) and t_ref (2): t^1.5, never below 1 */
        double t = 0.1 * j - 0.3 - 2.0;
        double want = 2.0 * (t > 1.0 ? pow(t, 1.5) : 1.0);
        assert_float_equal(out[j], want, 1e-5 * want);
    }
    assert_float_equal(out[N - 1], 2.0 * pow(17.6, 1.5), 1e-3); /* 37 dB */
}

static void gain_exponential_flattens_an_exponential_decay(void **state)
{
    /* exp(-0.5 t) for t ns after t_ref = 1 ns: 0.5 neper/ns is
     * 20 * 0.5 / ln 10 = 4.34 dB/ns; the trace comes out flat at its
     * value at t_ref. */
    enum { N = 100 };
    float s[N], m[N], out[N];
    for (int j = 0; j < N; j++) {
        double t = 0.1 * j - 0.3 - 1.0;
        s[j] = (float)(t > 0 ? exp(-0.5 * t) : 1.0);
        m[j] = 1;
    }
    const char *keys[] = {"exp_db_per_ns", "t_ref_ns"};
    const double values[] = {20.0 * 0.5 / log(10.0), 1.0};
    run_gain(1, N, s, m, out, keys, values, 2);
    for (int j = 0; j < N; j++)
        assert_float_equal(out[j], 1.0f, 1e-4);
    /* untouched it is a decay of e^4.3 = 37 dB */
    assert_true(s[N - 1] < 0.02f);
}

static double rms_of(const float *x, int a, int b)
{
    double sum = 0;
    for (int j = a; j < b; j++)
        sum += (double)x[j] * x[j];
    return sqrt(sum / (b - a));
}

static void gain_agc_evens_out_two_levels(void **state)
{
    /* 200 samples of a sine at amplitude 1, then 200 at amplitude 100; an
     * AGC window of 2 ns (21 samples). Away from the step by more than
     * the window both come out at the trace's RMS. Missing samples stay
     * 0, and a stretch of them does not raise the gain of their
     * neighbours. */
    enum { N = 400 };
    float s[N], m[N], out[N];
    for (int j = 0; j < N; j++) {
        s[j] = (j < N / 2 ? 1.0f : 100.0f) *
               sinf(2.0f * 3.14159265f * (float)j / 10.0f + 0.3f);
        m[j] = 1;
    }
    for (int j = 60; j < 70; j++) { /* a gap, zeros as the reader gives */
        s[j] = 0;
        m[j] = 0;
    }
    assert_true(rms_of(s, 220, 380) / rms_of(s, 20, 50) > 90);
    const char *keys[] = {"agc_window_ns"};
    const double values[] = {2.0};
    run_gain(1, N, s, m, out, keys, values, 1);
    double low = rms_of(out, 20, 50), high = rms_of(out, 220, 380);
    assert_float_equal(low / high, 1.0, 0.05);
    /* the level is the trace's RMS (present samples), about 100 / 2 */
    assert_float_equal(high, 100.0 / 2.0, 3.0);
    for (int j = 60; j < 70; j++)
        assert_float_equal(out[j], 0.0f, 0);
    /* right next to the gap the window holds 11 of 21 samples: were the
     * gap counted as zeros its RMS would be low by sqrt(11/21) */
    assert_float_equal(rms_of(out, 70, 80) / high, 1.0, 0.1);
}

static void gain_cap_holds(void **state)
{
    enum { N = 300 };
    float s[N], m[N], out[N];
    for (int j = 0; j < N; j++) {
        s[j] = 1.0f;
        m[j] = 1;
    }
    /* t^3 reaches 29.6^3 = 88 dB by the end: capped at 20 dB */
    const char *keys[] = {"tpow", "max_gain_db", "agc_window_ns",
                          "agc_floor"};
    const double values[] = {3.0, 20.0, 1.0, 0.001};
    run_gain(1, N, s, m, out, keys, values, 2);
    for (int j = 0; j < N; j++)
        assert_true(out[j] <= 10.0f * (1.0f + 1e-6f));
    assert_float_equal(out[N - 1], 10.0f, 1e-5);
    assert_float_equal(out[20], 1.7f * 1.7f * 1.7f, 1e-4); /* below it */
    /* with the AGC too: a trace silent but for one loud stretch; the
     * silent part's AGC gain (1 / agc_floor = 60 dB) is capped as well */
    for (int j = 0; j < N; j++)
        s[j] = j >= 200 && j < 220 ? 50.0f : 0.01f;
    run_gain(1, N, s, m, out, keys, values, 4);
    for (int j = 0; j < N; j++)
        assert_true(fabsf(out[j]) <= 10.0f * fabsf(s[j]) * (1.0f + 1e-6f));
    assert_float_equal(out[100], 0.01f * 10.0f, 1e-6); /* at the cap */
}

/* The AGC against its definition, summed afresh for every sample: RMS of
 * the present samples after the curve over the clamped window, floored,
 * gain capped, on gappy traces (10 % missing, one trace missing over a
 * stretch longer than the window, one entirely), short and long windows;
 * C path and, with a device, the kernel. */
static void gain_agc_matches_brute_force(void **state)
{
    enum { NT = 4, NS = 3000 };
    static const double windows_ns[] = {2.0, 200.0, 1000.0};
    float *s = malloc(NT * NS * sizeof *s), *m = malloc(NT * NS * sizeof *m);
    float *got = malloc(NT * NS * sizeof *got);
    double *want = malloc(NT * NS * sizeof *want);
    test_rng r = {4242};
    for (int i = 0; i < NT; i++)
        for (int j = 0; j < NS; j++) {
            int gap = (i == 1 && j >= 700 && j < 2900) || i == 2;
            m[i * NS + j] = gap || test_rng_uniform(&r) < 0.1 ? 0.0f : 1.0f;
            /* a level that changes along the trace, as echoes do */
            double level = j < 1000 ? 1.0 : j < 2000 ? 30.0 : 0.2;
            s[i * NS + j] = m[i * NS + j] *
                            (float)(level * (2.0 * test_rng_uniform(&r) - 1.0));
        }
    const ms_stage_decl *d = ms_stage_find("gain");
    ms_cl *cl = test_cl_open();
    for (size_t w = 0; w < sizeof windows_ns / sizeof windows_ns[0]; w++) {
        ms_stage_ctx ctx = {.decl = d, .env = &gain_env};
        ms_stage_defaults(d, &ctx.params);
        ms_param_set_named(d, &ctx.params, "tpow", 1.0);
        ms_param_set_named(d, &ctx.params, "t_ref_ns", 5.0);
        ms_param_set_named(d, &ctx.params, "exp_db_per_ns", 0.05);
        ms_param_set_named(d, &ctx.params, "agc_window_ns", windows_ns[w]);
        ms_param_set_named(d, &ctx.params, "agc_floor", 0.05);
        ms_param_set_named(d, &ctx.params, "max_gain_db", 50.0);
        long half = lround(windows_ns[w] / 0.1 / 2.0);
        half = half > NS ? NS : half;
        double cap = pow(10.0, 50.0 / 20.0);
        for (int i = 0; i < NT; i++) {
            double c[NS], total = 0, count = 0;
            for (int j = 0; j < NS; j++) {
                double t = 0.1 * j - 0.3 - 5.0;
                c[j] = fmin((t > 1 ? t : 1) * (t > 0 ? pow(10.0, 0.05 * t / 20) : 1),
                            cap);
                double y = m[i * NS + j] * s[i * NS + j] * c[j];
                total += y * y;
                count += m[i * NS + j];
            }
            double rms = count > 0 ? sqrt(total / count) : 0;
            for (int j = 0; j < NS; j++) {
                double sum = 0, n = 0;
                for (long k = j - half < 0 ? 0 : j - half;
                     k <= j + half && k < NS; k++) {
                    double y = m[i * NS + k] * s[i * NS + k] * c[k];
                    sum += y * y;
                    n += m[i * NS + k];
                }
                double local = n > 0 ? sqrt(sum / n) : 0;
                double g = rms > 0 ? fmin(c[j] * rms / fmax(local, 0.05 * rms), cap)
                                   : c[j];
                want[i * NS + j] = m[i * NS + j] * s[i * NS + j] * g;
            }
        }
        ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {NT, NS, 1}};
        ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {NT, NS, 1}};
        assert_int_equal(d->shape(&ctx), 0);
        const float *in[2] = {s, m};
        float *o[1] = {got};
        for (int path = 0; path < (cl ? 2 : 1); path++) {
            memset(got, 0xff, NT * NS * sizeof *got);
            if (path == 0)
                assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
            else
                assert_int_equal(ms_stage_exec_opencl(cl, &ctx, in, o), 0);
            for (int k = 0; k < NT * NS; k++) {
                double tol = m[k] > 0 ? 1e-5 * fabs(want[k]) + 1e-6 : 0.0;
                if (!(fabs(got[k] - want[k]) <= tol))
                    fail_msg("gain %s, window %g ns: element %d is %.9g, the "
                             "definition gives %.9g", path ? "kernel" : "C",
                             windows_ns[w], k, got[k], want[k]);
            }
        }
    }
    ms_cl_destroy(cl);
    free(s);
    free(m);
    free(got);
    free(want);
}


/* ---- bounce_fit ---------------------------------------------------------
 * A hand-held head: every trace holds the same ground bounce (a 1 GHz
 * Ricker at 2 ns, dt = 0.1 ns) scaled by 0.6-1.4 and shifted by up to 0.4
 * of a sample either way, plus a small echo at 4.5 ns in every third
 * trace, well after the fit window (1-3 ns). A mean-trace subtraction
 * leaves the differences; the per-trace fit of the mean bounce and its
 * derivatives must leave under 5 % of the bounce's peak in the window,
 * far less than background_removal, and not touch the echo. */
static double ricker(double t_ns, double f_ghz)
{
    double a = 3.14159265358979323846 * f_ghz * t_ns;
    return (1.0 - 2.0 * a * a) * exp(-a * a);
}

static void bounce_fit_removes_a_wandering_bounce(void **state)
{
    enum { NT = 96, NS = 60 };
    float *s = malloc(NT * NS * sizeof *s), *m = malloc(NT * NS * sizeof *m);
    float *fit = malloc(NT * NS * sizeof *fit);
    float *bg = malloc(NT * NS * sizeof *bg);
    test_rng r = {4242};
    for (int i = 0; i < NT; i++) {
        double amp = 0.6 + 0.8 * test_rng_uniform(&r);
        double shift_ns = 0.1 * (0.8 * test_rng_uniform(&r) - 0.4);
        for (int j = 0; j < NS; j++) {
            double t = 0.1 * j;
            double v = amp * ricker(t - 2.0 - shift_ns, 1.0);
            if (i % 3 == 0)
                v += 0.05 * ricker(t - 4.5, 1.0); /* the deep echo */
            s[i * NS + j] = (float)v;
            m[i * NS + j] = 1.0f;
        }
    }
    /* a few samples missing inside the window: they stay missing (0) and
     * do not count in the fit */
    for (int i = 5; i < NT; i += 17) {
        s[i * NS + 18] = 0.0f;
        m[i * NS + 18] = 0.0f;
    }
    ms_shape sh[2] = {{MS_ARRAY_TRACES, {NT, NS, 1}},
                      {MS_ARRAY_MASK, {NT, NS, 1}}};
    const float *in[2] = {s, m};
    const ms_stage_decl *d = ms_stage_find("bounce_fit");
    assert_non_null(d);
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    assert_int_equal(ms_param_set_named(d, &ctx.params, "surface_ns", 2.0), 0);
    assert_int_equal(ms_param_set_named(d, &ctx.params, "before_ns", 1.0), 0);
    assert_int_equal(ms_param_set_named(d, &ctx.params, "after_ns", 1.0), 0);
    ctx.in[0] = sh[0];
    ctx.in[1] = sh[1];
    assert_int_equal(d->shape(&ctx), 0);
    float *o[1] = {fit};
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    float *ob[1] = {bg};
    run("background_removal", sh, in, ob, "window_traces", 2 * NT + 1);
    /* the window: samples 10-30 */
    double peak = 0.0, res_fit = 0.0, res_bg = 0.0;
    for (int i = 0; i < NT * NS; i++)
        peak = fmax(peak, fabs(s[i]));
    for (int i = 0; i < NT; i++)
        for (int j = 10; j <= 30; j++) {
            res_fit = fmax(res_fit, fabs(fit[i * NS + j]));
            res_bg = fmax(res_bg, fabs(bg[i * NS + j]));
        }
    print_message("# bounce_fit: peak %.3g, residual %.3g (%.2f %%), "
                  "background_removal's %.3g (%.1f %%)\n",
                  peak, res_fit, 100 * res_fit / peak, res_bg,
                  100 * res_bg / peak);
    assert_true(res_fit < 0.05 * peak);
    assert_true(res_fit < 0.2 * res_bg);
    /* after the window (the echo) and the missing samples: as they were */
    for (int i = 0; i < NT; i++)
        for (int j = 31; j < NS; j++)
            assert_float_equal(fit[i * NS + j], s[i * NS + j], 0);
    for (int i = 5; i < NT; i += 17)
        assert_float_equal(fit[i * NS + 18], 0.0f, 0);
    /* the amplitude alone cannot follow the shifts: worse than with the
     * derivatives (the test can tell the terms apart) */
    assert_int_equal(ms_param_set_named(d, &ctx.params, "terms", 1), 0);
    assert_int_equal(ms_stage_exec_cpu(&ctx, in, o), 0);
    double res_amp = 0.0;
    for (int i = 0; i < NT; i++)
        for (int j = 10; j <= 30; j++)
            res_amp = fmax(res_amp, fabs(fit[i * NS + j]));
    print_message("# bounce_fit terms=1: residual %.3g\n", res_amp);
    assert_true(res_fit < 0.5 * res_amp);
    free(s);
    free(m);
    free(fit);
    free(bg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dewow_removes_offset_and_keeps_gaps),
        cmocka_unit_test(background_removal_cancels_identical_traces),
        cmocka_unit_test(background_removal_window_in_metres),
        cmocka_unit_test(background_removal_leaves_strong_echoes_out),
        cmocka_unit_test(envelope_of_a_sinusoid_is_its_amplitude),
        cmocka_unit_test(bandpass_keeps_the_band_and_its_envelope),
        cmocka_unit_test(bandpass_traces_do_not_mix),
        cmocka_unit_test(cfar_matches_the_ring_summed_cell_by_cell),
        cmocka_unit_test(depth_cfar_is_cfar_per_plane),
        cmocka_unit_test(depth_cfar_finds_an_echo_under_a_shallow_residue),
        cmocka_unit_test(cfar_floor_is_not_raised_by_one_strong_target),
        cmocka_unit_test(window_energy_averages_present_samples),
        cmocka_unit_test(grid_averages_and_counts_hits),
        cmocka_unit_test(grid_matches_brute_force),
        cmocka_unit_test(trace_stack_averages_neighbours),
        cmocka_unit_test(trace_stack_matches_brute_force),
        cmocka_unit_test(zscore_standardises_over_swept_cells),
        cmocka_unit_test(fuse_adds_positive_parts),
        cmocka_unit_test(emi_detrend_removes_drift_keeps_spike),
        cmocka_unit_test(dipole_filter_scores_a_dipole_on_a_flat_background),
        cmocka_unit_test(dipole_filter_matches_its_definition),
        cmocka_unit_test(emi_tau_recovers_known_decay_times),
        cmocka_unit_test(emi_tau_gate_times_and_bounds),
        cmocka_unit_test(emi_gate_times_from_channel_names),
        cmocka_unit_test(time_bins_average_present_samples),
        cmocka_unit_test(grid_volume_grids_every_plane),
        cmocka_unit_test(depth_slice_averages_planes),
        cmocka_unit_test(ground_align_moves_the_bounce_to_the_target),
        cmocka_unit_test(ground_align_leaves_flat_ground_alone),
        cmocka_unit_test(bounce_fit_removes_a_wandering_bounce),
        cmocka_unit_test(running_means_match_brute_force),
        cmocka_unit_test(gain_tpow_of_a_constant_trace_is_the_curve),
        cmocka_unit_test(gain_exponential_flattens_an_exponential_decay),
        cmocka_unit_test(gain_agc_evens_out_two_levels),
        cmocka_unit_test(gain_cap_holds),
        cmocka_unit_test(gain_agc_matches_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
