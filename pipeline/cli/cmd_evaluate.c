/* minescan evaluate FILES... -o OUT: runs a set of recordings through the
 * batch engine and pools their ROC under one common threshold (pooled
 * detections over pooled area), with a row per file, Pd per mine type and
 * clutter alarms per clutter type at the FAR 0.5 /m^2 operating threshold,
 * and the score distributions of mines, clutter and background peaks.
 *
 * What each run leaves for this (pipeline/detect/targets.c): targets.csv
 * (per truth object the score at which it first counts) and candidates.csv
 * (every candidate peak and what it matched). A mine is detected at t when
 * its detect_score >= t; a candidate that detects no mine is a false alarm
 * at t when its score >= t; so one pass over those files gives every
 * file's counts at any common threshold. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/i18n.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/files.h"
#include "minescan/detect.h"
#include "minescan/error.h"
#include "minescan/render.h"
#include "minescan/version.h"
#include "recipe/recipe.h"
#include "report/report_text.h"
#include "runner/batch.h"

/* The false-alarm limits reported; the middle one sets the operating
 * threshold of the per-type and per-file figures. */
static const double far_limits[3] = {0.1, 0.5, 1.0};
#define OPERATING 1

/* What evaluate writes into OUT besides batch's files and folders. */
static const char *const own_outputs[] = {"evaluate.json", "evaluate.csv",
                                          "roc.csv", "roc.png", "scores.png"};
#define N_OWN (sizeof own_outputs / sizeof own_outputs[0])

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: minescan evaluate INPUT.h5... -o OUTDIR [options]\n\n"
            "Runs every input through the batch engine (as minescan batch: "
            "OUTDIR/<name>/,\nbatch.csv, batch.json; current outputs are "
            "skipped) and pools the ROC over\nall of them under one common "
            "threshold: pooled Pd = detected mines / mines,\npooled FAR = "
            "false alarms / lane area, the threshold swept over every "
            "candidate\npeak. Reports Pd at FAR 0.1, 0.5 and 1 /m2 with the "
            "thresholds that give them\nand the AUC over FAR 0-1; at the FAR "
            "0.5 threshold, Pd per mine type, clutter\nalarms per clutter "
            "type and a row per file. Writes OUTDIR/evaluate.json (all\nof "
            "it), evaluate.csv (the rows), roc.csv and roc.png (the pooled "
            "ROC) and\nscores.png (score distributions of mines, clutter and "
            "background peaks), and\nprints a table. Inputs that fail, or "
            "have no /truth, are listed with the reason\nand left out of the "
            "pooling; lanes without mines count for area and false\nalarms "
            "only.\n\nOptions:\n"
            "  -o, --output DIR          output folder (created if needed)\n"
            "  -j, --jobs N              process N inputs at once (default: "
            "one per online CPU,\n"
            "                            here %d)\n"
            "  --force                   reprocess inputs whose outputs are "
            "current\n"
            "  --timeout S               give up on an input that shows no "
            "progress for S seconds\n"
            "                            (default 300)\n"
            "  --peer RECIPE             also run the inputs with RECIPE (a "
            "built-in name or a\n"
            "                            file; no --set) into OUTDIR/peer/ "
            "and print both\n"
            "                            side by side, with this recipe's "
            "figures over the\n"
            "                            peer's (evaluate.json: \"peer\")\n"
            "  --progress                print batch's progress lines\n"
            "  --quiet                   no table on stdout\n",
            ms_cli_default_jobs());
    ms_cli_print_process_help(f);
    fprintf(f, "  -h, --help                this text\n\nExit status: 0 every "
               "input pooled, 1 some failed or could not be\nscored (the "
               "others are pooled), 2 usage, 3 the output folder cannot be "
               "written.\n");
}

/* ---- the evaluation set ---------------------------------------------------
 */

typedef struct ev_target {
    char *label;
    int is_mine;
    /* a mine: its detect_score; clutter: its max_false_alarm_score; NaN
     * for none */
    double score;
} ev_target;

typedef struct ev_file {
    const char *input;
    char *output_dir;
    char status[16]; /* ok, skipped (as batch), failed */
    char *reason;
    int pooled;
    double area_m2;
    size_t t_first, t_n; /* its truth objects in ev_set.targets */
    size_t f_first, f_n; /* its false-alarm scores in ev_set.fa */
    size_t n_mines, n_clutter, n_candidates, n_background;
} ev_file;

typedef struct dvec {
    double *v;
    size_t n, cap;
} dvec;

typedef struct ev_set {
    ev_file *files;
    size_t n_files;
    ev_target *targets;
    size_t n_targets, cap_targets;
    dvec fa; /* scores of candidates that detect no mine, file by file */
    dvec bg; /* scores of background candidates */
} ev_set;

/* An array of `n` of `*cap` elements with room for one more (doubled
 * when full); NULL when memory runs out (the array is then unchanged). */
static void *room_for_one(void *v, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? 2 * *cap : 256;
    void *p = realloc(v, c * elem);
    if (p)
        *cap = c;
    else
        ms_fail(MS_ERR_NOMEM, "out of memory");
    return p;
}

static int dvec_push(dvec *d, double v)
{
    double *p = room_for_one(d->v, d->n, &d->cap, sizeof *d->v);
    if (!p)
        return MS_ERR_NOMEM;
    d->v = p;
    d->v[d->n++] = v;
    return 0;
}

static int target_push(ev_set *s, const char *label, int is_mine,
                       double score)
{
    char *l = strdup(label);
    ev_target *p = l ? room_for_one(s->targets, s->n_targets,
                                    &s->cap_targets, sizeof *s->targets)
                     : NULL;
    if (!p) {
        free(l);
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    }
    s->targets = p;
    s->targets[s->n_targets++] = (ev_target){l, is_mine, score};
    return 0;
}

static void ev_set_free(ev_set *s)
{
    for (size_t i = 0; i < s->n_files; i++) {
        free(s->files[i].output_dir);
        free(s->files[i].reason);
    }
    for (size_t i = 0; i < s->n_targets; i++)
        free(s->targets[i].label);
    free(s->files);
    free(s->targets);
    free(s->fa.v);
    free(s->bg.v);
    memset(s, 0, sizeof *s);
}

