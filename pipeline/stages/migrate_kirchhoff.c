/* migrate_kirchhoff: 3-D Kirchhoff (diffraction-summation) migration of a
 * gridded x-y-time volume (time_bins then grid_volume, [planes][ny][nx])
 * into an x-y-depth volume. A point scatterer at depth z below cell c
 * echoes at two-way time T = surface + 2 sqrt(z^2 + r^2) / v in a cell at
 * horizontal distance r (antennas on the ground): a hyperboloid. The
 * output at (c, z) is the weighted mean of the input along that
 * hyperboloid over the cells within `aperture_m`, so the scatterer's
 * energy, spread over the hyperboloid, is gathered back to its apex while
 * what does not lie on one averages out.
 *
 * Weight: the obliquity cos(theta) = z / R (R = sqrt(z^2 + r^2)), which
 * favours near-vertical paths where the antenna pattern puts its energy
 * and the wavelet is not stretched. We do not multiply by the spreading
 * correction R (it would cancel the obliquity to a constant, giving the
 * far flanks, where the gridded data are thinnest, full weight) nor apply
 * the time-derivative (rho) filter: the products downstream are energies
 * in depth windows, where a 90-degree phase and an omega scaling of a
 * band-limited wavelet change little. Normalising by the weights (a mean,
 * not a sum) keeps the scale where the aperture leaves the lane or the
 * time window, so edge cells are not darker.
 *
 * Only swept cells (hit count > 0, the second input: grid_volume's) take
 * part: an unswept cell holds no measurement, only grid_volume's 0, and a
 * hand-held lane gridded at 4 cm leaves 80-85 % of its cells unswept (a
 * cart lane 35-50 %), so averaging them in would image the sweep pattern.
 * The mean is over the swept cells of each hyperboloid (normalised by
 * their weights), so a flat volume migrates to itself whatever the
 * coverage; a cell none of whose aperture is swept is 0.
 *
 * Output plane k spans depths [k, k + 1) * depth_step_m below the surface
 * (its value is at the centre), down to depth_max_m.
 *
 * velocity_m_per_ns = 0 estimates the velocity. By default (estimate 0)
 * from the diffraction hyperbolas, as an interpreter fits them: the
 * semblance of the signed volume along the hyperbola (with a flat top, for
 * disc-shaped targets) of each of the strongest echoes, scanned over the
 * velocities, the apexes' best velocities combined by a weighted median
 * (semblance_velocity says how). Where no hyperbola votes (none passes
 * its gates with a velocity inside the range), and with estimate 1, by
 * focusing: the volume is migrated at velocities spaced evenly in log
 * between velocity_min and velocity_max; the one whose image is most
 * sparse (largest varimax, N sum x^4 / (sum x^2)^2: a diffraction
 * collapsed to a point beats one smeared as a smile or a frown) wins,
 * refined by a parabola through it and its neighbours. The image is then
 * made at that velocity, and the estimate goes into summary.json
 * ("migrate_kirchhoff#N.velocity_m_per_ns", with "...hyperbolas", the
 * number of hyperbolas that voted: 0 where focusing gave it).
 *
 * What the estimates are worth (median error against 0.3 / sqrt(eps), the
 * migrate recipe): on the 15 radar lanes of the benchmark's tune split,
 * hyperbolas 21 %, focusing 38 %. Neither holds on the wet clay cart
 * lanes (eps 20, 0.05 S/m: hyperbolas +73 % to +165 %). On the gprMax
 * tune scenes (single lines, 15 cells in an aperture) only the published
 * cylinder's hyperbola passes the gates, and it reads +57 %: its antennas
 * ride 4 cm above the ground, and refraction at the surface flattens the
 * hyperbola; the other four scenes fall back to focusing (median 57 %,
 * focusing alone 63 %). A truer velocity did not make the migrate recipe
 * detect better (tune split AUC 0.10 against focusing's 0.13). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/migrate_kirchhoff.h"
#include "stages/stage.h"

typedef struct migrate_kirchhoff_params {
    double velocity_m_per_ns;
    double aperture_m;
    double depth_step_m;
    double depth_max_m;
    double surface_ns;
    double velocity_min;
    double velocity_max;
    int estimate;
} migrate_kirchhoff_params;
MS_STAGE_PARAMS(migrate_kirchhoff_params);

static const ms_param_decl params[] = {
    {"velocity_m_per_ns", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_kirchhoff_params, velocity_m_per_ns), 0.0, 0.0, 0.3, "m/ns",
     "radar velocity in the soil (0.15 dry sand, 0.1 loam, 0.067 wet clay); 0: estimate it (see estimate)"},
    {"aperture_m", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_kirchhoff_params, aperture_m), 0.15, 0.0, 1.0, "m",
     "horizontal radius summed over around each cell"},
    {"depth_step_m", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_kirchhoff_params, depth_step_m), 0.01, 0.005, 0.5, "m",
     "thickness of an output plane"},
    {"depth_max_m", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_kirchhoff_params, depth_max_m), 0.3, 0.005, 5.0, "m",
     "depth of the bottom of the output volume"},
    {"surface_ns", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_kirchhoff_params, surface_ns), 0.5, 0.0, 1000.0, "ns",
     "time of the ground surface after time zero: ground_align's target_ns"},
    {"velocity_min", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_kirchhoff_params, velocity_min), 0.05, 0.03, 0.3, "m/ns",
     "lowest velocity tried when estimating (eps 36)"},
    {"velocity_max", MS_PARAM_FLOAT, MS_PARAM_AT(migrate_kirchhoff_params, velocity_max), 0.2, 0.03, 0.3, "m/ns",
     "highest velocity tried when estimating (eps 2.2)"},
    {"estimate", MS_PARAM_INT, MS_PARAM_AT(migrate_kirchhoff_params, estimate), 0, 0, 1, "",
     "how velocity_m_per_ns = 0 is estimated: 0 the semblance of the "
     "strongest diffraction hyperbolas, 1 focusing (the sparsest image)"},
};

/* Velocities tried when estimating, and the spacing of the cells their
 * trial images are made at. */
