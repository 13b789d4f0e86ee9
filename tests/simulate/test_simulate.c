/* Physics and behaviour of the lane simulator on small in-memory cases:
 * hyperbola apex times, ground-reflection sign and size, metal-detector
 * fall-off, noise level, reproducibility, scenario loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minescan/simulate.h"
#include "simulate/sim_internal.h"

/* |a - b| <= tol, with the numbers in the failure message. */
#define assert_near(a, b, tol)                                                 \
    do {                                                                       \
        double a_ = (a), b_ = (b), t_ = (tol);                                 \
        if (!(fabs(a_ - b_) <= t_))                                            \
            fail_msg("%s = %.9g, expected %s = %.9g within %.3g", #a, a_, #b,  \
                     b_, t_);                                                  \
    } while (0)

/* A scenario with nothing but what a test adds: a cart on 7 lines across a
 * 1 x 0.3 m lane (line 3 at y = 0.15), no noise, ringing, wow, roughness,
 * layer, dropouts or random objects. */
static void quiet(ms_scenario *s)
{
    ms_scenario_init(s);
    s->sweep = MS_SIM_CART;
    s->length_m = 1;
    s->width_m = 0.3;
    s->line_spacing_m = 0.05;
    s->cart_trace_spacing_m = 0.005;
    s->edge_margin_m = 0.05;
    s->soil_eps_variation = 0;
    s->roughness_m = 0;
    s->layer_depth_m = 0;
    s->soil_mag_response = 0;
    s->height_wobble_m = 0;
    s->gpr_snr_db = 200;
    s->gpr_direct_coupling = 0;
    s->gpr_ringing = 0;
    s->gpr_wow = 0;
    s->gpr_dropout_prob = 0;
    s->gpr_height_noise_m = 0;
    s->emi_noise = 0;
    s->emi_drift = 0;
    s->n_mines = 0;
    s->clutter_per_m2 = 0;
    s->pebbles_per_m2 = 0;
    s->metal_bits_per_m2 = 0;
    s->roots_per_m2 = 0;
}

static void add_object(ms_scenario *s, const char *type, double x, double y,
                       double depth)
{
    s->objects = realloc(s->objects, (s->n_objects + 1) * sizeof *s->objects);
    assert_non_null(s->objects);
    ms_sim_object *o = &s->objects[s->n_objects++];
    *o = (ms_sim_object){.x = x, .y = y, .depth = depth, .metal_g = -1,
                         .eps = -1, .tracked = 1};
    snprintf(o->type, sizeof o->type, "%s", type);
}

static ms_recording *simulate(const ms_scenario *s, uint64_t seed)
{
    ms_recording *rec = NULL;
    int rc = ms_simulate(s, seed, &rec);
    if (rc)
        fail_msg("ms_simulate: %s", ms_error_message());
    return rec;
}

/* Index of the trace on the line y = y0 nearest to x0. */
static size_t trace_at(const ms_gpr *g, double x0, double y0)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t k = 0; k < g->n_traces; k++) {
        double d = hypot(g->x[k] - x0, g->y[k] - y0);
        if (d < bd) {
            bd = d;
            best = k;
        }
    }
    return best;
}

/* Time and value of the largest |sample| of v[0..n) (or, with sign != 0,
 * the largest sample of that sign), refined by a parabola through the
 * neighbours. */
static void peak(const double *v, size_t n, double dt, int sign, double *t,
                 double *val)
{
    size_t im = 1;
    for (size_t i = 1; i + 1 < n; i++) {
        double a = sign ? sign * v[i] : fabs(v[i]);
        double b = sign ? sign * v[im] : fabs(v[im]);
        if (a > b)
            im = i;
    }
    double y0 = v[im - 1], y1 = v[im], y2 = v[im + 1];
    double den = y0 - 2 * y1 + y2;
    double d = den != 0 ? 0.5 * (y0 - y2) / den : 0;
    *t = ((double)im + d) * dt;
    *val = y1 - 0.25 * (y0 - y2) * d;
}

/* ---- random numbers ---------------------------------------------------- */