static void file_fail(ev_file *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void file_fail(ev_file *f, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(f->reason);
    f->reason = strdup(buf);
    snprintf(f->status, sizeof f->status, "failed");
    f->pooled = 0;
}

/* ---- reading a run's files --------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    while (s) {
        n += fread(s + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *t = realloc(s, cap *= 2);
        if (!t) {
            free(s);
            s = NULL;
        } else
            s = t;
    }
    if (s && ferror(f)) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

/* One CSV record (RFC 4180: quoted fields may hold commas, quotes and
 * line breaks), parsed in place: fields point into the text. Returns the
 * number of fields (at most max), 0 at the end of the text. */
static size_t csv_record(char **pos, char **field, size_t max)
{
    char *p = *pos;
    if (!*p)
        return 0;
    size_t n = 0;
    for (;;) {
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            for (; *p; p++) {
                if (*p == '"' && p[1] == '"')
                    *out++ = *p++;
                else if (*p == '"') {
                    p++;
                    break;
                } else
                    *out++ = *p;
            }
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                *out++ = *p++;
        }
        char end = *p; /* the terminator, before *out overwrites it */
        if (end)
            p++;
        if (end == '\r' && *p == '\n')
            p++;
        *out = '\0';
        if (n < max)
            field[n++] = start;
        if (end != ',')
            break;
    }
    *pos = p;
    return n;
}

/* A number field: empty is NaN; anything else that is not a number is an
 * error. */
static int number_field(const char *s, double *v)
{
    if (!*s) {
        *v = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *end || end == s ? -1 : 0;
}

/* The header must start with `want` (columns may be added at the end). */
static int csv_header(char **pos, const char *want)
{
    char *eol = strpbrk(*pos, "\r\n");
    size_t len = eol ? (size_t)(eol - *pos) : strlen(*pos);
    size_t wl = strlen(want);
    if (len < wl || strncmp(*pos, want, wl) || (len > wl && (*pos)[wl] != ','))
        return -1;
    char *f[64];
    csv_record(pos, f, 64);
    return 0;
}

static const char targets_header[] =
    "index,label,is_mine,x_m,y_m,detected,detect_score,max_false_alarm_score";
static const char candidates_header[] = "x_m,y_m,score,match";

/* One data row of a run's CSV file: 0, 1 when it is not a valid row, <0
 * out of memory. */
typedef int (*row_fn)(ev_set *s, ev_file *f, char **field);

/* targets.csv: the label, whether a mine, and the score at which it first
 * counts (a mine's detect_score, a clutter object's strongest false
 * alarm). */
static int target_row(ev_set *s, ev_file *f, char **fl)
{
    double mine, ds, fa;
    if (number_field(fl[2], &mine) || !(mine == 0 || mine == 1) ||
        number_field(fl[6], &ds) || number_field(fl[7], &fa))
        return 1;
    f->n_mines += mine == 1;
    f->n_clutter += mine == 0;
    return target_push(s, fl[1][0] ? fl[1] : "(unlabelled)", mine == 1,
                       mine == 1 ? ds : fa);
}

/* candidates.csv: every candidate that detects no mine is a false alarm
 * at thresholds up to its score; background ones are also kept apart. */
static int candidate_row(ev_set *s, ev_file *f, char **fl)
{
    double score;
    const char *m = fl[3];
    int mine = !strncmp(m, "mine:", 5), bg = !strcmp(m, "background");
    if (number_field(fl[2], &score) || isnan(score) ||
        !(mine || bg || !strcmp(m, "duplicate") || !strncmp(m, "clutter:", 8)))
        return 1;
    f->n_candidates++;
    if (mine)
        return 0;
    f->n_background += bg;
    int rc = dvec_push(&s->fa, score);
    return rc || !bg ? rc : dvec_push(&s->bg, score);
}

/* Read OUTPUT_DIR/name row by row. 0, 1 when the file is unreadable or
 * not what it should be (f says why), <0 out of memory. */
static int read_rows(ev_set *s, ev_file *f, const char *name,
                     const char *header, size_t n_fields, row_fn fn)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", f->output_dir, name);
    char *text = slurp(path), *p = text;
    if (!text) {
        file_fail(f, "%s: cannot read: %s", path, strerror(errno));
        return 1;
    }
    int rc = 0;
    if (csv_header(&p, header)) {
        file_fail(f, "%s: the header is not %s", path, header);
        rc = 1;
    }
    char *fl[16];
    size_t n, line = 1;
    while (!rc && (n = csv_record(&p, fl, 16))) {
        line++;
        if (n == 1 && !fl[0][0])
            continue; /* a blank line */
        rc = n < n_fields ? 1 : fn(s, f, fl);
        if (rc > 0)
            file_fail(f, "%s: line %zu is not a row of %s", path, line,
                      header);
    }
    free(text);
    return rc;
}

/* 1 when the folder is from a build that wrote no targets.csv or
 * candidates.csv (batch finds it current all the same). */
static int needs_rerun(const char *dir)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    int stale = s && ms_summary_lists(s, "roc.csv") &&
                !(ms_summary_lists(s, "targets.csv") &&
                  ms_summary_lists(s, "candidates.csv"));
    json_decref(s);
    return stale;
}

/* The per-target files must tell what score.json tells at the run's own
 * threshold `thr` (NaN: every alarm): 0, or 1 with the reason in f. */
static int check_counts(const ev_set *s, ev_file *f, double thr,
                        double n_mines, double n_det, double n_fa)
{
    if (isnan(thr))
        thr = -INFINITY;
    size_t det = 0, fa = 0;
    for (size_t k = f->t_first; k < f->t_first + f->t_n; k++)
        det += s->targets[k].is_mine && s->targets[k].score >= thr;
    for (size_t k = f->f_first; k < f->f_first + f->f_n; k++)
        fa += s->fa.v[k] >= thr;
    if ((double)f->n_mines == n_mines && (double)det == n_det &&
        (double)fa == n_fa)
        return 0;
    file_fail(f, "%s: targets.csv and candidates.csv (%zu mines, %zu "
              "detected, %zu false alarms at %g) disagree with score.json "
              "(%g, %g, %g)", f->output_dir, f->n_mines, det, fa, thr,
              n_mines, n_det, n_fa);
    return 1;
}

