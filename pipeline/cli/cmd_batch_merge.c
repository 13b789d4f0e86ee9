/* minescan batch-merge SHARD_OUTDIR... -o OUT: one batch.csv and
 * batch.json from the output folders of a batch's shards (--shard I/N),
 * rows in the order one unsharded batch over the same sorted inputs
 * gives. The shards' output folders stay where they are; the rows point
 * at them. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "minescan/error.h"
#include "runner/batch.h"
#include "runner/batch_lock.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: minescan batch-merge SHARD_OUTDIR... -o OUTDIR\n\n"
            "Joins the batch.csv/batch.json of the output folders of "
            "`minescan batch --shard\nI/N` runs into OUTDIR/batch.csv and "
            "OUTDIR/batch.json, rows in the order of one\nunsharded batch "
            "over the sorted inputs. Every shard 1..N must be given once.\n"
            "Output folders of plain (unsharded) batches are joined in the "
            "order given.\n\n"
            "Options:\n"
            "  -o, --output DIR          where the joined reports go\n"
            "  -h, --help                this text\n\n"
            "Exit status: 0 every input ok or skipped, 1 some failed, 2 "
            "missing, repeated or\nunreadable shards, 3 OUTDIR cannot be "
            "written.\n");
}

typedef struct shard {
    const char *dir;
    json_t *root, *rows;
    long index, count, all; /* 0: not a shard */
} shard;

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *text(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* One row of batch.json into an ms_batch_row (strings borrowed). */
static void to_row(json_t *j, ms_batch_row *r)
{
    memset(r, 0, sizeof *r);
    r->input = text(j, "input");
    snprintf(r->output_dir, sizeof r->output_dir, "%s", text(j, "output_dir"));
    const char *st = text(j, "status");
    r->status = !strcmp(st, "ok") ? "ok" : !strcmp(st, "skipped") ? "skipped"
                                                                 : "failed";
    snprintf(r->reason, sizeof r->reason, "%s", text(j, "reason"));
    r->seconds = num(j, "seconds");
    double n = num(j, "n_alarms");
    r->n_alarms = isnan(n) ? -1 : (long long)n;
    r->pd = num(j, "pd");
    r->far = num(j, "far_per_m2");
}

static int load(shard *s)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/batch.json", s->dir);
    json_error_t err;
    s->root = json_load_file(path, 0, &err);
    if (!s->root) {
        fprintf(stderr, "%s: cannot read: %s (line %d)\n", path, err.text,
                err.line);
        return 2;
    }
    s->rows = json_object_get(s->root, "rows");
    if (!json_is_array(s->rows)) {
        fprintf(stderr, "%s: no \"rows\" array; not a minescan batch.json\n",
                path);
        return 2;
    }
    json_t *sh = json_object_get(s->root, "shard");
    if (sh) {
        /* checked before conversion: a missing field is NaN, and a count
         * or index out of range would index past the merged rows */
        double index = num(sh, "index"), count = num(sh, "count"),
               all = num(sh, "inputs_all_shards");
        if (!(count >= 1 && count <= 1e6 && count == floor(count)) ||
            !(index >= 1 && index <= count && index == floor(index)) ||
            !(all >= 0 && all <= 1e9 && all == floor(all))) {
            fprintf(stderr, "%s: shard: index %g, count %g and "
                    "inputs_all_shards %g must be whole numbers with 1 <= "
                    "index <= count; not a minescan batch.json\n", path,
                    index, count, all);
            return 2;
        }
        s->index = (long)index;
        s->count = (long)count;
        s->all = (long)all;
    }
    return 0;
}