static void test_rng(void **state)
{
    (void)state;
    ms_rng a, b, c;
    ms_rng_seed(&a, 42, 1);
    ms_rng_seed(&b, 42, 1);
    ms_rng_seed(&c, 42, 2);
    int same = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = ms_rng_next(&a);
        assert_int_equal(x, ms_rng_next(&b));
        same += x == ms_rng_next(&c);
    }
    assert_int_equal(same, 0);
    double s1 = 0, s2 = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double z = ms_rng_normal(&a);
        s1 += z;
        s2 += z * z;
    }
    assert_near(s1 / n, 0.0, 0.01);
    assert_near(s2 / n, 1.0, 0.015);
    ms_field f;
    ms_field_init(&f, &a, 0.3);
    double m2 = 0;
    for (int i = 0; i < 2000; i++) {
        double v = ms_field_at(&f, i * 0.37, i * 0.11);
        m2 += v * v;
    }
    assert_near(m2 / 2000, 1.0, 0.35); /* unit variance, roughly */
}

/* ---- catalogue --------------------------------------------------------- */

static void test_catalogue(void **state)
{
    (void)state;
    const char *names[] = {"PMN", "PMA-2", "Type-72", "M14", "TM-46",
                           "clutter:can", "clutter:fragment", "clutter:stone"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_non_null(ms_sim_catalogue_find(names[i]));
    const ms_sim_catalogue_entry *m14 = ms_sim_catalogue_find("M14");
    assert_near(m14->metal_g, 0.6, 1e-9);
    assert_near(m14->diameter_m, 0.056, 1e-9);
    assert_true(m14->min_metal);
    assert_near(ms_sim_catalogue_find("PMN")->diameter_m, 0.112, 1e-9);
    assert_near(ms_sim_catalogue_find("TM-46")->diameter_m, 0.305, 1e-9);
    assert_true(ms_sim_catalogue_find("TM-46")->eps == 0); /* metal case */
    assert_null(ms_sim_catalogue_find("PMX"));
}

/* ---- radar ------------------------------------------------------------- */

/* The ground reflection has the Fresnel coefficient (1 - n)/(1 + n) of the
 * soil, negative, at t0 + 2h/c. */
static void test_ground_reflection(void **state)
{
    (void)state;
    const double eps[] = {3, 4, 9, 16, 30};
    for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++) {
        ms_scenario s;
        quiet(&s);
        s.soil_eps = eps[e];
        s.sensor = MS_SIM_GPR;
        s.head_height_m = 0.07;
        ms_recording *rec = simulate(&s, 3);
        const ms_gpr *g = rec->gpr;
        double dt = g->sample_interval_s, v[1024], t, val;
        size_t k = g->n_traces / 2;
        for (size_t i = 0; i < g->n_samples; i++)
            v[i] = g->data[k * g->n_samples + i];
        peak(v, g->n_samples, dt, 0, &t, &val);
        double n = sqrt(eps[e]);
        double R = (1 - n) / (1 + n);
        assert_true(val < 0);
        assert_near(val, R, 0.01 * fabs(R));
        assert_near(t, s.gpr_time_zero_s + 2 * 0.07 / MS_SIM_C0, 0.05 * dt);
        assert_near(g->height[k], 0.07, 1e-12);
        ms_recording_free(rec);
        ms_scenario_free(&s);
    }
}

/* The echo of an object alone: the recording with it minus the one
 * without (no noise, so everything else cancels). */
static double *object_only(const ms_scenario *with, ms_recording **rec_out)
{
    ms_scenario without;
    assert_int_equal(ms_scenario_copy(&without, with), 0);
    without.n_objects = 0;
    ms_recording *a = simulate(with, 5), *b = simulate(&without, 5);
    const ms_gpr *g = a->gpr;
    size_t n = g->n_traces * g->n_samples;
    assert_int_equal(b->gpr->n_traces * b->gpr->n_samples, n);
    double *d = malloc(n * sizeof *d);
    assert_non_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (double)g->data[i] - (double)b->gpr->data[i];
    ms_recording_free(b);
    ms_scenario_free(&without);
    *rec_out = a;
    return d;
}

/* The apex of a buried object's hyperbola lies at t_ground + 2 d / v, and
 * off the apex the echo follows t_ground + 2 sqrt(r^2 + d^2) / v. */