/* Read one processed file: its score.json (area, halo, counts), targets
 * and candidates, checked against each other. 0 pooled, 1 the file failed
 * (f says why), <0 out of memory. */
static int load_file(ev_set *s, ev_file *f, double halo_m)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.json", f->output_dir);
    json_t *sum = json_load_file(path, 0, NULL);
    /* roc.csv, not score.json: every lane gets score.json (its "sweep"),
     * only a lane with /truth the alarm scores and roc.csv */
    int scored = sum && ms_summary_lists(sum, "roc.csv");
    int listed = sum && ms_summary_lists(sum, "targets.csv") &&
                 ms_summary_lists(sum, "candidates.csv");
    json_decref(sum);
    if (!sum) {
        file_fail(f, "%s: cannot read %s", f->input, path);
        return 1;
    }
    if (!scored) {
        file_fail(f, "%s: the recording has no /truth: nothing to score it "
                  "against", f->input);
        return 1;
    }
    if (!listed) {
        file_fail(f, "%s: %s lacks targets.csv or candidates.csv (written "
                  "by an older minescan; --force redoes it)", f->input,
                  f->output_dir);
        return 1;
    }
    snprintf(path, sizeof path, "%s/score.json", f->output_dir);
    json_t *sc = json_load_file(path, 0, NULL);
    if (!sc) {
        file_fail(f, "%s: cannot read", path);
        return 1;
    }
    f->area_m2 = ms_json_number(sc, "area_m2");
    double halo = ms_json_number(sc, "halo_m");
    double thr = ms_json_number(sc, "threshold");
    double n_mines = ms_json_number(sc, "n_mines");
    double n_det = ms_json_number(sc, "n_detected");
    double n_fa = ms_json_number(sc, "n_false_alarms");
    json_decref(sc);
    if (!(f->area_m2 > 0) || !isfinite(f->area_m2)) {
        file_fail(f, "%s: area_m2 is not a positive number", path);
        return 1;
    }
    if (halo != halo_m) {
        file_fail(f, "%s: halo %g m, not the %g m asked for", path, halo,
                  halo_m);
        return 1;
    }
    f->t_first = s->n_targets;
    f->f_first = s->fa.n;
    size_t bg_first = s->bg.n;
    int rc = read_rows(s, f, "targets.csv", targets_header, 8, target_row);
    if (!rc)
        rc = read_rows(s, f, "candidates.csv", candidates_header, 4,
                       candidate_row);
    f->t_n = s->n_targets - f->t_first;
    f->f_n = s->fa.n - f->f_first;
    if (!rc)
        rc = check_counts(s, f, thr, n_mines, n_det, n_fa);
    if (rc) {
        /* nothing of a file that is left out stays in the pooled data */
        while (s->n_targets > f->t_first)
            free(s->targets[--s->n_targets].label);
        s->fa.n = f->f_first;
        s->bg.n = bg_first;
        f->t_n = f->f_n = 0;
        return rc;
    }
    f->pooled = 1;
    return 0;
}

/* batch.json's rows, in input order. 0, or a negative ms_err. */
static int read_batch(const char *outdir, ev_set *s)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/batch.json", outdir);
    json_error_t err;
    json_t *b = json_load_file(path, 0, &err);
    json_t *rows = json_object_get(b, "rows");
    if (!b || json_array_size(rows) != s->n_files) {
        json_decref(b);
        return ms_fail(MS_ERR_INTERNAL, "%s: cannot read the batch's rows",
                       path);
    }
    for (size_t i = 0; i < s->n_files; i++) {
        ev_file *f = &s->files[i];
        json_t *r = json_array_get(rows, i);
        const char *dir = json_string_value(json_object_get(r, "output_dir"));
        const char *st = json_string_value(json_object_get(r, "status"));
        const char *why = json_string_value(json_object_get(r, "reason"));
        free(f->output_dir);
        free(f->reason);
        f->output_dir = strdup(dir ? dir : "");
        f->reason = strdup(why ? why : "");
        snprintf(f->status, sizeof f->status, "%s", st ? st : "failed");
        if (!f->output_dir || !f->reason) {
            json_decref(b);
            return ms_fail(MS_ERR_NOMEM, "out of memory");
        }
    }
    json_decref(b);
    return 0;
}

/* ---- pooling ------------------------------------------------------------- */

typedef struct op_point {
    double far_limit, threshold, pd, far;
    size_t n_detected, n_false_alarms;
} op_point;

typedef struct type_row {
    const char *label;
    size_t n, hit; /* mines: detected; clutter: with a false alarm */
} type_row;

typedef struct pooled {
    size_t n_files, n_mines, n_clutter, n_candidates, n_background;
    double area_m2;
    ms_roc roc;
    op_point op[3];
    type_row *mine_types, *clutter_types;
    size_t n_mine_types, n_clutter_types;
} pooled;

static int type_cmp(const void *a, const void *b)
{
    const type_row *p = a, *q = b;
    if (p->n != q->n)
        return p->n < q->n ? 1 : -1;
    return strcmp(p->label, q->label);
}

/* Per label of is_mine objects: how many, and how many reach `t`. */
static int tally_types(const ev_set *s, int is_mine, double t,
                       type_row **out, size_t *n_out)
{
    type_row *rows = malloc((s->n_targets ? s->n_targets : 1) * sizeof *rows);
    size_t n = 0;
    if (!rows)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    for (size_t f = 0; f < s->n_files; f++) {
        const ev_file *file = &s->files[f];
        if (!file->pooled)
            continue;
        for (size_t k = file->t_first; k < file->t_first + file->t_n; k++) {
            const ev_target *g = &s->targets[k];
            if (g->is_mine != is_mine)
                continue;
            size_t r = 0;
            while (r < n && strcmp(rows[r].label, g->label))
                r++;
            if (r == n)
                rows[n++] = (type_row){g->label, 0, 0};
            rows[r].n++;
            rows[r].hit += g->score >= t;
        }
    }
    qsort(rows, n, sizeof *rows, type_cmp);
    *out = rows;
    *n_out = n;
    return 0;
}

