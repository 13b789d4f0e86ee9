/* minescan-bench: the speed of every registered stage on lane-sized inputs
 * (16 MB or more), on the C path and through OpenCL with the data already
 * on the device, in GB/s moved and as a fraction of the copy bandwidth
 * measured in the same run (an OpenCL copy kernel, and memcpy), and
 * against a vectorised numpy/scipy peer of each stage run on the same
 * arrays in the same run (bench/numpy_peer.py). Then, unless
 * --stages-only, the whole default recipe and `minescan batch` over the
 * 18 tune-split benchmark lanes against a numpy script of the same steps
 * (bench/bench_pipeline.py). Figures, not pass/fail: the targets are
 * printed beside them, and speed targets live here, never in the test
 * suite. `--json` prints one JSON document instead of the tables. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_util.h"
#include "core/clock.h"
#include "minescan/error.h"
#include "minescan/version.h"
#include "runner/runner.h"

#ifndef MINESCAN_SOURCE_DIR
#define MINESCAN_SOURCE_DIR "."
#endif

#define MAX_ARRAYS 32
#define MAX_SETS 32
#define COPY_BYTES ((size_t)64 << 20)

/* The targets, printed beside the figures (never pass/fail). */
static const char *const streaming_stages[] = {
    "dewow", "background_removal", "window_energy", "emi_detrend", "zscore",
    "fuse", NULL};
#define TARGET_COPY_FRACTION 0.5
#define TARGET_NUMPY_RATIO 5.0

typedef struct options {
    size_t nt, ns;           /* radar traces x samples */
    size_t emi_n, emi_c;     /* EMI readings x channels */
    size_t map_nx, map_ny;   /* maps for zscore and fuse */
    size_t vol_nz, vol_ny, vol_nx;
    double plane_ns;         /* the volume's time planes */
    int diffractors;         /* hyperbolas added to the volume's noise */
    double density;          /* traces per m^2 for the gridding stages */
    double lane_y;           /* lane width, m */
    double trace_spacing_m;  /* the recording's, for stages in metres of
                                track (0: not known) */
    double gate_s[MS_MAX_EMI_GATES]; /* named gate times (the recording's) */
    unsigned n_gates;
    int reps, min_reps;
    double budget_s;
    int json, peer, pipeline, keep;
    const char *python, *source_dir, *data_dir, *jobs, *tmp_parent;
    const char *only[64];
    int n_only;
    const char *sets[MAX_SETS];
    int n_sets;
    const char *extra[16]; /* passed to bench_pipeline.py */
    int n_extra;
} options;

/* An input array, shared by every stage that reads that role. */
typedef struct array {
    char key[48];
    ms_shape shape;
    float *data;
    int written; /* as KEY.npy for the peer */
} array;

typedef struct bench {
    options o;
    ms_env env;
    array arrays[MAX_ARRAYS];
    size_t n_arrays;
    char dir[PATH_MAX]; /* the .npy files and the peer's answer */
    ms_cl *cl;
    char device[256];
} bench;

typedef struct result {
    const ms_stage_decl *d;
    ms_stage_ctx ctx;
    array *in[MS_MAX_IO];
    double bytes;     /* inputs read + outputs written, from the shapes */
    double cpu_ms, cl_ms, up_ms, down_ms, cl_vs_c;
    int cpu_reps, cl_reps;
    char error[512];
    json_t *peer; /* the peer's entry for this stage, or NULL */
    ms_estimates est; /* what the stage estimated (the last run's) */
} result;

/* ---- inputs ------------------------------------------------------------- */

static unsigned key_seed(const char *key)
{
    unsigned h = 2166136261u;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h;
}

static int ndim_of(ms_shape s) { return s.kind == MS_ARRAY_VOLUME ? 3 : 2; }

/* Deterministic content by role: noise in [-0.5, 0.5) for data, masks with
 * 1 % of samples missing, hit counts 0..8 (3 % unswept), positions spread
 * uniformly over the lane. */
static void fill(bench *b, array *a, int is_hits)
{
    size_t n = ms_shape_count(a->shape);
    unsigned seed = key_seed(a->key);
    float *v = a->data;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        float u = (float)(seed >> 8) / 16777216.0f; /* [0, 1) */
        if (a->shape.kind == MS_ARRAY_MASK)
            v[i] = (seed >> 8) % 100 != 0;
        else if (is_hits)
            v[i] = (seed >> 8) % 100 < 3 ? 0.0f : (float)(1 + (seed >> 12) % 8);
        else if (a->shape.kind == MS_ARRAY_POINTS)
            v[i] = (float)(u * (i % 2 ? b->o.lane_y : b->env.lane_x_max));
        else
            v[i] = u - 0.5f;
    }
}

static double ricker(double t_s, double f_hz)
{
    double u = 3.14159265358979 * f_hz * t_s;
    return (1.0 - 2.0 * u * u) * exp(-u * u);
}

/* --diffractors N: N targets across the middle of the volume, 4, 7, ...
 * cm deep in a soil of 0.1 m/ns, their echoes 5 times the noise's range
 * (a Ricker wavelet at the recording's centre frequency, the surface
 * 0.5 ns after time zero, migrate_kirchhoff's default surface_ns): every
 * second one a point, the others a disc's flat top 3 cm in half-width.
 * The velocity estimates then have hyperbolas to find, not noise. */
static void add_diffractors(const bench *b, array *a)
{
    const size_t nz = a->shape.dims[0], ny = a->shape.dims[1],
                 nx = a->shape.dims[2];
    const double cell = a->shape.cell_m, ps = a->shape.plane_s,
                 dt = b->env.dt_s, v = 0.1e9;
    for (int q = 0; q < b->o.diffractors; q++) {
        double cx = (q + 1.0) * (double)nx / (b->o.diffractors + 1.0);
        double cy = 0.5 * (double)ny, d = 0.04 + 0.03 * q;
        double flat = q % 2 ? 0.03 : 0.0;
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                double r = hypot(((double)x - cx) * cell,
                                 ((double)y - cy) * cell) - flat;
                double R = sqrt(d * d + (r > 0 ? r * r : 0.0));
                double t = b->env.time_zero_s + 0.5e-9 + 2.0 * R / v;
                for (size_t k = 0; k < nz; k++) {
                    double tc = (double)k * ps + 0.5 * (ps - dt);
                    a->data[(k * ny + y) * nx + x] +=
                        (float)(5.0 * d / R *
                                ricker(tc - t, b->env.centre_frequency_hz));
                }
            }
    }
}

static array *find_array(bench *b, const char *key)
{
    for (size_t i = 0; i < b->n_arrays; i++)
        if (!strcmp(b->arrays[i].key, key))
            return &b->arrays[i];
    return NULL;
}