static void test_hyperbola_apex(void **state)
{
    (void)state;
    const struct {
        double eps, depth;
    } cases[] = {{4, 0.05}, {9, 0.10}, {16, 0.15}, {25, 0.08}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ms_scenario s;
        quiet(&s);
        s.sensor = MS_SIM_GPR;
        s.soil_eps = cases[c].eps;
        s.soil_conductivity_s_m = 0.02;
        add_object(&s, "clutter:fragment", 0.5, 0.15, cases[c].depth);
        s.objects[0].diameter_m = 0.01; /* nearly a point */
        ms_recording *rec;
        double *d = object_only(&s, &rec);
        const ms_gpr *g = rec->gpr;
        double dt = g->sample_interval_s, v = MS_SIM_C0 / sqrt(cases[c].eps);
        double tg = s.gpr_time_zero_s + 2 * s.head_height_m / MS_SIM_C0;
        const double offsets[] = {0, 0.03, 0.06, 0.10};
        for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
            size_t k = trace_at(g, 0.5 + offsets[o], 0.15);
            double r = fabs(g->x[k] - 0.5) - 0.005;
            r = r > 0 ? r : 0;
            double t, val;
            peak(d + k * g->n_samples, g->n_samples, dt, 0, &t, &val);
            double want = tg + 2 * sqrt(r * r + cases[c].depth * cases[c].depth) / v;
            assert_near(t, want, 0.1 * dt);
            assert_true(val < 0); /* metal: same sign as the ground */
        }
        /* The apex is the earliest arrival along the line. */
        size_t k0 = trace_at(g, 0.5, 0.15);
        double t0, val0, t1, val1;
        peak(d + k0 * g->n_samples, g->n_samples, dt, 0, &t0, &val0);
        peak(d + (k0 + 10) * g->n_samples, g->n_samples, dt, 0, &t1, &val1);
        assert_true(t1 > t0 && fabs(val1) < fabs(val0));
        free(d);
        ms_recording_free(rec);
        ms_scenario_free(&s);
    }
}

/* A plastic mine (eps ~3.5) in wetter soil reflects with the opposite sign
 * to the ground and to metal, and its bottom face with the sign reversed
 * again; a stone wetter than dry sand reflects like the ground. */