static int pool(const ev_set *s, pooled *p)
{
    memset(p, 0, sizeof *p);
    dvec mines = {0}, fa = {0};
    int rc = 0;
    for (size_t i = 0; i < s->n_files && !rc; i++) {
        const ev_file *f = &s->files[i];
        if (!f->pooled)
            continue;
        p->n_files++;
        p->area_m2 += f->area_m2;
        p->n_candidates += f->n_candidates;
        p->n_background += f->n_background;
        p->n_clutter += f->n_clutter;
        for (size_t k = f->t_first; k < f->t_first + f->t_n && !rc; k++)
            if (s->targets[k].is_mine)
                rc = dvec_push(&mines, s->targets[k].score);
        for (size_t k = f->f_first; k < f->f_first + f->f_n && !rc; k++)
            rc = dvec_push(&fa, s->fa.v[k]);
    }
    p->n_mines = mines.n;
    if (!rc)
        rc = ms_roc_pool(mines.v, mines.n, fa.v, fa.n, p->area_m2, &p->roc);
    free(mines.v);
    free(fa.v);
    for (int k = 0; k < 3 && !rc; k++) {
        const ms_roc_point *q =
            &p->roc.points[ms_roc_operating_point(&p->roc, far_limits[k])];
        p->op[k] = (op_point){far_limits[k], q->threshold, q->pd, q->far,
                              q->n_detected, q->n_false_alarms};
    }
    double t = p->op[OPERATING].threshold;
    if (!rc)
        rc = tally_types(s, 1, t, &p->mine_types, &p->n_mine_types);
    if (!rc)
        rc = tally_types(s, 0, t, &p->clutter_types, &p->n_clutter_types);
    return rc;
}

static void pooled_free(pooled *p)
{
    ms_roc_free(&p->roc);
    free(p->mine_types);
    free(p->clutter_types);
}

/* A file's counts at the common threshold t. */
static void file_at(const ev_set *s, const ev_file *f, double t,
                    size_t *det, size_t *fa)
{
    *det = *fa = 0;
    for (size_t k = f->t_first; k < f->t_first + f->t_n; k++)
        *det += s->targets[k].is_mine && s->targets[k].score >= t;
    for (size_t k = f->f_first; k < f->f_first + f->f_n; k++)
        *fa += s->fa.v[k] >= t;
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : NAN;
}

/* ---- outputs ------------------------------------------------------------- */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *op_json(const op_point *o, size_t n_mines)
{
    return json_pack("{s:o, s:o, s:o, s:I, s:I, s:o, s:I}", "far_limit_per_m2",
                     num(o->far_limit), "threshold", num(o->threshold), "pd",
                     num(o->pd), "n_detected", (json_int_t)o->n_detected,
                     "n_mines", (json_int_t)n_mines, "far_per_m2",
                     num(o->far), "n_false_alarms",
                     (json_int_t)o->n_false_alarms);
}

static json_t *types_json(const type_row *r, size_t n, const char *hit_key,
                          const char *ratio_key)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n && a; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:I, s:I, s:o}", "label", r[i].label, "n",
                         (json_int_t)r[i].n, hit_key, (json_int_t)r[i].hit,
                         ratio_key, num(ratio(r[i].hit, r[i].n))));
    return a;
}

typedef struct ev_options {
    const char *outdir;
    const ms_batch_options *batch;
} ev_options;

/* One evaluation: the set read back from its batch, and its pooling. */
typedef struct ev_run {
    ev_set s;
    pooled p;
    size_t n_failed;
} ev_run;

/* The peer of a --peer run, for the comparison. */
typedef struct ev_peer {
    const char *recipe, *outdir;
    const ev_run *r;
} ev_peer;

/* This recipe's figure over the peer's (NaN where the peer's is 0 or
 * either is missing). */
static double over(double a, double b)
{
    return isfinite(a) && isfinite(b) && b != 0 ? a / b : NAN;
}

/* Pd of `label` at a run's own operating threshold: detected, of n
 * (0 of 0 where the run pooled no such mine). */
static void type_hits(const pooled *p, const char *label, size_t *hit,
                      size_t *n)
{
    *hit = *n = 0;
    for (size_t i = 0; i < p->n_mine_types; i++)
        if (!strcmp(p->mine_types[i].label, label)) {
            *hit = p->mine_types[i].hit;
            *n = p->mine_types[i].n;
        }
}

/* Both runs pooled the same files (a file can fail under one recipe). */
static int same_files(const ev_run *a, const ev_run *b)
{
    for (size_t i = 0; i < a->s.n_files; i++)
        if (a->s.files[i].pooled != b->s.files[i].pooled)
            return 0;
    return 1;
}

static json_t *peer_json(const ev_run *self, const ev_peer *peer)
{
    const pooled *a = &self->p, *b = &peer->r->p;
    json_t *ops = json_array(), *types = json_array();
    for (int k = 0; k < 3 && b->n_files; k++)
        json_array_append_new(ops, op_json(&b->op[k], b->n_mines));
    for (size_t i = 0; i < a->n_mine_types; i++) {
        size_t ph, pn;
        const type_row *r = &a->mine_types[i];
        type_hits(b, r->label, &ph, &pn);
        json_array_append_new(
            types, json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "label",
                             r->label, "n", (json_int_t)r->n, "n_detected",
                             (json_int_t)r->hit, "peer_n",
                             (json_int_t)pn, "peer_n_detected",
                             (json_int_t)ph, "pd_ratio",
                             num(over(ratio(r->hit, r->n), ratio(ph, pn)))));
    }
    double pa[4], pb[4];
    for (int k = 0; k < 3; k++) {
        pa[k] = a->n_files ? a->op[k].pd : NAN;
        pb[k] = b->n_files ? b->op[k].pd : NAN;
    }
    pa[3] = a->n_files ? a->roc.auc_far_1 : NAN;
    pb[3] = b->n_files ? b->roc.auc_far_1 : NAN;
    return json_pack(
        "{s:s, s:s, s:b, s:{s:I, s:I}, s:o, s:o, s:{s:o, s:o, s:o, s:o}, "
        "s:o}",
        "recipe", peer->recipe, "output_dir", peer->outdir, "same_files",
        same_files(self, peer->r), "files", "pooled",
        (json_int_t)b->n_files, "failed", (json_int_t)peer->r->n_failed,
        "auc_far_1", num(pb[3]), "operating_points", ops, "ratios",
        "pd_at_far_0_1", num(over(pa[0], pb[0])), "pd_at_far_0_5",
        num(over(pa[1], pb[1])), "pd_at_far_1", num(over(pa[2], pb[2])),
        "auc_far_1", num(over(pa[3], pb[3])), "mine_types", types);
}

