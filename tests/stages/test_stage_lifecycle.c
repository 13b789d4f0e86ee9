/* The stage lifecycle (init, private state, scratch, uninit) of stages
 * that keep device state and reduce in work-groups: envelope (taps in
 * private state, a __local tile per work-group) and zscore (partials made
 * by init, a two-kernel work-group reduction). Each runs many times on the
 * C path and through OpenCL against a brute-force computation here, also
 * with an OpenCL failure injected after init made its state and with init
 * itself failing. Nothing may leak: run under AddressSanitizer
 * (build-asan), whose leak check at exit is the judge of host memory. It
 * cannot see a forgotten device buffer (tests/lsan.supp hides what PoCL
 * allocates), so the test also counts the OpenCL context's references:
 * every live buffer holds one (kernels and programs too, but ms_cl builds
 * those once and keeps them), and after a warm-up run of each stage the
 * count must come back to where it was. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "minescan/error.h"
#include "runner/runner.h"
#include "test_util.h"

static ms_cl *cl;

static const ms_env env = {.dt_s = 1e-10, .lane_x_max = 1.0,
                           .lane_y_max = 0.5};

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

/* References to the context: one per live buffer, program and kernel,
 * and one per command that PoCL has not yet let go of (it frees finished
 * commands from its own threads, a little after clFinish). */
static cl_uint context_refs_now(void)
{
    cl_uint refs = 0;
    assert_int_equal(clGetContextInfo(ms_cl_context(cl),
                                      CL_CONTEXT_REFERENCE_COUNT, sizeof refs,
                                      &refs, NULL),
                     CL_SUCCESS);
    return refs;
}

static void sleep_ms(long ms)
{
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

/* The count once the queue is idle and it has stopped changing. */
static cl_uint context_refs(void)
{
    assert_int_equal(ms_cl_finish(cl), 0);
    cl_uint refs = context_refs_now();
    for (int same = 0, tries = 0; same < 3 && tries < 500; tries++) {
        sleep_ms(2);
        cl_uint now = context_refs_now();
        same = now == refs ? same + 1 : 0;
        refs = now;
    }
    return refs;
}

/* Wait (up to 5 s) for the count to come back to `want`: what is left
 * above it then is a leak. */
static void assert_refs_back_to(cl_uint want)
{
    assert_int_equal(ms_cl_finish(cl), 0);
    cl_uint refs = context_refs_now();
    for (int tries = 0; refs > want && tries < 1000; tries++) {
        sleep_ms(5);
        refs = context_refs_now();
    }
    if (refs != want)
        fail_msg("the OpenCL context holds %u references, %u before: %s",
                 refs, want, refs > want ? "a buffer leaked" : "?");
}

static float *alloc_floats(size_t n)
{
    float *a = malloc((n ? n : 1) * sizeof *a);
    assert_non_null(a);
    return a;
}

/* A context for stage `name` over arrays of rows x cols. */
static ms_stage_ctx make_ctx(const char *name, size_t rows, size_t cols)
{
    const ms_stage_decl *d = ms_stage_find(name);
    assert_non_null(d);
    ms_stage_ctx ctx = {.decl = d, .env = &env};
    ms_stage_defaults(d, &ctx.params);
    for (unsigned i = 0; i < d->n_in; i++)
        ctx.in[i] = (ms_shape){d->in_kinds[i], {rows, cols, 1}};
    return ctx;
}

/* max |got - want| <= tol * max |want| */
static void assert_close(const float *got, const double *want, size_t n,
                         double tol, const char *what)
{
    double peak = 0, worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(isfinite(got[i]));
        peak = fmax(peak, fabs(want[i]));
        double d = fabs(got[i] - want[i]);
        if (d > worst) {
            worst = d;
            at = i;
        }
    }
    if (worst > tol * peak)
        fail_msg("%s: |got - want| = %g at %zu (got %g, want %g) > %g x %g",
                 what, worst, at, got[at], want[at], tol, peak);
}

/* ---- brute force ------------------------------------------------------ */

