/* minescan import FILE... -o OUT.h5|OUTDIR: field recordings (GSSI DZT,
 * Sensors & Software DT1/HD, MALA rd3/rd7/rad, SEG-Y) and gprMax output
 * into minescan recordings. The format is detected from the content (the
 * extension where a format has no signature). Each conversion runs in a
 * child process: the input is outside data, and a reader bug must become
 * a message, not a crash of the command. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "core/files.h"
#include "io/formats/formats.h"
#include "minescan/recording.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: minescan import FILE... -o OUT.h5|OUTDIR [options]\n"
        "\n"
        "Convert radar recordings into minescan recordings: GSSI .DZT (with\n"
        "its .DZG GPS sidecar), Sensors & Software .DT1 + .HD, MALA .rd3/.rd7\n"
        "+ .rad, SEG-Y (.sgy, .segy) and gprMax output (.out, .h5). The\n"
        "format is detected from the content, else the extension (any case).\n"
        "One FILE: -o names the recording (or a folder to put FILE.h5 in).\n"
        "Several FILEs: -o is a folder and each becomes a recording, unless\n"
        "--line-spacing or --y makes them one recording of parallel lines.\n"
        "\n"
        "options:\n"
        "  -o, --output PATH        recording to write, or folder\n"
        "  --dx M                   trace spacing in metres: needed for files\n"
        "                           recorded in time mode (DZT rhf_spm 0, MALA\n"
        "                           DISTANCE INTERVAL 0); overrides the file's\n"
        "  --line-spacing M         the FILEs are parallel lines M metres\n"
        "                           apart (line i at y = i x M): one recording\n"
        "  --y Y1,Y2,...            the lines' y offsets, one per FILE\n"
        "  --centre-frequency MHZ   antenna centre frequency, when the file\n"
        "                           does not name a known antenna\n"
        "  --channel N              DZT: the channel to import (default 1)\n"
        "  --keep-header-words      DZT: keep the first samples of each scan\n"
        "                           even when they look like scan header words\n"
        "  --component NAME         gprMax: receiver output (default Ez)\n"
        "  -h, --help               show this help\n"
        "\n"
        "What was assumed (units, defaults, dropped words) is printed, one\n"
        "line each, and kept in the recording's /source group with the\n"
        "original header values in /source/header.\n"
        "exit status: 0 written; 2 invalid input or usage; 3 cannot write.\n");
}

typedef struct job {
    const char *const *inputs;
    size_t n_inputs;
    const double *y; /* NULL: one input, no lines */
    const char *out;
    ms_import_options opt;
} job;

static int import_child(void *ctx, int fd)
{
    const job *j = ctx;
    ms_import im;
    ms_import_init(&im);
    int rc = j->y ? ms_import_lines(j->inputs, j->y, j->n_inputs, &j->opt,
                                    &im)
                  : ms_import_file(j->inputs[0], &j->opt, &im);
    if (rc == 0)
        rc = ms_import_write(j->out, j->inputs[0], &im);
    if (rc) {
        fprintf(stderr, "%s\n", ms_error_message());
    } else {
        for (size_t i = 0; i < im.assumed.n; i++)
            fprintf(stderr, "%s\n", im.assumed.lines[i]);
        const ms_gpr *g = im.rec->gpr;
        if (g)
            printf("%s: %zu traces x %zu samples every %.6g ns from %s%s (%s%s%s)\n",
                   j->out, g->n_traces, g->n_samples,
                   g->sample_interval_s * 1e9, j->inputs[0],
                   j->n_inputs > 1 ? " and the other lines" : "",
                   ms_format_name(im.format), im.detail[0] ? ", " : "",
                   im.detail);
        else
            printf("%s: written from %s\n", j->out, j->inputs[0]);
    }
    fflush(stdout);
    fflush(stderr);
    ms_import_free(&im);
    if (ms_write_all(fd, "done", 4))
        rc = rc ? rc : MS_ERR_IO;
    return rc;
}