static json_t *evaluate_json(const ev_run *r, const ev_options *o,
                             const ev_peer *peer)
{
    const ev_set *s = &r->s;
    const pooled *p = &r->p;
    size_t n_failed = r->n_failed;
    const ms_process_options *po = &o->batch->process;
    double t = p->op[OPERATING].threshold;
    json_t *rows = json_array(), *failed = json_array(),
           *overrides = json_array(), *ops = json_array();
    for (size_t i = 0; i < po->n_overrides; i++)
        json_array_append_new(overrides, json_string(po->overrides[i]));
    for (size_t i = 0; i < s->n_files; i++) {
        const ev_file *f = &s->files[i];
        json_t *row;
        if (f->pooled) {
            size_t det, fa;
            file_at(s, f, t, &det, &fa);
            row = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:o, "
                            "s:o, s:o}",
                            "input", f->input, "output_dir", f->output_dir,
                            "status", f->status, "reason", f->reason,
                            "pooled", 1, "n_mines", (json_int_t)f->n_mines,
                            "n_detected", (json_int_t)det, "n_false_alarms",
                            (json_int_t)fa, "area_m2", num(f->area_m2), "pd",
                            num(ratio(det, f->n_mines)), "far_per_m2",
                            num((double)fa / f->area_m2));
        } else {
            row = json_pack("{s:s, s:s, s:s, s:s, s:b, s:n, s:n, s:n, s:n, "
                            "s:n, s:n}",
                            "input", f->input, "output_dir", f->output_dir,
                            "status", f->status, "reason", f->reason,
                            "pooled", 0, "n_mines", "n_detected",
                            "n_false_alarms", "area_m2", "pd", "far_per_m2");
            json_array_append_new(failed, json_pack("{s:s, s:s}", "input",
                                                    f->input, "reason",
                                                    f->reason));
        }
        json_array_append_new(rows, row);
    }
    for (int k = 0; k < 3 && p->n_files; k++)
        json_array_append_new(ops, op_json(&p->op[k], p->n_mines));
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I}}", "software",
        "minescan", "version", MINESCAN_VERSION, "recipe",
        po->recipe ? po->recipe : "default", "overrides", overrides,
        "halo_m", num(po->halo_m), "alarm_threshold",
        num(po->alarm_threshold), "files", "inputs",
        (json_int_t)s->n_files, "pooled", (json_int_t)p->n_files, "failed",
        (json_int_t)n_failed);
    if (!root)
        return NULL;
    if (p->n_files) {
        json_object_set_new(
            root, "pooled",
            json_pack("{s:I, s:I, s:I, s:o, s:I, s:I, s:I}", "n_files",
                      (json_int_t)p->n_files, "n_mines",
                      (json_int_t)p->n_mines, "n_clutter",
                      (json_int_t)p->n_clutter, "area_m2", num(p->area_m2),
                      "n_candidates", (json_int_t)p->n_candidates,
                      "n_false_alarm_candidates",
                      (json_int_t)(p->n_candidates -
                                   p->roc.points[p->roc.n - 1].n_detected),
                      "n_background_candidates",
                      (json_int_t)p->n_background));
        json_object_set_new(
            root, "roc",
            json_pack("{s:I, s:o, s:o, s:o, s:o, s:s, s:s}", "n_points",
                      (json_int_t)p->roc.n, "pd_at_far_0_1",
                      num(p->op[0].pd), "pd_at_far_0_5", num(p->op[1].pd),
                      "pd_at_far_1", num(p->op[2].pd), "auc_far_1",
                      num(p->roc.auc_far_1), "auc_interpolation",
                      "step: Pd held from each ROC point to the next, the "
                      "last held to FAR 1 /m^2",
                      "operating_point",
                      "of the points with FAR <= the limit, the best Pd at "
                      "the highest threshold (without mines: the lowest "
                      "threshold within the limit); threshold null: no "
                      "candidate at all"));
        json_object_set_new(root, "operating_points", ops);
        ops = NULL;
        json_object_set_new(
            root, "at_threshold",
            json_pack("{s:o, s:o, s:o, s:o}", "far_limit_per_m2",
                      num(far_limits[OPERATING]), "threshold", num(t),
                      "mine_types",
                      types_json(p->mine_types, p->n_mine_types, "n_detected",
                                 "pd"),
                      "clutter_types",
                      types_json(p->clutter_types, p->n_clutter_types,
                                 "n_with_false_alarm", "share")));
    } else {
        json_object_set_new(root, "pooled", json_null());
    }
    json_decref(ops);
    json_object_set_new(root, "rows", rows);
    json_object_set_new(root, "failed", failed);
    if (peer)
        json_object_set_new(root, "peer", peer_json(r, peer));
    return root;
}

static void csv_num(FILE *f, double v, const char *fmt)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, fmt, v);
}

