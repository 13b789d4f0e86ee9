/* minescan import-gprmax FILE.out -o FILE.h5 [--dx M] [--component Ez]
 * [--centre-frequency MHZ]: turn a gprMax B-scan into a recording. The
 * import runs in a child process, like `info`, because the input is
 * outside HDF5.
 *
 * gprMax output files do not say what the source waveform was (it is in
 * the input file's #waveform line), and their time zero is where the
 * source waveform starts. With --centre-frequency the recording gets that
 * centre frequency and its time zero at the peak of a gprMax Ricker of it,
 * sqrt(2)/f after the start (3.54 ns at 400 MHz), so that ground_align's
 * search window, which counts from time zero, finds the bounce; the
 * instrument attribute says so. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/import_truth.h"
#include "core/files.h"
#include "minescan/error.h"
#include "minescan/recording.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: minescan import-gprmax FILE.out -o FILE.h5 [--dx M] "
            "[--component Ez]\n"
            "       [--centre-frequency MHZ] [--truth FILE.json]\n"
            "\n"
            "Convert a gprMax output file (v3 .out or v4 .h5; a merged "
            "B-scan\n"
            "or a single A-scan) into a minescan recording with one GPR "
            "line\n"
            "along x (y = 0) and a /lane around it.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE  the recording to write (required)\n"
            "  --dx M             trace spacing in metres; required when "
            "the file\n"
            "                     has no rxsteps and cell size (merged "
            "B-scans)\n"
            "  --component NAME   receiver output to import: Ex Ey Ez Hx Hy "
            "Hz\n"
            "                     (default Ez)\n"
            "  --centre-frequency MHZ\n"
            "                     centre frequency of the model's source "
            "(its\n"
            "                     #waveform line; the output file does not "
            "say):\n"
            "                     recorded, and time zero is put at the "
            "peak of a\n"
            "                     gprMax Ricker of it, sqrt(2)/f after the "
            "start\n"
            "  --truth FILE.json  the model's objects, which the output file "
            "does not\n"
            "                     hold, as /truth (and optionally /lane): "
            "{\"objects\":\n"
            "                     [{\"x\": M, \"y\": M, \"is_mine\": 1, "
            "\"label\": \"PMN\",\n"
            "                     \"depth\": M, \"diameter\": M}], \"lane\": "
            "{\"x_min\": M,\n"
            "                     \"x_max\": M, \"y_min\": M, \"y_max\": M}}; "
            "x along the\n"
            "                     line from the first trace, y across it (0 "
            "on it)\n"
            "  -h, --help         show this help\n"
            "\n"
            "exit status: 0 written; 2 invalid input or usage; 3 cannot "
            "write.\n");
}

typedef struct job {
    const char *in, *out, *component;
    const char *truth; /* NULL: none */
    double dx;
    double centre_hz; /* 0: not given */
} job;

/* The source is taken to be a gprMax Ricker of centre frequency f: its
 * peak is sqrt(2)/f after the start of the waveform (gprMax's time zero). */
static int set_centre_frequency(ms_recording *rec, double f)
{
    ms_gpr *g = rec->gpr;
    double peak = sqrt(2.0) / f;
    if (peak > (double)(g->n_samples - 1) * g->sample_interval_s)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "--centre-frequency %g MHz: the Ricker peak (%.6g ns) "
                       "is after the last time step (%.6g ns)",
                       f * 1e-6, peak * 1e9,
                       (double)(g->n_samples - 1) * g->sample_interval_s *
                           1e9);
    g->centre_frequency_hz = f;
    g->time_zero_s = peak;
    char buf[512];
    snprintf(buf, sizeof buf,
             "%s; source assumed a Ricker of %.6g MHz, time zero at its "
             "peak, %.6g ns after the start",
             rec->instrument ? rec->instrument : "gprMax simulation",
             f * 1e-6, peak * 1e9);
    char *inst = strdup(buf);
    if (!inst)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    free(rec->instrument);
    rec->instrument = inst;
    return 0;
}

