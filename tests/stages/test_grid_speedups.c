/* grid and grid_volume against brute force over every point, on the C path
 * and through each of their kernels (the per-cell ones GPUs run and the
 * CPU ones) on whatever OpenCL device there is: the binned search with its
 * row spans and trimmed extents, the gathered values, and grid_volume's
 * planes taken 8 and 32 at a time must give the definition: the
 * Gaussian-weighted mean (sigma = radius / 2) of the present values within
 * the radius of each cell centre, and the number of them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "minescan/error.h"
#include "runner/runner.h"
#include "stages/grid_common.h"
#include "test_util.h"

static ms_cl *cl;

static int setup(void **state)
{
    cl = test_cl_open(); /* NULL: the C path only */
    return 0;
}

static int teardown(void **state)
{
    ms_grid_force_kernels(MS_GRID_KERNELS_AUTO);
    ms_cl_destroy(cl);
    return 0;
}

static const ms_env lane = {.dt_s = 1e-10, .lane_x_min = 0, .lane_x_max = 1.0,
                            .lane_y_min = 0, .lane_y_max = 0.5};

/* n points over the lane and 0.25 m beyond it on every side, values in
 * [-1, 1] in nz planes, ~10 % of them missing; a missing value holds
 * garbage (NaN or 1e30), which must weigh nothing. */
typedef struct points {
    size_t n, nz;
    float *v, *m, *xy;
} points;

static points make_points(size_t n, size_t nz, uint64_t seed)
{
    test_rng r = {seed};
    points p = {n, nz, malloc(n * nz * sizeof(float)),
                malloc(n * nz * sizeof(float)), malloc(2 * n * sizeof(float))};
    for (size_t i = 0; i < n * nz; i++) {
        p.v[i] = (float)(2.0 * test_rng_uniform(&r) - 1.0);
        p.m[i] = test_rng_uniform(&r) < 0.1 ? 0.0f : 1.0f;
        if (p.m[i] == 0.0f)
            p.v[i] = i % 2 ? NAN : 1e30f;
    }
    for (size_t k = 0; k < n; k++) {
        p.xy[2 * k] = (float)(-0.25 + 1.5 * test_rng_uniform(&r));
        p.xy[2 * k + 1] = (float)(-0.25 + 1.0 * test_rng_uniform(&r));
    }
    return p;
}

static void free_points(points *p)
{
    free(p->v);
    free(p->m);
    free(p->xy);
}

/* The definition, in double over every point: mean[z][iy][ix] and the hit
 * count of plane 0. */
static void brute_force(const points *p, size_t nx, size_t ny, double cell,
                        double radius, double *mean, double *hits)
{
    double *sum = malloc((p->nz + 1) * sizeof *sum);
    double *wsum = malloc((p->nz + 1) * sizeof *wsum);
    for (size_t iy = 0; iy < ny; iy++)
        for (size_t ix = 0; ix < nx; ix++) {
            double cx = (ix + 0.5) * cell, cy = (iy + 0.5) * cell;
            for (size_t z = 0; z < p->nz; z++)
                sum[z] = wsum[z] = 0;
            double count = 0;
            for (size_t k = 0; k < p->n; k++) {
                double dx = p->xy[2 * k] - cx, dy = p->xy[2 * k + 1] - cy;
                double r2 = dx * dx + dy * dy;
                if (r2 > radius * radius)
                    continue;
                double w = exp(-r2 * 2.0 / (radius * radius));
                for (size_t z = 0; z < p->nz; z++)
                    if (p->m[k * p->nz + z] > 0) {
                        sum[z] += w * p->v[k * p->nz + z];
                        wsum[z] += w;
                        count += z == 0;
                    }
            }
            for (size_t z = 0; z < p->nz; z++)
                mean[(z * ny + iy) * nx + ix] =
                    wsum[z] > 0 ? sum[z] / wsum[z] : 0;
            hits[iy * nx + ix] = count;
        }
    free(sum);
    free(wsum);
}

