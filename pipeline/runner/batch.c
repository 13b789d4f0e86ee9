/* Batch processing: see batch.h. */
/* MAP_ANONYMOUS (shared rows for --jobs workers) is not in POSIX 2008. */
#define _DEFAULT_SOURCE
#include "runner/batch.h"
#include "core/clock.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "minescan/error.h"
#include "minescan/recording.h"
#include "minescan/version.h"
#include "core/files.h"
#include "report/summary.h"

typedef struct batch_row {
    const char *input;
    char output_dir[4096];
    const char *status; /* ok, skipped, failed */
    char reason[1024];
    double seconds;
    long long n_alarms; /* -1: unknown */
    double pd, far;     /* NaN: none */
} batch_row;

typedef struct child_ctx {
    const char *input, *outdir;
    const ms_batch_options *opt;
} child_ctx;

/* In the child: process one recording, write the result as JSON. */
static int child_process(void *arg, int fd)
{
    child_ctx *c = arg;
    ms_diag diag;
    ms_diag_init(&diag);
    ms_process_result res = {0};
    res.pd = NAN;
    ms_runner *runner = NULL;
    int rc = ms_runner_create(c->opt->device, &runner);
    if (!rc)
        rc = ms_process_recording(runner, c->input, c->outdir,
                                  &c->opt->process, &diag, &res);
    /* The reason: the first defect of an invalid file, else the message. */
    const char *reason = !rc ? ""
                         : res.input_invalid && diag.n ? diag.lines[0]
                                                       : ms_error_message();
    json_t *o = json_pack("{s:i, s:s, s:I, s:f, s:o, s:o, s:b}", "code", rc,
                          "reason", reason, "n_alarms",
                          (json_int_t)res.n_alarms, "seconds", res.seconds,
                          "pd", isnan(res.pd) ? json_null() : json_real(res.pd),
                          "far", res.scored ? json_real(res.far) : json_null(),
                          "scored", res.scored);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text)
        ms_write_all(fd, text, strlen(text));
    free(text);
    json_decref(o);
    ms_runner_free(runner);
    ms_diag_free(&diag);
    return rc;
}

/* Folder names for the inputs: each base name without its extension,
 * made unique among the batch by a numeric suffix (a.h5 and a.hdf5, or
 * x.h5 twice and x_2.h5, all get folders of their own); a name that would
 * point elsewhere ("..h5") or clash with batch.csv becomes input_N. */
static int output_names(const char *const *inputs, size_t n, char (*names)[256])
{
    for (size_t i = 0; i < n; i++) {
        const char *base = strrchr(inputs[i], '/');
        base = base ? base + 1 : inputs[i];
        char stem[200];
        snprintf(stem, sizeof stem, "%s", base);
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem)
            *dot = '\0';
        /* Never ".", "..", a hidden name or the batch reports' own names. */
        if (!stem[0] || stem[0] == '.' || !strcmp(stem, "batch.csv") ||
            !strcmp(stem, "batch.json"))
            snprintf(stem, sizeof stem, "input_%zu", i + 1);
        snprintf(names[i], 256, "%s", stem);
        for (unsigned suffix = 2;; suffix++) {
            int taken = 0;
            for (size_t k = 0; k < i && !taken; k++)
                taken = !strcmp(names[k], names[i]);
            if (!taken)
                break;
            if (suffix > 100000)
                return ms_fail(MS_ERR_USAGE, "too many inputs named %s", stem);
            snprintf(names[i], 256, "%s_%u", stem, suffix);
        }
    }
    return 0;
}

/* A string member of a JSON object, "" if absent or not a string (an
 * edited summary.json must not crash the batch). */
static const char *json_text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A number member of a JSON object, NaN if absent or null. */
static double json_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* An output folder is current when its summary.json names this input
 * with the same checksum, the same software version, recipe text,
 * overrides and detection options, and every output it lists exists. A
 * current folder's figures go into the row, so that batch.csv stays a
 * complete table. */