/* The array stage input i reads: its role from its kind and default slot
 * name; sizes from the options. */
static array *input_for(bench *b, ms_stage_ctx *ctx, unsigned i,
                        const array *first)
{
    const ms_stage_decl *d = ctx->decl;
    const options *o = &b->o;
    const char *slot = d->in_slots[i] ? d->in_slots[i] : "";
    char key[48];
    ms_shape sh = {d->in_kinds[i], {1, 1, 1}, 0.0};
    int hits = 0;
    switch (d->in_kinds[i]) {
    case MS_ARRAY_TRACES:
        snprintf(key, sizeof key, "traces");
        sh.dims[0] = o->nt;
        sh.dims[1] = o->ns;
        break;
    case MS_ARRAY_SERIES:
        if (!strncmp(slot, "emi", 3)) {
            snprintf(key, sizeof key, "emi");
            sh.dims[0] = o->emi_n;
            sh.dims[1] = o->emi_c;
        } else {
            /* per-trace features: time_bins' output for a volume, one
             * value per trace (window_energy's) otherwise */
            size_t cols = 1;
            const ms_stage_decl *tb = ms_stage_find("time_bins");
            if (strstr(slot, "bins") && tb) {
                ms_stage_ctx t = {.decl = tb, .env = &b->env};
                ms_stage_defaults(tb, &t.params);
                t.in[0] = (ms_shape){MS_ARRAY_TRACES, {o->nt, o->ns, 1}, 0};
                t.in[1] = t.in[0];
                t.in[1].kind = MS_ARRAY_MASK;
                if (tb->shape(&t) == 0)
                    cols = t.out[0].dims[1];
            }
            snprintf(key, sizeof key, "features%zu", cols);
            sh.dims[0] = o->nt;
            sh.dims[1] = cols;
        }
        break;
    case MS_ARRAY_POINTS:
        sh.dims[0] = ctx->in[0].dims[0];
        sh.dims[1] = 2;
        snprintf(key, sizeof key, "xy%zu", sh.dims[0]);
        break;
    case MS_ARRAY_MAP:
        hits = strstr(slot, "hits") != NULL;
        if (i > 0 && ctx->in[0].kind == MS_ARRAY_VOLUME) {
            /* a volume's hit counts (depth_cfar, local_rx): its planes */
            snprintf(key, sizeof key, "volume_hits");
            sh.dims[0] = o->vol_ny;
            sh.dims[1] = o->vol_nx;
            sh.cell_m = 0.02;
            break;
        }
        snprintf(key, sizeof key, "%s", hits ? "hits" : i == 0 ? "map_a" : "map_b");
        sh.dims[0] = o->map_ny;
        sh.dims[1] = o->map_nx;
        sh.cell_m = 0.02;
        break;
    case MS_ARRAY_VOLUME:
        snprintf(key, sizeof key, "volume");
        sh.dims[0] = o->vol_nz;
        sh.dims[1] = o->vol_ny;
        sh.dims[2] = o->vol_nx;
        sh.cell_m = 0.02;
        sh.plane_s = o->plane_ns * 1e-9; /* time_bins' bin (0.5 ns) */
        sh.plane_m = 0.01;   /* migrate_kirchhoff at its default step */
        break;
    case MS_ARRAY_MASK:
    default:
        /* the mask of the stage's first input */
        if (i == 0 || !first)
            return NULL;
        snprintf(key, sizeof key, "%.40s_valid", first->key);
        sh = first->shape;
        sh.kind = MS_ARRAY_MASK;
        break;
    }
    array *a = find_array(b, key);
    if (a)
        return a;
    if (b->n_arrays == MAX_ARRAYS)
        return NULL;
    a = &b->arrays[b->n_arrays];
    snprintf(a->key, sizeof a->key, "%s", key);
    a->shape = sh;
    a->data = malloc((ms_shape_count(sh) ? ms_shape_count(sh) : 1) * sizeof(float));
    if (!a->data)
        return NULL;
    b->n_arrays++;
    fill(b, a, hits);
    if (a->shape.kind == MS_ARRAY_VOLUME)
        add_diffractors(b, a);
    return a;
}

static int write_array(bench *b, array *a)
{
    if (a->written)
        return 0;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.npy", b->dir, a->key);
    size_t dims[3] = {a->shape.dims[0], a->shape.dims[1], a->shape.dims[2]};
    if (bu_write_npy(path, a->data, dims, ndim_of(a->shape)))
        return -1;
    a->written = 1;
    return 0;
}

/* ---- timing one stage ---------------------------------------------------- */

typedef struct path_arg {
    ms_cl *cl;
    ms_stage_ctx *ctx;
    float *in[MS_MAX_IO], *out[MS_MAX_IO];
    cl_mem din[MS_MAX_IO], dout[MS_MAX_IO];
} path_arg;

static int cpu_once(void *p)
{
    path_arg *a = p;
    return ms_stage_exec_cpu(a->ctx, (const float *const *)a->in, a->out);
}

/* What a run does per stage on the device (runner.c step_opencl): the
 * stage's lifecycle, its launches and a finish; inputs and outputs stay
 * where they are. */
static int cl_once(void *p)
{
    path_arg *a = p;
    int rc = ms_stage_begin(a->ctx, a->cl);
    if (!rc)
        rc = a->ctx->decl->opencl(a->ctx, a->cl, a->din, a->dout);
    if (!rc)
        rc = ms_cl_finish(a->cl);
    ms_stage_end(a->ctx);
    return rc;
}

static int upload_once(void *p)
{
    path_arg *a = p;
    for (unsigned i = 0; i < a->ctx->decl->n_in; i++) {
        int rc = ms_cl_upload(a->cl, a->din[i], a->in[i],
                              ms_shape_count(a->ctx->in[i]) * sizeof(float));
        if (rc)
            return rc;
    }
    return 0;
}

static int download_once(void *p)
{
    path_arg *a = p;
    for (unsigned o = 0; o < a->ctx->decl->n_out; o++) {
        int rc = ms_cl_download(a->cl, a->dout[o], a->out[o],
                                ms_shape_count(a->ctx->out[o]) * sizeof(float));
        if (rc)
            return rc;
    }
    return 0;
}

