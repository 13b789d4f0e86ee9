/* minescan run FILE.h5 -o OUTDIR: the main job on one recording. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
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

    /* libhdf5 can crash on a hostile file: check the file in a child
     * process first, so that such a file is an exit-2 message, not a
     * crash. This runs before any OpenCL object exists (fork). */
    ms_diag diag;
    ms_diag_init(&diag);
    if (ms_recording_validate_isolated(input, &diag, NULL) != 0) {
        for (size_t i = 0; i < diag.n; i++)
            fprintf(stderr, "%s\n", diag.lines[i]);
        if (diag.n == 0)
            fprintf(stderr, "%s\n", ms_error_message());
        ms_diag_free(&diag);
        return 2;
    }
    ms_diag_free(&diag); /* its warnings come again from the real read */

    ms_runner *runner;
    int rc = ms_runner_create(device, &runner);
    if (rc) {
        fprintf(stderr, "minescan run: --device %s: %s\n",
                opt.device_requested, ms_error_message());
        return ms_exit_code(rc);
    }
    if (ms_runner_note(runner)[0])
        fprintf(stderr, "minescan run: note: %s\n", ms_runner_note(runner));

    ms_diag_init(&diag);
    ms_process_result res;
    rc = ms_process_recording(runner, input, outdir, &opt, &diag, &res);
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "%s\n", diag.lines[i]);
    if (rc && (!res.input_invalid || diag.n == 0))
        fprintf(stderr, "%s\n", ms_error_message());
    if (!rc)
        printf("%s: %zu alarm(s) in %.2f s on %s; outputs in %s\n", input,
               res.n_alarms, res.seconds, ms_runner_device_name(runner),
               outdir);
    ms_diag_free(&diag);
    ms_runner_free(runner);
    return ms_exit_code(rc);
}