static void test_contrast_sign(void **state)
{
    (void)state;
    const struct {
        const char *type;
        double soil_eps;
        int sign;
    } cases[] = {{"PMN", 9, +1},
                 {"TM-46", 9, -1},
                 {"clutter:stone", 4, -1},
                 {"clutter:stone", 12, +1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ms_scenario s;
        quiet(&s);
        s.sensor = MS_SIM_GPR;
        s.soil_eps = cases[c].soil_eps;
        add_object(&s, cases[c].type, 0.5, 0.15, 0.06);
        ms_recording *rec;
        double *d = object_only(&s, &rec);
        const ms_gpr *g = rec->gpr;
        size_t k = trace_at(g, 0.5, 0.15);
        double dt = g->sample_interval_s, t, val;
        double *tr = d + k * g->n_samples;
        double tg = s.gpr_time_zero_s + 2 * s.head_height_m / MS_SIM_C0;
        double t_top = tg + 2 * 0.06 * sqrt(cases[c].soil_eps) / MS_SIM_C0;
        size_t i = (size_t)lround(t_top / dt);
        /* The top echo's peak sits at t_top; check its sign there. */
        peak(tr + i - 3, 7, dt, 0, &t, &val);
        assert_true(val * cases[c].sign > 0);
        /* Its size is what the echo model says. */
        const ms_sim_catalogue_entry *ce = ms_sim_catalogue_find(cases[c].type);
        sim_obj ob = ms_sim_obj_from_catalogue(ce);
        ob.depth = 0.06;
        sim_echo e = ms_sim_object_echo(&s, &ob, 0, s.head_height_m, s.soil_eps);
        assert_near(val, e.amp, 0.03 * fabs(e.amp) + 1e-6);
        if (!strcmp(cases[c].type, "PMN")) {
            /* The bottom face of the PMN, 56 mm of eps 3.5 later. */
            double t_bot = t_top + 2 * 0.056 * sqrt(3.5) / MS_SIM_C0;
            size_t j = (size_t)lround(t_bot / dt);
            peak(tr + j - 3, 7, dt, 0, &t, &val);
            assert_true(val < 0);
        }
        free(d);
        ms_recording_free(rec);
        ms_scenario_free(&s);
    }
}

/* Deeper means weaker (spreading and conductive loss), and a lossier soil
 * weakens the same echo further. */
static void test_loss_with_depth(void **state)
{
    (void)state;
    ms_scenario s;
    quiet(&s);
    sim_obj o = ms_sim_obj_from_catalogue(ms_sim_catalogue_find("TM-46"));
    double prev = INFINITY;
    for (double d = 0.02; d < 0.4; d += 0.04) {
        o.depth = d;
        double a = fabs(ms_sim_object_echo(&s, &o, 0, 0.05, 9).amp);
        assert_true(a < prev);
        prev = a;
    }
    o.depth = 0.2;
    s.soil_conductivity_s_m = 0;
    double lossless = fabs(ms_sim_object_echo(&s, &o, 0, 0.05, 9).amp);
    s.soil_conductivity_s_m = 0.05;
    double lossy = fabs(ms_sim_object_echo(&s, &o, 0, 0.05, 9).amp);
    /* exp(-2 alpha d), alpha = 188.4 sigma / sqrt(eps) */
    assert_near(lossy / lossless, exp(-2 * 376.730313668 / 2 * 0.05 / 3 * 0.2), 1e-9);
}

/* gpr.snr_db: the noise rms is the PMN-at-5-cm peak over 10^(snr/20). */
static void test_noise_level(void **state)
{
    (void)state;
    ms_scenario s;
    quiet(&s);
    s.sensor = MS_SIM_GPR;
    ms_recording *clean = simulate(&s, 9);
    s.gpr_snr_db = 10;
    ms_recording *noisy = simulate(&s, 9);
    const ms_gpr *a = clean->gpr, *b = noisy->gpr;
    double sum2 = 0;
    size_t n = a->n_traces * a->n_samples;
    for (size_t i = 0; i < n; i++) {
        double d = (double)b->data[i] - (double)a->data[i];
        sum2 += d * d;
    }
    double rms = sqrt(sum2 / (double)n);
    double sigma = ms_simulate_gpr_noise_sigma(&s);
    assert_near(rms, sigma, 0.02 * sigma);
    sim_obj pmn = ms_sim_obj_from_catalogue(ms_sim_catalogue_find("PMN"));
    pmn.depth = 0.05;
    double apk = fabs(ms_sim_object_echo(&s, &pmn, 0, s.head_height_m, s.soil_eps).amp);
    assert_near(20 * log10(apk / sigma), 10.0, 1e-9);
    ms_recording_free(clean);
    ms_recording_free(noisy);
    ms_scenario_free(&s);
}

static void test_dropouts(void **state)
{
    (void)state;
    ms_scenario s;
    quiet(&s);
    s.sensor = MS_SIM_GPR;
    s.gpr_dropout_prob = 0.1;
    ms_recording *rec = simulate(&s, 4);
    const ms_gpr *g = rec->gpr;
    assert_non_null(g->valid);
    size_t dropped = 0;
    for (size_t k = 0; k < g->n_traces; k++) {
        size_t bad = 0;
        for (size_t i = 0; i < g->n_samples; i++)
            bad += !g->valid[k * g->n_samples + i];
        assert_true(bad == 0 || bad == g->n_samples); /* whole traces */
        dropped += bad != 0;
    }
    assert_near((double)dropped / (double)g->n_traces, 0.1, 0.03);
    ms_recording_free(rec);
    ms_scenario_free(&s);
}

/* ---- metal detector ---------------------------------------------------- */

/* Each reading equals m a^6 / (r^2 + a^2)^3, r from the coil to the
 * object's centre: the r^-6 fall-off away from the coil. */
static void test_emi_falloff(void **state)
{
    (void)state;
    ms_scenario s;
    quiet(&s);
    s.sensor = MS_SIM_EMI;
    s.emi_channels = 2;
    add_object(&s, "clutter:fragment", 0.5, 0.15, 0.10);
    s.objects[0].metal_g = 10;
    ms_recording *rec = simulate(&s, 2);
    const ms_emi *e = rec->emi;
    const ms_sim_catalogue_entry *c = ms_sim_catalogue_find("clutter:fragment");
    double a = s.emi_coil_radius_m, zc = 0.10 + 0.5 * c->height_m;
    double g1 = ms_sim_emi_gate(&s, 1), g0 = ms_sim_emi_gate(&s, 0);
    size_t checked = 0;
    double prev_r = -1, prev_v = INFINITY;
    for (size_t k = 0; k < e->n_readings; k++) {
        if (fabs(e->y[k] - 0.15) > 1e-9 || e->x[k] < 0.5)
            continue;
        double dz = e->height[k] + zc, dx = e->x[k] - 0.5;
        double r2 = dx * dx + dz * dz;
        double want = 10 * pow(a * a / (r2 + a * a), 3);
        double got = e->data[k * 2];
        assert_near(got, want, 1e-5 * want + 1e-9);
        /* the later gate decays with the object's time constant */
        assert_near(e->data[k * 2 + 1], want * exp(-(g1 - g0) / c->tau_s),
                    1e-5 * want + 1e-9);
        if (r2 > prev_r && prev_r >= 0)
            assert_true(got < prev_v);
        prev_r = r2;
        prev_v = got;
        checked++;
    }
    assert_true(checked > 10);
    /* Far from the coil it is the sixth power: doubling r from 0.5 m
     * divides the response by about 2^6. */
    sim_obj o = ms_sim_obj_from_catalogue(c);
    o.x = 0;
    o.y = 0;
    o.depth = 0;
    o.height = 0;
    double r1 = ms_sim_emi_object(&s, &o, 0, 0, 0.5, g0);
    double r2 = ms_sim_emi_object(&s, &o, 0, 0, 1.0, g0);
    assert_near(r1 / r2, pow((1.0 + a * a) / (0.25 + a * a), 3), 1e-9);
    assert_true(r1 / r2 > 55 && r1 / r2 < 64);
    ms_recording_free(rec);
    ms_scenario_free(&s);
}

/* A minimum-metal M14 answers far more weakly than a PMN, and both far
 * below a metal-cased TM-46. */
static void test_emi_metal_content(void **state)
{
    (void)state;
    ms_scenario s;
    quiet(&s);
    double g0 = ms_sim_emi_gate(&s, 0), v[3];
    const char *types[] = {"M14", "PMN", "TM-46"};
    for (int i = 0; i < 3; i++) {
        sim_obj o = ms_sim_obj_from_catalogue(ms_sim_catalogue_find(types[i]));
        o.depth = 0.05;
        o.height = 0; /* same centre depth for all */
        v[i] = ms_sim_emi_object(&s, &o, o.x, o.y, 0.05, g0);
    }
    assert_true(v[0] * 5 < v[1]);
    assert_true(v[1] * 100 < v[2]);
    assert_near(v[0] / v[1], 0.6 * 1.0 / (6.0 * 1.0), 1e-9);
}

/* A mineralised soil's response falls with coil height as (a/(h+a))^3. */
static void test_emi_soil(void **state)
{
    (void)state;
    double v[2];
    const double h[2] = {0.03, 0.12};
    for (int i = 0; i < 2; i++) {
        ms_scenario s;
        quiet(&s);
        s.sensor = MS_SIM_EMI;
        s.emi_channels = 1;
        s.soil_mag_response = 0.5;
        s.soil_mag_variation = 0;
        s.head_height_m = h[i];
        ms_recording *rec = simulate(&s, 1);
        v[i] = rec->emi->data[0];
        double a = s.emi_coil_radius_m;
        assert_near(v[i], 0.5 * pow(a / (h[i] + a), 3), 1e-6);
        ms_recording_free(rec);
        ms_scenario_free(&s);
    }
    assert_true(v[0] > 2 * v[1]);
}

/* ---- whole lanes ------------------------------------------------------- */

static void expect_same(const ms_recording *a, const ms_recording *b, int same)
{
    int eq = a->gpr->n_traces == b->gpr->n_traces &&
             a->emi->n_readings == b->emi->n_readings &&
             a->truth->n == b->truth->n;
    if (eq) {
        const ms_gpr *g = a->gpr, *h = b->gpr;
        size_t n = g->n_traces * g->n_samples;
        eq = !memcmp(g->data, h->data, n * sizeof(float)) &&
             !memcmp(g->valid, h->valid, n) &&
             !memcmp(g->x, h->x, g->n_traces * sizeof(double)) &&
             !memcmp(g->y, h->y, g->n_traces * sizeof(double)) &&
             !memcmp(g->height, h->height, g->n_traces * sizeof(double)) &&
             !memcmp(a->emi->data, b->emi->data,
                     a->emi->n_readings * a->emi->n_channels * sizeof(float)) &&
             !memcmp(a->truth->x, b->truth->x, a->truth->n * sizeof(double)) &&
             !memcmp(a->truth->depth, b->truth->depth, a->truth->n * sizeof(double));
    }
    assert_int_equal(eq, same);
}

static void test_seed_reproduces(void **state)
{
    (void)state;
    ms_scenario s;
    ms_scenario_init(&s);
    s.length_m = 1.5;
    s.n_mines = 2;
    s.marks = 1;
    s.soil_mag_response = 0.3;
    ms_recording *a = simulate(&s, 77), *b = simulate(&s, 77), *c = simulate(&s, 78);
    expect_same(a, b, 1);
    expect_same(a, c, 0);
    assert_int_equal(a->marks->n, b->marks->n);
    assert_memory_equal(a->marks->x, b->marks->x, a->marks->n * sizeof(double));
    /* Switching the marks off changes nothing else. */
    s.marks = 0;
    ms_recording *d = simulate(&s, 77);
    expect_same(a, d, 1);
    assert_null(d->marks);
    ms_recording_free(a);
    ms_recording_free(b);
    ms_recording_free(c);
    ms_recording_free(d);
    ms_scenario_free(&s);
}

static void test_population(void **state)
{
    (void)state;
    ms_scenario s;
    ms_scenario_init(&s);
    s.sensor = MS_SIM_EMI;
    s.length_m = 12;
    s.n_mines = 16;
    s.clutter_per_m2 = 1.5;
    ms_recording *rec = simulate(&s, 11);
    const ms_truth *t = rec->truth;
    int per_type[4] = {0}, mines = 0, clutter = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (!t->is_mine[i]) {
            clutter++;
            assert_true(!strncmp(t->label[i], "clutter:", 8));
            continue;
        }
        mines++;
        for (int k = 0; k < s.n_mine_types; k++)
            per_type[k] += !strcmp(t->label[i], s.mine_types[k]);
        assert_true(t->x[i] >= s.edge_margin_m && t->x[i] <= s.length_m - s.edge_margin_m);
        assert_true(t->y[i] >= s.edge_margin_m && t->y[i] <= s.width_m - s.edge_margin_m);
        assert_true(t->depth[i] >= s.mine_depth_min_m && t->depth[i] <= s.mine_depth_max_m);
        for (size_t j = 0; j < i; j++)
            if (t->is_mine[j])
                assert_true(hypot(t->x[i] - t->x[j], t->y[i] - t->y[j]) >= s.mine_spacing_m);
    }
    assert_int_equal(mines, 16);
    for (int k = 0; k < 4; k++)
        assert_int_equal(per_type[k], 4); /* types in turn: an exact mix */
    assert_int_equal(clutter, 18);
    ms_recording_free(rec);
    ms_scenario_free(&s);
}

