/* The runner: see runner.h. */
#include "runner/runner.h"
#include "runner/calibrate.h"
#include "core/clock.h"
#include "core/memory.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minescan/detect.h"
#include "minescan/error.h"

struct ms_runner {
    ms_cl *cl; /* NULL: C path */
    int consume; /* runs may take the sensor data out of the recording */
    char device_name[512];
    char note[1024];
    char choice[1024]; /* why auto took the path it took, when it chose */
    int fallbacks;
};

typedef struct ms_slot {
    char name[MS_SLOT_NAME];
    ms_shape shape;
    float *host; /* valid when host_ok */
    cl_mem dev;  /* valid when dev_ok */
    int host_ok, dev_ok;
    int by_stage; /* written by a stage that ran, not the recording */
    int borrowed; /* host belongs to the recording: never freed here */
} ms_slot;

struct ms_run {
    ms_runner *runner;
    const char *input;
    ms_env env;
    ms_slot *slots;
    size_t n_slots, cap_slots;
    ms_stage_report *reports;
    size_t n_reports;
    const ms_recipe *recipe;
    char final_map[MS_SLOT_NAME];
};

/* ---- device choice -------------------------------------------------- */

int ms_device_choice_parse(const char *s, ms_device_choice *out)
{
    if (!strcmp(s, "auto"))
        *out = MS_DEVICE_AUTO;
    else if (!strcmp(s, "opencl"))
        *out = MS_DEVICE_OPENCL;
    else if (!strcmp(s, "cpu"))
        *out = MS_DEVICE_CPU;
    else
        return ms_fail(MS_ERR_USAGE,
                       "unknown device '%s': use auto, opencl or cpu", s);
    return 0;
}

int ms_device_choice_default(ms_device_choice *out)
{
    const char *env = getenv("MINESCAN_DEVICE");
    *out = MS_DEVICE_AUTO;
    if (env && *env && ms_device_choice_parse(env, out))
        return ms_fail(MS_ERR_USAGE,
                       "MINESCAN_DEVICE=%s: use auto, opencl or cpu", env);
    return 0;
}

const char *ms_device_choice_name(ms_device_choice c)
{
    return c == MS_DEVICE_OPENCL ? "opencl" : c == MS_DEVICE_CPU ? "cpu" : "auto";
}

/* ---- fault injection ------------------------------------------------- */

/* MINESCAN_FAULT=STAGE:CL_ERROR_NAME[,STAGE:CL_ERROR_NAME...] makes that
 * stage's OpenCL launches fail with that error, so tests can prove the CPU
 * fallback (PoCL never fails on its own). The pseudo-stage "download"
 * makes the first copy back to the host fail instead. */
static cl_int injected_fault(const char *stage)
{
    const char *spec = getenv("MINESCAN_FAULT");
    if (!spec || !*spec)
        return CL_SUCCESS;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        if (!colon)
            continue;
        *colon = '\0';
        if (!strcmp(item, stage)) {
            cl_int code = ms_cl_error_code(colon + 1);
            return code != CL_SUCCESS ? code : CL_OUT_OF_RESOURCES;
        }
    }
    return CL_SUCCESS;
}

/* auto on a machine whose only OpenCL device is a CPU (PoCL): take it
 * only where a calibration measured it faster than the C path on every
 * stage of the default recipe; otherwise say why not in `note`. */
static int auto_takes_cpu_device(const ms_cl_device_info *dev, char *note,
                                 size_t len)
{
    ms_calibration c;
    if (ms_calibration_load(dev, &c) != 0) {
        snprintf(note, len, "auto chose the C path: no GPU, and %s (a CPU "
                 "device) has not been measured against it here; `minescan "
                 "devices --calibrate` measures, or --device opencl forces it",
                 dev->device_name);
        return 0;
    }
    if (c.opencl_faster)
        return 1;
    for (size_t i = 0; i < c.n_stages; i++)
        if (!strcmp(c.stages[i].name, c.slower_stage))
            snprintf(note, len, "auto chose the C path: no GPU, and %s was "
                     "slower than the C path on stage %s (%.1f ms against "
                     "%.1f ms on a 16 MB lane; `minescan devices --calibrate` "
                     "remeasures)", dev->device_name, c.slower_stage,
                     c.stages[i].opencl_ms, c.stages[i].cpu_ms);
    return 0;
}