static int is_current(const char *input, const char *dir,
                      const ms_batch_options *opt, batch_row *row)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    if (!s)
        return 0;
    int current = 0;
    char crc[9];
    ms_recipe recipe;
    if (ms_file_crc32(input, crc, NULL) == 0 &&
        ms_recipe_load(opt->process.recipe ? opt->process.recipe : "default",
                       &recipe) == 0) {
        json_t *in = json_object_get(s, "input"), *r = json_object_get(s, "recipe");
        json_t *ov = json_object_get(r, "overrides");
        current = !strcmp(json_text(s, "version"), MINESCAN_VERSION) &&
                  !strcmp(json_text(in, "crc32"), crc) &&
                  !strcmp(json_text(r, "text"), recipe.text) &&
                  json_array_size(ov) == opt->process.n_overrides;
        for (size_t i = 0; current && i < opt->process.n_overrides; i++) {
            const char *o = json_string_value(json_array_get(ov, i));
            current = o && !strcmp(o, opt->process.overrides[i]);
        }
        json_t *det = json_object_get(s, "detection");
        current = current &&
                  json_num(det, "alarm_threshold") ==
                      opt->process.alarm_threshold &&
                  json_num(det, "alarm_separation_m") ==
                      opt->process.alarm_separation_m &&
                  json_num(det, "halo_m") == opt->process.halo_m &&
                  json_num(det, "sensor_threshold") ==
                      opt->process.sensor_threshold;
        json_t *outs = json_object_get(s, "outputs");
        current = current && json_array_size(outs) > 0;
        for (size_t i = 0; current && i < json_array_size(outs); i++) {
            const char *name = json_string_value(json_array_get(outs, i));
            snprintf(path, sizeof path, "%s/%s", dir, name ? name : "");
            current = name && !strchr(name, '/') && access(path, R_OK) == 0;
        }
        ms_recipe_free(&recipe);
    }
    if (current) {
        json_t *res = json_object_get(s, "results");
        double n = json_num(res, "n_alarms");
        row->n_alarms = isnan(n) ? -1 : (long long)n;
        row->pd = json_num(res, "pd");
        row->far = json_num(res, "far_per_m2");
    }
    json_decref(s);
    return current;
}

static void process_one(const char *input, batch_row *row,
                        const ms_batch_options *opt)
{
    child_ctx c = {input, row->output_dir, opt};
    ms_isolated_result res;
    double stall_s = opt->timeout_s > 0 ? opt->timeout_s : MS_BATCH_DEFAULT_STALL_S;
    int rc = ms_run_isolated(child_process, &c, stall_s, &res);
    row->status = "failed";
    if (rc) {
        snprintf(row->reason, sizeof row->reason, "%s", ms_error_message());
        return;
    }
    if (res.timed_out)
        snprintf(row->reason, sizeof row->reason,
                 "%s: no progress for %.0f s, stopped (the file may be "
                 "corrupt; --timeout sets the limit)", input, stall_s);
    else if (!res.exited)
        snprintf(row->reason, sizeof row->reason,
                 "%s: processing crashed (signal %d); the file is probably "
                 "corrupt", input, res.signal);
    else {
        json_t *o = json_loads(res.text ? res.text : "", 0, NULL);
        if (!o)
            snprintf(row->reason, sizeof row->reason,
                     "%s: processing ended without a result", input);
        else {
            int code = (int)json_integer_value(json_object_get(o, "code"));
            snprintf(row->reason, sizeof row->reason, "%s",
                     json_string_value(json_object_get(o, "reason")));
            row->seconds = json_number_value(json_object_get(o, "seconds"));
            if (code == 0) {
                row->status = "ok";
                row->n_alarms =
                    json_integer_value(json_object_get(o, "n_alarms"));
                json_t *pd = json_object_get(o, "pd"), *far = json_object_get(o, "far");
                row->pd = json_is_number(pd) ? json_number_value(pd) : NAN;
                row->far = json_is_number(far) ? json_number_value(far) : NAN;
            }
            json_decref(o);
        }
    }
    free(res.text);
}

/* CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
        }
        fputc('"', f);
    } else
        fputs(s, f);
    fputc(last ? '\n' : ',', f);
}

static void csv_number(FILE *f, double v, int last)
{
    if (isnan(v))
        fputs("", f);
    else
        fprintf(f, "%.6g", v);
    fputc(last ? '\n' : ',', f);
}

static int write_reports(const char *outdir, const batch_row *rows, size_t n,
                         const ms_batch_totals *t)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/batch.csv", outdir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ms_fail(MS_ERR_IO, "%s: cannot create", path);
    fputs("input,output_dir,status,reason,seconds,n_alarms,pd,far_per_m2\n", f);
    json_t *jrows = json_array();
    for (size_t i = 0; i < n; i++) {
        const batch_row *r = &rows[i];
        csv_field(f, r->input, 0);
        csv_field(f, r->output_dir, 0);
        csv_field(f, r->status, 0);
        csv_field(f, r->reason, 0);
        csv_number(f, r->seconds, 0);
        csv_number(f, r->n_alarms < 0 ? NAN : (double)r->n_alarms, 0);
        csv_number(f, r->pd, 0);
        csv_number(f, r->far, 1);
        json_array_append_new(
            jrows,
            json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:o, s:o}", "input",
                      r->input, "output_dir", r->output_dir, "status",
                      r->status, "reason", r->reason, "seconds", r->seconds,
                      "n_alarms",
                      r->n_alarms < 0 ? json_null() : json_integer(r->n_alarms),
                      "pd", isnan(r->pd) ? json_null() : json_real(r->pd),
                      "far_per_m2",
                      isnan(r->far) ? json_null() : json_real(r->far)));
    }
    int bad = fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        json_decref(jrows);
        return ms_fail(MS_ERR_IO, "%s: write failed", path);
    }
    json_t *root = json_pack("{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}}",
                             "software", "minescan", "version",
                             MINESCAN_VERSION, "rows", jrows, "totals",
                             "inputs", (json_int_t)n, "ok", (json_int_t)t->ok,
                             "skipped", (json_int_t)t->skipped, "failed",
                             (json_int_t)t->failed);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/batch.json", outdir);
    int rc = ms_write_text_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

/* What the workers share (MAP_SHARED): the rows they fill and two
 * counters, the next input to take and how many are done. */
