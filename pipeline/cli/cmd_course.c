/* minescan course INPUTS... -o OUT: a training course's page from
 * recordings (processed by the batch engine into OUT/lanes/) and from
 * folders already processed (read as they are). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "minescan/error.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/files.h"
#include "report/course.h"
#include "runner/batch.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: minescan course INPUT... -o OUTDIR [--lang en|uk|km] "
            "[options]\n\n"
            "A page per training course: each trainee's lanes (the "
            "recording's operator_id,\nor \"unknown\") in date order with "
            "the mines they found with their marks, missed,\nfalse marks per "
            "m2, the mines the pipeline found, coverage and time over the\n"
            "speed limit, linked to each lane's page. INPUT is a recording "
            "(processed like\nminescan batch into OUTDIR/lanes/<name>/, "
            "skipped when current), a run output\nfolder (with summary.json) "
            "or a batch output folder (with batch.json); folders\nare read "
            "as they are, nothing in them is recomputed. Writes "
            "OUTDIR/course.csv,\ncourse.json and course.html (its labels, and "
            "the lane pages made here, in\nthe language of --lang).\n\nOptions:\n"
            "  -o, --output DIR          output folder (created if needed)\n"
            "  --force                   reprocess recordings that are "
            "current\n"
            "  --timeout S               give up on a recording that shows no "
            "progress for S s\n"
            "  --quiet                   no progress lines\n"
            "  -j, --jobs N              process N recordings at once "
            "(default %d)\n",
            ms_cli_default_jobs());
    ms_cli_print_process_help(f);
    fprintf(f, "  -h, --help                this text\n\nExit status: 0 every "
               "input in the course, 1 some inputs failed (the rest\nare in "
               "it), 2 usage or an input that is no recording or output "
               "folder, 3 the\noutput folder cannot be written.\n");
}

static int has_file(const char *dir, const char *name)
{
    char path[4400];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The rows of DIR/batch.json into the course: ok and skipped ones; a
 * failed one is reported. Returns 0, 1 when a row failed, or <0. */
static int add_batch(ms_course *c, const char *dir, const char *course_dir)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/batch.json", dir);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    json_t *rows = json_object_get(root, "rows");
    if (!json_is_array(rows)) {
        json_decref(root);
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: %s", path,
                       root ? "no \"rows\" list" : err.text);
    }
    int failed = 0, rc = 0;
    for (size_t i = 0; !rc && i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        const char *st = json_string_value(json_object_get(r, "status"));
        const char *in = json_string_value(json_object_get(r, "input"));
        const char *out = json_string_value(json_object_get(r, "output_dir"));
        const char *why = json_string_value(json_object_get(r, "reason"));
        if (!st || !out || (strcmp(st, "ok") && strcmp(st, "skipped"))) {
            fprintf(stderr, "minescan course: %s: %s\n", in ? in : path,
                    why && *why ? why : "failed");
            failed = 1;
            continue;
        }
        rc = ms_course_add_folder(c, out, course_dir);
        if (rc == MS_ERR_INVALID_INPUT) {
            fprintf(stderr, "minescan course: %s\n", ms_error_message());
            failed = 1;
            rc = 0;
        }
    }
    json_decref(root);
    return rc ? rc : failed;
}

int ms_cmd_course(int argc, char **argv)
{
    static const struct option longopts[] = {
        MS_CLI_BATCH_LONGOPTS,
        {"quiet", no_argument, 0, 'q'},
        {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    ms_batch_options opt = ms_cli_batch_defaults(ms_cli_default_jobs());
    const char *outdir = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
        int rc = ms_cli_batch_common_option("course", c, optarg, &opt);
        if (rc >= 0) {
            if (rc)
                return rc;
            continue;
        }
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'q': opt.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc || !outdir || !*outdir) {
        fprintf(stderr, "minescan course: need inputs and -o OUTDIR "
                        "(minescan course --help)\n");
        return 2;
    }
    if (ms_cli_batch_ready("course", &opt))
        return 2;

    /* Sort the inputs before anything is written: a typo is a usage
     * error, not a half-made course. */
    size_t n_in = (size_t)(argc - optind), n_rec = 0;
    const char **recs = malloc((n_in ? n_in : 1) * sizeof *recs);
    if (!recs) {
        fprintf(stderr, "minescan course: out of memory\n");
        return 3;
    }
    for (size_t i = 0; i < n_in; i++) {
        const char *in = argv[optind + (int)i];
        struct stat st;
        if (stat(in, &st) != 0) {
            fprintf(stderr, "minescan course: %s: no such file or folder\n",
                    in);
            free(recs);
            return 2;
        }
        if (S_ISDIR(st.st_mode) && !has_file(in, "summary.json") &&
            !has_file(in, "batch.json")) {
            fprintf(stderr, "minescan course: %s: neither a run output folder "
                    "(summary.json) nor a batch output folder (batch.json)\n",
                    in);
            free(recs);
            return 2;
        }
        if (!S_ISDIR(st.st_mode))
            recs[n_rec++] = in;
    }
    int rc = ms_make_dirs(outdir), failed = 0;
    ms_course course = {0};
    char lanes[4200];
    snprintf(lanes, sizeof lanes, "%s/lanes", outdir);
    if (!rc && n_rec) {
        ms_batch_totals t;
        rc = ms_batch_run(recs, n_rec, lanes, &opt, &t);
        if (!rc) {
            rc = add_batch(&course, lanes, outdir);
            failed |= rc == 1;
            rc = rc == 1 ? 0 : rc;
        }
    }
    for (size_t i = 0; !rc && i < n_in; i++) {
        const char *in = argv[optind + (int)i];
        struct stat st;
        if (stat(in, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (has_file(in, "summary.json")) {
            rc = ms_course_add_folder(&course, in, outdir);
        } else {
            rc = add_batch(&course, in, outdir);
            failed |= rc == 1;
            rc = rc == 1 ? 0 : rc;
        }
        if (rc == MS_ERR_INVALID_INPUT) { /* one unreadable folder */
            fprintf(stderr, "minescan course: %s\n", ms_error_message());
            failed = 1;
            rc = 0;
        }
    }
    free(recs);
    char path[4300];
    ms_course_sort(&course);
    if (!rc) {
        snprintf(path, sizeof path, "%s/course.csv", outdir);
        rc = ms_course_write_csv(path, &course);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/course.json", outdir);
        rc = ms_course_write_json(path, &course);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/course.html", outdir);
        rc = ms_course_write_html(path, &course);
    }
    size_t n_lanes = course.n;
    ms_course_free(&course);
    if (rc) {
        fprintf(stderr, "minescan course: %s\n", ms_error_message());
        return ms_exit_code(rc);
    }
    if (!opt.quiet)
        printf("%zu lanes; %s/course.html\n", n_lanes, outdir);
    return failed ? 1 : 0;
}