/* z-scores over the swept cells, straight from the definition. */
static void zscore_brute(const float *v, const float *hits, size_t n,
                         double *z)
{
    long double sum = 0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0) {
            sum += v[i];
            count++;
        }
    long double mean = count ? sum / count : 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        if (hits[i] > 0)
            ss += (v[i] - mean) * (v[i] - mean);
    long double sd = count ? sqrtl(ss / count) : 0;
    for (size_t i = 0; i < n; i++)
        z[i] = sd > 0 && hits[i] > 0 ? (double)((v[i] - mean) / sd) : 0.0;
}

/* |s + jH{s}| with H the Hamming-windowed FIR Hilbert filter of
 * envelope.c: h[k] = 2 / (pi k) (0.54 + 0.46 cos(pi k / (half + 1))) at
 * odd k, 0 at even k, zeros beyond the trace. */
static void envelope_brute(const float *s, const float *m, size_t nt,
                           size_t ns, int half, double *e)
{
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < nt; i++)
        for (size_t j = 0; j < ns; j++) {
            double h = 0;
            for (int k = -half; k <= half; k++) {
                long at = (long)j - k;
                if (k % 2 == 0 || at < 0 || at >= (long)ns)
                    continue;
                double tap = 2.0 / (pi * k) *
                             (0.54 + 0.46 * cos(pi * k / (half + 1)));
                h += tap * s[i * ns + (size_t)at];
            }
            double x = s[i * ns + j];
            e[i * ns + j] = m[i * ns + j] > 0 ? sqrt(x * x + h * h) : 0.0;
        }
}

/* ---- tests ------------------------------------------------------------- */

/* One input of a stage with two inputs and one output, and what the brute
 * force says it gives. */
typedef struct two_in {
    size_t n;
    float *in[2], *got_c, *got_cl;
    double *want;
} two_in;

static two_in two_in_alloc(size_t n)
{
    two_in t = {n, {alloc_floats(n), alloc_floats(n)}, alloc_floats(n),
                alloc_floats(n), malloc((n ? n : 1) * sizeof(double))};
    assert_non_null(t.want);
    return t;
}

static void two_in_free(two_in *t)
{
    free(t->in[0]);
    free(t->in[1]);
    free(t->got_c);
    free(t->got_cl);
    free(t->want);
}

/* Run `ctx` on the C path and through OpenCL and hold both to t->want.
 * Every run gives back all it took: private state, scratch, and device
 * buffers (the context's references come back to *refs, recorded by the
 * first run when *refs is 0, once the programs are built). */
static void run_both(ms_stage_ctx *ctx, two_in *t, double tol_c,
                     const char *what, cl_uint *refs)
{
    const float *in[2] = {t->in[0], t->in[1]};
    float *oc[1] = {t->got_c}, *ocl[1] = {t->got_cl};
    assert_int_equal(ctx->decl->shape(ctx), 0);
    if (ms_stage_exec_cpu(ctx, in, oc))
        fail_msg("%s, C: %s", what, ms_error_message());
    assert_null(ctx->priv);
    assert_null(ctx->scratch);
    if (ms_stage_exec_opencl(cl, ctx, in, ocl))
        fail_msg("%s, OpenCL: %s", what, ms_error_message());
    assert_null(ctx->priv);
    assert_null(ctx->scratch);
    if (!*refs)
        *refs = context_refs();
    assert_refs_back_to(*refs);
    char label[160];
    snprintf(label, sizeof label, "%s, C", what);
    assert_close(t->got_c, t->want, t->n, tol_c, label);
    snprintf(label, sizeof label, "%s, OpenCL", what);
    assert_close(t->got_cl, t->want, t->n, 1e-5, label);
}

/* Maps of many sizes (one cell to several work-groups' worth), random
 * values over a random range of amplitudes, random unswept cells; plus a
 * constant map, a map nobody swept and huge and tiny amplitudes. Both paths
 * against the brute force, every time. */