/* A perfect operator marks exactly the mines. */
static void test_marks(void **state)
{
    (void)state;
    ms_scenario s;
    ms_scenario_init(&s);
    s.sensor = MS_SIM_EMI;
    s.n_mines = 5;
    s.marks = 1;
    s.marks_pd = s.marks_pd_min_metal = 1;
    s.marks_error_m = 0;
    s.marks_false_per_m2 = 0;
    s.marks_clutter_prob = 0;
    ms_recording *rec = simulate(&s, 21);
    const ms_marks *m = rec->marks;
    assert_int_equal(m->n, 5);
    double t_end = rec->emi->time[rec->emi->n_readings - 1];
    for (size_t i = 0; i < m->n; i++) {
        int found = 0;
        for (size_t j = 0; j < rec->truth->n; j++)
            found |= rec->truth->is_mine[j] && rec->truth->x[j] == m->x[i] &&
                     rec->truth->y[j] == m->y[i];
        assert_true(found);
        assert_true(m->time[i] > 0 && m->time[i] < t_end + 5);
        if (i)
            assert_true(m->time[i] >= m->time[i - 1]);
    }
    ms_recording_free(rec);
    ms_scenario_free(&s);
}

/* Hand-held: a fixed sampling rate, irregular positions that cover the
 * lane with zig-zags; a few thousand traces for 5 m, in seconds. */
