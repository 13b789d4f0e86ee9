/* minescan batch INPUTS... -o OUTDIR: many recordings, unattended. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "runner/batch.h"

/* The default for --jobs: one input per online CPU (the C path and PoCL
 * keep a core busy per input; a batch is throughput, not latency). */
static void usage(FILE *f)
{
    fprintf(f,
            "Usage: minescan batch INPUT.h5... -o OUTDIR [options]\n\n"
            "Runs a recipe over every input into OUTDIR/<input name>/ (the "
            "files of minescan\nrun) in worker processes that each keep their "
            "device open from one input to the\nnext; one bad file never "
            "stops the rest (a crash or stall fails that input and\na fresh "
            "worker goes on). Writes OUTDIR/batch.csv (input,output_dir,"
            "status,reason,\nseconds,n_alarms,pd,far_per_m2) and "
            "OUTDIR/batch.json. Inputs whose outputs are\ncomplete and "
            "current (same input checksum, version, recipe, overrides,\n"
            "threshold, separation and halo) are skipped; their figures stay "
            "in batch.csv.\n\nOptions:\n"
            "  -o, --output DIR          output folder (created if needed)\n"
            "  --force                   reprocess inputs that are current\n"
            "  --timeout S               give up on an input that shows no "
            "progress for S seconds\n"
            "                            (default 300; libhdf5 loops forever "
            "on some corrupt files)\n"
            "  --quiet                   no progress lines\n"
            "  -j, --jobs N              process N inputs at once (default: "
            "one per online CPU,\n"
            "                            here %d; each opens its own device)\n",
            ms_cli_default_jobs());
    ms_cli_print_process_help(f);
    fprintf(f, "  -h, --help                this text\n\nExit status: 0 every "
               "input ok or skipped, 1 some failed (the others are\ncomplete), "
               "2 usage, 3 the output folder cannot be written.\n");
}

int ms_cmd_batch(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        MS_CLI_PROCESS_LONGOPTS,
        {"force", no_argument, 0, 'f'},
        {"timeout", required_argument, 0, 'T'},
        {"quiet", no_argument, 0, 'q'},
        {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    ms_batch_options opt = {0};
    opt.process = ms_process_options_default();
    opt.jobs = ms_cli_default_jobs();
    const char *outdir = NULL;
    opt.process.device_requested = NULL; /* set by --device, else the env */
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
        int rc = ms_cli_process_option("batch", c, optarg, &opt.process,
                                       &opt.device);
        if (rc >= 0) {
            if (rc)
                return rc;
            continue;
        }
        rc = ms_cli_batch_option("batch", c, optarg, &opt);
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
        fprintf(stderr, "minescan batch: need input files and -o OUTDIR "
                        "(minescan batch --help)\n");
        return 2;
    }
    if (ms_cli_device_from_env("batch", &opt.process, &opt.device))
        return 2;
    /* Check the recipe and overrides once, before any input: a mistake
     * there is a usage error, not a hundred failed inputs. */
    if (ms_cli_check_recipe(&opt.process))
        return 2;

    ms_batch_totals t;
    int rc = ms_batch_run((const char *const *)argv + optind,
                      (size_t)(argc - optind), outdir, &opt, &t);
    if (rc) {
        fprintf(stderr, "minescan batch: %s\n", ms_error_message());
        return ms_exit_code(rc);
    }
    if (!opt.quiet)
        printf("%zu ok, %zu skipped, %zu failed; %s/batch.csv\n", t.ok,
               t.skipped, t.failed, outdir);
    return t.failed ? 1 : 0;
}