static void zscore_matches_brute_force_many_times(void **state)
{
    test_rng r = {20240601};
    cl_uint refs = 0;
    static const size_t sizes[][2] = {{1, 1},   {1, 7},    {3, 5},
                                      {50, 250}, {17, 1031}, {300, 400}};
    int runs = 0;
    for (int rep = 0; rep < 6; rep++)
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            size_t rows = sizes[z][0], cols = sizes[z][1], n = rows * cols;
            two_in t = two_in_alloc(n);
            float *v = t.in[0], *hits = t.in[1];
            int kind = (rep + (int)z) % 6;
            double amp = pow(10.0, -30.0 + 60.0 * test_rng_uniform(&r));
            double offset = amp * (test_rng_uniform(&r) - 0.5) * 8;
            for (size_t i = 0; i < n; i++) {
                hits[i] = test_rng_uniform(&r) < 0.2 ? 0.0f
                                                     : (float)(1 + i % 3);
                v[i] = (float)(offset + amp * (test_rng_uniform(&r) - 0.5));
                if (kind == 1)
                    v[i] = 7.25f; /* constant: every cell 0 */
                if (kind == 2)
                    hits[i] = 0; /* nobody swept: every cell 0 */
                if (kind == 3)
                    v[i] = (float)(3e37 * (test_rng_uniform(&r) - 0.5));
                if (hits[i] == 0 && kind != 1)
                    v[i] = 0; /* gridding leaves unswept cells at 0 */
            }
            zscore_brute(v, hits, n, t.want);
            ms_stage_ctx ctx = make_ctx("zscore", rows, cols);
            char what[64];
            snprintf(what, sizeof what, "zscore %zu x %zu (kind %d)", rows,
                     cols, kind);
            run_both(&ctx, &t, 1e-6, what, &refs);
            if (kind == 1 || kind == 2)
                for (size_t i = 0; i < n; i++)
                    assert_true(t.got_c[i] == 0.0f && t.got_cl[i] == 0.0f);
            two_in_free(&t);
            runs++;
        }
    printf("# zscore: %d maps, both paths\n", runs);
}

/* Traces shorter than the filter, a work-group's block and longer; every
 * length of filter from 1 to 127 taps a side at random; missing samples. */
static void envelope_matches_brute_force_many_times(void **state)
{
    test_rng r = {777};
    cl_uint refs = 0;
    static const size_t sizes[][2] = {{1, 1},  {1, 2},   {3, 13},
                                      {9, 160}, {5, 257}, {33, 512}};
    int runs = 0;
    for (int rep = 0; rep < 5; rep++)
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            size_t nt = sizes[z][0], ns = sizes[z][1], n = nt * ns;
            int half = rep == 0 ? 15 : 1 + (int)(test_rng_uniform(&r) * 127);
            two_in t = two_in_alloc(n);
            float *s = t.in[0], *m = t.in[1];
            for (size_t i = 0; i < n; i++) {
                m[i] = test_rng_uniform(&r) < 0.05 ? 0.0f : 1.0f;
                s[i] = m[i] > 0 ? (float)(4 * test_rng_uniform(&r) - 2) : 0;
            }
            envelope_brute(s, m, nt, ns, half, t.want);
            ms_stage_ctx ctx = make_ctx("envelope", nt, ns);
            assert_int_equal(
                ms_param_set_named(ctx.decl, &ctx.params, "half_taps", half),
                0);
            char what[64];
            snprintf(what, sizeof what, "envelope %zu x %zu, half_taps %d", nt,
                     ns, half);
            run_both(&ctx, &t, 1e-5, what, &refs);
            two_in_free(&t);
            runs++;
        }
    printf("# envelope: %d inputs, both paths\n", runs);
}

/* Run `name` once through OpenCL with a launch failure armed: init has
 * made the stage's state (checked by hand through ms_stage_begin), the
 * launch fails, the error comes back with the injected code and
 * ms_stage_end frees everything. Then the same through
 * ms_stage_exec_opencl, and a clean run afterwards that must be right. */