#define N_TRIALS 9
#define TRIAL_STRIDE 2

static int check(const ms_params *values)
{
    const migrate_kirchhoff_params *p =
        MS_P_OF(values, migrate_kirchhoff_params);
    if (p->velocity_m_per_ns != 0.0 && p->velocity_m_per_ns < 0.03)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "velocity_m_per_ns (%g) must be 0 (estimate) or at "
                       "least 0.03", p->velocity_m_per_ns);
    if (p->velocity_max <= p->velocity_min)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "velocity_max (%g) must exceed velocity_min (%g)",
                       p->velocity_max, p->velocity_min);
    if (p->depth_max_m < p->depth_step_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "depth_max_m (%g) is less than one depth_step_m (%g)",
                       p->depth_max_m, p->depth_step_m);
    return 0;
}

static int shape(ms_stage_ctx *ctx)
{
    const migrate_kirchhoff_params *p = MS_P(ctx, migrate_kirchhoff_params);
    const ms_shape *in = &ctx->in[0];
    if (ctx->in[1].dims[0] != in->dims[1] || ctx->in[1].dims[1] != in->dims[2])
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "migrate_kirchhoff: the volume's planes (%zu x %zu) "
                       "and the hit counts (%zu x %zu) differ in size",
                       in->dims[2], in->dims[1], ctx->in[1].dims[1],
                       ctx->in[1].dims[0]);
    if (in->plane_s <= 0 || in->cell_m <= 0 || ctx->env->dt_s <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "migrate_kirchhoff: the input volume has no time "
                       "axis or cell size (make it with time_bins then "
                       "grid_volume)");
    size_t nz = (size_t)ceil(p->depth_max_m / p->depth_step_m - 1e-9);
    if (in->dims[1] * in->dims[2] > ((size_t)1 << 28) / nz)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "migrate_kirchhoff: a %zu x %zu x %zu volume is too "
                       "large; raise depth_step_m or grid_volume.cell_m", nz,
                       in->dims[1], in->dims[2]);
    ctx->out[0] = (ms_shape){MS_ARRAY_VOLUME, {nz, in->dims[1], in->dims[2]},
                             in->cell_m};
    ctx->out[0].plane_m = p->depth_step_m;
    double end_ns = ((double)in->dims[0] * in->plane_s - ctx->env->time_zero_s) * 1e9;
    double v = p->velocity_m_per_ns > 0 ? p->velocity_m_per_ns : p->velocity_min;
    if (p->surface_ns + 2.0 * p->depth_step_m / v > end_ns)
        snprintf(ctx->warning, sizeof ctx->warning,
                 "the volume's time window ends %.3g ns after time zero, "
                 "above the first depth plane: the image is empty", end_ns);
    return 0;
}