/* A JSON string even from bytes that are not UTF-8 (file names). */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return json_string("(out of memory)");
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* In the child: import, write, and report {"lines": [...], "summary"}. */
static int import_child(void *ctx, int fd)
{
    const job *j = ctx;
    ms_diag d;
    ms_recording *rec = NULL;
    char summary[512] = "";
    ms_diag_init(&d);
    int rc = ms_gprmax_import(j->in, j->component, j->dx, &rec, &d);
    if (rc == 0 && j->centre_hz > 0 &&
        (rc = set_centre_frequency(rec, j->centre_hz)) != 0)
        ms_diag_add(&d, "%s: %s", j->in, ms_error_message());
    if (rc == 0 && j->truth &&
        (rc = ms_import_truth_json(j->truth, rec)) != 0)
        ms_diag_add(&d, "%s", ms_error_message());
    if (rc == 0) {
        rc = ms_recording_write(j->out, rec, NULL);
        if (rc)
            ms_diag_add(&d, "%s", ms_error_message());
        else {
            const ms_gpr *g = rec->gpr;
            char tz[96] = "";
            if (g->centre_frequency_hz > 0)
                snprintf(tz, sizeof tz,
                         "; %.6g MHz, time zero at the Ricker peak (%.6g ns)",
                         g->centre_frequency_hz * 1e-6, g->time_zero_s * 1e9);
            if (g->n_traces > 1)
                snprintf(summary, sizeof summary,
                         "%s: %zu traces x %zu samples every %.6g ns, trace "
                         "spacing %.6g m, from %s%s",
                         j->out, g->n_traces, g->n_samples,
                         g->sample_interval_s * 1e9, g->x[1] - g->x[0], j->in,
                         tz);
            else
                snprintf(summary, sizeof summary,
                         "%s: a single trace (an A-scan) of %zu samples every "
                         "%.6g ns, from %s%s", j->out, g->n_samples,
                         g->sample_interval_s * 1e9, j->in, tz);
        }
    } else if (d.n == 0) {
        ms_diag_add(&d, "%s", ms_error_message());
    }
    json_t *lines = json_array();
    for (size_t i = 0; i < d.n; i++)
        json_array_append_new(lines, jstr(d.lines[i]));
    json_t *o = json_pack("{s:o, s:o}", "lines", lines, "summary",
                          jstr(summary));
    char *text = o ? json_dumps(o, 0) : NULL;
    if (!text || ms_write_all(fd, text, strlen(text)))
        rc = rc ? rc : MS_ERR_IO;
    free(text);
    json_decref(o);
    ms_recording_free(rec);
    ms_diag_free(&d);
    return rc;
}

int ms_cmd_import_gprmax(int argc, char **argv)
{
    job j = {NULL, NULL, "Ez", NULL, 0.0, 0.0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                   strcmp(a, "--dx") == 0 || strcmp(a, "--component") == 0 ||
                   strcmp(a, "--centre-frequency") == 0 ||
                   strcmp(a, "--truth") == 0) {
            if (!val) {
                fprintf(stderr,
                        "minescan import-gprmax: %s needs a value (see "
                        "minescan import-gprmax --help)\n",
                        a);
                return 2;
            }
            i++;
            if (strcmp(a, "--dx") == 0) {
                char *end = NULL;
                errno = 0;
                j.dx = strtod(val, &end);
                if (errno || !end || *end || end == val || !isfinite(j.dx) ||
                    j.dx <= 0) {
                    fprintf(stderr,
                            "minescan import-gprmax: --dx %s: the trace "
                            "spacing must be a positive number of metres\n",
                            val);
                    return 2;
                }
            } else if (strcmp(a, "--centre-frequency") == 0) {
                char *end = NULL;
                errno = 0;
                double mhz = strtod(val, &end);
                if (errno || !end || *end || end == val || !isfinite(mhz) ||
                    mhz <= 0 || mhz > 1e5) {
                    fprintf(stderr,
                            "minescan import-gprmax: --centre-frequency %s: "
                            "give the source's centre frequency in MHz "
                            "(> 0)\n",
                            val);
                    return 2;
                }
                j.centre_hz = mhz * 1e6;
            } else if (strcmp(a, "--component") == 0) {
                j.component = val;
            } else if (strcmp(a, "--truth") == 0) {
                j.truth = val;
            } else {
                j.out = val;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr,
                    "minescan import-gprmax: unknown option %s (see "
                    "minescan import-gprmax --help)\n",
                    a);
            return 2;
        } else if (j.in) {
            fprintf(stderr,
                    "minescan import-gprmax: one input at a time (got %s "
                    "and %s)\n",
                    j.in, a);
            return 2;
        } else {
            j.in = a;
        }
    }
    if (!j.in || !j.out) {
        fprintf(stderr, "minescan import-gprmax: %s (see minescan "
                        "import-gprmax --help)\n",
                !j.in ? "no input FILE given" : "no output given (-o FILE.h5)");
        return 2;
    }

    ms_isolated_result r;
    double stall = ms_isolated_stall_s();
    int rc = ms_run_isolated(import_child, &j, stall, &r);
    if (rc) {
        fprintf(stderr, "%s: %s\n", j.in, ms_error_message());
        return ms_exit_code(rc);
    }
    json_t *o = r.exited ? json_loads(r.text, 0, NULL) : NULL;
    if (!o) {
        if (r.timed_out)
            fprintf(stderr,
                    "%s: the HDF5 library made no progress for %g s and was "
                    "stopped; the file is corrupt (on very slow storage, "
                    "raise MINESCAN_STALL_TIMEOUT_S)\n",
                    j.in, stall);
        else if (r.signal)
            fprintf(stderr,
                    "%s: the HDF5 library crashed reading this file "
                    "(signal %d, %s); it is corrupt\n",
                    j.in, r.signal, strsignal(r.signal));
        else
            fprintf(stderr, "%s: the import ended without a result (exit "
                            "status %d)\n",
                    j.in, -r.code);
        free(r.text);
        return r.signal ? 2 : ms_exit_code(r.code ? r.code : MS_ERR_INTERNAL);
    }
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(o, "lines"), i, line)
        fprintf(stderr, "%s\n", json_string_value(line));
    const char *summary = json_string_value(json_object_get(o, "summary"));
    if (r.code == 0 && summary && summary[0])
        printf("%s\n", summary);
    json_decref(o);
    free(r.text);
    return ms_exit_code(r.code);
}