/* Which way to run a stage. */
typedef enum { PATH_C, PATH_GPU_KERNELS, PATH_CPU_KERNELS, N_PATHS } path;
static const char *const path_names[] = {"C", "per-cell kernels",
                                         "CPU kernels"};

/* ms_stage_exec_opencl, but with the output buffers filled with NaN first,
 * so that an element no kernel writes shows (a fresh buffer may reuse the
 * memory of the previous way's, holding its right answers). */
static int exec_opencl_poisoned(ms_stage_ctx *ctx, const float *const in[],
                                float *const out[])
{
    const ms_stage_decl *d = ctx->decl;
    cl_mem din[MS_MAX_IO] = {0}, dout[MS_MAX_IO] = {0};
    int rc = 0;
    for (unsigned i = 0; i < d->n_in && !rc; i++) {
        size_t bytes = ms_shape_count(ctx->in[i]) * sizeof(float);
        rc = ms_cl_alloc(cl, bytes, &din[i]);
        if (!rc)
            rc = ms_cl_upload(cl, din[i], in[i], bytes);
    }
    for (unsigned o = 0; o < d->n_out && !rc; o++) {
        size_t count = ms_shape_count(ctx->out[o]);
        for (size_t k = 0; k < count; k++)
            out[o][k] = NAN;
        rc = ms_cl_alloc(cl, count * sizeof(float), &dout[o]);
        if (!rc)
            rc = ms_cl_upload(cl, dout[o], out[o], count * sizeof(float));
    }
    if (!rc)
        rc = ms_stage_begin(ctx, cl);
    if (!rc)
        rc = d->opencl(ctx, cl, din, dout);
    for (unsigned o = 0; o < d->n_out && !rc; o++)
        rc = ms_cl_download(cl, dout[o], out[o],
                            ms_shape_count(ctx->out[o]) * sizeof(float));
    ms_stage_end(ctx);
    for (unsigned i = 0; i < MS_MAX_IO; i++) {
        ms_cl_release(din[i]);
        ms_cl_release(dout[i]);
    }
    return rc;
}

/* Run `stage` (grid with column `channel`, or grid_volume) on `p` one
 * way; 0 or the error. out0, out1: the map or volume, the hit count. */
static int run_stage(const char *stage, path way, const points *p,
                     double cell, double radius, int channel, ms_stage_ctx *ctx,
                     float **out0, float **out1)
{
    const ms_stage_decl *d = ms_stage_find(stage);
    assert_non_null(d);
    *ctx = (ms_stage_ctx){.decl = d, .env = &lane};
    ms_stage_defaults(d, &ctx->params);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "cell_m", cell), 0);
    assert_int_equal(ms_param_set_named(d, &ctx->params, "radius_m", radius),
                     0);
    if (channel >= 0)
        assert_int_equal(
            ms_param_set_named(d, &ctx->params, "channel", channel), 0);
    ctx->in[0] = (ms_shape){MS_ARRAY_SERIES, {p->n, p->nz, 1}};
    ctx->in[1] = (ms_shape){MS_ARRAY_MASK, {p->n, p->nz, 1}};
    ctx->in[2] = (ms_shape){MS_ARRAY_POINTS, {p->n, 2, 1}};
    assert_int_equal(d->shape(ctx), 0);
    *out0 = malloc((ms_shape_count(ctx->out[0]) + 1) * sizeof(float));
    *out1 = malloc((ms_shape_count(ctx->out[1]) + 1) * sizeof(float));
    const float *in[3] = {p->v, p->m, p->xy};
    float *out[2] = {*out0, *out1};
    if (way == PATH_C)
        return ms_stage_exec_cpu(ctx, in, out);
    ms_grid_force_kernels(way == PATH_CPU_KERNELS ? MS_GRID_KERNELS_CPU
                                                  : MS_GRID_KERNELS_GPU);
    int rc = exec_opencl_poisoned(ctx, in, out);
    ms_grid_force_kernels(MS_GRID_KERNELS_AUTO);
    return rc;
}