/* The geometry of one migration, in float as the kernel has it. The input
 * plane (fractional) that holds two-way time T (ns after time zero) is
 * (T * 1e-9 + time_zero - (plane_s - dt) / 2) / plane_s (plane k's centre
 * is sample k * per + (per - 1) / 2); T = surface + 2 R / v gives
 * plane = b + a * R. */
typedef struct geometry {
    int nx, ny, nz_in, nz;
    int rx, ry;            /* half-widths of the aperture in cells */
    float c2, ap2, dz;     /* cell^2, aperture^2, plane thickness */
    float a, b;
    /* Output cells: every stride-th cell in x and y (1 for the image; 2
     * for the trial images of the estimate, a quarter of the work),
     * stored compactly as [nz][nys][nxs]. */
    int stride, nxs, nys;
} geometry;

static geometry geometry_at(const ms_stage_ctx *ctx, double v_m_per_ns,
                            int stride)
{
    const migrate_kirchhoff_params *p = MS_P(ctx, migrate_kirchhoff_params);
    const ms_shape *in = &ctx->in[0];
    geometry g;
    g.nz_in = (int)in->dims[0];
    g.ny = (int)in->dims[1];
    g.nx = (int)in->dims[2];
    g.nz = (int)ctx->out[0].dims[0];
    double cell = in->cell_m, ps = in->plane_s, dt = ctx->env->dt_s;
    int r = (int)floor(p->aperture_m / cell + 1e-9);
    g.rx = r < g.nx - 1 ? r : g.nx - 1;
    g.ry = r < g.ny - 1 ? r : g.ny - 1;
    g.c2 = (float)(cell * cell);
    g.ap2 = (float)(p->aperture_m * p->aperture_m);
    g.dz = (float)p->depth_step_m;
    g.a = (float)(2.0 / (v_m_per_ns * 1e9) / ps);
    g.b = (float)((p->surface_ns * 1e-9 + ctx->env->time_zero_s -
                   (ps - dt) / 2.0) / ps);
    g.stride = stride;
    g.nxs = (g.nx + stride - 1) / stride;
    g.nys = (g.ny + stride - 1) / stride;
    return g;
}

/* The term of offset (dx, dy) cells at depth z: the input planes i0, i1
 * and the fraction fr between them at two-way time surface + 2 R / v, and
 * its weight w (the obliquity z / R, faded at the ends); 0 for no term
 * (outside the aperture or the traces). */
static int term_at(const geometry *g, float z, int dx, int dy, int *i0,
                   int *i1, float *fr, float *w)
{
    float r2 = g->c2 * (float)(dx * dx + dy * dy);
    if (r2 > g->ap2)
        return 0;
    float R = sqrtf(z * z + r2);
    float f = g->b + g->a * R;
    /* within one sample beyond either end the term fades out (samples
     * beyond the ends as the end sample, weight falling to 0), so that
     * rounding cannot switch a whole term on or off: the sum is
     * continuous in f */
    if (!(f > -1.0f && f < (float)g->nz_in))
        return 0;
    float fade = fminf(fminf(f + 1.0f, (float)g->nz_in - f), 1.0f);
    float fc = fminf(fmaxf(f, 0.0f), (float)(g->nz_in - 1));
    *i0 = (int)fc;
    *i1 = *i0 + 1 < g->nz_in ? *i0 + 1 : *i0;
    *fr = fc - (float)*i0;
    *w = fade * z / R;
    return 1;
}

/* One offset's term across a row: out[j] += w v[j] and wsum[j] += w where
 * the input cell is swept (a masked term adds 0, which leaves a float sum
 * as it was); the input rows and the hit counts start at the row's first
 * cell, st apart. */
static void row_term(const float *restrict p0, const float *restrict p1,
                     const float *restrict hits, int st, int cnt, float fr,
                     float w, float *restrict out, float *restrict wsum)
{
    for (int j = 0; j < cnt; j++) {
        float m = (float)(hits[j * st] > 0.0f);
        float t = w * (p0[j * st] * (1.0f - fr) + p1[j * st] * fr);
        /* an unswept cell's value is not used, even a NaN: its term's bits
         * are masked to +0 (a select, which the vectoriser takes; a branch
         * or a product with m would not do) */
        uint32_t bits, keep = (uint32_t)0 - (uint32_t)(m > 0.0f);
        memcpy(&bits, &t, sizeof bits);
        bits &= keep;
        memcpy(&t, &bits, sizeof t);
        out[j] += t;
        wsum[j] += m * w;
    }
}

