/* minescan batch INPUTS... -o OUTDIR: many recordings, unattended. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "runner/batch.h"
#include "runner/batch_inputs.h"
#include "runner/batch_shard.h"

/* The default for --jobs: one input per online CPU (the C path and PoCL
 * keep a core busy per input; a batch is throughput, not latency). */
static void usage(FILE *f)
{
    fprintf(f,
            "Usage: minescan batch INPUT... -o OUTDIR [options]\n\n"
            "An INPUT is a recording, a folder (searched recursively for "
            "recordings, by\ncontent; hidden entries left out) or @LIST (a "
            "text file naming inputs, one a\nline; relative to the list's "
            "folder; # starts a comment).\n\n"
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
            "  --quiet                   no progress lines (failures still "
            "go to stderr)\n"
            "  --verbose                 a line per input even on a terminal, "
            "and what the batch\n"
            "                            does (folders searched, workers "
            "restarted)\n"
            "  --max-memory-mb M         cap each worker's memory (heap and "
            "mappings,\n"
            "                            RLIMIT_DATA); an input that needs "
            "more fails alone\n"
            "  --shard I/N|slurm         process only shard I of N of the "
            "inputs sorted by path\n"
            "                            (slurm: I and N from the job array's "
            "SLURM_ARRAY_TASK_*);\n"
            "                            join shards with minescan "
            "batch-merge\n"
            "  -j, --jobs N              process N inputs at once (default: "
            "one per online CPU,\n"
            "                            here %d; each opens its own device)\n",
            ms_cli_default_jobs());
    ms_cli_print_process_help(f);
    fprintf(f, "  -h, --help                this text\n\nExit status: 0 every "
               "input ok or skipped, 1 some failed (the others are\ncomplete), "
               "2 usage (or another batch is writing into OUTDIR), 3 the output "
               "folder\ncannot be written. On a terminal the progress is one "
               "updating line.\n");
}

int ms_cmd_batch(int argc, char **argv)
{
    static const struct option longopts[] = {
        MS_CLI_BATCH_LONGOPTS,
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"max-memory-mb", required_argument, 0, 'M'},
        {"shard", required_argument, 0, 'P'},
        {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    ms_batch_options opt = ms_cli_batch_defaults(ms_cli_default_jobs());
    const char *outdir = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:j:vh", longopts, NULL)) != -1) {
        int rc = ms_cli_batch_common_option("batch", c, optarg, &opt);
        if (rc >= 0) {
            if (rc)
                return rc;
            continue;
        }
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'q': opt.quiet = 1; break;
        case 'v': opt.verbose = 1; break;
        case 'M': {
            double v;
            if (ms_cli_positive("batch", "--max-memory-mb", optarg, &v))
                return 2;
            opt.max_memory_mb = (long)v;
            break;
        }
        case 'P':
            if (ms_shard_parse(optarg, &opt.shard_index, &opt.shard_count)) {
                fprintf(stderr, "minescan batch: %s\n", ms_error_message());
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc || !outdir || !*outdir) {
        fprintf(stderr, "minescan batch: need input files and -o OUTDIR "
                        "(minescan batch --help)\n");
        return 2;
    }
    /* Check the recipe and overrides once, before any input: a mistake
     * there is a usage error, not a hundred failed inputs. */
    if (ms_cli_batch_ready("batch", &opt))
        return 2;

    ms_input_list in = {0};
    if (ms_inputs_expand((const char *const *)argv + optind,
                         (size_t)(argc - optind), &in)) {
        fprintf(stderr, "minescan batch: %s\n", ms_error_message());
        ms_inputs_free(&in);
        return 2;
    }
    if (opt.verbose && !opt.quiet)
        printf("%zu inputs%s", in.n, in.n_skipped ? "" : "\n");
    if (opt.verbose && !opt.quiet && in.n_skipped)
        printf(" (%zu files in the folders are not recordings, left out)\n",
               in.n_skipped);
    if (opt.verbose && !opt.quiet && in.n_sidecars)
        printf("%zu header/GPS sidecar file(s) named beside their data "
               "file: read with it, not inputs\n", in.n_sidecars);
    if (!in.n) {
        fprintf(stderr, "minescan batch: no recordings found in the inputs "
                        "given\n");
        ms_inputs_free(&in);
        return 2;
    }
    ms_batch_totals t;
    int rc = ms_batch_run((const char *const *)in.paths, in.n, outdir, &opt,
                          &t);
    ms_inputs_free(&in);
    if (rc) {
        fprintf(stderr, "minescan batch: %s\n", ms_error_message());
        return ms_exit_code(rc);
    }
    if (t.stopped_by) {
        fprintf(stderr, "minescan batch: stopped by signal %d; %zu ok, %zu "
                "skipped, %zu failed or not processed; %s/batch.csv\n",
                t.stopped_by, t.ok, t.skipped, t.failed, outdir);
        signal(t.stopped_by, SIG_DFL);
        raise(t.stopped_by);
        return 3;
    }
    if (!opt.quiet)
        printf("%zu ok, %zu skipped, %zu failed; %s/batch.csv\n", t.ok,
               t.skipped, t.failed, outdir);
    return t.failed ? 1 : 0;
}