/* Hold one run to the brute force: hits exactly, means within 1e-5 (the
 * values are within [-1, 1]). Returns the number of disagreements. */
static int compare(const char *what, size_t count, const float *got,
                   const double *want, double tol)
{
    int bad = 0;
    for (size_t i = 0; i < count; i++)
        if (!(fabs(got[i] - want[i]) <= tol)) {
            if (bad++ < 5)
                fprintf(stderr, "%s: [%zu] got %.9g, want %.9g\n", what, i,
                        (double)got[i], want[i]);
        }
    return bad;
}

static const double cases[][2] = {
    {0.02, 0.03},  /* radius 1.5 cells */
    {0.05, 0.11},  /* 2.2 */
    {0.1, 0.1},    /* exactly one cell */
    {0.013, 0.07}, /* 5.4 */
    {0.04, 0.01},  /* a quarter of a cell */
    {0.1, 0.45},   /* 4.5, most of the lane */
    {0.02, 0.08},  /* the default: 4 */
};

/* Run `stage` on `in` (grid: its column `channel`) each way and hold it
 * to the brute force over `ref` (the same points: for grid, that column
 * alone). Returns the number of disagreements. */
static int check_every_way(const char *stage, const points *in, int channel,
                           const points *ref, double cell, double radius)
{
    size_t nx, ny;
    ms_grid_size(&lane, cell, &nx, &ny);
    double *mean = malloc((ref->nz * nx * ny + 1) * sizeof *mean);
    double *hits = malloc(nx * ny * sizeof *hits);
    brute_force(ref, nx, ny, cell, radius, mean, hits);
    int failures = 0;
    for (int way = 0; way < N_PATHS; way++) {
        if (way != PATH_C && !cl)
            continue;
        ms_stage_ctx ctx;
        float *o0, *h;
        int rc = run_stage(stage, (path)way, in, cell, radius, channel, &ctx,
                           &o0, &h);
        if (rc)
            fprintf(stderr, "%s %s: %s\n", stage, path_names[way],
                    ms_error_message());
        assert_int_equal(rc, 0);
        assert_int_equal(ms_shape_count(ctx.out[0]), ref->nz * nx * ny);
        char what[128];
        snprintf(what, sizeof what, "%s %s nz=%zu cell=%g radius=%g", stage,
                 path_names[way], ref->nz, cell, radius);
        failures += compare(what, ref->nz * nx * ny, o0, mean, 1e-5);
        failures += compare(what, nx * ny, h, hits, 0);
        free(o0);
        free(h);
    }
    free(mean);
    free(hits);
    return failures;
}

/* grid_volume: every plane of every cell, with nz of one plane, under one
 * vector of 8, not a multiple of 8, and over the 32 planes a work-item
 * takes (and not a multiple of that). */
static void grid_volume_matches_brute_force(void **state)
{
    const size_t nzs[] = {1, 5, 20, 45};
    int failures = 0;
    for (size_t zi = 0; zi < sizeof nzs / sizeof nzs[0]; zi++) {
        points p = make_points(500, nzs[zi], 11 + zi);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
            failures += check_every_way("grid_volume", &p, -1, &p,
                                        cases[c][0], cases[c][1]);
        free_points(&p);
    }
    assert_int_equal(failures, 0);
}

/* grid: one column of several, each way. */
static void grid_matches_brute_force_every_way(void **state)
{
    int failures = 0;
    points all = make_points(700, 3, 5);
    /* the brute force over column 2 alone */
    points col = make_points(700, 1, 5);
    for (size_t k = 0; k < all.n; k++) {
        col.v[k] = all.v[k * 3 + 2];
        col.m[k] = all.m[k * 3 + 2];
    }
    memcpy(col.xy, all.xy, 2 * all.n * sizeof(float));
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        failures += check_every_way("grid", &all, 2, &col, cases[c][0],
                                    cases[c][1]);
    free_points(&all);
    free_points(&col);
    assert_int_equal(failures, 0);
}