int ms_runner_create(ms_device_choice choice, ms_runner **out)
{
    *out = NULL;
    ms_runner *r = calloc(1, sizeof *r);
    if (!r)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    snprintf(r->device_name, sizeof r->device_name, "C reference");
    if (choice == MS_DEVICE_CPU) {
        *out = r;
        return 0;
    }
    if (choice == MS_DEVICE_AUTO &&
        ms_auto_cached_cpu(r->choice, sizeof r->choice)) {
        *out = r; /* decided before on this set-up: no OpenCL to load */
        return 0;
    }
    ms_cl_device_info *list;
    size_t n = ms_cl_list_devices(&list);
    int pick = ms_cl_pick_device(list, n);
    int rc = 0;
    if (choice == MS_DEVICE_AUTO && pick >= 0 && !list[pick].is_gpu &&
        !auto_takes_cpu_device(&list[pick], r->choice, sizeof r->choice)) {
        ms_auto_cache_cpu(r->choice);
        free(list);
        *out = r;
        return 0;
    }
    if (pick < 0) {
        rc = ms_fail(MS_ERR_OPENCL,
                     "no OpenCL device found (is an ICD such as "
                     "pocl-opencl-icd installed?)");
    } else {
        rc = ms_cl_create(&list[pick], &r->cl);
        if (!rc)
            ms_cl_arm_download_fault(r->cl, injected_fault("download"));
        if (!rc)
            snprintf(r->device_name, sizeof r->device_name, "%s (%s)",
                     list[pick].device_name, list[pick].platform_name);
    }
    free(list);
    if (rc && choice == MS_DEVICE_OPENCL) {
        free(r);
        return rc;
    }
    if (rc) /* auto: the C path, saying why */
        snprintf(r->note, sizeof r->note, "using the C path: %s",
                 ms_error_message());
    *out = r;
    return 0;
}

void ms_runner_free(ms_runner *r)
{
    if (!r)
        return;
    ms_cl_destroy(r->cl);
    free(r);
}

void ms_runner_consume_recordings(ms_runner *r, int on) { r->consume = on; }

void ms_runner_rearm_faults(ms_runner *r)
{
    if (r->cl)
        ms_cl_arm_download_fault(r->cl, injected_fault("download"));
}

const char *ms_runner_kind(const ms_runner *r) { return r->cl ? "opencl" : "cpu"; }
const char *ms_runner_device_name(const ms_runner *r) { return r->device_name; }
const char *ms_runner_note(const ms_runner *r) { return r->note; }
const char *ms_runner_choice(const ms_runner *r) { return r->choice; }
ms_cl *ms_runner_cl(ms_runner *r) { return r->cl; }

/* ---- executing one stage on host arrays ------------------------------ */

/* New arrays for the outputs that are not already given (in place). */
static int alloc_outputs(const ms_stage_ctx *ctx, float *out[MS_MAX_IO])
{
    for (unsigned o = 0; o < ctx->decl->n_out; o++) {
        if (out[o])
            continue;
        size_t n = ms_shape_count(ctx->out[o]);
        out[o] = malloc((n ? n : 1) * sizeof(float));
        if (!out[o]) {
            for (unsigned k = 0; k < ctx->decl->n_out; k++) {
                free(out[k]); /* in-place ones too: their slot gave them up */
                out[k] = NULL;
            }
            return ms_fail(MS_ERR_NOMEM, "stage %s: out of memory for %zu "
                           "values", ctx->decl->name, n);
        }
    }
    return 0;
}

int ms_stage_exec_cpu(ms_stage_ctx *ctx, const float *const in[],
                      float *const out[])
{
    int rc = ms_stage_begin(ctx, NULL);
    if (!rc)
        rc = ctx->decl->cpu(ctx, in, out);
    ms_stage_end(ctx);
    return rc;
}

int ms_stage_exec_opencl(ms_cl *cl, ms_stage_ctx *ctx, const float *const in[],
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
    for (unsigned o = 0; o < d->n_out && !rc; o++)
        rc = ms_cl_alloc(cl, ms_shape_count(ctx->out[o]) * sizeof(float),
                         &dout[o]);
    if (!rc)
        rc = ms_stage_begin(ctx, cl);
    if (!rc)
        rc = d->opencl(ctx, cl, din, dout);
    for (unsigned o = 0; o < d->n_out && !rc; o++)
        rc = ms_cl_download(cl, dout[o], out[o],
                            ms_shape_count(ctx->out[o]) * sizeof(float));
    ms_stage_end(ctx); /* after the download: scratch may be in use until then */
    for (unsigned i = 0; i < MS_MAX_IO; i++) {
        ms_cl_release(din[i]);
        ms_cl_release(dout[i]);
    }
    return rc;
}

/* ---- slots ----------------------------------------------------------- */

static ms_slot *slot_find(ms_run *run, const char *name)
{
    for (size_t i = 0; i < run->n_slots; i++)
        if (!strcmp(run->slots[i].name, name))
            return &run->slots[i];
    return NULL;
}

static void slot_clear(ms_slot *s)
{
    if (!s->borrowed)
        free(s->host);
    s->borrowed = 0;
    ms_cl_release(s->dev);
    s->host = NULL;
    s->dev = NULL;
    s->host_ok = s->dev_ok = 0;
}

