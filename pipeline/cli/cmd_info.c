/* minescan info FILE [--json]: validate a recording and say what is in it.
 * Validation runs in a child process (ms_recording_validate_isolated), so
 * a file that crashes libhdf5 is reported as corrupt rather than crashing
 * this command. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "minescan/recording.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: minescan info FILE [--json] [--dx M]\n"
            "\n"
            "Check that FILE is a valid minescan recording and describe it:\n"
            "sensors, traces and samples, sample interval and time window,\n"
            "position extent, lane area, truth objects, marks, missing\n"
            "samples and dropped traces. A radar file that minescan import\n"
            "reads (DZT, DT1/HD, MALA, SEG-Y) is converted in memory: info\n"
            "says which format it read and what it assumed.\n"
            "\n"
            "options:\n"
            "  --json      print one JSON object with the same facts and a\n"
            "              \"problems\" array (empty for a valid file)\n"
            "  --dx M      trace spacing in metres for a radar file recorded\n"
            "              in time mode (DZT rhf_spm 0, MALA DISTANCE\n"
            "              INTERVAL 0)\n"
            "  -h, --help  show this help\n"
            "\n"
            "exit status: 0 valid; 2 invalid file (one line per problem on\n"
            "stderr, each starting with the file) or bad usage; 3 internal\n"
            "error.\n");
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void print_rect(const char *label, json_t *r)
{
    if (!json_is_object(r))
        return;
    printf("  %-16s x %.3f .. %.3f m, y %.3f .. %.3f m\n", label,
           num(r, "x_min"), num(r, "x_max"), num(r, "y_min"),
           num(r, "y_max"));
}

static void print_human(json_t *o)
{
    if (str(o, "source_format"))
        printf("%s: %s, converted on the fly (minescan import writes it "
               "as a recording; what was assumed is below)\n",
               str(o, "file"), str(o, "source_format"));
    else
        printf("%s: minescan recording, format version %d\n", str(o, "file"),
               (int)num(o, "format_version"));
    static const char *const texts[] = {"title",       "site",
                                        "lane_id",     "operator_id",
                                        "instrument",  "recorded_at"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (str(o, texts[i]))
            printf("  %-16s %s\n", texts[i], str(o, texts[i]));

    json_t *g = json_object_get(o, "gpr");
    json_t *e = json_object_get(o, "emi");
    printf("  %-16s %s%s%s\n", "sensors", json_is_object(g) ? "gpr" : "",
           json_is_object(g) && json_is_object(e) ? ", " : "",
           json_is_object(e) ? "emi" : "");
    if (json_is_object(g)) {
        printf("  gpr              %.0f traces x %.0f samples\n",
               num(g, "n_traces"), num(g, "n_samples"));
        printf("  %-16s %.6g s (%.6g ns)\n", "sample interval",
               num(g, "sample_interval_s"), num(g, "sample_interval_s") * 1e9);
        printf("  %-16s %.6g s (%.6g ns), time zero %.6g ns\n",
               "time window", num(g, "time_window_s"),
               num(g, "time_window_s") * 1e9, num(g, "time_zero_s") * 1e9);
        if (num(g, "centre_frequency_hz") > 0)
            printf("  %-16s %.6g MHz\n", "centre freq",
                   num(g, "centre_frequency_hz") / 1e6);
        if (str(g, "units"))
            printf("  %-16s %s\n", "gpr units", str(g, "units"));
        printf("  %-16s %.0f missing samples, %.0f dropped traces\n",
               "gpr gaps", num(g, "n_missing_samples"),
               num(g, "n_dropped_traces"));
    }
    if (json_is_object(e)) {
        printf("  emi              %.0f readings x %.0f channels",
               num(e, "n_readings"), num(e, "n_channels"));
        json_t *names = json_object_get(e, "channel_names");
        if (json_array_size(names)) {
            size_t i;
            json_t *n;
            printf(" (");
            json_array_foreach(names, i, n)
                printf("%s%s", i ? ", " : "", json_string_value(n));
            printf(")");
        }
        printf("\n");
        if (str(e, "units"))
            printf("  %-16s %s\n", "emi units", str(e, "units"));
        printf("  %-16s %.0f missing values, %.0f dropped readings\n",
               "emi gaps", num(e, "n_missing_samples"),
               num(e, "n_dropped_readings"));
    }
    print_rect("positions", json_object_get(o, "extent"));
    json_t *lane = json_object_get(o, "lane");
    if (json_is_object(lane)) {
        print_rect("lane", lane);
        printf("  %-16s %.3f m^2 (%s)\n", "lane area", num(o, "lane_area_m2"),
               strcmp(str(lane, "source") ? str(lane, "source") : "",
                      "/lane") == 0
                   ? "from /lane"
                   : "bounding box of the positions");
    }
    json_t *t = json_object_get(o, "truth");
    if (json_is_object(t))
        printf("  %-16s %.0f objects: %.0f mines, %.0f clutter\n", "truth",
               num(t, "n_objects"), num(t, "n_mines"), num(t, "n_clutter"));
    else
        printf("  %-16s none\n", "truth");
    json_t *m = json_object_get(o, "marks");
    if (json_is_object(m))
        printf("  %-16s %.0f\n", "marks", num(m, "n_marks"));
    else
        printf("  %-16s none\n", "marks");
    printf("  %-16s %.0f missing samples, %.0f dropped traces/readings\n",
           "total gaps", num(o, "n_missing_samples"),
           num(o, "n_dropped_traces"));
}

int ms_cmd_info(int argc, char **argv)
{
    const char *file = NULL;
    int as_json = 0, options_done = 0;
    double dx = 0; /* --dx: for a radar field file recorded in time mode */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
        } else if (!options_done && strcmp(a, "--json") == 0) {
            as_json = 1;
        } else if (!options_done && strcmp(a, "--dx") == 0) {
            char *end = NULL;
            dx = i + 1 < argc ? strtod(argv[i + 1], &end) : 0;
            if (i + 1 >= argc || end == argv[i + 1] || *end || !(dx > 0) ||
                dx > 1e9) {
                fprintf(stderr, "minescan info: --dx %s: expected a positive "
                                "number (metres)\n",
                        i + 1 < argc ? argv[i + 1] : "(missing)");
                return 2;
            }
            i++;
        } else if (!options_done &&
                   (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            usage(stdout);
            return 0;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr,
                    "minescan info: unknown option %s (see minescan info "
                    "--help)\n",
                    a);
            return 2;
        } else if (file) {
            fprintf(stderr,
                    "minescan info: one FILE at a time (got %s and %s)\n",
                    file, a);
            return 2;
        } else {
            file = a;
        }
    }
    if (!file) {
        fprintf(stderr, "minescan info: no FILE given (see minescan info "
                        "--help)\n");
        return 2;
    }

    ms_diag diag;
    char *text = NULL;
    ms_diag_init(&diag);
    int rc = ms_recording_validate_isolated_dx(file, dx, &diag, &text);
    json_t *root = text ? json_loads(text, 0, NULL) : NULL;
    if (!root) {
        /* Could not even start the check (fork, memory). */
        fprintf(stderr, "%s: %s\n", file,
                ms_error_message()[0] ? ms_error_message()
                                      : ms_strerror(rc ? rc : MS_ERR_INTERNAL));
        free(text);
        ms_diag_free(&diag);
        return ms_exit_code(rc ? rc : MS_ERR_INTERNAL);
    }
    if (as_json) {
        char *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (out)
            printf("%s\n", out);
        free(out);
    } else if (rc == 0) {
        print_human(root);
    }
    fflush(stdout);
    /* Problems (or, for a valid file, warnings): one line each. */
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "%s\n", diag.lines[i]);
    json_decref(root);
    free(text);
    ms_diag_free(&diag);
    return ms_exit_code(rc);
}
