/* migrate_stolt: Stolt (F-K) migration of a straight line of traces (a
 * cart line, a gprMax B-scan) at a constant velocity. The traces from the
 * ground surface on (surface_ns after time zero) are zero-padded to twice
 * their size in time and in x (so that nothing wraps round), transformed
 * over time and x, and each output wavenumber-frequency (kx, w_tau) takes
 * the input at w = sign(w_tau) sqrt(w_tau^2 + (v kx / 2)^2) (the exploding
 * reflector's dispersion, two-way time, v/2), interpolated linearly
 * between frequency bins and scaled by w_tau / w (the obliquity, the
 * Jacobian of the change of variable); the inverse transform is the image
 * in vertical two-way time, on the input's samples (what lies above the
 * surface is passed on as it was). Traces are taken as evenly spaced at
 * their mean spacing along the path.
 *
 * The C reference transforms in double with a plain radix-2 FFT; the
 * OpenCL path uses VkFFT (single precision) between pack, map and unpack
 * kernels. The map (source bins and weights) is computed on the host for
 * both, from the same doubles. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/fft_ref.h"
#include "stages/stage.h"

#define STOLT_PI 3.14159265358979323846

typedef struct migrate_stolt_params {
    double velocity_m_per_ns;
    double surface_ns;
} migrate_stolt_params;
MS_STAGE_PARAMS(migrate_stolt_params);

static const ms_param_decl params[] = {
    {"velocity_m_per_ns", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_stolt_params, velocity_m_per_ns), 0.1, 0.03, 0.3, "m/ns",
     "radar velocity in the soil (0.15 dry sand, 0.1 loam, 0.067 wet clay)"},
    {"surface_ns", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_stolt_params, surface_ns), 0.5, 0.0, 1000.0, "ns",
     "time of the ground surface after time zero: ground_align's target_ns"},
};

/* The sizes of one migration. */
typedef struct stolt_plan {
    size_t n, ns;   /* traces, samples */
    size_t s0;      /* first sample at or below the surface */
    size_t nxp, ntp; /* padded sizes (powers of two) */
} stolt_plan;

static stolt_plan plan_of(const ms_stage_ctx *ctx)
{
    const migrate_stolt_params *p = MS_P(ctx, migrate_stolt_params);
    stolt_plan s;
    s.n = ctx->in[0].dims[0];
    s.ns = ctx->in[0].dims[1];
    double first = (p->surface_ns * 1e-9 + ctx->env->time_zero_s) /
                   ctx->env->dt_s;
    s.s0 = first <= 0 ? 0 : first >= (double)s.ns ? s.ns : (size_t)ceil(first - 1e-9);
    s.nxp = ms_fft_size(2 * s.n);
    s.ntp = ms_fft_size(2 * (s.ns - s.s0));
    return s;
}

static int shape(ms_stage_ctx *ctx)
{
    if (ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "migrate_stolt: sample interval unknown");
    if (ctx->in[2].dims[0] != ctx->in[0].dims[0])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "migrate_stolt: %zu traces and %zu positions",
                       ctx->in[0].dims[0], ctx->in[2].dims[0]);
    stolt_plan s = plan_of(ctx);
    if (s.nxp > ((size_t)1 << 26) / s.ntp)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "migrate_stolt: %zu traces of %zu samples are too "
                       "many for one F-K transform; split the line",
                       s.n, s.ns);
    if (s.s0 >= s.ns)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the surface is below the end of the traces: nothing to "
                 "migrate");
    ctx->out[0] = ctx->in[0];
    ctx->out[0].kind = MS_ARRAY_TRACES;
    return 0;
}

/* Columns transformed together along x: four complex doubles are one
 * 64-byte cache line of a row. */
#define COLS 4

/* Memory beyond inputs and outputs, the larger of the two paths': on
 * the device two complex float planes and the map (two indices and two
 * weights per entry); on the host (the C reference) two complex double
 * planes and COLS complex columns. */
static size_t work_bytes(const ms_stage_ctx *ctx)
{
    stolt_plan s = plan_of(ctx);
    size_t dev = s.nxp * s.ntp * (2 * 2 * sizeof(float) + 2 * sizeof(int) +
                                  2 * sizeof(float));
    size_t host = (2 * 2 * s.nxp * s.ntp + 2 * COLS * s.nxp) * sizeof(double);
    return dev > host ? dev : host;
}

/* The mean trace spacing along the path; 1 cm for a single trace or
 * traces all at one place. */