/* Store a new array under `name`, replacing (and freeing) any old one.
 * Takes ownership of host/dev. */
enum { SLOT_BY_STAGE = 1, SLOT_BORROWED = 2 };

static int slot_put(ms_run *run, const char *name, ms_shape shape, float *host,
                    cl_mem dev, unsigned flags)
{
    ms_slot *s = slot_find(run, name);
    if (!s) {
        if (run->n_slots == run->cap_slots) {
            size_t cap = run->cap_slots ? 2 * run->cap_slots : 16;
            ms_slot *grown = realloc(run->slots, cap * sizeof *grown);
            if (!grown) {
                if (!(flags & SLOT_BORROWED))
                    free(host);
                ms_cl_release(dev);
                return ms_fail(MS_ERR_NOMEM, "out of memory");
            }
            run->slots = grown;
            run->cap_slots = cap;
        }
        s = &run->slots[run->n_slots++];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", name);
    }
    slot_clear(s);
    s->shape = shape;
    s->host = host;
    s->dev = dev;
    s->host_ok = host != NULL;
    s->dev_ok = dev != NULL;
    s->by_stage = (flags & SLOT_BY_STAGE) != 0;
    s->borrowed = (flags & SLOT_BORROWED) != 0;
    return 0;
}

static int slot_to_host(ms_run *run, ms_slot *s)
{
    if (s->host_ok)
        return 0;
    size_t bytes = ms_shape_count(s->shape) * sizeof(float);
    s->host = malloc(bytes ? bytes : sizeof(float));
    if (!s->host)
        return ms_fail(MS_ERR_NOMEM, "out of memory for slot %s", s->name);
    int rc = ms_cl_download(run->runner->cl, s->dev, s->host, bytes);
    if (rc) {
        free(s->host);
        s->host = NULL;
        return rc;
    }
    s->host_ok = 1;
    return 0;
}

static int slot_to_device(ms_run *run, ms_slot *s)
{
    if (s->dev_ok)
        return 0;
    size_t bytes = ms_shape_count(s->shape) * sizeof(float);
    int rc = ms_cl_alloc(run->runner->cl, bytes, &s->dev);
    if (!rc)
        rc = ms_cl_upload(run->runner->cl, s->dev, s->host, bytes);
    if (rc) {
        ms_cl_release(s->dev);
        s->dev = NULL;
        return rc;
    }
    s->dev_ok = 1;
    /* One copy is enough (peak memory): a CPU stage or the caller gets it
     * back with slot_to_host. */
    if (!s->borrowed) {
        free(s->host);
        s->host = NULL;
        s->host_ok = 0;
    }
    return 0;
}

/* ---- the recording as slots ------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median distance between consecutive positions, 0 when there are
 * fewer than two or no memory (windows in metres then fall back to trace
 * counts). The median: a hand-held sweep slows at its ends and jumps
 * between sweeps. */
static double median_step(const double *x, const double *y, size_t n)
{
    if (n < 2 || !x || !y)
        return 0.0;
    double *d = malloc((n - 1) * sizeof *d);
    if (!d)
        return 0.0;
    for (size_t i = 0; i + 1 < n; i++)
        d[i] = hypot(x[i + 1] - x[i], y[i + 1] - y[i]);
    qsort(d, n - 1, sizeof *d, cmp_double);
    double m = (n - 1) % 2 ? d[(n - 1) / 2]
                           : 0.5 * (d[(n - 1) / 2 - 1] + d[(n - 1) / 2]);
    free(d);
    return isfinite(m) ? m : 0.0;
}

/* The time one channel name gives, in seconds, or 0: a positive number
 * at the end of the name followed by its unit ("gate_15us", "55 us",
 * "0.2ms", "1.5e-5 s"; "us" also as "µs"). */
static double gate_time_of(const char *name)
{
    static const struct { const char *unit; double scale; } units[] = {
        {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3}, {"ns", 1e-9},
        {"s", 1.0}};
    size_t len = strlen(name);
    while (len && name[len - 1] == ' ')
        len--;
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u].unit);
        if (len <= ul || strncmp(name + len - ul, units[u].unit, ul) != 0)
            continue;
        size_t end = len - ul;
        while (end && name[end - 1] == ' ')
            end--;
        /* back over the number: digits, point, exponent */
        size_t start = end;
        while (start && (isdigit((unsigned char)name[start - 1]) ||
                         strchr(".eE+-", name[start - 1])))
            start--;
        while (start < end && !isdigit((unsigned char)name[start]) &&
               name[start] != '.')
            start++; /* a separator such as "_" or "-" is no sign */
        char num[48];
        if (end - start == 0 || end - start >= sizeof num)
            return 0.0;
        memcpy(num, name + start, end - start);
        num[end - start] = '\0';
        char *stop;
        double v = strtod(num, &stop);
        return *stop == '\0' && isfinite(v) && v > 0.0 ? v * units[u].scale
                                                       : 0.0;
    }
    return 0.0;
}