/* Points on a lattice of half cells, so that many lie exactly on a cell
 * edge, at a cell centre or exactly one radius from a centre (radius a
 * whole or half number of cells): the neighbours found through the bins
 * must be exactly those of the single-precision test over every point,
 * the hits of every way equal to that count. */
static void boundary_points_are_found(void **state)
{
    const double lattice[][2] = {{0.02, 0.04}, {0.02, 0.05}, {0.05, 0.05},
                                 {0.04, 0.02}, {0.1, 0.3}};
    int failures = 0;
    for (size_t c = 0; c < sizeof lattice / sizeof lattice[0]; c++) {
        float cell = (float)lattice[c][0], radius = (float)lattice[c][1];
        size_t nx, ny;
        ms_grid_size(&lane, cell, &nx, &ny);
        /* half-cell lattice from one cell before the lane to one after */
        size_t gx = 2 * nx + 5, gy = 2 * ny + 5;
        points p = make_points(gx * gy, 1, 3);
        for (size_t j = 0; j < gy; j++)
            for (size_t i = 0; i < gx; i++) {
                size_t k = j * gx + i;
                p.xy[2 * k] = ((float)i - 2.0f) * 0.5f * cell;
                p.xy[2 * k + 1] = ((float)j - 2.0f) * 0.5f * cell;
                p.m[k] = 1.0f;
                p.v[k] = 1.0f;
            }
        float r2max = radius * radius;
        for (int way = 0; way < N_PATHS; way++) {
            if (way != PATH_C && !cl)
                continue;
            for (int stage = 0; stage < 2; stage++) {
                ms_stage_ctx ctx;
                float *o0, *h;
                assert_int_equal(run_stage(stage ? "grid_volume" : "grid",
                                           (path)way, &p, cell, radius,
                                           stage ? -1 : 0, &ctx, &o0, &h),
                                 0);
                for (size_t iy = 0; iy < ny; iy++)
                    for (size_t ix = 0; ix < nx; ix++) {
                        float cx = ((float)ix + 0.5f) * cell;
                        float cy = ((float)iy + 0.5f) * cell;
                        float count = 0;
                        for (size_t k = 0; k < p.n; k++) {
                            float dx = p.xy[2 * k] - cx;
                            float dy = p.xy[2 * k + 1] - cy;
                            volatile float dx2 = dx * dx, dy2 = dy * dy;
                            count += dx2 + dy2 <= r2max;
                        }
                        if (h[iy * nx + ix] != count && failures++ < 5)
                            fprintf(stderr,
                                    "%s %s cell=%g radius=%g (%zu, %zu): "
                                    "%g hits, %g points within\n",
                                    stage ? "grid_volume" : "grid",
                                    path_names[way], cell, radius, ix, iy,
                                    (double)h[iy * nx + ix], (double)count);
                    }
                free(o0);
                free(h);
            }
        }
        free_points(&p);
    }
    assert_int_equal(failures, 0);
}

/* trace_stack on traces at regular spacing (a cart's lines, a sweep's
 * steady pace), where neighbours lie exactly one radius away: each kernel
 * takes the same neighbours as the C reference (its distance test must
 * not be contracted into a fused multiply-add), seen as the same stacks of
 * traces that each hold their own value. */