typedef struct batch_shared {
    atomic_size_t next, done; /* lock-free, so valid across processes */
    batch_row rows[];
} batch_shared;

/* One input: skipped when current, else processed in its own child. */
static void batch_one(batch_shared *sh, size_t i, size_t n,
                      const ms_batch_options *opt)
{
    batch_row *r = &sh->rows[i];
    double t0 = ms_now_s();
    if (!opt->force && is_current(r->input, r->output_dir, opt, r)) {
        r->status = "skipped";
        snprintf(r->reason, sizeof r->reason,
                 "outputs are complete and current");
    } else
        process_one(r->input, r, opt);
    size_t k = atomic_fetch_add(&sh->done, 1) + 1;
    if (!strcmp(r->status, "failed"))
        fprintf(stderr, "%s\n", r->reason);
    if (!opt->quiet)
        printf("[%zu/%zu] %-7s %s (%.1f s)\n", k, n, r->status, r->input,
               ms_now_s() - t0);
    fflush(stdout);
}

/* Take inputs until none is left (each worker, or the caller alone). */
static void batch_work(batch_shared *sh, size_t n, const ms_batch_options *opt)
{
    size_t i;
    while ((i = atomic_fetch_add(&sh->next, 1)) < n)
        batch_one(sh, i, n, opt);
}

/* PoCL's kernel cache is not safe for concurrent builders: give each
 * worker its own (other OpenCL drivers ignore the variable). */
static void worker_cache_dir(size_t worker)
{
    const char *base = getenv("POCL_CACHE_DIR");
    const char *home = getenv("HOME");
    char dir[4096];
    if (base && *base)
        snprintf(dir, sizeof dir, "%s/minescan-worker-%zu", base, worker);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/pocl/kcache/minescan-worker-%zu",
                 home, worker);
    else
        return;
    setenv("POCL_CACHE_DIR", dir, 1);
}

int ms_batch_run(const char *const *inputs, size_t n_inputs,
                 const char *outdir, const ms_batch_options *opt,
                 ms_batch_totals *totals)
{
    memset(totals, 0, sizeof *totals);
    int rc = ms_make_dirs(outdir);
    if (rc)
        return rc;
    /* Shared memory, so that --jobs workers (fork) fill the same rows. */
    size_t bytes = sizeof(batch_shared) + (n_inputs ? n_inputs : 1) *
                                              sizeof(batch_row);
    batch_shared *sh = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char (*names)[256] = calloc(n_inputs ? n_inputs : 1, sizeof *names);
    if (sh == MAP_FAILED || !names) {
        if (sh != MAP_FAILED)
            munmap(sh, bytes);
        free(names);
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    }
    atomic_init(&sh->next, 0);
    atomic_init(&sh->done, 0);
    rc = output_names(inputs, n_inputs, names);
    for (size_t i = 0; !rc && i < n_inputs; i++) {
        batch_row *r = &sh->rows[i];
        r->input = inputs[i];
        snprintf(r->output_dir, sizeof r->output_dir, "%s/%s", outdir,
                 names[i]);
        r->n_alarms = -1;
        r->pd = r->far = NAN;
    }
    size_t jobs = opt->jobs > 1 ? (size_t)opt->jobs : 1;
    if (jobs > n_inputs)
        jobs = n_inputs ? n_inputs : 1;
    if (!rc && jobs == 1)
        batch_work(sh, n_inputs, opt);
    else if (!rc) {
        /* Workers hold no OpenCL state: each input's own child opens it. */
        fflush(NULL);
        size_t started = 0;
        for (; started < jobs; started++) {
            pid_t pid = fork();
            if (pid < 0)
                break;
            if (pid == 0) {
                worker_cache_dir(started);
                batch_work(sh, n_inputs, opt);
                fflush(NULL);
                _exit(0);
            }
        }
        if (started == 0) /* no worker could start: do the work here */
            batch_work(sh, n_inputs, opt);
        while (wait(NULL) > 0 || errno == EINTR)
            ;
    }
    for (size_t i = 0; !rc && i < n_inputs; i++) {
        batch_row *r = &sh->rows[i];
        if (!r->status) { /* its worker died before finishing it */
            r->status = "failed";
            snprintf(r->reason, sizeof r->reason,
                     "%s: the batch worker processing it ended early",
                     r->input);
        }
        if (!strcmp(r->status, "failed"))
            totals->failed++;
        else if (!strcmp(r->status, "skipped"))
            totals->skipped++;
        else
            totals->ok++;
    }
    if (!rc)
        rc = write_reports(outdir, sh->rows, n_inputs, totals);
    free(names);
    munmap(sh, bytes);
    return rc;
}