static int write_csv(const char *path, const ev_set *s, const pooled *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    double t = p->n_files ? p->op[OPERATING].threshold : NAN;
    fputs("input,output_dir,status,reason,n_mines,n_detected,"
          "n_false_alarms,area_m2,pd,far_per_m2,threshold\n", f);
    for (size_t i = 0; i < s->n_files; i++) {
        const ev_file *r = &s->files[i];
        ms_csv_write_field(f, r->input);
        fputc(',', f);
        ms_csv_write_field(f, r->output_dir);
        fprintf(f, ",%s,", r->status);
        ms_csv_write_field(f, r->reason);
        if (r->pooled) {
            size_t det, fa;
            file_at(s, r, t, &det, &fa);
            fprintf(f, ",%zu,%zu,%zu", r->n_mines, det, fa);
            csv_num(f, r->area_m2, "%.9g");
            csv_num(f, ratio(det, r->n_mines), "%.6g");
            csv_num(f, (double)fa / r->area_m2, "%.6g");
            csv_num(f, t, "%.9g");
        } else {
            fputs(",,,,,,,", f);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0 || !text) {
        free(text);
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    }
    int rc = ms_write_text_atomic(path, text, len);
    free(text);
    return rc;
}

/* scores.png: mines at their detect_score (never detected: "none"),
 * clutter at their strongest false alarm (none: "none"), background peaks
 * at their score; the three operating thresholds as marks. */
static int write_scores_png(const char *path, const ev_set *s,
                            const pooled *p, double halo_m)
{
    dvec mine = {0}, clut = {0};
    size_t mine_none = 0, clut_none = 0;
    int rc = 0;
    for (size_t i = 0; i < s->n_files && !rc; i++) {
        const ev_file *f = &s->files[i];
        for (size_t k = f->t_first; f->pooled && k < f->t_first + f->t_n &&
                                    !rc; k++) {
            const ev_target *g = &s->targets[k];
            rc = dvec_push(g->is_mine ? &mine : &clut, g->score);
            if (isnan(g->score))
                (g->is_mine ? mine_none++ : clut_none++);
        }
    }
    char lm[800], lc[800], lb[800], mark_text[3][800], thr[200];
    snprintf(lm, sizeof lm, _("mines: %zu, at the score of the peak that "
             "detects each (%zu never detected)"), mine.n, mine_none);
    snprintf(lc, sizeof lc, _("clutter objects: %zu, at their strongest false "
             "alarm within %g m (%zu with none)"), clut.n, halo_m, clut_none);
    snprintf(lb, sizeof lb, _("background peaks: %zu candidates near no truth "
             "object"), s->bg.n);
    ms_hist_group g[3] = {
        {lb, s->bg.v, s->bg.n, {110, 110, 110}},
        {lc, clut.v, clut.n, {33, 102, 172}},
        {lm, mine.v, mine.n, {215, 48, 39}},
    };
    ms_hist_mark m[3];
    size_t nm = 0, len = 0;
    thr[0] = '\0';
    for (int k = 0; k < 3; k++) {
        const op_point *o = &p->op[k];
        len += (size_t)snprintf(thr + len, sizeof thr - len, "%s%g %.9g",
                                k ? "\n" : "", o->far_limit, o->threshold);
        if (!isfinite(o->threshold))
            continue;
        snprintf(mark_text[nm], sizeof mark_text[nm],
                 _("threshold %.3g for FAR %g /m²: %zu/%zu mines (Pd "
                   "%.2f), %zu false alarms (%.2f /m²)"),
                 o->threshold, o->far_limit, o->n_detected, p->n_mines,
                 o->pd, o->n_false_alarms, o->far);
        m[nm] = (ms_hist_mark){o->threshold, mark_text[nm]};
        nm++;
    }
    char title[600], halo[32];
    snprintf(title, sizeof title, _("Score distributions over %zu files "
             "(%zu mines, %.1f m²)"), p->n_files, p->n_mines,
             p->area_m2);
    snprintf(halo, sizeof halo, "%g", halo_m);
    ms_png_text text[] = {{"minescan:halo_m", halo},
                          {"minescan:thresholds", thr}};
    if (!rc)
        rc = ms_render_score_hist(path, title,
                                  _("score of the candidate peak (final map)"),
                                  g, 3, m, nm, text, 2);
    free(mine.v);
    free(clut.v);
    return rc;
}

static int write_outputs(const ev_options *o, const ev_run *r,
                         const ev_peer *peer)
{
    const ev_set *s = &r->s;
    const pooled *p = &r->p;
    char path[4400];
    int rc = 0;
    if (p->n_files) {
        snprintf(path, sizeof path, "%s/roc.csv", o->outdir);
        rc = ms_roc_write_csv(path, &p->roc);
        const op_point *op = &p->op[OPERATING];
        ms_score at = {.halo_m = o->batch->process.halo_m,
                       .area_m2 = p->area_m2,
                       .threshold = op->threshold,
                       .n_mines = p->n_mines,
                       .n_detected = op->n_detected,
                       .n_false_alarms = op->n_false_alarms,
                       .pd = op->pd,
                       .far = op->far};
        char title[600];
        snprintf(title, sizeof title, _("Pooled ROC: %zu files, %zu mines, "
                 "%.1f m², halo %g m"), p->n_files, p->n_mines,
                 p->area_m2, o->batch->process.halo_m);
        snprintf(path, sizeof path, "%s/roc.png", o->outdir);
        if (!rc)
            rc = ms_render_roc(path, &p->roc,
                               isfinite(op->threshold) ? &at : NULL, title);
        snprintf(path, sizeof path, "%s/scores.png", o->outdir);
        if (!rc)
            rc = write_scores_png(path, s, p, o->batch->process.halo_m);
    } else {
        /* nothing pooled: no figures, and none left from an earlier run */
        for (size_t i = 2; i < N_OWN; i++) {
            snprintf(path, sizeof path, "%s/%s", o->outdir, own_outputs[i]);
            unlink(path);
        }
    }
    snprintf(path, sizeof path, "%s/evaluate.csv", o->outdir);
    if (!rc)
        rc = write_csv(path, s, p);
    json_t *root = rc ? NULL : evaluate_json(r, o, peer);
    if (!rc && !root)
        rc = ms_fail(MS_ERR_NOMEM, "out of memory building evaluate.json");
    if (!rc) {
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                          JSON_REAL_PRECISION(15));
        snprintf(path, sizeof path, "%s/evaluate.json", o->outdir);
        rc = text ? ms_write_text_atomic(path, text, strlen(text))
                  : ms_fail(MS_ERR_NOMEM, "out of memory");
        free(text);
    }
    json_decref(root);
    return rc;
}