int ms_emi_gate_times(const char *const *names, size_t n, double *t_s)
{
    if (!names || n == 0 || n > MS_MAX_EMI_GATES)
        return 0;
    for (size_t c = 0; c < n; c++) {
        t_s[c] = names[c] ? gate_time_of(names[c]) : 0.0;
        /* gates follow each other after the pulse */
        if (!(t_s[c] > 0.0) || (c && !(t_s[c] > t_s[c - 1])))
            return 0;
    }
    return (int)n;
}

/* Sensor data and its validity mask (all ones when the reader found no
 * gap), and the positions relative to the lane origin. The data is not
 * copied (stages never modify their inputs): the slot borrows it, or,
 * when the runner may consume the recording, takes it over so that it is
 * freed as soon as a stage replaces it (peak memory). */
static int put_sensor(ms_run *run, const char *prefix, float **data,
                      uint8_t **valid, size_t rows, size_t cols,
                      ms_array_kind kind, const double *x, const double *y)
{
    char name[MS_SLOT_NAME];
    size_t n = rows * cols;
    float *m = malloc((n ? n : 1) * sizeof *m);
    float *xy = malloc((rows ? 2 * rows : 1) * sizeof *xy);
    if (!m || !xy) {
        free(m);
        free(xy);
        return ms_fail(MS_ERR_NOMEM, "out of memory for %zu x %zu %s data",
                       rows, cols, prefix);
    }
    for (size_t i = 0; i < n; i++)
        m[i] = *valid ? (float)((*valid)[i] != 0) : 1.0f;
    for (size_t i = 0; i < rows; i++) {
        xy[2 * i] = (float)(x[i] - run->env.lane_x_min);
        xy[2 * i + 1] = (float)(y[i] - run->env.lane_y_min);
    }
    /* only the radar's traces: the metal detector's readings are small
     * and stay in the recording for the evidence panels */
    int consume = run->runner->consume && !run->runner->cl &&
                  kind == MS_ARRAY_TRACES;
    int rc = slot_put(run, prefix, (ms_shape){kind, {rows, cols, 1}}, *data,
                      NULL, consume ? 0 : SLOT_BORROWED);
    if (consume) { /* the slot owns it now, also if slot_put failed */
        *data = NULL;
        free(*valid);
        *valid = NULL;
    }
    snprintf(name, sizeof name, "%s_valid", prefix);
    if (!rc)
        rc = slot_put(run, name, (ms_shape){MS_ARRAY_MASK, {rows, cols, 1}}, m,
                      NULL, 0);
    else
        free(m);
    snprintf(name, sizeof name, "%s_xy", prefix);
    if (!rc)
        rc = slot_put(run, name, (ms_shape){MS_ARRAY_POINTS, {rows, 2, 1}}, xy,
                      NULL, 0);
    else
        free(xy);
    return rc;
}

/* The map cell of a line recording: the cell_m of the recipe's gridding
 * stages (grid, grid_volume), the largest where they differ; NaN when no
 * stage grids. *first: the report of the first gridding step, which
 * carries a warning about the line into summary.json. */
static double line_cell(ms_run *run, ms_stage_report **first, int *mixed)
{
    const ms_recipe *r = run->recipe;
    double cell = NAN;
    *first = NULL;
    *mixed = 0;
    for (size_t i = 0; r && i < r->n_steps; i++) {
        double c = ms_param_get_named(r->steps[i].decl, &r->steps[i].params,
                                      "cell_m");
        if (!(c > 0))
            continue;
        if (!*first)
            *first = &run->reports[i];
        else if (c != cell)
            *mixed = 1;
        cell = isnan(cell) ? c : fmax(cell, c);
    }
    return cell;
}

/* A warning about the line, on stderr and in summary.json (with the first
 * gridding step's report: run_step only replaces it with the stage's own
 * warning). */
static void line_warning(ms_run *run, ms_stage_report *rep, const char *msg)
{
    fprintf(stderr, "%s: warning: %s\n", run->input, msg);
    if (rep)
        snprintf(rep->warning, sizeof rep->warning, "%s", msg);
}

/* A recording along one straight line (a single B-scan, a cart line) has
 * no width to grid. Gridded over a strip, every row holds nearly the same
 * weighted means, those near the strip's edges over fewer traces (the
 * search circle's chord) and so a little sharper: each target peaked on
 * both edges, off the line. An axis-aligned line's map is therefore
 * exactly one cell across, centred on the line (whatever /lane says
 * across it): one row of cells whose centres lie on the line, so one peak
 * per target, on it, and maps.h5 and the heatmap show that row. Along the
 * line the extent stays the lane's (/lane, else the positions). Returns
 * the axis whose extent it set: 'x' (a line along y), 'y', or 0. */
