/* minescan: the command-line entry point. Each command lives in its own
 * cmd_*.c file; this file only dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "minescan/version.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"info", ms_cmd_info, "validate a recording and print what it holds"},
    {"run", ms_cmd_run, "process a recording: PNG maps, alarms, summary"},
    {"batch", ms_cmd_batch, "process many recordings; one bad file never "
                            "stops the rest"},
    {"batch-merge", ms_cmd_batch_merge, "join the batch.csv of shards "
                                        "(batch --shard I/N) into one"},
    {"evaluate", ms_cmd_evaluate, "run many lanes and pool their ROC under "
                                  "one threshold"},
    {"course", ms_cmd_course, "a training course's page: every trainee's "
                              "lanes, marks and sweeps"},
    {"simulate", ms_cmd_simulate, "write a simulated lane with ground truth"},
    {"import", ms_cmd_import, "convert radar files (DZT, DT1/HD, MALA, "
                              "SEG-Y, gprMax) into recordings"},
    {"import-gprmax", ms_cmd_import_gprmax,
     "import for gprMax output (the older name)"},
    {"devices", ms_cmd_devices, "list OpenCL devices and the one auto picks"},
    {"recipes", ms_cmd_recipes, "list the built-in recipes"},
};

static void usage(FILE *f)
{
    fprintf(f, "minescan %s: landmine-detection sensor data analysis\n\n"
               "Usage: minescan COMMAND [OPTIONS]   (minescan COMMAND --help "
               "for its options)\n\nCommands:\n",
            MINESCAN_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nOptions of every computing command:\n");
    ms_cli_print_device_help(f);
    fprintf(f, "\nExit status: 0 success, 1 some inputs failed (batch), 2 "
               "invalid input or usage, 3 internal error.\n\n");
    ms_cli_print_stages(f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("minescan %s\n", MINESCAN_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "minescan: unknown command '%s' (minescan --help lists "
                    "them)\n", argv[1]);
    return 2;
}