static void test_handheld_lane(void **state)
{
    (void)state;
    ms_scenario s;
    ms_scenario_init(&s);
    s.marks = 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ms_recording *rec = simulate(&s, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    const ms_gpr *g = rec->gpr;
    print_message("5 m hand-held dual-sensor lane: %zu traces x %zu samples, "
                  "%zu EMI readings, simulated in %.3f s\n",
                  g->n_traces, g->n_samples, rec->emi->n_readings, secs);
    assert_true(secs < 20);
    assert_true(g->n_traces > 2000 && g->n_traces < 20000);
    assert_int_equal(g->n_samples, 160);
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    size_t turns = 0;
    for (size_t k = 0; k < g->n_traces; k++) {
        xmin = fmin(xmin, g->x[k]);
        xmax = fmax(xmax, g->x[k]);
        ymin = fmin(ymin, g->y[k]);
        ymax = fmax(ymax, g->y[k]);
        if (k)
            assert_near(g->time[k] - g->time[k - 1], 1.0 / s.gpr_trace_rate_hz, 1e-9);
        if (k >= 2 && (g->y[k] - g->y[k - 1]) * (g->y[k - 1] - g->y[k - 2]) < 0 &&
            fabs(g->y[k] - 0.5) > 0.4)
            turns++;
    }
    assert_true(xmin < 0.05 && xmax > s.length_m - 0.05);
    assert_true(ymin < 0 && ymax > s.width_m);
    assert_true(turns > 30); /* one sweep per ~0.1 m of advance */
    assert_int_equal(rec->lane.present, 1);
    assert_near(rec->lane.x_max, 5.0, 0);
    ms_recording_free(rec);
    ms_scenario_free(&s);
}

static void test_cart_lane(void **state)
{
    (void)state;
    ms_scenario s;
    ms_scenario_init(&s);
    s.sweep = MS_SIM_CART;
    s.length_m = 2;
    ms_recording *rec = simulate(&s, 1);
    const ms_gpr *g = rec->gpr;
    size_t per_line = (size_t)lround(2 / 0.01) + 1;
    assert_int_equal(g->n_traces, 21 * per_line);
    for (size_t k = 1; k < per_line; k++) {
        assert_near(fabs(g->x[k] - g->x[k - 1]), 0.01, 1e-9);
        assert_near(g->y[k], g->y[0], 0);
    }
    assert_near(g->y[per_line] - g->y[0], 0.05, 1e-9);
    ms_recording_free(rec);
    ms_scenario_free(&s);
}

/* ---- scenarios --------------------------------------------------------- */

static const char *tmp_path(const char *name)
{
    static char buf[1024];
    const char *dir = getenv("MINESCAN_TEST_TMP");
    snprintf(buf, sizeof buf, "%s/%s", dir && dir[0] ? dir : "/tmp", name);
    return buf;
}

static int load_text(ms_scenario *s, const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    ms_scenario_init(s);
    return ms_scenario_load(s, path);
}

static void expect_error(const char *text, const char *key)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", tmp_path("sim_bad_scenario.json"));
    ms_scenario s;
    int rc = load_text(&s, path, text);
    if (rc == 0)
        rc = ms_scenario_check(&s, path);
    assert_int_equal(rc, MS_ERR_INVALID_INPUT);
    const char *msg = ms_error_message();
    if (!strstr(msg, path) || !strstr(msg, key))
        fail_msg("message '%s' should name %s and %s", msg, path, key);
    ms_scenario_free(&s);
}