static int fit_line_extent(ms_run *run, ms_recording *rec, ms_lane *lane)
{
    ms_line line;
    ms_stage_report *first;
    int mixed;
    ms_line_kind kind = ms_recording_line(rec, MS_LINE_TOL_M, &line);
    if (kind == MS_LINE_NONE)
        return 0;
    double cell = line_cell(run, &first, &mixed);
    char msg[256];
    if (kind == MS_LINE_DIAGONAL) {
        snprintf(msg, sizeof msg, "the recording is one straight line at "
                 "%.1f degrees to the lane's x axis; only lines along x or y "
                 "are mapped as one row of cells, so its maps cover the "
                 "strip around it (its alarms are still taken along the "
                 "line, at the traces)", atan2(line.uy, line.ux) * 180.0 /
                 acos(-1.0));
        line_warning(run, first, msg);
        return 0;
    }
    if (isnan(cell))
        return 0; /* nothing grids */
    if (mixed) {
        snprintf(msg, sizeof msg, "the recording is one line and the recipe "
                 "grids with different cell sizes: its maps are one %g m "
                 "cell across, so a finer map has several rows, not all on "
                 "the line", cell);
        line_warning(run, first, msg);
    }
    if (kind == MS_LINE_ALONG_X) {
        lane->y_min = line.y0 - 0.5 * cell;
        lane->y_max = line.y0 + 0.5 * cell;
        return 'y';
    }
    lane->x_min = line.x0 - 0.5 * cell;
    lane->x_max = line.x0 + 0.5 * cell;
    return 'x';
}

static int load_recording(ms_run *run, ms_recording *rec)
{
    ms_lane lane = ms_recording_lane(rec);
    int across = fit_line_extent(run, rec, &lane);
    /* Any other degenerate extent (all positions at one spot, a line
     * shorter than 0.1 m) still needs a map with some width: widen it to
     * 0.1 m. */
    if (across != 'x' && lane.x_max - lane.x_min < 0.1) {
        double c = 0.5 * (lane.x_min + lane.x_max);
        lane.x_min = c - 0.05;
        lane.x_max = c + 0.05;
    }
    if (across != 'y' && lane.y_max - lane.y_min < 0.1) {
        double c = 0.5 * (lane.y_min + lane.y_max);
        lane.y_min = c - 0.05;
        lane.y_max = c + 0.05;
    }
    run->env.lane_x_min = lane.x_min;
    run->env.lane_x_max = lane.x_max;
    run->env.lane_y_min = lane.y_min;
    run->env.lane_y_max = lane.y_max;
    int rc = 0;
    if (rec->gpr) {
        ms_gpr *g = rec->gpr;
        run->env.dt_s = g->sample_interval_s;
        run->env.time_zero_s = g->time_zero_s;
        run->env.centre_frequency_hz = g->centre_frequency_hz;
        run->env.trace_spacing_m = median_step(g->x, g->y, g->n_traces);
        rc = put_sensor(run, "gpr", &g->data, &g->valid, g->n_traces,
                        g->n_samples, MS_ARRAY_TRACES, g->x, g->y);
    }
    if (!rc && rec->emi) {
        ms_emi *e = rec->emi;
        run->env.n_emi_gates = (unsigned)ms_emi_gate_times(
            (const char *const *)e->channel_names, e->n_channels,
            run->env.emi_gate_s);
        rc = put_sensor(run, "emi", &e->data, &e->valid, e->n_readings,
                        e->n_channels, MS_ARRAY_SERIES, e->x, e->y);
    }
    return rc;
}

/* ---- running a recipe ------------------------------------------------ */

/* Run a step on the C path: inputs to the host, new host outputs. */
/* Peak memory on the C path: a stage that may write in place (decl->
 * in_place) gets its input's buffer as output k when the step writes the
 * very slot it reads as input k, that slot owns its buffer and the shapes
 * agree; the slot gives the buffer up (the step replaces it anyway; a
 * failing C stage ends the run). Only without OpenCL, where no device copy
 * or fallback needs the old contents. */
static void take_in_place(ms_run *run, const ms_recipe_step *st,
                          ms_stage_ctx *ctx, ms_slot *in[],
                          float *out[MS_MAX_IO])
{
    const ms_stage_decl *d = ctx->decl;
    if (!d->in_place || run->runner->cl)
        return;
    for (unsigned k = 0; k < d->n_out && k < d->n_in; k++) {
        ms_slot *s = in[k];
        if (strcmp(st->out[k], st->in[k]) || s->borrowed || !s->host_ok ||
            s->dev_ok || ms_shape_count(s->shape) != ms_shape_count(ctx->out[k]))
            continue;
        out[k] = s->host;
        s->host = NULL;
        s->host_ok = 0;
    }
}