static int apply_sets(const options *o, ms_stage_ctx *ctx, char *err, size_t len)
{
    const ms_stage_decl *d = ctx->decl;
    for (int s = 0; s < o->n_sets; s++) {
        const char *dot = strchr(o->sets[s], '.'), *eq = strchr(o->sets[s], '=');
        if (!dot || !eq || eq < dot) {
            snprintf(err, len, "--set %s: expected STAGE.KEY=VALUE", o->sets[s]);
            return -1;
        }
        if ((size_t)(dot - o->sets[s]) != strlen(d->name) ||
            strncmp(o->sets[s], d->name, (size_t)(dot - o->sets[s])))
            continue;
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
        int k = ms_stage_param_index(d, key);
        char *end;
        double v = strtod(eq + 1, &end);
        if (k < 0 || *end || end == eq + 1 || v < d->params[k].min ||
            v > d->params[k].max) {
            snprintf(err, len, "--set %s: unknown parameter or value out of range",
                     o->sets[s]);
            return -1;
        }
        ms_param_set(&d->params[k], &ctx->params, v);
    }
    if (d->check && d->check(&ctx->params)) {
        snprintf(err, len, "%s", ms_error_message());
        return -1;
    }
    return 0;
}

static double max_rel_diff(const float *a, const float *ref, size_t n)
{
    double peak = 0.0, diff = 0.0;
    for (size_t i = 0; i < n; i++) {
        peak = fmax(peak, fabs((double)ref[i]));
        diff = fmax(diff, fabs((double)a[i] - (double)ref[i]));
    }
    return peak > 0 ? diff / peak : diff;
}

static void progress(const bench *b, const char *fmt, const char *what)
{
    if (isatty(2) || getenv("MINESCAN_BENCH_PROGRESS")) {
        fprintf(stderr, fmt, what);
        fflush(stderr);
    }
    (void)b;
}

static void run_stage(bench *b, result *r)
{
    const ms_stage_decl *d = r->d;
    const options *o = &b->o;
    ms_stage_ctx *ctx = &r->ctx;
    path_arg a = {.cl = b->cl, .ctx = ctx};
    float *cl_out[MS_MAX_IO] = {0};
    ctx->decl = d;
    ctx->env = &b->env;
    ctx->estimates = &r->est;
    ms_stage_defaults(d, &ctx->params);
    r->cpu_ms = r->cl_ms = r->up_ms = r->down_ms = r->cl_vs_c = NAN;
    if (apply_sets(o, ctx, r->error, sizeof r->error))
        return;
    for (unsigned i = 0; i < d->n_in; i++) {
        r->in[i] = input_for(b, ctx, i, r->in[0]);
        if (!r->in[i]) {
            snprintf(r->error, sizeof r->error, "no bench input for input %u", i);
            return;
        }
        ctx->in[i] = r->in[i]->shape;
        a.in[i] = r->in[i]->data;
    }
    if (d->shape(ctx)) {
        snprintf(r->error, sizeof r->error, "shape: %s", ms_error_message());
        return;
    }
    r->bytes = 0;
    for (unsigned i = 0; i < d->n_in; i++)
        r->bytes += (double)ms_shape_count(ctx->in[i]) * sizeof(float);
    for (unsigned k = 0; k < d->n_out; k++) {
        size_t n = ms_shape_count(ctx->out[k]);
        r->bytes += (double)n * sizeof(float);
        a.out[k] = malloc((n ? n : 1) * sizeof(float));
        cl_out[k] = malloc((n ? n : 1) * sizeof(float));
        if (!a.out[k] || !cl_out[k]) {
            snprintf(r->error, sizeof r->error, "out of memory");
            goto done;
        }
    }
    progress(b, "minescan-bench: %s ...", d->name);

    /* the C path: one warm-up run, then the timed ones */
    int rc = cpu_once(&a);
    if (!rc)
        rc = bu_time(cpu_once, &a, o->reps, o->min_reps, o->budget_s,
                     &r->cpu_ms, &r->cpu_reps);
    if (rc) {
        snprintf(r->error, sizeof r->error, "C path: %s", ms_error_message());
        goto done;
    }

    /* OpenCL, data resident on the device */
    if (b->cl) {
        for (unsigned i = 0; i < d->n_in && !rc; i++)
            rc = ms_cl_alloc(b->cl, ms_shape_count(ctx->in[i]) * sizeof(float),
                             &a.din[i]);
        for (unsigned k = 0; k < d->n_out && !rc; k++)
            rc = ms_cl_alloc(b->cl, ms_shape_count(ctx->out[k]) * sizeof(float),
                             &a.dout[k]);
        if (!rc)
            rc = upload_once(&a);
        if (!rc)
            rc = cl_once(&a); /* builds the program; warms up */
        if (!rc)
            rc = bu_time(cl_once, &a, o->reps, o->min_reps, o->budget_s,
                         &r->cl_ms, &r->cl_reps);
        if (!rc)
            rc = bu_time(upload_once, &a, 3, 3, 0.0, &r->up_ms, NULL);
        path_arg dl = a;
        for (unsigned k = 0; k < d->n_out; k++)
            dl.out[k] = cl_out[k];
        if (!rc)
            rc = bu_time(download_once, &dl, 3, 3, 0.0, &r->down_ms, NULL);
        if (rc) {
            snprintf(r->error, sizeof r->error, "OpenCL: %s", ms_error_message());
            r->cl_ms = NAN;
        } else {
            r->cl_vs_c = 0;
            for (unsigned k = 0; k < d->n_out; k++)
                r->cl_vs_c = fmax(r->cl_vs_c,
                                  max_rel_diff(cl_out[k], a.out[k],
                                               ms_shape_count(ctx->out[k])));
        }
    }

    /* the peer's inputs and the C path's outputs to check it against */
    if (o->peer && b->dir[0]) {
        for (unsigned i = 0; i < d->n_in; i++)
            if (write_array(b, r->in[i]))
                snprintf(r->error, sizeof r->error, "writing %s.npy: %s",
                         r->in[i]->key, strerror(errno));
        for (unsigned k = 0; k < d->n_out; k++) {
            char path[PATH_MAX + 64];
            snprintf(path, sizeof path, "%s/ref_%s_%u.npy", b->dir, d->name, k);
            size_t dims[3] = {ctx->out[k].dims[0], ctx->out[k].dims[1],
                              ctx->out[k].dims[2]};
            if (bu_write_npy(path, a.out[k], dims, ndim_of(ctx->out[k])))
                snprintf(r->error, sizeof r->error, "writing ref_%s_%u.npy: %s",
                         d->name, k, strerror(errno));
        }
    }
    progress(b, " done\n", "");
done:
    for (unsigned k = 0; k < MS_MAX_IO; k++) {
        free(a.out[k]);
        free(cl_out[k]);
        ms_cl_release(a.din[k]);
        ms_cl_release(a.dout[k]);
    }
}

/* ---- the numpy peer ------------------------------------------------------ */

static json_t *shape_json(ms_shape s)
{
    json_t *a = json_array();
    json_array_append_new(a, json_integer((json_int_t)s.dims[0]));
    json_array_append_new(a, json_integer((json_int_t)s.dims[1]));
    if (ndim_of(s) == 3)
        json_array_append_new(a, json_integer((json_int_t)s.dims[2]));
    return a;
}