/* The output cells of row jy in plane k (every stride-th cell across):
 * each cell's weighted mean along its hyperboloid, sum w v / sum w over
 * the swept input cells of its aperture (clipped to the volume), the
 * terms added row by row of the aperture and cell by cell within a row,
 * as the kernel adds them. A term (offset, depth, hence R, the planes and
 * the weights) is the same for every cell of the row, so it is worked out
 * once per offset and applied across the cells whose input at that
 * offset lies inside the volume (fewer near the ends of the row, where a
 * cell's aperture is clipped); the row of out holds the sums until the
 * end, wsum (nxs floats) the weights. */
static void migrate_row(const geometry *g, const float *in, const float *hits,
                        int jy, int k, float *out, float *wsum)
{
    size_t plane = (size_t)g->nx * (size_t)g->ny;
    int iy = jy * g->stride, st = g->stride;
    float z = ((float)k + 0.5f) * g->dz;
    int y0 = iy - g->ry > 0 ? iy - g->ry : 0;
    int y1 = iy + g->ry < g->ny - 1 ? iy + g->ry : g->ny - 1;
    for (int jx = 0; jx < g->nxs; jx++)
        out[jx] = wsum[jx] = 0.0f;
    for (int y = y0; y <= y1; y++)
        for (int dx = -g->rx; dx <= g->rx; dx++) {
            int i0, i1;
            float fr, w;
            if (!term_at(g, z, dx, y - iy, &i0, &i1, &fr, &w))
                continue;
            /* the cells jx st + dx in [0, nx - 1] */
            int ja = dx < 0 ? (-dx + st - 1) / st : 0;
            int jb = g->nx - 1 - dx < 0 ? -1 : (g->nx - 1 - dx) / st;
            if (jb > g->nxs - 1)
                jb = g->nxs - 1;
            if (ja > jb)
                continue;
            size_t at = (size_t)y * g->nx + (size_t)(ja * st + dx);
            row_term(in + (size_t)i0 * plane + at, in + (size_t)i1 * plane + at,
                     hits + at, st, jb - ja + 1, fr, w, out + ja, wsum + ja);
        }
    for (int jx = 0; jx < g->nxs; jx++)
        out[jx] = wsum[jx] > 0.0f ? out[jx] / wsum[jx] : 0.0f;
}

/* wsum: nxs floats of scratch. */
static void migrate_cpu(const geometry *g, const float *in, const float *hits,
                        float *wsum, float *out)
{
    size_t plane = (size_t)g->nxs * (size_t)g->nys;
    for (int k = 0; k < g->nz; k++)
        for (int jy = 0; jy < g->nys; jy++)
            migrate_row(g, in, hits, jy, k,
                        out + (size_t)k * plane + (size_t)jy * (size_t)g->nxs,
                        wsum);
}

/* The C reference at an output stride (migrate_kirchhoff.h). */
void ms_migrate_kirchhoff_image(const ms_stage_ctx *ctx, const float *in,
                                const float *hits, double v_m_per_ns,
                                int stride, float *wsum, float *out)
{
    geometry g = geometry_at(ctx, v_m_per_ns, stride);
    migrate_cpu(&g, in, hits, wsum, out);
}

/* Sparsity of a trial image: N sum x^4 / (sum x^2)^2 (1 for a constant,
 * N for a single spike; 0 for an empty one) over the planes whose
 * vertical two-way time is within what every trial images: down to
 * depth_max at velocity_max and to the end of the input, so that no trial
 * wins by imaging empty time below the traces. */
static double varimax(const ms_stage_ctx *ctx, const geometry *g,
                      const float *img)
{
    const migrate_kirchhoff_params *p = MS_P(ctx, migrate_kirchhoff_params);
    /* in input planes after the surface (b): plane = b + a z */
    double common = fmin(2.0 * p->depth_max_m / (p->velocity_max * 1e9) /
                             ctx->in[0].plane_s,
                         (double)(g->nz_in - 1) - g->b);
    int nk = 0;
    while (nk < g->nz && ((double)nk + 0.5) * g->dz * g->a <= common)
        nk++;
    size_t n = (size_t)nk * (size_t)g->nxs * (size_t)g->nys;
    const float *x = img;
    double s2 = 0, s4 = 0;
    for (size_t i = 0; i < n; i++) {
        double q = (double)x[i] * x[i];
        s2 += q;
        s4 += q * q;
    }
    return s2 > 0 ? (double)n * s4 / (s2 * s2) : 0.0;
}

/* The trial velocities, evenly spaced in log. */
static double trial_velocity(const migrate_kirchhoff_params *p, int i)
{
    return p->velocity_min *
           pow(p->velocity_max / p->velocity_min, (double)i / (N_TRIALS - 1));
}