/* ---- the table ----------------------------------------------------------- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void fmt_ratio(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.2f", v);
}

static void print_types(const char *what, const char *hit, const char *share,
                        const type_row *r, size_t n)
{
    char a[32], b[48];
    printf("  %-24s %10s %6s\n", what, hit, share);
    for (size_t i = 0; i < n; i++) {
        snprintf(b, sizeof b, "%zu/%zu", r[i].hit, r[i].n);
        fmt_ratio(a, sizeof a, ratio(r[i].hit, r[i].n));
        printf("  %-24s %10s %6s\n", r[i].label, b, a);
    }
}

static void print_table(const ev_set *s, const pooled *p, double halo_m)
{
    char a[32], b[32];
    printf("Pooled over %zu of %zu files: %zu mines, %zu clutter objects, "
           "%.1f m2 (halo %g m)\n",
           p->n_files, s->n_files, p->n_mines, p->n_clutter, p->area_m2,
           halo_m);
    if (p->n_files) {
        printf("\n%-10s %10s %16s %6s %8s %8s\n", "FAR limit", "threshold",
               "detected/mines", "Pd", "false", "FAR /m2");
        for (int k = 0; k < 3; k++) {
            const op_point *o = &p->op[k];
            char lim[32], thr[32], det[48];
            snprintf(lim, sizeof lim, "%g /m2", o->far_limit);
            if (isfinite(o->threshold))
                snprintf(thr, sizeof thr, "%.3f", o->threshold);
            else
                snprintf(thr, sizeof thr, "none");
            snprintf(det, sizeof det, "%zu/%zu", o->n_detected, p->n_mines);
            fmt_ratio(a, sizeof a, o->pd);
            printf("%-10s %10s %16s %6s %8zu %8.3f\n", lim, thr, det, a,
                   o->n_false_alarms, o->far);
        }
        fmt_ratio(a, sizeof a, p->roc.auc_far_1);
        printf("AUC (FAR 0-1 /m2): %s\n", a);

        const op_point *o = &p->op[OPERATING];
        if (isfinite(o->threshold))
            printf("\nAt threshold %.3f (FAR %g /m2):\n", o->threshold,
                   o->far_limit);
        else
            printf("\nAt FAR %g /m2 (no threshold: no alarm at all):\n",
                   o->far_limit);
        print_types("mine type", "detected", "Pd", p->mine_types,
                    p->n_mine_types);
        print_types("clutter type", "alarmed", "share", p->clutter_types,
                    p->n_clutter_types);
    }
    double t = p->n_files ? p->op[OPERATING].threshold : NAN;
    printf("\n%-30s %-7s %9s %5s %6s %8s %8s\n", "file", "status",
           "detected", "Pd", "false", "area m2", "FAR /m2");
    for (size_t i = 0; i < s->n_files; i++) {
        const ev_file *f = &s->files[i];
        if (!f->pooled) {
            printf("%-30s %-7s (left out: see below)\n", base_name(f->input),
                   f->status);
            continue;
        }
        size_t det, fa;
        file_at(s, f, t, &det, &fa);
        snprintf(b, sizeof b, "%zu/%zu", det, f->n_mines);
        fmt_ratio(a, sizeof a, ratio(det, f->n_mines));
        printf("%-30s %-7s %9s %5s %6zu %8.2f %8.3f\n", base_name(f->input),
               f->status, b, a, fa, f->area_m2, (double)fa / f->area_m2);
    }
    for (size_t i = 0; i < s->n_files; i++)
        if (!s->files[i].pooled)
            printf("left out: %s\n", s->files[i].reason);
}

/* This recipe beside the peer: Pd at each FAR limit and the AUC, then Pd
 * per mine type at each run's own FAR 0.5 threshold; counts beside the
 * ratio of this recipe's figure to the peer's. */
static void print_peer(const ev_run *self, const ev_peer *peer)
{
    const pooled *a = &self->p, *b = &peer->r->p;
    char x[48], y[48], q[32];
    printf("\nAgainst the peer %s (%s)%s:\n", peer->recipe, peer->outdir,
           same_files(self, peer->r) ? ", the same files"
                                     : "; NOT the same files pooled "
                                       "(ratios compare different sets)");
    printf("%-22s %12s %12s %6s\n", "", "this recipe", "peer", "ratio");
    for (int k = 0; k < 3; k++) {
        char lim[48];
        snprintf(lim, sizeof lim, "Pd at FAR %g /m2", far_limits[k]);
        snprintf(x, sizeof x, "%zu/%zu", a->n_files ? a->op[k].n_detected : 0,
                 a->n_mines);
        snprintf(y, sizeof y, "%zu/%zu", b->n_files ? b->op[k].n_detected : 0,
                 b->n_mines);
        fmt_ratio(q, sizeof q, over(a->n_files ? a->op[k].pd : NAN,
                                    b->n_files ? b->op[k].pd : NAN));
        printf("%-22s %12s %12s %6s\n", lim, x, y, q);
    }
    double ua = a->n_files ? a->roc.auc_far_1 : NAN,
           ub = b->n_files ? b->roc.auc_far_1 : NAN;
    /* three decimals: two recipes' AUCs often differ in the third */
    snprintf(x, sizeof x, "%.3f", ua);
    snprintf(y, sizeof y, "%.3f", ub);
    if (!isfinite(ua))
        snprintf(x, sizeof x, "-");
    if (!isfinite(ub))
        snprintf(y, sizeof y, "-");
    fmt_ratio(q, sizeof q, over(ua, ub));
    printf("%-22s %12s %12s %6s\n", "AUC (FAR 0-1 /m2)", x, y, q);
    printf("Pd per mine type at FAR %g /m2 (each at its own threshold):\n",
           far_limits[OPERATING]);
    for (size_t i = 0; i < a->n_mine_types; i++) {
        const type_row *r = &a->mine_types[i];
        size_t ph, pn;
        type_hits(b, r->label, &ph, &pn);
        snprintf(x, sizeof x, "%zu/%zu", r->hit, r->n);
        snprintf(y, sizeof y, "%zu/%zu", ph, pn);
        fmt_ratio(q, sizeof q, over(ratio(r->hit, r->n), ratio(ph, pn)));
        printf("  %-20s %12s %12s %6s\n", r->label, x, y, q);
    }
}

/* ---- the command --------------------------------------------------------- */

/* The folder name batch gives an input (its base name without the
 * extension) must not be one of evaluate's own files, nor, with --peer,
 * the peer's folder. */