static const char *kind_name(ms_array_kind k)
{
    switch (k) {
    case MS_ARRAY_TRACES: return "traces";
    case MS_ARRAY_MASK: return "mask";
    case MS_ARRAY_SERIES: return "series";
    case MS_ARRAY_POINTS: return "points";
    case MS_ARRAY_MAP: return "map";
    case MS_ARRAY_VOLUME: return "volume";
    }
    return "?";
}

static json_t *params_json(const ms_stage_ctx *ctx)
{
    json_t *p = json_object();
    for (unsigned i = 0; i < ctx->decl->n_params; i++) {
        const ms_param_decl *pd = &ctx->decl->params[i];
        double v = ms_param_get(pd, &ctx->params);
        json_object_set_new(p, pd->name, pd->type == MS_PARAM_INT
                                             ? json_integer((json_int_t)v)
                                             : json_real(v));
    }
    return p;
}

static json_t *env_json(const ms_env *e)
{
    json_t *gates = json_array();
    for (unsigned i = 0; i < e->n_emi_gates; i++)
        json_array_append_new(gates, json_real(e->emi_gate_s[i]));
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o}", "dt_s",
                     e->dt_s, "time_zero_s", e->time_zero_s, "lane_x_min",
                     e->lane_x_min, "lane_x_max", e->lane_x_max, "lane_y_min",
                     e->lane_y_min, "lane_y_max", e->lane_y_max,
                     "centre_frequency_hz", e->centre_frequency_hz,
                     "trace_spacing_m", e->trace_spacing_m, "emi_gate_s",
                     gates);
}

/* Write manifest.json, run bench/numpy_peer.py on it and hang each stage's
 * answer on its result. Returns the peer's whole answer (or NULL). */
static json_t *run_peer(bench *b, result *res, size_t n)
{
    json_t *m = json_object(), *stages = json_array();
    json_object_set_new(m, "env", env_json(&b->env));
    json_object_set_new(m, "reps", json_integer(b->o.reps));
    json_object_set_new(m, "min_reps", json_integer(b->o.min_reps));
    json_object_set_new(m, "budget_s", json_real(b->o.budget_s));
    for (size_t s = 0; s < n; s++) {
        result *r = &res[s];
        if (r->error[0])
            continue;
        json_t *js = json_object(), *in = json_array(), *ref = json_array(),
               *kinds = json_array(), *cells = json_array(),
               *planes = json_array(), *depths = json_array();
        for (unsigned i = 0; i < r->d->n_in; i++) {
            json_array_append_new(in, json_string(r->in[i]->key));
            json_array_append_new(kinds, json_string(kind_name(r->d->in_kinds[i])));
            /* a map's cell and a volume's plane, for the peers that
             * turn metres and nanoseconds into cells and planes */
            json_array_append_new(cells, json_real(r->in[i]->shape.cell_m));
            json_array_append_new(planes, json_real(r->in[i]->shape.plane_s));
            json_array_append_new(depths, json_real(r->in[i]->shape.plane_m));
        }
        for (unsigned k = 0; k < r->d->n_out; k++) {
            char name[128];
            snprintf(name, sizeof name, "ref_%s_%u", r->d->name, k);
            json_array_append_new(ref, json_string(name));
        }
        json_object_set_new(js, "name", json_string(r->d->name));
        json_object_set_new(js, "params", params_json(&r->ctx));
        json_object_set_new(js, "in", in);
        json_object_set_new(js, "in_kinds", kinds);
        json_object_set_new(js, "in_cell_m", cells);
        json_object_set_new(js, "in_plane_s", planes);
        json_object_set_new(js, "in_plane_m", depths);
        json_object_set_new(js, "ref", ref);
        json_array_append_new(stages, js);
    }
    json_object_set_new(m, "stages", stages);
    char manifest[PATH_MAX + 64], answer[PATH_MAX + 64], script[PATH_MAX + 64];
    snprintf(manifest, sizeof manifest, "%s/manifest.json", b->dir);
    snprintf(answer, sizeof answer, "%s/peer.json", b->dir);
    snprintf(script, sizeof script, "%s/bench/numpy_peer.py", b->o.source_dir);
    int rc = json_dump_file(m, manifest, JSON_INDENT(1));
    json_decref(m);
    if (rc) {
        fprintf(stderr, "minescan-bench: cannot write %s\n", manifest);
        return NULL;
    }
    progress(b, "minescan-bench: numpy peers (%s) ...", script);
    char *argv[] = {(char *)b->o.python, script, manifest, NULL};
    int st = bu_run(argv, answer, NULL, NULL);
    progress(b, " done\n", "");
    if (st != 0) {
        fprintf(stderr, "minescan-bench: %s %s exited with %d; no numpy ratios\n",
                b->o.python, script, st);
        return NULL;
    }
    json_error_t jerr;
    json_t *ans = json_load_file(answer, 0, &jerr);
    if (!ans) {
        fprintf(stderr, "minescan-bench: %s: %s\n", answer, jerr.text);
        return NULL;
    }
    json_t *ps = json_object_get(ans, "stages");
    for (size_t s = 0; s < n; s++)
        res[s].peer = json_object_get(ps, res[s].d->name);
    return ans;
}

/* ---- output -------------------------------------------------------------- */

static int is_streaming(const char *name)
{
    for (size_t i = 0; streaming_stages[i]; i++)
        if (!strcmp(streaming_stages[i], name))
            return 1;
    return 0;
}

static double gbps(double bytes, double ms)
{
    return ms > 0 ? bytes / (ms * 1e-3) / 1e9 : NAN;
}

static double peer_ms(const result *r)
{
    json_t *v = r->peer ? json_object_get(r->peer, "ms") : NULL;
    return v ? json_number_value(v) : NAN;
}

static double best_ms(const result *r)
{
    if (isnan(r->cl_ms))
        return r->cpu_ms;
    if (isnan(r->cpu_ms))
        return r->cl_ms;
    return fmin(r->cpu_ms, r->cl_ms);
}

static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static void cell(char *buf, size_t len, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(buf, len, fmt, v);
    else
        snprintf(buf, len, "-");
}