/* The best of the trials' sparsities, refined by a parabola in log v. */
static double best_velocity(const migrate_kirchhoff_params *p,
                            const double score[N_TRIALS])
{
    int best = 0;
    for (int i = 1; i < N_TRIALS; i++)
        if (score[i] > score[best])
            best = i;
    double at = best;
    if (best > 0 && best < N_TRIALS - 1) {
        double l = score[best - 1], c = score[best], r = score[best + 1];
        double den = l - 2.0 * c + r;
        if (den < 0)
            at += 0.5 * (l - r) / den;
    }
    /* both paths take it from the same C trial images (estimate_velocity),
     * so it needs no rounding to agree */
    return p->velocity_min *
           pow(p->velocity_max / p->velocity_min, at / (N_TRIALS - 1));
}

/* Diffractions the semblance estimate fits, and the velocities it tries
 * (evenly in log between velocity_min and velocity_max). */
#define N_APEX 24
#define N_SEMBLANCE 41
#define MAX_HALF_WINDOW 32
/* Flat tops tried: half-widths 0, 2, ... 8 cm. A disc mine's top (5.6-11
 * cm across for the anti-personnel mines) echoes at one time over its
 * width, and only its edges diffract: a point's hyperbola fitted to that
 * flat-topped curve is too flat, so too fast (median error on the tune
 * split's 15 radar lanes 38 % with the point alone, 21 % with tops to
 * 8 cm). */
#define N_FLAT 5
/* An apex votes only where at least MIN_SEMBLANCE of its window's energy
 * lines up along its best hyperbola, and at least CHANCE_MULTIPLE times
 * what N cells of independent noise give on average (1 / N): the best of
 * the 205 trials of noise reaches a few times 1 / N (on a sparse grid, 60
 * cells, above 0.1), the benchmark's diffractions 0.1-0.9. Ten noise
 * volumes, fully or sparsely swept, give no vote (test_migration). On a
 * single line the aperture holds few cells (15 at 2 cm), so only a strong,
 * clean hyperbola votes there. */
#define MIN_SEMBLANCE 0.1
#define CHANCE_MULTIPLE 8.0
#define FLAT_STEP_M 0.02

/* The semblance of the input along the hyperbola of an apex at input
 * plane fa above cell (cx, cy), at two-way-time slope a (planes per metre,
 * from the velocity), flat out to `flat` metres from the apex (a disc's
 * top; 0 for a point): sum_w (sum_i x_i)^2 / (N sum_w sum_i x_i^2) over the
 * N swept cells i of the aperture whose window (hw planes either side of
 * the hyperbola) lies inside the traces at the slowest velocity tried
 * (slope amax, no flat top: the latest any trial puts it), so that every
 * trial of an apex sums the same cells: a set that shrank as the trials
 * slowed would favour slow velocities, whose fewer cells line up by
 * chance more often. *cells: how many (N); -1 where they are fewer than
 * 8 (a deep apex whose hyperbola leaves the traces) or hold no energy. */
static double semblance_at(const geometry *g, const float *in,
                           const float *hits, int cx, int cy, double fa,
                           double a, double amax, int hw, double flat,
                           int *cells)
{
    double s[2 * MAX_HALF_WINDOW + 1] = {0}, q = 0.0;
    double t0 = fa - g->b;
    int n = 0;
    size_t plane = (size_t)g->nx * (size_t)g->ny;
    for (int y = cy - g->ry; y <= cy + g->ry; y++) {
        if (y < 0 || y >= g->ny)
            continue;
        for (int x = cx - g->rx; x <= cx + g->rx; x++) {
            if (x < 0 || x >= g->nx)
                continue;
            double r2 = (double)g->c2 * ((x - cx) * (x - cx) +
                                         (y - cy) * (y - cy));
            size_t at = (size_t)y * g->nx + (size_t)x;
            if (r2 > g->ap2 || !(hits[at] > 0.0f))
                continue;
            double latest = g->b + sqrt(t0 * t0 + amax * amax * r2);
            if (latest + hw > (double)(g->nz_in - 1))
                continue;
            double rr = sqrt(r2) - flat;
            rr = rr > 0.0 ? rr : 0.0;
            double f = g->b + sqrt(t0 * t0 + a * a * rr * rr);
            if (f - hw < 0.0 || f + hw > (double)(g->nz_in - 1))
                continue;
            int i0 = (int)(f - hw);
            double fr = (f - hw) - i0;
            for (int w = 0; w <= 2 * hw; w++) {
                int i = i0 + w, i1 = i + 1 < g->nz_in ? i + 1 : i;
                double v = in[(size_t)i * plane + at] * (1.0 - fr) +
                           in[(size_t)i1 * plane + at] * fr;
                s[w] += v;
                q += v * v;
            }
            n++;
        }
    }
    *cells = n;
    if (n < 8 || !(q > 0.0))
        return -1.0;
    double num = 0.0;
    for (int w = 0; w <= 2 * hw; w++)
        num += s[w] * s[w];
    return num / ((double)n * q);
}