static double spacing(const float *xy, size_t n)
{
    double len = 0.0;
    for (size_t i = 1; i < n; i++)
        len += hypot((double)xy[2 * i] - xy[2 * i - 2],
                     (double)xy[2 * i + 1] - xy[2 * i - 1]);
    return n > 1 && len > 0 ? len / (double)(n - 1) : 0.01;
}

/* The map's geometry: u = v / 2 in m/s, the x spacing, the time step. */
typedef struct stolt_geom {
    double u, dx, dt;
} stolt_geom;

/* Column a's horizontal wavenumber, column q's vertical frequency (and
 * its signed bin kq). */
static double kx_of(const stolt_plan *s, const stolt_geom *g, long a)
{
    long nxp = (long)s->nxp;
    return 2.0 * STOLT_PI * (double)(a < nxp / 2 ? a : a - nxp) /
           ((double)nxp * g->dx);
}

static double wt_of(const stolt_plan *s, const stolt_geom *g, long q,
                    long *kq)
{
    long ntp = (long)s->ntp;
    *kq = q < ntp / 2 ? q : q - ntp;
    return 2.0 * STOLT_PI * (double)*kq / ((double)ntp * g->dt);
}

/* Map entry (a, q), from kx_of(a) and wt_of(q): output bin a * ntp + q
 * takes w0 * in[i0] + w1 * in[i1]; i0 = -1 for nothing. */
static void map_entry(const stolt_plan *s, const stolt_geom *g, long a,
                      double kx, long kq, double wt, int *i0, int *i1,
                      float *w0, float *w1)
{
    long ntp = (long)s->ntp;
    *i0 = *i1 = -1;
    *w0 = *w1 = 0.0f;
    if (kq == 0 && kx != 0.0)
        return; /* no image at zero vertical frequency */
    double w = (kq < 0 ? -1.0 : 1.0) * sqrt(wt * wt + g->u * g->u * kx * kx);
    double bin = w * (double)ntp * g->dt / (2.0 * STOLT_PI);
    if (fabs(bin) >= (double)(ntp / 2 - 1))
        return; /* beyond the band sampled */
    double lo = floor(bin), fr = bin - lo;
    double scale = w != 0.0 ? wt / w : 1.0;
    /* |lo| < ntp / 2: one wrap at most */
    long b0 = (long)lo < 0 ? (long)lo + ntp : (long)lo;
    long b1 = b0 + 1 == ntp ? 0 : b0 + 1;
    *i0 = (int)((size_t)a * (size_t)ntp + (size_t)b0);
    *i1 = (int)((size_t)a * (size_t)ntp + (size_t)b1);
    *w0 = (float)((1.0 - fr) * scale);
    *w1 = (float)(fr * scale);
}

static stolt_geom geom_of(const ms_stage_ctx *ctx, double dx)
{
    const migrate_stolt_params *p = MS_P(ctx, migrate_stolt_params);
    return (stolt_geom){p->velocity_m_per_ns * 1e9 / 2.0, dx, ctx->env->dt_s};
}

/* The whole map, for the OpenCL path's kernel. */
static void build_map(const ms_stage_ctx *ctx, const stolt_plan *s,
                      double dx, int *i0, int *i1, float *w0, float *w1)
{
    stolt_geom g = geom_of(ctx, dx);
    for (long a = 0; a < (long)s->nxp; a++) {
        double kx = kx_of(s, &g, a);
        for (long q = 0; q < (long)s->ntp; q++) {
            size_t e = (size_t)a * s->ntp + (size_t)q;
            long kq;
            double wt = wt_of(s, &g, q, &kq);
            map_entry(s, &g, a, kx, kq, wt, &i0[e], &i1[e], &w0[e], &w1[e]);
        }
    }
}

/* The transform along x of columns 0 .. ncols - 1, COLS at a time:
 * gathered into contiguous buffers (col, COLS * nxp complex values),
 * transformed and put back, so that each pass over the plane reads whole
 * cache lines instead of one value a row apart per butterfly. */
static void fft_columns(double *z, const stolt_plan *s, const ms_fft_plan *px,
                        int sign, size_t ncols, double *col)
{
    size_t nxp = s->nxp, ntp = s->ntp;
    for (size_t q0 = 0; q0 < ncols; q0 += COLS) {
        size_t nc = ncols - q0 < COLS ? ncols - q0 : COLS;
        for (size_t a = 0; a < nxp; a++)
            for (size_t c = 0; c < nc; c++) {
                col[2 * (c * nxp + a)] = z[2 * (a * ntp + q0 + c)];
                col[2 * (c * nxp + a) + 1] = z[2 * (a * ntp + q0 + c) + 1];
            }
        for (size_t c = 0; c < nc; c++)
            ms_fft_run(px, col + 2 * c * nxp, 1, sign);
        for (size_t a = 0; a < nxp; a++)
            for (size_t c = 0; c < nc; c++) {
                z[2 * (a * ntp + q0 + c)] = col[2 * (c * nxp + a)];
                z[2 * (a * ntp + q0 + c) + 1] = col[2 * (c * nxp + a) + 1];
            }
    }
}