static void print_table(const bench *b, const result *res, size_t n,
                        double copy_ref, double copy_cl, double copy_1, double copy_n,
                        const char *copy_local, int threads, json_t *peer)
{
    const options *o = &b->o;
    printf("minescan-bench %s: stages on lane-sized inputs\n", MINESCAN_VERSION);
    printf("  OpenCL device: %s\n", b->cl ? b->device : "none (C path only)");
    printf("  radar   %zu traces x %zu samples float32 = %.1f MB (+ mask)\n",
           o->nt, o->ns, (double)o->nt * (double)o->ns * 4 / 1e6);
    printf("  EMI     %zu readings x %zu channels = %.1f MB (+ mask); a real "
           "10 m lane has ~8000 x 3 (0.1 MB)\n",
           o->emi_n, o->emi_c, (double)o->emi_n * (double)o->emi_c * 4 / 1e6);
    printf("  gridding %zu positions over a %.1f x %.1f m lane (%.0f traces/m^2, "
           "as the benchmark lanes), stage cell size\n",
           o->nt, b->env.lane_x_max, o->lane_y, o->density);
    printf("  maps    %zu x %zu cells = %.1f MB (zscore, fuse); volume %zu x %zu "
           "x %zu = %.1f MB (depth_slice)\n",
           o->map_ny, o->map_nx, (double)o->map_nx * (double)o->map_ny * 4 / 1e6,
           o->vol_nz, o->vol_ny, o->vol_nx,
           (double)o->vol_nz * (double)o->vol_ny * (double)o->vol_nx * 4 / 1e6);
    if (copy_cl > 0)
        printf("  copy bandwidth (64 MB, bytes read + written): OpenCL float4 "
               "copy kernel %.1f GB/s (%s) = the %%copy reference; memcpy 1 "
               "thread %.1f GB/s, %d threads %.1f GB/s\n",
               copy_cl, copy_local, copy_1, threads, copy_n);
    else
        printf("  copy bandwidth (64 MB, bytes read + written): memcpy 1 thread "
               "%.1f GB/s, %d threads %.1f GB/s; the better = the %%copy "
               "reference (no OpenCL copy kernel)\n",
               copy_1, threads, copy_n);
    printf("  times: median of up to %d runs after a warm-up (at least %d, "
           "~%.1f s per path; fewer for a stage of seconds); OpenCL = launch + "
           "finish with the data on the device, as in a run; up/down = copying "
           "the stage's inputs/outputs, shown apart\n",
           o->reps, o->min_reps, o->budget_s);
    if (peer) {
        json_t *v = json_object_get(peer, "versions");
        printf("  numpy peer: %s, same arrays, same run; xbest = numpy_ms / "
               "best minescan path, xCL = numpy_ms / OpenCL\n",
               v ? json_string_value(json_object_get(v, "text")) : "?");
    } else
        printf("  numpy peer: not run\n");
    printf("  targets (figures, not pass/fail): streaming stages >= %.0f%% of "
           "the copy bandwidth on PoCL; every stage >= %.0fx its numpy peer\n\n",
           100 * TARGET_COPY_FRACTION, TARGET_NUMPY_RATIO);
    printf("%-19s %6s | %8s %6s %5s | %9s %6s %5s %6s %6s | %8s %7s %7s | %-22s %5s | %s\n",
           "stage", "MB", "C ms", "GB/s", "copy", "OpenCL ms", "GB/s", "copy",
           "up ms", "dn ms", "numpy ms", "xbest", "xCL", "numpy peer", "diff",
           "target");
    for (size_t s = 0; s < n; s++) {
        const result *r = &res[s];
        if (r->error[0] && isnan(r->cpu_ms)) {
            printf("%-19s %s\n", r->d->name, r->error);
            continue;
        }
        char c[13][32];
        double pm = peer_ms(r);
        cell(c[0], 32, "%.1f", r->bytes / 1e6);
        cell(c[1], 32, "%.2f", r->cpu_ms);
        cell(c[2], 32, "%.2f", gbps(r->bytes, r->cpu_ms));
        cell(c[3], 32, "%.0f%%", 100 * gbps(r->bytes, r->cpu_ms) / copy_ref);
        cell(c[4], 32, "%.2f", r->cl_ms);
        cell(c[5], 32, "%.2f", gbps(r->bytes, r->cl_ms));
        cell(c[6], 32, "%.0f%%", 100 * gbps(r->bytes, r->cl_ms) / copy_ref);
        cell(c[7], 32, "%.1f", r->up_ms);
        cell(c[8], 32, "%.1f", r->down_ms);
        cell(c[9], 32, "%.2f", pm);
        cell(c[10], 32, "%.2fx", pm / best_ms(r));
        cell(c[11], 32, "%.2fx", pm / r->cl_ms);
        double diff = r->peer ? json_number_value(json_object_get(r->peer, "max_rel_diff"))
                              : NAN;
        cell(c[12], 32, diff == 0 ? "0" : "%.0e", diff);
        const char *pname = r->peer ? json_string_value(json_object_get(r->peer, "peer")) : NULL;
        char target[64];
        snprintf(target, sizeof target, "%s>=%.0fx numpy",
                 is_streaming(r->d->name) ? ">=50% copy, " : "",
                 TARGET_NUMPY_RATIO);
        printf("%-19s %6s | %8s %6s %5s | %9s %6s %5s %6s %6s | %8s %7s %7s | %-22.22s %5s | %s\n",
               r->d->name, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8],
               c[9], c[10], c[11], pname ? pname : "-", c[12], target);
    }
    printf("\n");
    /* notes: what differs from a plain reading of the table */
    for (size_t s = 0; s < n; s++) {
        const result *r = &res[s];
        if (r->error[0] && !isnan(r->cpu_ms))
            printf("  note %s: %s\n", r->d->name, r->error);
        if (r->ctx.warning[0])
            printf("  note %s: %s\n", r->d->name, r->ctx.warning);
        if (isfinite(r->cl_vs_c) && r->cl_vs_c > r->d->tolerance)
            printf("  note %s: OpenCL output differs from the C path by %.2g "
                   "of its peak (tolerance %.g)\n",
                   r->d->name, r->cl_vs_c, r->d->tolerance);
        if (!r->peer)
            continue;
        json_t *diff = json_object_get(r->peer, "max_rel_diff");
        json_t *variants = json_object_get(r->peer, "variants");
        json_t *note = json_object_get(r->peer, "note");
        char vbuf[256] = "";
        const char *vk;
        json_t *vv;
        json_object_foreach(variants, vk, vv) {
            size_t len = strlen(vbuf);
            double ms = json_number_value(json_object_get(vv, "ms"));
            double d = json_number_value(json_object_get(vv, "max_rel_diff"));
            snprintf(vbuf + len, sizeof vbuf - len, "%s%s %.2f ms (diff %.1g)",
                     len ? ", " : "", vk, ms, d);
        }
        if (json_object_size(variants) > 1 || note ||
            (diff && json_number_value(diff) > 1e-3))
            printf("  peer %s: %s%s%s\n", r->d->name, vbuf, note ? "; " : "",
                   note ? json_string_value(note) : "");
    }
    printf("  diff = max |numpy peer - minescan C path| / max |C path| over the "
           "stage's outputs: the peer computes the same thing\n");
}