static void test_scenario_json(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s", tmp_path("sim_scenario.json"));
    ms_scenario s;
    int rc = load_text(&s, path,
                       "{\"description\": \"test\", \"seed\": 12, \"sensor\": \"gpr\",\n"
                       " \"soil\": {\"eps\": 16, \"conductivity_s_m\": 0.03},\n"
                       " \"sweep\": {\"mode\": \"cart\"},\n"
                       " \"population\": {\"mine_types\": [\"M14\", \"PMA-2\"]},\n"
                       " \"marks\": {\"enabled\": true},\n"
                       " \"objects\": [{\"type\": \"PMN\", \"x\": 1, \"y\": 0.5,"
                       " \"depth_m\": 0.05, \"tracked\": false}]}\n");
    if (rc)
        fail_msg("%s", ms_error_message());
    assert_int_equal(s.seed, 12);
    assert_int_equal(s.sensor, MS_SIM_GPR);
    assert_int_equal(s.sweep, MS_SIM_CART);
    assert_near(s.soil_eps, 16, 0);
    assert_near(s.soil_conductivity_s_m, 0.03, 0);
    assert_int_equal(s.n_mine_types, 2);
    assert_string_equal(s.mine_types[1], "PMA-2");
    assert_int_equal(s.marks, 1);
    assert_int_equal(s.n_objects, 1);
    assert_int_equal(s.objects[0].tracked, 0);
    assert_int_equal(ms_scenario_check(&s, path), 0);

    /* The JSON dump reads back to the same scenario. */
    char *json = ms_scenario_to_json(&s);
    assert_non_null(json);
    ms_scenario back;
    char path2[1024];
    snprintf(path2, sizeof path2, "%s", tmp_path("sim_scenario_dump.json"));
    rc = load_text(&back, path2, json);
    if (rc)
        fail_msg("%s", ms_error_message());
    free(json);
    for (size_t i = 0; i < ms_scenario_param_count(); i++) {
        char a[1024], b[1024];
        const ms_sim_param *p = ms_scenario_param_at(i);
        assert_string_equal(ms_scenario_format(&s, p, a, sizeof a),
                            ms_scenario_format(&back, p, b, sizeof b));
    }
    assert_int_equal(back.n_objects, 1);
    ms_scenario_free(&back);
    ms_scenario_free(&s);

    expect_error("{\"soil\": {\"epsilon\": 9}}", "soil.epsilon");
    expect_error("{\"soil\": {\"eps\": 45}}", "soil.eps");
    expect_error("{\"soil\": {\"eps\": \"wet\"}}", "soil.eps");
    expect_error("{\"sensor\": \"sonar\"}", "sensor");
    expect_error("{\"population\": {\"mine_types\": [\"PMN\", \"PMX\"]}}",
                 "population.mine_types");
    expect_error("{\"population\": {\"mine_types\": [\"clutter:can\"]}}",
                 "population.mine_types");
    expect_error("{\"objects\": [{\"type\": \"PMN\", \"x\": 1}]}", "objects[0].y");
    expect_error("{\"objects\": [{\"type\": \"PMN\", \"x\": 9, \"y\": 0.5, "
                 "\"depth_m\": 0.1}]}",
                 "objects[0]");
    expect_error("{\"gpr\": {\"sample_interval_s\": 2e-10}}", "gpr.sample_interval_s");
    expect_error("{\"soil\": {\"eps\": 9,}}", "sim_bad_scenario.json");
}