/* Shards complete and consistent: every index 1..N once, N the same. */
static int check_shards(shard *s, size_t n)
{
    long count = s[0].count;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].count != count || s[i].all != s[0].all) {
            fprintf(stderr, "minescan batch-merge: %s and %s come from "
                    "different batches (shard count or input count "
                    "differ)\n", s[0].dir, s[i].dir);
            return 2;
        }
        for (size_t k = 0; k < i; k++)
            if (s[k].index == s[i].index) {
                fprintf(stderr, "minescan batch-merge: %s and %s are both "
                        "shard %ld/%ld\n", s[k].dir, s[i].dir, s[i].index,
                        count);
                return 2;
            }
        total += json_array_size(s[i].rows);
    }
    if ((long)n != count) {
        fprintf(stderr, "minescan batch-merge: %zu shard folders given, the "
                "batch has %ld; missing:", n, count);
        for (long idx = 1; idx <= count; idx++) {
            int have = 0;
            for (size_t i = 0; i < n; i++)
                have |= s[i].index == idx;
            if (!have)
                fprintf(stderr, " %ld/%ld", idx, count);
        }
        fprintf(stderr, "\n");
        return 2;
    }
    if ((long)total != s[0].all) {
        fprintf(stderr, "minescan batch-merge: the shards hold %zu rows, the "
                "batch had %ld inputs\n", total, s[0].all);
        return 2;
    }
    return 0;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ms_cmd_batch_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *outdir = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc || !outdir || !*outdir) {
        fprintf(stderr, "minescan batch-merge: need shard output folders and "
                        "-o OUTDIR (minescan batch-merge --help)\n");
        return 2;
    }
    size_t n = (size_t)(argc - optind);
    shard *s = calloc(n, sizeof *s);
    if (!s)
        return 3;
    int rc = 0;
    size_t sharded = 0, total = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        s[i].dir = argv[optind + i];
        rc = load(&s[i]);
        sharded += s[i].count > 0;
        if (!rc)
            total += json_array_size(s[i].rows);
    }
    if (!rc && sharded && sharded != n) {
        fprintf(stderr, "minescan batch-merge: some folders are shards of a "
                        "batch and some are not\n");
        rc = 2;
    }
    if (!rc && sharded)
        rc = check_shards(s, n);
    ms_batch_row *rows = rc ? NULL : calloc(total ? total : 1, sizeof *rows);
    if (!rc && !rows)
        rc = 3;
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t k = 0; k < json_array_size(s[i].rows); k++) {
            /* Shard I's row k was input I-1+k*N of the sorted list. */
            size_t at = 0;
            if (sharded)
                at = (size_t)(s[i].index - 1) + k * (size_t)s[i].count;
            else
                for (size_t j = 0; j < i; j++)
                    at += json_array_size(s[j].rows);
            if (!sharded)
                at += k;
            if (at >= total || rows[at].input) {
                fprintf(stderr, "minescan batch-merge: %s: row %zu does not "
                        "fit the shard layout\n", s[i].dir, k + 1);
                rc = 2;
                break;
            }
            to_row(json_array_get(s[i].rows, k), &rows[at]);
        }
    /* The same input twice was processed twice: refuse. */
    const char **names = rc ? NULL : calloc(total ? total : 1, sizeof *names);
    if (!rc && !names)
        rc = 3;
    for (size_t i = 0; !rc && i < total; i++)
        names[i] = rows[i].input;
    if (!rc && total)
        qsort(names, total, sizeof *names, by_text);
    for (size_t i = 1; !rc && i < total; i++)
        if (!strcmp(names[i], names[i - 1])) {
            fprintf(stderr, "minescan batch-merge: %s appears in more than "
                    "one folder\n", names[i]);
            rc = 2;
        }
    free(names);
    int lock = -1;
    if (!rc && ms_batch_lock(outdir, &lock)) {
        fprintf(stderr, "minescan batch-merge: %s\n", ms_error_message());
        rc = 2;
    }
    size_t failed = 0;
    if (!rc) {
        json_t *extra = json_pack("{s:I}", "merged_from", (json_int_t)n);
        if (ms_batch_write_reports(outdir, rows, total, extra)) {
            fprintf(stderr, "minescan batch-merge: %s\n", ms_error_message());
            rc = 3;
        }
        for (size_t i = 0; i < total; i++)
            failed += !strcmp(rows[i].status, "failed");
        if (!rc)
            printf("%zu rows from %zu folders, %zu failed; %s/batch.csv\n",
                   total, n, failed, outdir);
    }
    ms_batch_unlock(lock);
    free(rows);
    for (size_t i = 0; i < n; i++)
        json_decref(s[i].root);
    free(s);
    return rc ? rc : failed ? 1 : 0;
}