static json_t *stage_json(const result *r, double copy_cl)
{
    json_t *j = json_object();
    json_object_set_new(j, "stage", json_string(r->d->name));
    json_object_set_new(j, "streaming", json_boolean(is_streaming(r->d->name)));
    json_object_set_new(j, "params", params_json(&r->ctx));
    json_t *est = json_object();
    for (unsigned i = 0; i < r->est.n; i++)
        json_object_set_new(est, r->est.key[i], json_real(r->est.value[i]));
    json_object_set_new(j, "estimates", est);
    json_t *in = json_array(), *out = json_array();
    for (unsigned i = 0; i < r->d->n_in && r->in[i]; i++)
        json_array_append_new(in, json_pack("{s:s, s:s, s:o}", "array", r->in[i]->key,
                                            "kind", kind_name(r->ctx.in[i].kind),
                                            "shape", shape_json(r->ctx.in[i])));
    for (unsigned k = 0; k < r->d->n_out && !isnan(r->cpu_ms); k++)
        json_array_append_new(out, json_pack("{s:s, s:o}", "kind",
                                             kind_name(r->ctx.out[k].kind),
                                             "shape", shape_json(r->ctx.out[k])));
    json_object_set_new(j, "inputs", in);
    json_object_set_new(j, "outputs", out);
    json_object_set_new(j, "bytes_moved", json_integer((json_int_t)r->bytes));
    double c = gbps(r->bytes, r->cpu_ms), g = gbps(r->bytes, r->cl_ms);
    json_object_set_new(j, "cpu", json_pack("{s:o, s:i, s:o, s:o}", "ms", jnum(r->cpu_ms),
                                            "reps", r->cpu_reps, "gbps", jnum(c),
                                            "copy_fraction", jnum(c / copy_cl)));
    json_object_set_new(j, "opencl",
                        json_pack("{s:o, s:i, s:o, s:o, s:o, s:o, s:o}", "ms",
                                  jnum(r->cl_ms), "reps", r->cl_reps, "gbps", jnum(g),
                                  "copy_fraction", jnum(g / copy_cl), "upload_ms",
                                  jnum(r->up_ms), "download_ms", jnum(r->down_ms),
                                  "max_rel_diff_vs_cpu", jnum(r->cl_vs_c)));
    double pm = peer_ms(r);
    json_object_set_new(j, "numpy", r->peer ? json_deep_copy(r->peer) : json_null());
    json_object_set_new(j, "ratio_best", jnum(pm / best_ms(r)));
    json_object_set_new(j, "ratio_opencl", jnum(pm / r->cl_ms));
    json_object_set_new(j, "targets",
                        is_streaming(r->d->name)
                            ? json_pack("{s:f, s:f}", "copy_fraction_opencl",
                                        TARGET_COPY_FRACTION, "numpy_ratio",
                                        TARGET_NUMPY_RATIO)
                            : json_pack("{s:f}", "numpy_ratio", TARGET_NUMPY_RATIO));
    if (r->error[0])
        json_object_set_new(j, "error", json_string(r->error));
    if (r->ctx.warning[0])
        json_object_set_new(j, "warning", json_string(r->ctx.warning));
    return j;
}

/* ---- the whole recipe and batch (bench/bench_pipeline.py) ---------------- */

static json_t *run_pipeline(bench *b, const char *exe_dir)
{
    char minescan[PATH_MAX + 16], script[PATH_MAX + 64], data[PATH_MAX + 32],
        answer[PATH_MAX + 64];
    snprintf(minescan, sizeof minescan, "%s/minescan", exe_dir);
    snprintf(script, sizeof script, "%s/bench/bench_pipeline.py", b->o.source_dir);
    if (b->o.data_dir)
        snprintf(data, sizeof data, "%s", b->o.data_dir);
    else
        snprintf(data, sizeof data, "%s/bench-data", exe_dir);
    snprintf(answer, sizeof answer, "%s/pipeline.json", b->dir);
    char *argv[48];
    int n = 0;
    argv[n++] = (char *)b->o.python;
    argv[n++] = script;
    argv[n++] = "--minescan";
    argv[n++] = minescan;
    argv[n++] = "--data";
    argv[n++] = data;
    argv[n++] = "--json-out";
    argv[n++] = answer;
    if (b->o.jobs) {
        argv[n++] = "--jobs";
        argv[n++] = (char *)b->o.jobs;
    }
    if (b->o.json)
        argv[n++] = "--quiet";
    for (int i = 0; i < b->o.n_extra && n < 46; i++)
        argv[n++] = (char *)b->o.extra[i];
    argv[n] = NULL;
    fflush(stdout);
    int st = bu_run(argv, b->o.json ? "/dev/null" : NULL, NULL, NULL);
    if (st != 0) {
        fprintf(stderr, "minescan-bench: %s %s exited with %d\n", b->o.python,
                script, st);
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_load_file(answer, 0, &jerr);
    if (!j)
        fprintf(stderr, "minescan-bench: %s: %s\n", answer, jerr.text);
    return j;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
"Usage: minescan-bench [OPTIONS]\n"
"\n"
"Times every stage on lane-sized inputs (C path, and OpenCL with the data on\n"
"the device), in GB/s and as a fraction of the copy bandwidth measured in the\n"
"same run, against a numpy/scipy peer on the same arrays (bench/numpy_peer.py);\n"
"then the default recipe on one lane-sized file and `minescan batch` over the\n"
"18 tune-split benchmark lanes against a numpy script of the same steps\n"
"(bench/bench_pipeline.py, bench/numpy_chain.py). Targets are printed beside\n"
"the figures; nothing here passes or fails.\n"
"\n"
"  --traces N         radar traces (default 25600)\n"
"  --samples N        samples per trace (default 160: 25600 x 160 = 16.4 MB)\n"
"  --emi-channels N   EMI channels (default 3); readings fill the radar's bytes\n"
"  --emi-readings N   EMI readings (default traces x samples / channels)\n"
"  --map NXxNY        map for zscore and fuse (default 2560x1600, 16.4 MB)\n"
"  --volume NZxNYxNX  volume for depth_slice (default 20x320x640, 16.4 MB)\n"
"  --plane-ns NS      the volume's time planes (default 0.5, time_bins')\n"
"  --diffractors N    N diffraction hyperbolas in the volume's noise, for\n"
"                     migrate_kirchhoff's velocity estimate (default 0)\n"
"  --density D        traces per m^2 for grid, grid_volume (default 1000, as\n"
"                     the benchmark lanes); the lane is traces / D / width long\n"
"  --lane-width M     (default 1.0)\n"
"  --trace-spacing M  the recording's trace spacing, for stages that take\n"
"                     windows in metres of track (default: not known)\n"
"  --gate-times US,.. the recording's named gate times (emi_tau uses them\n"
"                     when there is one per plane of its volume)\n"
"  --reps N           at most N timed runs per path (default 9), median\n"
"  --min-reps N       at least N (default 3)\n"
"  --budget S         stop after S seconds per path once --min-reps ran, or\n"
"                     after 4 x S whatever ran (default 0.5)\n"
"  --stage NAME       only this stage (repeatable)\n"
"  --set STAGE.KEY=V  a stage parameter other than its default (repeatable)\n"
"  --no-peer          skip the numpy peers\n"
"  --stages-only      skip the recipe and batch part\n"
"  --data DIR         where the benchmark lanes are generated and kept\n"
"                     (default: bench-data beside this binary)\n"
"  --jobs N           minescan batch -j N (default: minescan's own default)\n"
"  --pipeline-arg A   pass A to bench/bench_pipeline.py (repeatable)\n"
"  --python PATH      interpreter with numpy, scipy, h5py (default\n"
"                     $MINESCAN_PYTHON, else /usr/bin/python3)\n"
"  --keep             keep the temporary folder of .npy files and answers\n"
"  --json             one JSON document on stdout instead of the tables\n"
"  -h, --help         this text\n");
}