static void trace_stack_lattice_agrees(void **state)
{
    if (!cl)
        skip();
    const double spacing[][2] = {{0.01, 0.02}, {0.005, 0.02}, {0.03, 0.03},
                                 {0.01, 0.05}};
    const ms_stage_decl *d = ms_stage_find("trace_stack");
    for (size_t c = 0; c < sizeof spacing / sizeof spacing[0]; c++) {
        float step = (float)spacing[c][0];
        size_t gx = (size_t)(1.0 / step) + 1, gy = (size_t)(0.5 / step) + 1;
        size_t n = gx * gy, ns = 3;
        float *v = malloc(n * ns * sizeof *v), *m = malloc(n * ns * sizeof *m);
        float *xy = malloc(2 * n * sizeof *xy);
        float *a[2], *b[2];
        for (int k = 0; k < 2; k++) {
            a[k] = malloc(n * ns * sizeof(float));
            b[k] = malloc(n * ns * sizeof(float));
        }
        for (size_t j = 0; j < gy; j++)
            for (size_t i = 0; i < gx; i++) {
                size_t t = j * gx + i;
                xy[2 * t] = (float)i * step;
                xy[2 * t + 1] = (float)j * step;
                for (size_t k = 0; k < ns; k++) {
                    v[t * ns + k] = (float)(t % 97) + (float)k;
                    m[t * ns + k] = 1.0f;
                }
            }
        ms_stage_ctx ctx = {.decl = d, .env = &lane};
        ms_stage_defaults(d, &ctx.params);
        ms_param_set_named(d, &ctx.params, "radius_m", spacing[c][1]);
        ctx.in[0] = (ms_shape){MS_ARRAY_TRACES, {n, ns, 1}};
        ctx.in[1] = (ms_shape){MS_ARRAY_MASK, {n, ns, 1}};
        ctx.in[2] = (ms_shape){MS_ARRAY_POINTS, {n, 2, 1}};
        assert_int_equal(d->shape(&ctx), 0);
        const float *in[3] = {v, m, xy};
        assert_int_equal(ms_stage_exec_cpu(&ctx, in, a), 0);
        for (int way = PATH_GPU_KERNELS; way < N_PATHS; way++) {
            ms_grid_force_kernels(way == PATH_CPU_KERNELS
                                      ? MS_GRID_KERNELS_CPU
                                      : MS_GRID_KERNELS_GPU);
            int rc = exec_opencl_poisoned(&ctx, in, b);
            ms_grid_force_kernels(MS_GRID_KERNELS_AUTO);
            assert_int_equal(rc, 0);
            size_t differ = 0;
            for (size_t k = 0; k < n * ns; k++)
                differ += !(fabsf(a[0][k] - b[0][k]) <= 1e-6f * 100.0f) ||
                          a[1][k] != b[1][k];
            if (differ)
                fail_msg("trace_stack spacing %g radius %g: %zu of %zu "
                         "samples differ between the C path and the %s",
                         spacing[c][0], spacing[c][1], differ, n * ns,
                         path_names[way]);
        }
        for (int k = 0; k < 2; k++) {
            free(a[k]);
            free(b[k]);
        }
        free(v);
        free(m);
        free(xy);
    }
}

/* No points, and points with no planes: maps of zeros, no hits. */
static void empty_inputs_give_zeros(void **state)
{
    for (int way = 0; way < N_PATHS; way++) {
        if (way != PATH_C && !cl)
            continue;
        for (size_t nz = 0; nz < 2; nz++) {
            points p = make_points(nz ? 0 : 40, nz, 9);
            ms_stage_ctx ctx;
            float *o0, *h;
            assert_int_equal(run_stage("grid_volume", (path)way, &p, 0.05, 0.1,
                                       -1, &ctx, &o0, &h),
                             0);
            for (size_t i = 0; i < ms_shape_count(ctx.out[0]); i++)
                assert_float_equal(o0[i], 0.0f, 0);
            for (size_t i = 0; i < ms_shape_count(ctx.out[1]); i++)
                assert_float_equal(h[i], 0.0f, 0);
            free(o0);
            free(h);
            free_points(&p);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grid_volume_matches_brute_force),
        cmocka_unit_test(grid_matches_brute_force_every_way),
        cmocka_unit_test(boundary_points_are_found),
        cmocka_unit_test(empty_inputs_give_zeros),
        cmocka_unit_test(trace_stack_lattice_agrees),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