/* The C reference. The traces are real, so the spectrum is Hermitian
 * (the value at (-kx, -w) the conjugate of that at (kx, w)), and so is the
 * image's: the map takes the columns of w >= 0 from columns of w >= 0
 * only (and mirrors itself for w < 0), so only columns 0 .. ntp/2 - 1 are
 * transformed along x and mapped, and each kept row's other half is
 * their conjugate. Forward along time (only the first n rows: the
 * padding rows are zero and stay zero), then along x; the map, entry by
 * entry as build_map makes it; back along x, then along time for the
 * first n rows (the only ones kept), whose real part is the image. */
static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    stolt_plan s = plan_of(ctx);
    size_t total = s.nxp * s.ntp;
    memcpy(out[0], in[0], s.n * s.ns * sizeof(float));
    if (s.s0 >= s.ns || s.n == 0)
        return 0;
    double *a, *b, *col;
    ms_fft_plan pt = {0}, px = {0};
    int rc = ms_stage_scratch_host(ctx, 2 * total * sizeof *a, (void **)&a);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, 2 * total * sizeof *b, (void **)&b);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, 2 * COLS * s.nxp * sizeof *col,
                                   (void **)&col);
    if (rc)
        return rc;
    memset(a, 0, 2 * total * sizeof *a);
    if ((rc = ms_fft_plan_make(&pt, s.ntp)) ||
        (rc = ms_fft_plan_make(&px, s.nxp)))
        goto done;
    stolt_geom g = geom_of(ctx, spacing(in[2], s.n));
    for (size_t i = 0; i < s.n; i++)
        for (size_t j = s.s0; j < s.ns; j++)
            a[2 * (i * s.ntp + j - s.s0)] =
                (double)in[0][i * s.ns + j] * in[1][i * s.ns + j];
    size_t half = s.ntp / 2;
    for (size_t i = 0; i < s.n; i++)
        ms_fft_run(&pt, a + 2 * i * s.ntp, 1, -1);
    fft_columns(a, &s, &px, -1, half, col);
    for (size_t r = 0; r < s.nxp; r++) {
        double kx = kx_of(&s, &g, (long)r);
        for (size_t q = 0; q < half; q++) {
            size_t e = r * s.ntp + q;
            int i0, i1;
            float w0, w1;
            long kq;
            double wt = wt_of(&s, &g, (long)q, &kq);
            map_entry(&s, &g, (long)r, kx, kq, wt, &i0, &i1, &w0, &w1);
            b[2 * e] = b[2 * e + 1] = 0.0;
            if (i0 < 0)
                continue;
            b[2 * e] = w0 * a[2 * (size_t)i0] + w1 * a[2 * (size_t)i1];
            b[2 * e + 1] = w0 * a[2 * (size_t)i0 + 1] +
                           w1 * a[2 * (size_t)i1 + 1];
        }
    }
    fft_columns(b, &s, &px, 1, half, col);
    for (size_t i = 0; i < s.n; i++) {
        double *row = b + 2 * i * s.ntp;
        row[2 * half] = row[2 * half + 1] = 0.0; /* beyond the band */
        for (size_t q = half + 1; q < s.ntp; q++) {
            row[2 * q] = row[2 * (s.ntp - q)];
            row[2 * q + 1] = -row[2 * (s.ntp - q) + 1];
        }
        ms_fft_run(&pt, row, 1, 1);
    }
    for (size_t i = 0; i < s.n; i++)
        for (size_t j = s.s0; j < s.ns; j++)
            out[0][i * s.ns + j] =
                (float)(b[2 * (i * s.ntp + j - s.s0)] / (double)total);
done:
    ms_fft_plan_free(&pt);
    ms_fft_plan_free(&px);
    return rc;
}