/* The velocity from the diffraction hyperbolas, as a radar interpreter
 * fits them: the strongest echoes below the surface (each cell's largest
 * |amplitude|, thinned to one per half aperture) are taken as apexes; for
 * each, the semblance of the signed traces along its hyperbola (a window
 * of a quarter period either side: the wavelet keeps its shape along a
 * diffraction, noise and flat residue do not line up) is scanned over the
 * velocities, each at the best of the flat tops (N_FLAT); an apex whose
 * best velocity is inside the range and whose semblance passes the gates
 * (MIN_SEMBLANCE, CHANCE_MULTIPLE) votes for it (refined by a parabola in
 * log v) with the weight of its semblance's rise over its mean across the
 * scan, and the weighted median of the votes in log v is the estimate. A
 * reflector too flat or too short to curve peaks at an end of the range
 * and does not vote. Apexes are taken where the volume's magnitude is
 * largest (a NaN never is). A limit: on wide flat tops (6 cm in
 * half-width) the estimate comes out fast (0.16-0.19 m/ns for 0.07-0.12).
 * *votes: how many voted (0: no estimate). peak: 2 nx ny floats of
 * scratch. */
static double semblance_velocity(const ms_stage_ctx *ctx, const float *in,
                                 const float *hits, float *peak, int *votes)
{
    const migrate_kirchhoff_params *p = MS_P(ctx, migrate_kirchhoff_params);
    geometry g = geometry_at(ctx, p->velocity_min, 1);
    double ps = ctx->in[0].plane_s;
    double fc = ctx->env->centre_frequency_hz > 0
                    ? ctx->env->centre_frequency_hz : 1e9;
    int hw = (int)lround(0.25 / fc / ps);
    hw = hw < 1 ? 1 : hw > MAX_HALF_WINDOW ? MAX_HALF_WINDOW : hw;
    size_t cells = (size_t)g.nx * (size_t)g.ny, plane = cells;
    float *at = peak + cells;
    /* apexes at least a half period below the surface, so that the
     * residue of the ground bounce is not taken for one */
    int z0 = (int)ceil(g.b) + 2 * hw, z1 = g.nz_in - 1 - hw;
    for (size_t c = 0; c < cells; c++) {
        peak[c] = 0.0f;
        at[c] = -1.0f;
        if (!(hits[c] > 0.0f))
            continue;
        for (int z = z0 < 0 ? 0 : z0; z <= z1; z++) {
            float v = fabsf(in[(size_t)z * plane + c]);
            if (v > peak[c]) {
                peak[c] = v;
                at[c] = (float)z;
            }
        }
    }
    double vote[N_APEX], weight[N_APEX];
    double amax = 2.0 / (p->velocity_min * 1e9) / ps;
    int nv = 0;
    double sep2 = 0.25 * (double)g.ap2;
    for (int k = 0; k < N_APEX; k++) {
        size_t best = cells;
        for (size_t c = 0; c < cells; c++)
            if (peak[c] > 0.0f && (best == cells || peak[c] > peak[best]))
                best = c;
        if (best == cells)
            break;
        int cx = (int)(best % (size_t)g.nx), cy = (int)(best / (size_t)g.nx);
        double fa = at[best];
        /* no other apex within half the aperture */
        for (int y = cy - g.ry; y <= cy + g.ry; y++)
            for (int x = cx - g.rx; x <= cx + g.rx; x++) {
                int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                if (y >= 0 && y < g.ny && x >= 0 && x < g.nx &&
                    (double)g.c2 * d2 <= sep2)
                    peak[(size_t)y * g.nx + (size_t)x] = 0.0f;
            }
        peak[best] = 0.0f;
        double sc[N_SEMBLANCE], mean = 0.0;
        int ok = 1, bi = 0, used = 0;
        for (int i = 0; i < N_SEMBLANCE && ok; i++) {
            double v = p->velocity_min * pow(p->velocity_max / p->velocity_min,
                                             (double)i / (N_SEMBLANCE - 1));
            sc[i] = -1.0;
            for (int fl = 0; fl < N_FLAT; fl++) {
                double s1 = semblance_at(&g, in, hits, cx, cy, fa,
                                         2.0 / (v * 1e9) / ps, amax, hw,
                                         FLAT_STEP_M * fl, &used);
                sc[i] = s1 > sc[i] ? s1 : sc[i];
            }
            ok = sc[i] >= 0.0;
            mean += sc[i];
            if (sc[i] > sc[bi])
                bi = i;
        }
        if (!ok || bi == 0 || bi == N_SEMBLANCE - 1 ||
            sc[bi] < MIN_SEMBLANCE || sc[bi] * used < CHANCE_MULTIPLE)
            continue;
        mean /= N_SEMBLANCE;
        double l = sc[bi - 1], c = sc[bi], r = sc[bi + 1], den = l - 2 * c + r;
        double x = bi + (den < 0 ? 0.5 * (l - r) / den : 0.0);
        vote[nv] = x;
        weight[nv] = c - mean;
        nv++;
    }
    *votes = nv;
    if (nv == 0)
        return 0.0;
    /* weighted median of the votes */
    double total = 0.0;
    for (int i = 0; i < nv; i++)
        total += weight[i];
    for (int i = 1; i < nv; i++)
        for (int j = i; j > 0 && vote[j] < vote[j - 1]; j--) {
            double t = vote[j];
            vote[j] = vote[j - 1];
            vote[j - 1] = t;
            t = weight[j];
            weight[j] = weight[j - 1];
            weight[j - 1] = t;
        }
    double acc = 0.0, x = vote[nv - 1];
    for (int i = 0; i < nv; i++) {
        acc += weight[i];
        if (acc >= 0.5 * total) {
            x = vote[i];
            break;
        }
    }
    return p->velocity_min *
           pow(p->velocity_max / p->velocity_min, x / (N_SEMBLANCE - 1));
}

