/* minescan-mpi INPUTS... -o OUTDIR [batch options]: `minescan batch` as an
 * MPI task farm, for a cluster without a scheduler's job arrays (or one
 * job over many nodes). Rank 0 expands the inputs, locks OUTDIR, hands
 * out one input at a time to the other ranks and writes batch.csv and
 * batch.json; every other rank processes what it is given with the batch
 * engine (ms_batch_process: a worker process per input, so a file that
 * crashes libhdf5 fails alone) and sends the row back. One rank alone
 * runs the whole batch itself. Built with -DMINESCAN_MPI=ON. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "minescan/error.h"
#include "runner/batch.h"
#include "runner/batch_inputs.h"
#include "runner/batch_lock.h"
#include "runner/batch_progress.h"

enum { TAG_READY = 1, TAG_ROW = 2, TAG_TASK = 3 };

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: mpirun -n K minescan-mpi INPUT... -o OUTDIR [options]\n\n"
            "minescan batch as an MPI task farm: rank 0 hands out the inputs "
            "(files,\nfolders, @LIST files) one at a time, the other ranks "
            "process them; rank 0\nwrites OUTDIR/batch.csv and batch.json. "
            "Options as minescan batch:\n"
            "  -o, --output DIR, --force, --timeout S, --quiet, --verbose,\n"
            "  --max-memory-mb M, and:\n");
    ms_cli_print_process_help(f);
}

/* Options, the same on every rank (the same argv). 0, or an exit code. */
static int parse(int argc, char **argv, ms_batch_options *opt,
                 const char **outdir)
{
    static const struct option longopts[] = {
        MS_CLI_BATCH_LONGOPTS,
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"max-memory-mb", required_argument, 0, 'M'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    *opt = ms_cli_batch_defaults(1); /* one input at a time per rank */
    optind = 1;
    int c;
    double v;
    while ((c = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
        int rc = ms_cli_batch_common_option("mpi", c, optarg, opt);
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        switch (c) {
        case 'o': *outdir = optarg; break;
        case 'q': opt->quiet = 1; break;
        case 'v': opt->verbose = 1; break;
        case 'M':
            if (ms_cli_positive("mpi", "--max-memory-mb", optarg, &v))
                return 2;
            opt->max_memory_mb = (long)v;
            break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc || !*outdir || !**outdir) {
        fprintf(stderr, "minescan-mpi: need inputs and -o OUTDIR\n");
        return 2;
    }
    return ms_cli_batch_ready("mpi", opt);
}

/* The row for input i as JSON text (malloc'ed). */
static char *row_text(size_t i, const ms_batch_row *r)
{
    json_t *j = json_pack(
        "{s:I, s:s, s:s, s:f, s:o, s:o, s:o}", "i", (json_int_t)i, "status",
        r->status, "reason", r->reason, "seconds", r->seconds, "n_alarms",
        r->n_alarms < 0 ? json_null() : json_integer(r->n_alarms), "pd",
        isnan(r->pd) ? json_null() : json_real(r->pd), "far",
        isnan(r->far) ? json_null() : json_real(r->far));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Fill rows[i] from a worker's JSON text; returns i, or -1. */
static long row_from_text(const char *text, ms_batch_row *rows, size_t n)
{
    json_t *j = json_loads(text, 0, NULL);
    json_int_t i = json_integer_value(json_object_get(j, "i"));
    if (!j || i < 0 || (size_t)i >= n) {
        json_decref(j);
        return -1;
    }
    ms_batch_row *r = &rows[i];
    const char *st = json_string_value(json_object_get(j, "status"));
    r->status = st && !strcmp(st, "ok")        ? "ok"
                : st && !strcmp(st, "skipped") ? "skipped"
                                               : "failed";
    const char *reason = json_string_value(json_object_get(j, "reason"));
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
    r->seconds = num(j, "seconds");
    double a = num(j, "n_alarms");
    r->n_alarms = isnan(a) ? -1 : (long long)a;
    r->pd = num(j, "pd");
    r->far = num(j, "far");
    json_decref(j);
    return (long)i;
}

/* Rank 0: the list (path\0name\0 ...) for everyone, and the lock. */
static int master_prepare(int argc, char **argv, const char *outdir,
                          ms_input_list *in, char (**names)[256], int *lock)
{
    if (ms_inputs_expand((const char *const *)argv + optind,
                         (size_t)(argc - optind), in)) {
        fprintf(stderr, "minescan-mpi: %s\n", ms_error_message());
        return 2;
    }
    if (!in->n) {
        fprintf(stderr, "minescan-mpi: no recordings found in the inputs\n");
        return 2;
    }
    *names = calloc(in->n, sizeof **names);
    if (!*names || ms_inputs_output_names((const char *const *)in->paths,
                                          in->n, *names)) {
        fprintf(stderr, "minescan-mpi: %s\n", ms_error_message());
        return 3;
    }
    if (ms_batch_lock(outdir, lock)) {
        fprintf(stderr, "minescan-mpi: %s\n", ms_error_message());
        return 2;
    }
    return 0;
}

static int master(size_t n, const char *const *paths, const char *const *names,
                  const char *outdir, const ms_batch_options *opt, int size)
{
    ms_batch_row *rows = calloc(n, sizeof *rows);
    if (!rows)
        return 3;
    int stopped = 0;
    if (size == 1) { /* no one to hand out to: the batch itself */
        if (ms_batch_process(paths, names, n, outdir, opt, rows, &stopped)) {
            fprintf(stderr, "minescan-mpi: %s\n", ms_error_message());
            free(rows);
            return 3;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            rows[i].input = paths[i];
            snprintf(rows[i].output_dir, sizeof rows[i].output_dir, "%s/%s",
                     outdir, names[i]);
            rows[i].n_alarms = -1;
            rows[i].pd = rows[i].far = NAN;
        }
        ms_batch_progress pr;
        ms_progress_init(&pr, n, opt->quiet, opt->verbose);
        size_t next = 0, done = 0;
        int finished_workers = 0;
        while (finished_workers < size - 1) {
            MPI_Status st;
            MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            int len = 0;
            MPI_Get_count(&st, MPI_CHAR, &len);
            char *buf = malloc((size_t)len + 1);
            MPI_Recv(buf, len, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            buf[len] = '\0';
            if (st.MPI_TAG == TAG_ROW) {
                long i = row_from_text(buf, rows, n);
                if (i >= 0) {
                    done++;
                    ms_progress_row(&pr, rows[i].status, rows[i].input,
                                    rows[i].reason, rows[i].seconds);
                }
            }
            free(buf);
            long task = next < n ? (long)next++ : -1;
            if (task < 0)
                finished_workers++;
            MPI_Send(&task, 1, MPI_LONG, st.MPI_SOURCE, TAG_TASK,
                     MPI_COMM_WORLD);
        }
        ms_progress_end(&pr);
        for (size_t i = 0; i < n; i++)
            if (!rows[i].status) {
                rows[i].status = "failed";
                snprintf(rows[i].reason, sizeof rows[i].reason,
                         "%s: no MPI rank returned a result for it",
                         paths[i]);
            }
        (void)done;
    }
    size_t failed = 0, ok = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        failed += !strcmp(rows[i].status, "failed");
        skipped += !strcmp(rows[i].status, "skipped");
        ok += !strcmp(rows[i].status, "ok");
    }
    json_t *extra = json_pack("{s:I}", "mpi_ranks", (json_int_t)size);
    int rc = ms_batch_write_reports(outdir, rows, n, extra);
    free(rows);
    if (rc) {
        fprintf(stderr, "minescan-mpi: %s\n", ms_error_message());
        return 3;
    }
    if (!opt->quiet)
        printf("%zu ok, %zu skipped, %zu failed; %s/batch.csv (%d MPI "
               "ranks)\n", ok, skipped, failed, outdir, size);
    return stopped ? 3 : failed ? 1 : 0;
}

static void worker(size_t n, const char *const *paths,
                   const char *const *names, const char *outdir,
                   const ms_batch_options *opt)
{
    ms_batch_options o = *opt;
    o.quiet = 1; /* rank 0 prints */
    o.verbose = 0;
    MPI_Send("", 0, MPI_CHAR, 0, TAG_READY, MPI_COMM_WORLD);
    for (;;) {
        long task = -1;
        MPI_Recv(&task, 1, MPI_LONG, 0, TAG_TASK, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (task < 0 || (size_t)task >= n)
            return;
        ms_batch_row row;
        int stopped = 0;
        char *text = NULL;
        if (ms_batch_process(paths + task, names + task, 1, outdir, &o, &row,
                             &stopped) == 0)
            text = row_text((size_t)task, &row);
        else {
            ms_batch_row bad = {.status = "failed", .n_alarms = -1,
                                .pd = NAN, .far = NAN};
            snprintf(bad.reason, sizeof bad.reason, "%s: %s", paths[task],
                     ms_error_message());
            text = row_text((size_t)task, &bad);
        }
        MPI_Send(text ? text : "", text ? (int)strlen(text) : 0, MPI_CHAR, 0,
                 TAG_ROW, MPI_COMM_WORLD);
        free(text);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    ms_batch_options opt;
    const char *outdir = NULL;
    /* Only rank 0 speaks about the options; all parse them. */
    if (rank)
        (void)!freopen("/dev/null", "w", stderr);
    int code = parse(argc, argv, &opt, &outdir);
    ms_input_list in = {0};
    char (*names)[256] = NULL;
    int lock = -1;
    if (!code && rank == 0)
        code = master_prepare(argc, argv, outdir, &in, &names, &lock);
    /* The list from rank 0: its length (negative: stop with that code),
     * then path\0name\0 per input. */
    long long head[2] = {code ? -(long long)(code < 0 ? 100 : code) : 0, 0};
    char *blob = NULL;
    if (rank == 0 && !code) {
        size_t len = 0;
        for (size_t i = 0; i < in.n; i++)
            len += strlen(in.paths[i]) + strlen(names[i]) + 2;
        blob = malloc(len ? len : 1);
        char *p = blob;
        for (size_t i = 0; i < in.n; i++) {
            p = stpcpy(p, in.paths[i]) + 1;
            p = stpcpy(p, names[i]) + 1;
        }
        head[0] = (long long)in.n;
        head[1] = (long long)len;
    }
    MPI_Bcast(head, 2, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (head[0] < 0) {
        MPI_Finalize();
        return head[0] == -100 ? 0 : (int)-head[0];
    }
    size_t n = (size_t)head[0];
    if (rank)
        blob = malloc(head[1] ? (size_t)head[1] : 1);
    MPI_Bcast(blob, (int)head[1], MPI_CHAR, 0, MPI_COMM_WORLD);
    const char **paths = calloc(n ? n : 1, sizeof *paths);
    const char **nm = calloc(n ? n : 1, sizeof *nm);
    char *p = blob;
    for (size_t i = 0; i < n; i++) {
        paths[i] = p;
        p += strlen(p) + 1;
        nm[i] = p;
        p += strlen(p) + 1;
    }
    if (rank == 0)
        code = master(n, paths, nm, outdir, &opt, size);
    else
        worker(n, paths, nm, outdir, &opt);
    free(paths);
    free(nm);
    free(blob);
    free(names);
    ms_inputs_free(&in);
    ms_batch_unlock(lock);
    MPI_Finalize();
    return code;
}