/* Comma-separated gate times in us, at most MS_MAX_EMI_GATES, rising. */
static int parse_gates(const char *s, double *g, unsigned *n)
{
    char *end;
    *n = 0;
    for (;;) {
        double us = strtod(s, &end);
        if (end == s || !(us >= 0) || *n == MS_MAX_EMI_GATES ||
            (*n && !(us * 1e-6 > g[*n - 1])))
            return -1;
        g[(*n)++] = us * 1e-6;
        if (*end != ',')
            break;
        s = end + 1;
    }
    return *end ? -1 : 0;
}

static int parse_size_list(const char *s, size_t *v, int n)
{
    char *end;
    for (int i = 0; i < n; i++) {
        unsigned long long x = strtoull(s, &end, 10);
        if (end == s || x == 0)
            return -1;
        v[i] = (size_t)x;
        if (i + 1 < n) {
            if (*end != 'x' && *end != 'X')
                return -1;
            s = end + 1;
        }
    }
    return *end ? -1 : 0;
}

int main(int argc, char **argv)
{
    static bench b; /* large */
    options *o = &b.o;
    *o = (options){.nt = 25600, .ns = 160, .emi_c = 3, .map_nx = 2560,
                   .map_ny = 1600, .vol_nz = 20, .vol_ny = 320, .vol_nx = 640,
                   .plane_ns = 0.5,
                   .density = 1000.0, .lane_y = 1.0, .reps = 9, .min_reps = 3,
                   .budget_s = 0.5, .peer = 1, .pipeline = 1,
                   .source_dir = MINESCAN_SOURCE_DIR};
    o->python = getenv("MINESCAN_PYTHON");
    if (!o->python || !*o->python)
        o->python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
                                                           : "python3";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0, used = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json"))
            o->json = 1, used = 0;
        else if (!strcmp(a, "--no-peer"))
            o->peer = 0, used = 0;
        else if (!strcmp(a, "--stages-only"))
            o->pipeline = 0, used = 0;
        else if (!strcmp(a, "--keep"))
            o->keep = 1, used = 0;
        else if (!v)
            bad = 1;
        else if (!strcmp(a, "--traces"))
            bad = parse_size_list(v, &o->nt, 1);
        else if (!strcmp(a, "--samples"))
            bad = parse_size_list(v, &o->ns, 1);
        else if (!strcmp(a, "--emi-channels"))
            bad = parse_size_list(v, &o->emi_c, 1);
        else if (!strcmp(a, "--emi-readings"))
            bad = parse_size_list(v, &o->emi_n, 1);
        else if (!strcmp(a, "--map")) {
            size_t d[2];
            bad = parse_size_list(v, d, 2);
            o->map_nx = d[0];
            o->map_ny = d[1];
        } else if (!strcmp(a, "--volume")) {
            size_t d[3];
            bad = parse_size_list(v, d, 3);
            o->vol_nz = d[0];
            o->vol_ny = d[1];
            o->vol_nx = d[2];
        } else if (!strcmp(a, "--plane-ns"))
            bad = !((o->plane_ns = strtod(v, NULL)) > 0);
        else if (!strcmp(a, "--diffractors"))
            bad = (o->diffractors = atoi(v)) < 0;
        else if (!strcmp(a, "--density"))
            bad = !((o->density = strtod(v, NULL)) > 0);
        else if (!strcmp(a, "--lane-width"))
            bad = !((o->lane_y = strtod(v, NULL)) > 0);
        else if (!strcmp(a, "--trace-spacing"))
            bad = !((o->trace_spacing_m = strtod(v, NULL)) > 0);
        else if (!strcmp(a, "--gate-times"))
            bad = parse_gates(v, o->gate_s, &o->n_gates);
        else if (!strcmp(a, "--reps"))
            bad = (o->reps = atoi(v)) < 1;
        else if (!strcmp(a, "--min-reps"))
            bad = (o->min_reps = atoi(v)) < 1;
        else if (!strcmp(a, "--budget"))
            bad = !((o->budget_s = strtod(v, NULL)) >= 0);
        else if (!strcmp(a, "--stage") && o->n_only < 64)
            o->only[o->n_only++] = v;
        else if (!strcmp(a, "--set") && o->n_sets < MAX_SETS)
            o->sets[o->n_sets++] = v;
        else if (!strcmp(a, "--data"))
            o->data_dir = v;
        else if (!strcmp(a, "--jobs"))
            o->jobs = v;
        else if (!strcmp(a, "--pipeline-arg") && o->n_extra < 16)
            o->extra[o->n_extra++] = v;
        else if (!strcmp(a, "--python"))
            o->python = v;
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "minescan-bench: bad or unknown option %s%s%s\n", a,
                    v && used ? " " : "", v && used ? v : "");
            usage(stderr);
            return 2;
        }
        i += used;
    }
    if (o->min_reps > o->reps)
        o->min_reps = o->reps;
    if (!o->emi_n)
        o->emi_n = o->nt * o->ns / o->emi_c;
    for (int s = 0; s < o->n_only; s++)
        if (!ms_stage_find(o->only[s])) {
            fprintf(stderr, "minescan-bench: no stage '%s'\n", o->only[s]);
            return 2;
        }

    char exe_dir[PATH_MAX] = ".";
    ssize_t len = readlink("/proc/self/exe", exe_dir, sizeof exe_dir - 1);
    if (len > 0) {
        exe_dir[len] = '\0';
        char *slash = strrchr(exe_dir, '/');
        if (slash)
            *slash = '\0';
    }

    /* the benchmark lanes' radar: 1.5 GHz sampled every 62.5 ps (bandpass
     * takes its corners from the centre frequency) */
    b.env = (ms_env){.dt_s = 6.25e-11, .time_zero_s = 1e-9,
                     .centre_frequency_hz = 1.5e9, .lane_x_min = 0,
                     .lane_x_max = (double)o->nt / o->density / o->lane_y,
                     .lane_y_min = 0, .lane_y_max = o->lane_y,
                     .trace_spacing_m = o->trace_spacing_m,
                     .n_emi_gates = o->n_gates};
    memcpy(b.env.emi_gate_s, o->gate_s, sizeof o->gate_s);
    const char *tmp = getenv("TMPDIR");
    snprintf(b.dir, sizeof b.dir, "%s/minescan-bench-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(b.dir)) {
        fprintf(stderr, "minescan-bench: cannot make %s: %s\n", b.dir,
                strerror(errno));
        return 3;
    }

    ms_runner *runner = NULL;
    if (ms_runner_create(MS_DEVICE_OPENCL, &runner) == 0) {
        b.cl = ms_runner_cl(runner);
        snprintf(b.device, sizeof b.device, "%s", ms_runner_device_name(runner));
    } else
        fprintf(stderr, "minescan-bench: no OpenCL device (%s); C path only\n",
                ms_error_message());

    /* the copy references, in this run */
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    progress(&b, "minescan-bench: %s ...", "copy bandwidth");
    double copy_1 = bu_memcpy_gbps(COPY_BYTES, 1, 9);
    double copy_n = bu_memcpy_gbps(COPY_BYTES, threads, 9);
    char copy_local[64] = "-";
    double copy_cl = b.cl ? bu_cl_copy_gbps(b.cl, COPY_BYTES, 9, copy_local,
                                            sizeof copy_local)
                          : NAN;
    progress(&b, " done\n", "");
    if (b.cl && !(copy_cl > 0))
        fprintf(stderr, "minescan-bench: copy kernel failed: %s\n",
                ms_error_message());
    /* without OpenCL the fractions are of the best memcpy */
    double copy_ref = copy_cl > 0 ? copy_cl : fmax(copy_1, copy_n);

    size_t n_stages = 0;
    while (ms_stage_registry[n_stages])
        n_stages++;
    result *res = calloc(n_stages ? n_stages : 1, sizeof *res);
    size_t n = 0;
    for (size_t s = 0; s < n_stages; s++) {
        int want = o->n_only == 0;
        for (int k = 0; k < o->n_only; k++)
            want |= !strcmp(o->only[k], ms_stage_registry[s]->name);
        if (!want)
            continue;
        res[n].d = ms_stage_registry[s];
        run_stage(&b, &res[n]);
        n++;
    }
    /* the stage inputs are on disk now; free them before numpy loads them */
    for (size_t i = 0; i < b.n_arrays; i++) {
        free(b.arrays[i].data);
        b.arrays[i].data = NULL;
    }
    json_t *peer = o->peer ? run_peer(&b, res, n) : NULL;
    ms_runner_free(runner);

    if (!o->json)
        print_table(&b, res, n, copy_ref, copy_cl, copy_1, copy_n, copy_local, threads,
                    peer);
    json_t *pipe = o->pipeline ? run_pipeline(&b, exe_dir) : NULL;

    int rc = 0;
    if (o->json) {
        json_t *root = json_object(), *st = json_array();
        json_object_set_new(root, "tool", json_string("minescan-bench"));
        json_object_set_new(root, "version", json_string(MINESCAN_VERSION));
        json_object_set_new(root, "opencl_device",
                            b.cl ? json_string(b.device) : json_null());
        json_object_set_new(
            root, "inputs",
            json_pack("{s:[I,I], s:[I,I], s:[I,I], s:[I,I,I], s:f, s:[f,f]}",
                      "traces", (json_int_t)o->nt, (json_int_t)o->ns, "emi",
                      (json_int_t)o->emi_n, (json_int_t)o->emi_c, "map",
                      (json_int_t)o->map_ny, (json_int_t)o->map_nx, "volume",
                      (json_int_t)o->vol_nz, (json_int_t)o->vol_ny,
                      (json_int_t)o->vol_nx, "grid_density_per_m2", o->density,
                      "grid_lane_m", b.env.lane_x_max, o->lane_y));
        json_object_set_new(root, "env", env_json(&b.env));
        json_object_set_new(root, "timing",
                            json_pack("{s:i, s:i, s:f, s:s}", "max_reps", o->reps,
                                      "min_reps", o->min_reps, "budget_s_per_path",
                                      o->budget_s, "statistic", "median"));
        json_object_set_new(
            root, "copy",
            json_pack("{s:I, s:o, s:s, s:o, s:o, s:i, s:o, s:s}", "bytes",
                      (json_int_t)COPY_BYTES, "opencl_kernel_gbps", jnum(copy_cl),
                      "opencl_kernel_local", copy_local, "memcpy_1thread_gbps",
                      jnum(copy_1), "memcpy_threads_gbps", jnum(copy_n), "threads",
                      threads, "reference_gbps", jnum(copy_ref), "gbps_counts",
                      "bytes read + bytes written"));
        json_object_set_new(
            root, "targets",
            json_pack("{s:f, s:f, s:f, s:f}", "streaming_copy_fraction_opencl",
                      TARGET_COPY_FRACTION, "stage_numpy_ratio", TARGET_NUMPY_RATIO,
                      "batch_numpy_ratio", 10.0, "peak_rss_over_radar_bytes", 3.0));
        for (size_t s = 0; s < n; s++)
            json_array_append_new(st, stage_json(&res[s], copy_ref));
        json_object_set_new(root, "stages", st);
        json_object_set_new(root, "numpy_peer",
                            peer ? json_incref(json_object_get(peer, "versions"))
                                 : json_null());
        json_object_set_new(root, "pipeline", pipe ? json_incref(pipe) : json_null());
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text) {
            puts(text);
            free(text);
        } else
            rc = 3;
        json_decref(root);
    }
    for (size_t s = 0; s < n; s++)
        if (res[s].error[0] && isnan(res[s].cpu_ms))
            rc = 1;
    json_decref(peer);
    json_decref(pipe);
    free(res);
    if (o->keep)
        fprintf(stderr, "minescan-bench: kept %s\n", b.dir);
    else
        bu_rmtree(b.dir);
    return rc;
}