static int step_cpu(ms_run *run, const ms_recipe_step *st, ms_stage_ctx *ctx,
                    ms_slot *in[], float *out[MS_MAX_IO])
{
    const float *hin[MS_MAX_IO] = {0};
    for (unsigned i = 0; i < ctx->decl->n_in; i++) {
        int rc = slot_to_host(run, in[i]);
        if (rc)
            return rc;
        hin[i] = in[i]->host;
    }
    take_in_place(run, st, ctx, in, out);
    int rc = alloc_outputs(ctx, out);
    if (rc)
        return rc;
    rc = ms_stage_begin(ctx, NULL);
    if (!rc)
        rc = ctx->decl->cpu(ctx, hin, out);
    ms_stage_end(ctx);
    if (rc)
        for (unsigned o = 0; o < ctx->decl->n_out; o++) {
            free(out[o]);
            out[o] = NULL;
        }
    return rc;
}

/* Run a step through OpenCL: inputs to the device, new device outputs. */
static int step_opencl(ms_run *run, ms_stage_ctx *ctx, ms_slot *in[],
                       cl_mem out[MS_MAX_IO])
{
    ms_cl *cl = run->runner->cl;
    cl_mem din[MS_MAX_IO] = {0};
    int rc = 0;
    for (unsigned i = 0; i < ctx->decl->n_in && !rc; i++) {
        rc = slot_to_device(run, in[i]);
        din[i] = in[i]->dev;
    }
    for (unsigned o = 0; o < ctx->decl->n_out && !rc; o++)
        rc = ms_cl_alloc(cl, ms_shape_count(ctx->out[o]) * sizeof(float),
                         &out[o]);
    if (!rc)
        rc = ms_stage_begin(ctx, cl);
    ms_cl_arm_fault(cl, injected_fault(ctx->decl->name));
    if (!rc)
        rc = ctx->decl->opencl(ctx, cl, din, out);
    ms_cl_arm_fault(cl, CL_SUCCESS);
    /* Wait here so that a failure is charged to this stage and the time
     * per stage means something (and its scratch is free to go). */
    if (!rc)
        rc = ms_cl_finish(cl);
    ms_stage_end(ctx);
    if (rc)
        for (unsigned o = 0; o < MS_MAX_IO; o++) {
            ms_cl_release(out[o]);
            out[o] = NULL;
        }
    return rc;
}

/* The largest single array of the invocation (a device allocation). */
static size_t largest_array(const ms_stage_ctx *ctx)
{
    size_t big = 0;
    for (unsigned i = 0; i < ctx->decl->n_in; i++)
        if (ms_shape_count(ctx->in[i]) * sizeof(float) > big)
            big = ms_shape_count(ctx->in[i]) * sizeof(float);
    for (unsigned o = 0; o < ctx->decl->n_out; o++)
        if (ms_shape_count(ctx->out[o]) * sizeof(float) > big)
            big = ms_shape_count(ctx->out[o]) * sizeof(float);
    return big;
}

/* Whether the stage fits on the OpenCL device; if not, why, in `why`. */
static int fits_device(ms_cl *cl, const ms_stage_ctx *ctx, char *why,
                       size_t len)
{
    const ms_cl_limits *l = ms_cl_device_limits(cl);
    size_t need = ms_stage_footprint(ctx), big = largest_array(ctx);
    if (need <= l->global_mem && big <= l->max_alloc)
        return 1;
    snprintf(why, len, "on the CPU: needs %.0f MB on the device (largest "
             "array %.0f MB), which has %.0f MB (largest buffer %.0f MB)",
             need / 1e6, big / 1e6, l->global_mem / 1e6, l->max_alloc / 1e6);
    return 0;
}