static void fail_after_init(const char *name, size_t rows, size_t cols,
                            const float *const in[], float *out,
                            const double *want)
{
    ms_stage_ctx ctx = make_ctx(name, rows, cols);
    const ms_stage_decl *d = ctx.decl;
    size_t n = rows * cols;
    assert_int_equal(d->shape(&ctx), 0);
    cl_mem din[2] = {0}, dout[1] = {0};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ms_cl_alloc(cl, n * sizeof(float), &din[i]), 0);
        assert_int_equal(ms_cl_upload(cl, din[i], in[i], n * sizeof(float)),
                         0);
    }
    assert_int_equal(ms_cl_alloc(cl, n * sizeof(float), &dout[0]), 0);

    /* By hand: begin (init makes the state), fail, end. */
    assert_int_equal(ms_stage_begin(&ctx, cl), 0);
    assert_non_null(ctx.priv);
    ms_cl_arm_fault(cl, CL_OUT_OF_RESOURCES);
    int rc = d->opencl(&ctx, cl, din, dout);
    ms_cl_arm_fault(cl, CL_SUCCESS);
    ms_stage_end(&ctx);
    assert_int_equal(rc, MS_ERR_OPENCL);
    assert_int_equal(ms_cl_last_error(cl), CL_OUT_OF_RESOURCES);
    assert_non_null(strstr(ms_error_message(), "CL_OUT_OF_RESOURCES"));
    assert_null(ctx.priv);
    assert_null(ctx.scratch);
    ms_cl_clear_error(cl);

    /* Through the runner's helper, as the parity test and the benchmark
     * run stages. */
    float *out_cl[1] = {out};
    ms_cl_arm_fault(cl, CL_INVALID_WORK_GROUP_SIZE);
    rc = ms_stage_exec_opencl(cl, &ctx, in, out_cl);
    ms_cl_arm_fault(cl, CL_SUCCESS);
    assert_int_equal(rc, MS_ERR_OPENCL);
    assert_int_equal(ms_cl_last_error(cl), CL_INVALID_WORK_GROUP_SIZE);
    assert_null(ctx.priv);
    ms_cl_clear_error(cl);

    /* Nothing half-made stays behind to spoil the next run. */
    assert_int_equal(ms_stage_exec_opencl(cl, &ctx, in, out_cl), 0);
    assert_close(out, want, n, 1e-5, name);
    for (int i = 0; i < 2; i++)
        ms_cl_release(din[i]);
    ms_cl_release(dout[0]);
}

static void failures_after_init_free_everything(void **state)
{
    test_rng r = {99};
    size_t rows = 40, cols = 300, n = rows * cols;
    float *a = alloc_floats(n), *b = alloc_floats(n), *out = alloc_floats(n);
    double *want_z = malloc(n * sizeof *want_z);
    double *want_e = malloc(n * sizeof *want_e);
    for (size_t i = 0; i < n; i++) {
        b[i] = test_rng_uniform(&r) < 0.1 ? 0.0f : 1.0f;
        a[i] = b[i] > 0 ? (float)(test_rng_uniform(&r) - 0.5) : 0.0f;
    }
    zscore_brute(a, b, n, want_z);
    envelope_brute(a, b, rows, cols, 15, want_e);
    const float *in[2] = {a, b};
    cl_uint refs = 0;
    for (int rep = 0; rep < 20; rep++) {
        fail_after_init("zscore", rows, cols, in, out, want_z);
        fail_after_init("envelope", rows, cols, in, out, want_e);
        if (rep == 0)
            refs = context_refs();
        assert_refs_back_to(refs);
    }
    free(a);
    free(b);
    free(out);
    free(want_z);
    free(want_e);
}

/* init itself failing (a parameter outside its range, which only a caller
 * that skips the recipe's checks can set): the error comes back on both
 * paths and uninit still runs. */
static void failing_init_frees_everything(void **state)
{
    float s[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, m[12], out[12];
    for (int i = 0; i < 12; i++)
        m[i] = 1;
    const float *in[2] = {s, m};
    float *o[1] = {out};
    cl_uint refs = context_refs();
    for (int rep = 0; rep < 10; rep++) {
        ms_stage_ctx ctx = make_ctx("envelope", 2, 6);
        assert_int_equal(ctx.decl->shape(&ctx), 0);
        ms_param_set_named(ctx.decl, &ctx.params, "half_taps", 0);
        assert_int_equal(ms_stage_exec_cpu(&ctx, in, o),
                         MS_ERR_INVALID_INPUT);
        assert_int_equal(ms_stage_exec_opencl(cl, &ctx, in, o),
                         MS_ERR_INVALID_INPUT);
        assert_null(ctx.priv);
        assert_null(ctx.scratch);
        assert_refs_back_to(refs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zscore_matches_brute_force_many_times),
        cmocka_unit_test(envelope_matches_brute_force_many_times),
        cmocka_unit_test(failures_after_init_free_everything),
        cmocka_unit_test(failing_init_frees_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