static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    stolt_plan s = plan_of(ctx);
    size_t total = s.nxp * s.ntp;
    float *xy;
    int *i0, *i1;
    float *w0, *w1;
    cl_mem a, b, d_i0, d_i1, d_w0, d_w1;
    int rc = ms_stage_scratch_host(ctx, (s.n ? s.n : 1) * 2 * sizeof(float),
                                   (void **)&xy);
    if (!rc && s.n)
        rc = ms_cl_download(cl, in[2], xy, s.n * 2 * sizeof(float));
    if (!rc)
        rc = ms_stage_scratch_host(ctx, total * sizeof(int), (void **)&i0);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, total * sizeof(int), (void **)&i1);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, total * sizeof(float), (void **)&w0);
    if (!rc)
        rc = ms_stage_scratch_host(ctx, total * sizeof(float), (void **)&w1);
    if (rc)
        return rc;
    if (s.s0 >= s.ns || s.n == 0) {
        ms_cl_arg args[] = {MS_CL_MEM(in[0]), MS_CL_MEM(out[0]),
                            MS_CL_INT(s.n * s.ns)};
        size_t global[1] = {s.n * s.ns > 0 ? s.n * s.ns : 1};
        return ms_cl_launch(cl, "migrate_stolt", "stolt_copy", 1, global,
                            NULL, args, 3);
    }
    build_map(ctx, &s, spacing(xy, s.n), i0, i1, w0, w1);
    if ((rc = ms_stage_scratch_device(ctx, cl, total * 2 * sizeof(float), &a)) ||
        (rc = ms_stage_scratch_device(ctx, cl, total * 2 * sizeof(float), &b)) ||
        (rc = ms_stage_scratch_device(ctx, cl, total * sizeof(int), &d_i0)) ||
        (rc = ms_stage_scratch_device(ctx, cl, total * sizeof(int), &d_i1)) ||
        (rc = ms_stage_scratch_device(ctx, cl, total * sizeof(float), &d_w0)) ||
        (rc = ms_stage_scratch_device(ctx, cl, total * sizeof(float), &d_w1)) ||
        (rc = ms_cl_upload(cl, d_i0, i0, total * sizeof(int))) ||
        (rc = ms_cl_upload(cl, d_i1, i1, total * sizeof(int))) ||
        (rc = ms_cl_upload(cl, d_w0, w0, total * sizeof(float))) ||
        (rc = ms_cl_upload(cl, d_w1, w1, total * sizeof(float))))
        return rc;
    ms_cl_arg pack[] = {MS_CL_MEM(in[0]), MS_CL_MEM(in[1]), MS_CL_MEM(a),
                        MS_CL_INT(s.n),   MS_CL_INT(s.ns),  MS_CL_INT(s.s0),
                        MS_CL_INT(s.ntp)};
    size_t g2[2] = {s.ntp, s.nxp};
    if ((rc = ms_cl_launch(cl, "migrate_stolt", "stolt_pack", 2, g2, NULL,
                           pack, 7)) ||
        (rc = ms_vkfft_2d(cl, a, s.ntp, s.nxp, 0, "migrate_stolt")))
        return rc;
    ms_cl_arg map[] = {MS_CL_MEM(a),    MS_CL_MEM(b),    MS_CL_MEM(d_i0),
                       MS_CL_MEM(d_i1), MS_CL_MEM(d_w0), MS_CL_MEM(d_w1),
                       MS_CL_INT(total)};
    size_t g1[1] = {total};
    if ((rc = ms_cl_launch(cl, "migrate_stolt", "stolt_map", 1, g1, NULL, map,
                           7)) ||
        (rc = ms_vkfft_2d(cl, b, s.ntp, s.nxp, 1, "migrate_stolt")))
        return rc;
    ms_cl_arg unpack[] = {MS_CL_MEM(b),    MS_CL_MEM(in[0]), MS_CL_MEM(out[0]),
                          MS_CL_INT(s.n),  MS_CL_INT(s.ns),  MS_CL_INT(s.s0),
                          MS_CL_INT(s.ntp), MS_CL_FLOAT(1.0 / (double)total)};
    size_t gu[2] = {s.ns, s.n};
    return ms_cl_launch(cl, "migrate_stolt", "stolt_unpack", 2, gu, NULL,
                        unpack, 8);
}

const ms_stage_decl ms_stage_migrate_stolt = {
    .name = "migrate_stolt",
    .summary = "Stolt (F-K) migration of a straight line of traces at a "
               "constant velocity (inputs: traces, mask, positions)",
    .n_in = 3, .n_out = 1,
    .in_slots = {"gpr", "gpr_valid", "gpr_xy"},
    .out_slots = {"gpr_stolt"},
    .in_kinds = {MS_ARRAY_TRACES, MS_ARRAY_MASK, MS_ARRAY_POINTS},
    .params = params, .n_params = 2,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = work_bytes,
    .tolerance = 1e-5,
};
