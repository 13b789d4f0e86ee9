/* minescan run FILE.h5 -o OUTDIR: the main job on one recording. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/files.h"
#include "io/isolate.h"
#include "runner/process.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: minescan run FILE.h5 -o OUTDIR [options]\n\n"
            "Runs a recipe over a recording and writes OUTDIR/bscan.png, "
            "heatmap.png,\ncoverage.png, alarms.csv, alarms.geojson, maps.h5, "
            "summary.json, index.html and,\nwhen the recording has /truth, "
            "score.json, roc.csv and roc.png.\n\nOptions:\n"
            "  -o, --output DIR          output folder (created if needed)\n");
    ms_cli_print_process_help(f);
    fprintf(f, "  -h, --help                this text\n\n");
    ms_cli_print_stages(f);
}

typedef struct run_job {
    const char *input, *outdir;
    const ms_process_options *opt;
    ms_device_choice device;
} run_job;

/* In the child: the whole run, printing what `run` prints. */
static int run_child(void *arg, int fd)
{
    const run_job *j = arg;
    ms_runner *runner;
    int rc = ms_runner_create(j->device, &runner);
    if (rc) {
        fprintf(stderr, "minescan run: --device %s: %s\n",
                j->opt->device_requested, ms_error_message());
    } else {
        ms_diag diag;
        ms_diag_init(&diag);
        ms_process_result res;
        rc = ms_process_recording(runner, j->input, j->outdir, j->opt, &diag,
                                  &res);
        /* an invalid file's defects come first and alone, as from info */
        if (!res.input_invalid && ms_runner_note(runner)[0])
            fprintf(stderr, "minescan run: note: %s\n",
                    ms_runner_note(runner));
        for (size_t i = 0; i < diag.n; i++)
            fprintf(stderr, "%s\n", diag.lines[i]);
        if (rc && (!res.input_invalid || diag.n == 0))
            fprintf(stderr, "%s\n", ms_error_message());
        if (!rc)
            printf("%s: %zu alarm(s) in %.2f s on %s; outputs in %s\n",
                   j->input, res.n_alarms, res.seconds,
                   ms_runner_device_name(runner), j->outdir);
        ms_diag_free(&diag);
        ms_runner_free(runner);
    }
    fflush(stdout); /* the child leaves with _exit */
    fflush(stderr);
    ms_write_all(fd, "done", 4);
    return rc;
}

int ms_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        MS_CLI_PROCESS_LONGOPTS,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    ms_process_options opt = ms_process_options_default();
    const char *outdir = NULL;
    ms_device_choice device = MS_DEVICE_AUTO;
    opt.device_requested = NULL; /* set by --device, else from the env */
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        int rc = ms_cli_process_option("run", c, optarg, &opt, &device);
        if (rc >= 0) {
            if (rc)
                return rc;
            continue;
        }
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !outdir || !*outdir) {
        fprintf(stderr, "minescan run: need one input FILE.h5 and -o OUTDIR "
                        "(minescan run --help)\n");
        return 2;
    }
    if (ms_cli_device_from_env("run", &opt, &device))
        return 2;
    const char *input = argv[optind];

    /* libhdf5 can crash on a hostile file: the run happens in a child
     * process, so that such a file is an exit-2 message, not a crash. The
     * child reads the recording once, the same read validating it and
     * feeding the stages, and opens the OpenCL device itself (fork). */
    run_job job = {input, outdir, &opt, device};
    ms_isolated_result r;
    ms_input_phase phase;
    double stall = ms_isolated_stall_s();
    int rc = ms_run_isolated_input(run_child, &job, stall, &r, &phase);
    if (rc) {
        fprintf(stderr, "minescan run: %s\n", ms_error_message());
        return ms_exit_code(rc);
    }
    if (r.exited && !strcmp(r.text, "done")) {
        rc = r.code;
    } else if (phase == MS_INPUT_READING) {
        rc = ms_isolated_read_failure(input, &r, stall, NULL);
        fprintf(stderr, "%s\n", ms_error_message());
    } else if (r.signal) {
        rc = ms_fail(MS_ERR_INTERNAL, "%s: minescan run crashed %s reading "
                     "the file (signal %d, %s); please report it", input,
                     phase == MS_INPUT_READ ? "after" : "before", r.signal,
                     strsignal(r.signal));
        fprintf(stderr, "%s\n", ms_error_message());
    } else {
        rc = ms_fail(MS_ERR_INTERNAL, "%s: minescan run stopped without a "
                     "result (exit status %d)", input, -r.code);
        fprintf(stderr, "%s\n", ms_error_message());
    }
    free(r.text);
    return ms_exit_code(rc);
}