/* The velocity (estimate 0: the diffractions' semblance, falling back to
 * focusing where no hyperbola votes; 1: focusing), into *v, and into
 * summary.json with the number of hyperbolas that voted. Focusing takes
 * the trial images made by the C reference (into `scratch`, the output's
 * size) on both paths: the estimate is a choice, not an image. Trial
 * images made by the kernel differ from these in their last bits, and
 * where two trials nearly tie (flat noise) that moves the estimate and
 * with it the whole image. */
static int estimate_velocity(const ms_stage_ctx *ctx, const float *in,
                             const float *hits, float *wsum, float *scratch,
                             double *v)
{
    const migrate_kirchhoff_params *p = MS_P(ctx, migrate_kirchhoff_params);
    if (p->estimate == 0) {
        float *peak;
        int votes = 0;
        int rc = ms_stage_scratch_host(ctx, (2 * ms_shape_count(ctx->in[1]) +
                                             1) * sizeof(float),
                                       (void **)&peak);
        if (rc)
            return rc;
        *v = semblance_velocity(ctx, in, hits, peak, &votes);
        ms_stage_estimate(ctx, "hyperbolas", votes);
        if (votes > 0) {
            ms_stage_estimate(ctx, "velocity_m_per_ns", *v);
            return 0;
        }
    }
    double score[N_TRIALS];
    for (int i = 0; i < N_TRIALS; i++) {
        geometry g = geometry_at(ctx, trial_velocity(p, i), TRIAL_STRIDE);
        migrate_cpu(&g, in, hits, wsum, scratch);
        score[i] = varimax(ctx, &g, scratch);
    }
    *v = best_velocity(p, score);
    ms_stage_estimate(ctx, "velocity_m_per_ns", *v);
    return 0;
}

/* The C path's scratch: a row of weight sums. */
static int row_scratch(const ms_stage_ctx *ctx, float **wsum)
{
    return ms_stage_scratch_host(ctx, (ctx->in[0].dims[2] + 1) *
                                          sizeof(float), (void **)wsum);
}

static int cpu(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[])
{
    const migrate_kirchhoff_params *p = MS_P(ctx, migrate_kirchhoff_params);
    float *wsum;
    int rc = row_scratch(ctx, &wsum);
    if (rc)
        return rc;
    double v = p->velocity_m_per_ns;
    if (v == 0.0 && (rc = estimate_velocity(ctx, in[0], in[1], wsum, out[0],
                                            &v)))
        return rc;
    geometry g = geometry_at(ctx, v, 1);
    migrate_cpu(&g, in[0], in[1], wsum, out[0]);
    return 0;
}

