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
    ms_process_options d = ms_process_options_default();
    fprintf(f,
            "Usage: minescan run FILE.h5 -o OUTDIR [options]\n\n"
            "Runs a recipe over a recording and writes OUTDIR/bscan.png, "
            "heatmap.png,\ncoverage.png, alarms.csv, alarms.geojson, "
            "summary.json, index.html and, when the\nrecording has /truth, "
            "score.json, roc.csv and roc.png.\n\nOptions:\n"
            "  -o, --output DIR          output folder (created if needed)\n"
            "  --recipe NAME|FILE        recipe (default: %s; minescan recipes "
            "lists them)\n"
            "  --set STAGE.KEY=VALUE     override a stage parameter (repeatable)\n"
            "  --threshold Z             alarm threshold on the final map, "
            "default %g, range > 0\n"
            "  --separation M            minimum distance between alarms, "
            "default %g m\n"
            "  --halo M                  scoring halo radius, default %g m\n",
            d.recipe, d.alarm_threshold, d.alarm_separation_m, d.halo_m);
    ms_cli_print_device_help(f);
    fprintf(f, "  -h, --help                this text\n\n");
    ms_cli_print_stages(f);
}

static int parse_positive(const char *opt, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || v > 1e6) {
        fprintf(stderr, "minescan run: %s %s: expected a positive number\n",
                opt, s);
        return 2;
    }
    *out = v;
    return 0;
}

int ms_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"recipe", required_argument, 0, 'r'},
        {"device", required_argument, 0, 'd'},
        {"set", required_argument, 0, 's'},
        {"threshold", required_argument, 0, 't'},
        {"separation", required_argument, 0, 'S'},
        {"halo", required_argument, 0, 'H'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    ms_process_options opt = ms_process_options_default();
    const char *outdir = NULL;
    ms_device_choice device;
    if (ms_device_choice_default(&device)) {
        fprintf(stderr, "minescan run: %s\n", ms_error_message());
        return 2;
    }
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'r': opt.recipe = optarg; break;
        case 'd':
            if (ms_device_choice_parse(optarg, &device)) {
                fprintf(stderr, "minescan run: --device: %s\n",
                        ms_error_message());
                return 2;
            }
            break;
        case 's':
            if (opt.n_overrides == 16) {
                fprintf(stderr, "minescan run: at most 16 --set options\n");
                return 2;
            }
            opt.overrides[opt.n_overrides++] = optarg;
            break;
        case 't':
            if (parse_positive("--threshold", optarg, &opt.alarm_threshold))
                return 2;
            break;
        case 'S':
            if (parse_positive("--separation", optarg, &opt.alarm_separation_m))
                return 2;
            break;
        case 'H':
            if (parse_positive("--halo", optarg, &opt.halo_m))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !outdir) {
        fprintf(stderr, "minescan run: need one input FILE.h5 and -o OUTDIR "
                        "(minescan run --help)\n");
        return 2;
    }
    const char *input = argv[optind];
    opt.device_requested = ms_device_choice_name(device);

    ms_runner *runner;
    int rc = ms_runner_create(device, &runner);
    if (rc) {
        fprintf(stderr, "minescan run: --device %s: %s\n",
                opt.device_requested, ms_error_message());
        return ms_exit_code(rc);
    }
    if (ms_runner_note(runner)[0])
        fprintf(stderr, "minescan run: note: %s\n", ms_runner_note(runner));

    ms_diag diag;
    ms_diag_init(&diag);
    ms_process_result res;
    rc = ms_process_recording(runner, input, outdir, &opt, &diag, &res);
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "%s\n", diag.lines[i]);
    if (rc && (diag.n == 0 || rc != MS_ERR_INVALID_INPUT))
        fprintf(stderr, "%s\n", ms_error_message());
    if (!rc)
        printf("%s: %zu alarm(s) in %.2f s on %s; outputs in %s\n", input,
               res.n_alarms, res.seconds, ms_runner_device_name(runner),
               outdir);
    ms_diag_free(&diag);
    ms_runner_free(runner);
    return ms_exit_code(rc);
}