static int run_job(const job *j)
{
    ms_isolated_result r;
    double stall = ms_isolated_stall_s();
    int rc = ms_run_isolated(import_child, (void *)j, stall, &r);
    if (rc) {
        fprintf(stderr, "%s: %s\n", j->inputs[0], ms_error_message());
        return ms_exit_code(rc);
    }
    int code;
    if (r.exited && r.text && !strcmp(r.text, "done")) {
        code = ms_exit_code(r.code);
    } else if (r.timed_out) {
        fprintf(stderr, "%s: the import made no progress for %g s and was "
                "stopped; the file is corrupt\n", j->inputs[0], stall);
        code = 2;
    } else {
        fprintf(stderr, "%s: the import crashed reading this file (signal "
                "%d); it is corrupt (please report it)\n", j->inputs[0],
                r.signal);
        code = 2;
    }
    free(r.text);
    return code;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* OUTDIR/STEM.h5 for an input. */
static char *out_in_dir(const char *dir, const char *input)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    size_t n = strlen(dir) + stem + 8;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%.*s.h5", dir, (int)stem, base);
    return p;
}

/* A sidecar passed beside its data file (LINE.HD with LINE.DT1, x.rad
 * with x.rd3, x.DZG with x.DZT) is the same recording: skip it. */
static int is_sidecar_of_another(const char *const *in, size_t n, size_t i)
{
    const char *dot = strrchr(in[i], '.');
    if (!dot)
        return 0;
    static const char *const side[][2] = {{"hd", "dt1"}, {"rad", "rd3"},
                                          {"rad", "rd7"}, {"dzg", "dzt"},
                                          {"dzx", "dzt"}, {"cor", "rd3"},
                                          {"cor", "rd7"}};
    size_t stem = (size_t)(dot - in[i]);
    for (size_t s = 0; s < sizeof side / sizeof side[0]; s++) {
        if (strcasecmp(dot + 1, side[s][0]))
            continue;
        for (size_t k = 0; k < n; k++)
            if (k != i && !strncmp(in[k], in[i], stem) &&
                in[k][stem] == '.' && !strcasecmp(in[k] + stem + 1,
                                                   side[s][1]))
                return 1;
    }
    return 0;
}

static int positive(const char *opt, const char *val, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(val, &end);
    if (errno || end == val || *end || !isfinite(v) || v <= 0) {
        fprintf(stderr, "minescan import: %s %s: give a positive number\n",
                opt, val);
        return 2;
    }
    *out = v;
    return 0;
}