static void test_scenario_set(void **state)
{
    (void)state;
    ms_scenario s;
    ms_scenario_init(&s);
    assert_int_equal(ms_scenario_set(&s, "eps", "12.5", "--eps"), 0);
    assert_near(s.soil_eps, 12.5, 0);
    assert_int_equal(ms_scenario_set(&s, "sweep", "cart", "--sweep"), 0);
    assert_int_equal(s.sweep, MS_SIM_CART);
    assert_int_equal(ms_scenario_set(&s, "marks", "yes", "--marks"), 0);
    assert_int_equal(s.marks, 1);
    assert_int_equal(ms_scenario_set(&s, "eps", "2", "--eps"), MS_ERR_INVALID_INPUT);
    assert_non_null(strstr(ms_error_message(), "--eps"));
    assert_int_equal(ms_scenario_set(&s, "n-mines", "3.5", "--n-mines"),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(ms_scenario_set(&s, "nonsense", "1", "--nonsense"),
                     MS_ERR_INVALID_INPUT);
    /* Every parameter's default lies in its range and reads back. */
    ms_scenario d;
    ms_scenario_init(&d);
    for (size_t i = 0; i < ms_scenario_param_count(); i++) {
        const ms_sim_param *p = ms_scenario_param_at(i);
        char buf[1024];
        ms_scenario_format(&d, p, buf, sizeof buf);
        if (ms_scenario_set(&s, p->key, buf, p->key))
            fail_msg("default of %s: %s", p->key, ms_error_message());
        assert_non_null(ms_scenario_param_find(p->option));
    }
    assert_int_equal(ms_scenario_check(&d, "defaults"), 0);
    ms_scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_ground_reflection),
        cmocka_unit_test(test_hyperbola_apex),
        cmocka_unit_test(test_contrast_sign),
        cmocka_unit_test(test_loss_with_depth),
        cmocka_unit_test(test_noise_level),
        cmocka_unit_test(test_dropouts),
        cmocka_unit_test(test_emi_falloff),
        cmocka_unit_test(test_emi_metal_content),
        cmocka_unit_test(test_emi_soil),
        cmocka_unit_test(test_seed_reproduces),
        cmocka_unit_test(test_population),
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_handheld_lane),
        cmocka_unit_test(test_cart_lane),
        cmocka_unit_test(test_scenario_json),
        cmocka_unit_test(test_scenario_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