static int launch(ms_cl *cl, const geometry *g, cl_mem in, cl_mem hits,
                  cl_mem out)
{
    ms_cl_arg args[] = {MS_CL_MEM(in),      MS_CL_MEM(hits),    MS_CL_MEM(out),
                        MS_CL_INT(g->nx),
                        MS_CL_INT(g->ny),   MS_CL_INT(g->nz_in), MS_CL_INT(g->nz),
                        MS_CL_INT(g->rx),   MS_CL_INT(g->ry),   MS_CL_FLOAT(g->c2),
                        MS_CL_FLOAT(g->ap2), MS_CL_FLOAT(g->dz), MS_CL_FLOAT(g->a),
                        MS_CL_FLOAT(g->b),  MS_CL_INT(g->stride),
                        MS_CL_INT(g->nxs),  MS_CL_INT(g->nys)};
    size_t global[3] = {(size_t)g->nxs, (size_t)g->nys, (size_t)g->nz};
    return ms_cl_launch(cl, "migrate_kirchhoff", "migrate_kirchhoff", 3,
                        global, NULL, args, 17);
}

/* The C path's row of weights; when estimating on the OpenCL path, the
 * host copies of the input, of the hit counts and of a trial image too. */
static size_t work_bytes(const ms_stage_ctx *ctx)
{
    const migrate_kirchhoff_params *p = MS_P(ctx, migrate_kirchhoff_params);
    size_t cells = ctx->in[0].dims[1] * ctx->in[0].dims[2];
    size_t own = ctx->in[0].dims[2] + 1;
    /* the semblance estimate's peaks and their planes: 2 cells + 1 */
    size_t semblance = p->estimate == 0 ? 2 * cells + 1 : 0;
    return (own + (p->velocity_m_per_ns == 0.0
                       ? ms_shape_count(ctx->in[0]) + cells +
                             ms_shape_count(ctx->out[0]) + semblance
                       : 0)) *
           sizeof(float);
}

/* One work-item per output value; the velocity, when estimated, comes
 * from the C reference's trial images on the host (estimate_velocity). */
static int opencl(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[])
{
    const migrate_kirchhoff_params *p = MS_P(ctx, migrate_kirchhoff_params);
    double v = p->velocity_m_per_ns;
    if (v == 0.0) {
        size_t n_in = ms_shape_count(ctx->in[0]);
        size_t n = ms_shape_count(ctx->out[0]);
        size_t cells = ms_shape_count(ctx->in[1]);
        float *host_in, *host_hits, *host, *wsum;
        int rc = ms_stage_scratch_host(ctx, (n_in ? n_in : 1) * sizeof(float),
                                       (void **)&host_in);
        if (!rc)
            rc = ms_stage_scratch_host(ctx, (cells ? cells : 1) *
                                                sizeof(float),
                                       (void **)&host_hits);
        if (!rc)
            rc = ms_stage_scratch_host(ctx, (n ? n : 1) * sizeof(float),
                                       (void **)&host);
        if (!rc && n_in)
            rc = ms_cl_download(cl, in[0], host_in, n_in * sizeof(float));
        if (!rc && cells)
            rc = ms_cl_download(cl, in[1], host_hits, cells * sizeof(float));
        if (!rc)
            rc = row_scratch(ctx, &wsum);
        if (!rc)
            rc = estimate_velocity(ctx, host_in, host_hits, wsum, host, &v);
        if (rc)
            return rc;
    }
    geometry g = geometry_at(ctx, v, 1);
    return launch(cl, &g, in[0], in[1], out[0]);
}

const ms_stage_decl ms_stage_migrate_kirchhoff = {
    .name = "migrate_kirchhoff",
    .summary = "3-D Kirchhoff migration of an x-y-time volume into an "
               "x-y-depth volume over its swept cells (velocity given or "
               "estimated from diffraction hyperbolas or by focusing; "
               "inputs: volume, hit counts)",
    .n_in = 2, .n_out = 1,
    .in_slots = {"gpr_volume", "gpr_vhits"},
    .out_slots = {"gpr_migrated"},
    .in_kinds = {MS_ARRAY_VOLUME, MS_ARRAY_MAP},
    .params = params, .n_params = 8,
    .check = check,
    .shape = shape, .cpu = cpu, .opencl = opencl,
    .work_bytes = work_bytes,
    .tolerance = 1e-5,
};