static int run_step(ms_run *run, const ms_recipe *recipe,
                    const ms_recipe_step *st, ms_stage_report *rep)
{
    const ms_stage_decl *d = st->decl;
    ms_stage_ctx ctx = {.decl = d, .env = &run->env, .params = st->params,
                        .estimates = &rep->estimates};
    rep->step = st;
    ms_slot *in[MS_MAX_IO] = {0};
    for (unsigned i = 0; i < d->n_in; i++) {
        in[i] = slot_find(run, st->in[i]);
        if (!in[i]) {
            snprintf(rep->device, sizeof rep->device, "skipped");
            snprintf(rep->reason, sizeof rep->reason,
                     "no input '%s' (the recording lacks that sensor, or no "
                     "earlier stage wrote it)", st->in[i]);
            return 0;
        }
        if (in[i]->shape.kind != d->in_kinds[i] &&
            !(d->in_kinds[i] == MS_ARRAY_SERIES &&
              in[i]->shape.kind == MS_ARRAY_TRACES))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: %s:%d: stage %s: input '%s' is not the kind "
                           "of array the stage reads", run->input,
                           recipe->name, st->line, d->name, st->in[i]);
        /* A mask qualifies the stage's first input, sample for sample:
         * checked here once for every stage (a recipe can wire any slot). */
        if (d->in_kinds[i] == MS_ARRAY_MASK &&
            (in[i]->shape.dims[0] != in[0]->shape.dims[0] ||
             in[i]->shape.dims[1] != in[0]->shape.dims[1] ||
             in[i]->shape.dims[2] != in[0]->shape.dims[2]))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: %s:%d: stage %s: mask '%s' (%zu x %zu) does "
                           "not match '%s' (%zu x %zu)", run->input,
                           recipe->name, st->line, d->name, st->in[i],
                           in[i]->shape.dims[0], in[i]->shape.dims[1],
                           st->in[0], in[0]->shape.dims[0],
                           in[0]->shape.dims[1]);
        ctx.in[i] = in[i]->shape;
    }
    int rc = d->shape(&ctx);
    if (rc)
        return ms_fail(rc, "%s: %s:%d: %s", run->input, recipe->name, st->line,
                       ms_error_message());
    if (ctx.warning[0]) {
        snprintf(rep->warning, sizeof rep->warning, "%s", ctx.warning);
        fprintf(stderr, "%s: warning: stage %s (%s line %d): %s\n",
                run->input, d->name, recipe->name, st->line, ctx.warning);
    }

    /* Memory, before anything is allocated: the new arrays (outputs and
     * work space) must fit in what the machine has left, and the whole
     * invocation on the device, else the stage runs on the CPU. */
    double new_bytes = (double)(ms_stage_footprint(&ctx));
    for (unsigned i = 0; i < d->n_in; i++)
        new_bytes -= (double)(ms_shape_count(ctx.in[i]) * sizeof(float));
    double avail = ms_memory_budget(NULL);
    if (new_bytes > avail)
        return ms_fail(MS_ERR_NOMEM,
                       "%s: %s:%d: stage %s needs %.0f MB more memory and "
                       "this machine has %.0f MB available; choose coarser "
                       "parameters (a larger cell_m or bin) or split the "
                       "recording", run->input, recipe->name, st->line,
                       d->name, new_bytes / 1e6, avail / 1e6);
    double t0 = ms_now_s();
    ms_runner *r = run->runner;
    int device_ok = 1;
    if (r->cl && r->fallbacks >= MS_MAX_FALLBACKS)
        snprintf(rep->reason, sizeof rep->reason,
                 "on the CPU: OpenCL switched off for this run after %d "
                 "failed stages", MS_MAX_FALLBACKS);
    else if (r->cl)
        device_ok = fits_device(r->cl, &ctx, rep->reason, sizeof rep->reason);
    if (r->cl && r->fallbacks < MS_MAX_FALLBACKS && device_ok) {
        cl_mem out[MS_MAX_IO] = {0};
        ms_cl_clear_error(r->cl);
        rc = step_opencl(run, &ctx, in, out);
        if (!rc) {
            snprintf(rep->device, sizeof rep->device, "opencl");
            for (unsigned o = 0; o < d->n_out && !rc; o++)
                rc = slot_put(run, st->out[o], ctx.out[o], NULL, out[o], SLOT_BY_STAGE);
            rep->seconds = ms_now_s() - t0;
            return rc;
        }
        /* The inputs are untouched: rerun on the CPU from them. */
        r->fallbacks++;
        rep->fell_back = 1;
        cl_int err = ms_cl_last_error(r->cl);
        snprintf(rep->reason, sizeof rep->reason,
                 "OpenCL failed (%s), reran on the CPU: %s",
                 err != CL_SUCCESS ? ms_cl_error_name(err) : ms_error_name(rc),
                 ms_error_message());
        fprintf(stderr, "%s: warning: stage %s (%s line %d): %s\n",
                run->input, d->name, recipe->name, st->line, rep->reason);
    }
    float *out[MS_MAX_IO] = {0};
    rc = step_cpu(run, st, &ctx, in, out);
    if (rc)
        return ms_fail(rc, "%s: %s:%d: stage %s: %s", run->input,
                       recipe->name, st->line, d->name, ms_error_message());
    snprintf(rep->device, sizeof rep->device, "cpu");
    for (unsigned o = 0; o < d->n_out && !rc; o++)
        rc = slot_put(run, st->out[o], ctx.out[o], out[o], NULL, SLOT_BY_STAGE);
    rep->seconds = ms_now_s() - t0;
    return rc;
}

/* Whether a step after `i` reads slot `name`, or an output role names it. */
static int needed_after(const ms_recipe *recipe, size_t i, const char *name)
{
    for (size_t j = i + 1; j < recipe->n_steps; j++)
        for (unsigned k = 0; k < recipe->steps[j].decl->n_in; k++)
            if (!strcmp(recipe->steps[j].in[k], name))
                return 1;
    for (int role = 0; role < MS_N_ROLES; role++)
        for (unsigned k = 0; k < recipe->outputs[role].n; k++)
            if (!strcmp(recipe->outputs[role].slots[k], name))
                return 1;
    return 0;
}