static int check_names(char **inputs, size_t n, const char *peer)
{
    for (size_t i = 0; i < n; i++) {
        char stem[256];
        snprintf(stem, sizeof stem, "%s", base_name(inputs[i]));
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem)
            *dot = '\0';
        if (peer && !strcmp(stem, "peer")) {
            fprintf(stderr, "minescan evaluate: %s: its output folder would "
                    "be named peer, where --peer writes; rename the input\n",
                    inputs[i]);
            return 2;
        }
        for (size_t k = 0; k < N_OWN; k++)
            if (!strcmp(stem, own_outputs[k])) {
                fprintf(stderr, "minescan evaluate: %s: its output folder "
                        "would be named %s, like a file evaluate writes; "
                        "rename the input\n", inputs[i], stem);
                return 2;
            }
    }
    return 0;
}

/* Run the batch; folders from a build that wrote no per-target files are
 * made stale (their summary.json removed) and run again. */
static int run_batch(char **inputs, ev_set *s, const ev_options *o)
{
    ms_batch_totals t;
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        rc = ms_batch_run((const char *const *)inputs, s->n_files, o->outdir,
                          o->batch, &t);
        if (!rc)
            rc = read_batch(o->outdir, s);
        size_t stale = 0;
        for (size_t i = 0; !rc && pass == 0 && i < s->n_files; i++) {
            ev_file *f = &s->files[i];
            if (!strcmp(f->status, "failed") || !needs_rerun(f->output_dir))
                continue;
            char path[4400];
            snprintf(path, sizeof path, "%s/summary.json", f->output_dir);
            if (unlink(path) == 0)
                stale++;
        }
        if (!stale)
            break;
    }
    return rc;
}

/* The inputs through the batch into o->outdir, each run's files read
 * back, the pooling. A file that cannot be pooled is said on stderr. */
static int evaluate_into(char **inputs, size_t n, const ev_options *o,
                         ev_run *r)
{
    ev_set *s = &r->s;
    s->n_files = n;
    s->files = calloc(n, sizeof *s->files);
    int rc = s->files ? 0 : ms_fail(MS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        s->files[i].input = inputs[i];
    if (!rc)
        rc = run_batch(inputs, s, o);
    /* batch printed its own failures; the files that cannot be pooled
     * are said here */
    for (size_t i = 0; !rc && i < n; i++) {
        ev_file *f = &s->files[i];
        if (strcmp(f->status, "failed") != 0) {
            int k = load_file(s, f, o->batch->process.halo_m);
            rc = k < 0 ? k : 0;
            if (k > 0)
                fprintf(stderr, "%s\n", f->reason);
        }
    }
    r->n_failed = 0;
    for (size_t i = 0; s->files && i < n; i++)
        r->n_failed += !s->files[i].pooled;
    if (!rc && r->n_failed < n)
        rc = pool(s, &r->p);
    return rc;
}

static void ev_run_free(ev_run *r)
{
    pooled_free(&r->p);
    ev_set_free(&r->s);
}

int ms_cmd_evaluate(int argc, char **argv)
{
    static const struct option longopts[] = {
        MS_CLI_BATCH_LONGOPTS,
        {"progress", no_argument, 0, 'P'},
        {"quiet", no_argument, 0, 'q'},
        {"peer", required_argument, 0, 'E'},
        {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    ms_batch_options opt = ms_cli_batch_defaults(ms_cli_default_jobs());
    opt.quiet = 1;
    const char *outdir = NULL, *peer_recipe = NULL;
    int quiet = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
        int rc = ms_cli_batch_common_option("evaluate", c, optarg, &opt);
        if (rc >= 0) {
            if (rc)
                return rc;
            continue;
        }
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'P': opt.quiet = 0; break;
        case 'q': quiet = 1; break;
        case 'E': peer_recipe = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc || !outdir || !*outdir) {
        fprintf(stderr, "minescan evaluate: need input files and -o OUTDIR "
                        "(minescan evaluate --help)\n");
        return 2;
    }
    if (ms_cli_batch_ready("evaluate", &opt) ||
        check_names(argv + optind, (size_t)(argc - optind), peer_recipe))
        return 2;

    ev_options o = {outdir, &opt};
    /* the peer: the same run with its own recipe and no --set, into
     * OUTDIR/peer; its recipe checked before anything runs */
    ms_batch_options peer_opt = opt;
    char peer_dir[4200] = "";
    if (peer_recipe) {
        peer_opt.process.recipe = peer_recipe;
        peer_opt.process.n_overrides = 0;
        ms_recipe recipe = {0}; /* freed below even when loading failed */
        int rc = ms_recipe_load(peer_recipe, &recipe);
        if (!rc)
            rc = ms_recipe_validate(&recipe);
        ms_recipe_free(&recipe);
        if (rc) {
            fprintf(stderr, "minescan evaluate: --peer: %s\n",
                    ms_error_message());
            return 2;
        }
        snprintf(peer_dir, sizeof peer_dir, "%s/peer", outdir);
    }
    ev_options po = {peer_dir, &peer_opt};
    ev_run self = {0}, other = {0};
    ev_peer peer = {peer_recipe, peer_dir, &other};
    char **inputs = argv + optind;
    size_t n = (size_t)(argc - optind);
    int rc = evaluate_into(inputs, n, &o, &self);
    if (!rc && peer_recipe)
        rc = evaluate_into(inputs, n, &po, &other);
    if (!rc && peer_recipe)
        rc = write_outputs(&po, &other, NULL);
    if (!rc)
        rc = write_outputs(&o, &self, peer_recipe ? &peer : NULL);
    if (rc) {
        fprintf(stderr, "minescan evaluate: %s\n", ms_error_message());
        ev_run_free(&self);
        ev_run_free(&other);
        return ms_exit_code(rc);
    }
    if (!quiet) {
        print_table(&self.s, &self.p, opt.process.halo_m);
        if (peer_recipe)
            print_peer(&self, &peer);
        printf("%s/evaluate.json, evaluate.csv%s\n", outdir,
               self.p.n_files ? ", roc.csv, roc.png, scores.png" : "");
    }
    if (!self.p.n_files)
        fprintf(stderr, "minescan evaluate: no input could be pooled\n");
    if (peer_recipe && !other.p.n_files)
        fprintf(stderr, "minescan evaluate: no input could be pooled with "
                        "the peer %s\n", peer_recipe);
    int failed = self.n_failed || other.n_failed;
    ev_run_free(&self);
    ev_run_free(&other);
    return failed ? 1 : 0;
}