int ms_cmd_import(int argc, char **argv)
{
    job j = {0};
    j.opt = ms_import_options_default();
    double spacing = 0;
    const char *ylist = NULL;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    size_t n_in = 0;
    int rc = 0;
    if (!inputs)
        return 3;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = !strcmp(a, "-o") || !strcmp(a, "--output") ||
                    !strcmp(a, "--dx") || !strcmp(a, "--line-spacing") ||
                    !strcmp(a, "--y") || !strcmp(a, "--centre-frequency") ||
                    !strcmp(a, "--channel") || !strcmp(a, "--component");
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            free(inputs);
            return 0;
        } else if (takes && !val) {
            fprintf(stderr, "minescan import: %s needs a value (see minescan "
                    "import --help)\n", a);
            rc = 2;
        } else if (takes) {
            i++;
            if (!strcmp(a, "-o") || !strcmp(a, "--output"))
                j.out = val;
            else if (!strcmp(a, "--dx"))
                rc = positive(a, val, &j.opt.dx_m);
            else if (!strcmp(a, "--line-spacing"))
                rc = positive(a, val, &spacing);
            else if (!strcmp(a, "--y"))
                ylist = val;
            else if (!strcmp(a, "--centre-frequency")) {
                rc = positive(a, val, &j.opt.centre_frequency_hz);
                j.opt.centre_frequency_hz *= 1e6;
            } else if (!strcmp(a, "--channel")) {
                double c;
                rc = positive(a, val, &c);
                if (!rc && (c != floor(c) || c > 64)) {
                    fprintf(stderr, "minescan import: --channel %s: give a "
                            "channel number from 1\n", val);
                    rc = 2;
                }
                j.opt.channel = (int)c;
            } else
                j.opt.component = val;
        } else if (!strcmp(a, "--keep-header-words")) {
            j.opt.keep_header_words = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "minescan import: unknown option %s (see "
                    "minescan import --help)\n", a);
            rc = 2;
        } else {
            inputs[n_in++] = a;
        }
    }
    if (!rc && (!n_in || !j.out)) {
        fprintf(stderr, "minescan import: %s (see minescan import --help)\n",
                !n_in ? "no input FILE given" : "no output given (-o PATH)");
        rc = 2;
    }
    /* drop sidecars given beside their data files */
    size_t m = 0;
    for (size_t i = 0; !rc && i < n_in; i++)
        if (!is_sidecar_of_another(inputs, n_in, i))
            inputs[m++] = inputs[i];
    n_in = rc ? n_in : m;

    double *y = NULL;
    if (!rc && (spacing > 0 || ylist)) {
        y = calloc(n_in, sizeof *y);
        if (!y) {
            free(inputs);
            return 3;
        }
        if (ylist) {
            const char *p = ylist;
            size_t k = 0;
            while (!rc && *p) {
                char *end = NULL;
                double v = strtod(p, &end);
                if (end == p || !isfinite(v) || k >= n_in ||
                    (*end && *end != ',')) {
                    fprintf(stderr, "minescan import: --y %s: give one y "
                            "offset in metres per FILE (%zu), separated by "
                            "commas\n", ylist, n_in);
                    rc = 2;
                    break;
                }
                y[k++] = v;
                p = *end ? end + 1 : end;
            }
            if (!rc && k != n_in) {
                fprintf(stderr, "minescan import: --y %s: %zu offsets for "
                        "%zu files\n", ylist, k, n_in);
                rc = 2;
            }
        } else {
            for (size_t k = 0; k < n_in; k++)
                y[k] = (double)k * spacing;
        }
    }

    if (!rc && !y && n_in == 1 && !is_dir(j.out) &&
        ms_format_detect(inputs[0]) == MS_FORMAT_GPRMAX) {
        /* gprMax keeps its own command's behaviour (Ricker time zero) */
        char **args = calloc((size_t)argc + 1, sizeof *args);
        if (!args) {
            free(inputs);
            return 3;
        }
        int na = 0;
        args[na++] = "import-gprmax";
        for (int i = 1; i < argc; i++) {
            if (!strcmp(argv[i], "--keep-header-words"))
                continue;
            if (!strcmp(argv[i], "--channel")) {
                i++;
                continue;
            }
            args[na++] = argv[i];
        }
        free(inputs);
        rc = ms_cmd_import_gprmax(na, args);
        free(args);
        return rc;
    }

    if (!rc) {
        j.inputs = inputs;
        if (y) {
            j.n_inputs = n_in;
            j.y = y;
            char *p = is_dir(j.out) ? out_in_dir(j.out, inputs[0]) : NULL;
            if (p)
                j.out = p;
            rc = run_job(&j);
            free(p);
        } else if (n_in == 1 && !is_dir(j.out)) {
            j.n_inputs = 1;
            rc = run_job(&j);
        } else if (n_in > 1 && !is_dir(j.out) &&
                   (strlen(j.out) > 3 &&
                    (!strcasecmp(j.out + strlen(j.out) - 3, ".h5") ||
                     (strlen(j.out) > 5 &&
                      !strcasecmp(j.out + strlen(j.out) - 5, ".hdf5"))))) {
            fprintf(stderr, "minescan import: -o %s: %zu input files make "
                    "%zu recordings: give a folder, or --line-spacing M to "
                    "make them one recording of parallel lines\n", j.out,
                    n_in, n_in);
            rc = 2;
        } else {
            const char *dir = j.out;
            if (!is_dir(dir) && mkdir(dir, 0777) != 0) {
                fprintf(stderr, "minescan import: -o %s: cannot create the "
                        "folder: %s\n", dir, strerror(errno));
                rc = 3;
            }
            for (size_t i = 0; !rc && i < n_in; i++) {
                char *p = out_in_dir(dir, inputs[i]);
                if (!p) {
                    rc = 3;
                    break;
                }
                job one = j;
                one.inputs = inputs + i;
                one.n_inputs = 1;
                one.out = p;
                int r1 = run_job(&one);
                if (r1 > rc)
                    rc = r1;
                free(p);
            }
        }
    }
    free(y);
    free(inputs);
    return rc;
}