/* Peak memory: after step i, free the large arrays (traces, masks,
 * per-trace series) that it read for the last time and that no output
 * names. Maps and positions are small and stay for maps.h5. */
static void release_dead_slots(ms_run *run, const ms_recipe_step *st,
                               const ms_recipe *recipe, size_t i)
{
    for (unsigned k = 0; k < st->decl->n_in; k++) {
        ms_slot *s = slot_find(run, st->in[k]);
        if (!s || s->shape.kind == MS_ARRAY_MAP ||
            s->shape.kind == MS_ARRAY_POINTS ||
            needed_after(recipe, i, s->name))
            continue;
        slot_clear(s);
        size_t at = (size_t)(s - run->slots);
        memmove(s, s + 1, (run->n_slots - at - 1) * sizeof *s);
        run->n_slots--;
    }
}

/* One pass of the recipe from the recording. */
static int run_once(ms_runner *r, const char *input, ms_recording *rec,
                    const ms_recipe *recipe, ms_run **out)
{
    *out = NULL;
    ms_run *run = calloc(1, sizeof *run);
    if (!run)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    run->runner = r;
    run->input = input;
    run->recipe = recipe;
    run->reports = calloc(recipe->n_steps ? recipe->n_steps : 1,
                          sizeof *run->reports);
    int rc = run->reports ? load_recording(run, rec)
                          : ms_fail(MS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < recipe->n_steps && !rc; i++) {
        const ms_recipe_step *st = &recipe->steps[i];
        rc = run_step(run, recipe, st, &run->reports[i]);
        run->n_reports = i + 1;
        ms_isolated_heartbeat(); /* batch: this child is making progress */
        if (!rc && strcmp(run->reports[i].device, "skipped") != 0) {
            ms_slot *first = slot_find(run, st->out[0]);
            if (first && first->shape.kind == MS_ARRAY_MAP)
                snprintf(run->final_map, sizeof run->final_map, "%s",
                         st->out[0]);
        }
        if (!rc)
            release_dead_slots(run, st, recipe, i);
    }
    if (rc) {
        ms_run_free(run);
        return rc;
    }
    *out = run;
    return 0;
}

int ms_run_recipe(ms_runner *r, const char *input, ms_recording *rec,
                  const ms_recipe *recipe, ms_run **out)
{
    r->fallbacks = 0; /* each run gets OpenCL afresh */
    int rc = run_once(r, input, rec, recipe, out);
    if (rc != MS_ERR_OPENCL || !r->cl || r->fallbacks >= MS_MAX_FALLBACKS)
        return rc;
    /* An OpenCL failure outside a stage (copying a buffer back for a CPU
     * stage, say) leaves no intact input to rerun from: rerun the whole
     * recipe on the CPU from the recording. */
    fprintf(stderr, "%s: warning: OpenCL failed between stages (%s); "
                    "rerunning the whole recipe on the CPU\n",
            input, ms_error_message());
    r->fallbacks = MS_MAX_FALLBACKS;
    return run_once(r, input, rec, recipe, out);
}

void ms_run_free(ms_run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->n_slots; i++)
        slot_clear(&run->slots[i]);
    free(run->slots);
    free(run->reports);
    free(run);
}

const ms_stage_report *ms_run_reports(const ms_run *run, size_t *n)
{
    *n = run->n_reports;
    return run->reports;
}

const ms_env *ms_run_env(const ms_run *run) { return &run->env; }

const float *ms_run_slot(ms_run *run, const char *name, ms_shape *shape)
{
    ms_slot *s = slot_find(run, name);
    if (!s || slot_to_host(run, s))
        return NULL;
    if (shape)
        *shape = s->shape;
    return s->host;
}

const char *ms_run_stage_slot(const ms_run *run, size_t i, ms_shape *shape)
{
    for (size_t k = 0; k < run->n_slots; k++)
        if (run->slots[k].by_stage && i-- == 0) {
            if (shape)
                *shape = run->slots[k].shape;
            return run->slots[k].name;
        }
    return NULL;
}

const char *ms_run_output(ms_run *run, ms_output_role role)
{
    const ms_recipe_output *o = &run->recipe->outputs[role];
    for (unsigned k = 0; k < o->n; k++) {
        ms_slot *s = slot_find(run, o->slots[k]);
        if (s && s->by_stage)
            return s->name;
    }
    return NULL;
}

const char *ms_run_final_map(ms_run *run)
{
    if (run->recipe->outputs[MS_ROLE_ANOMALY].n)
        return ms_run_output(run, MS_ROLE_ANOMALY);
    return run->final_map[0] ? run->final_map : NULL;
}
