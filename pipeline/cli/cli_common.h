/* Helpers shared by the command files. */
#ifndef MINESCAN_CLI_COMMON_H
#define MINESCAN_CLI_COMMON_H

#include <getopt.h>
#include <stdio.h>

#include "runner/batch.h"
#include "runner/process.h"
#include "runner/runner.h"

/* Print every stage with each parameter's default, range and help, read
 * from the stage declarations. */
void ms_cli_print_stages(FILE *f);
/* Print the built-in recipes. */
void ms_cli_print_recipes(FILE *f, int with_text);
/* The --device option's help text. */
void ms_cli_print_device_help(FILE *f);

/* The options that `run` and `batch` share, for their getopt_long tables. */
#define MS_CLI_PROCESS_LONGOPTS                                                \
    {"recipe", required_argument, 0, 'r'},                                     \
        {"device", required_argument, 0, 'd'},                                 \
        {"set", required_argument, 0, 's'},                                    \
        {"threshold", required_argument, 0, 't'},                              \
        {"separation", required_argument, 0, 'S'},                             \
        {"halo", required_argument, 0, 'H'},                                   \
        {"sensor-threshold", required_argument, 0, 'Z'},                       \
        {"footprint-m", required_argument, 0, 'F'},                            \
        {"speed-limit", required_argument, 0, 'V'},                                            \
        {"lang", required_argument, 0, 'L'},                                   \
        {"dx", required_argument, 0, 'X'}

/* Handle one of those options (getopt's code `c` and its argument).
 * Returns 0 when handled, 2 after printing a usage error that starts with
 * `cmd`, -1 when `c` is not one of them. */
int ms_cli_process_option(const char *cmd, int c, const char *arg,
                          ms_process_options *opt, ms_device_choice *device);
/* Without --device, the device comes from MINESCAN_DEVICE (else auto);
 * called after the options, so that --device wins over a bad variable.
 * Returns 0, or 2 after a message. */
int ms_cli_device_from_env(const char *cmd, ms_process_options *opt,
                           ms_device_choice *device);
/* Their help lines. */
void ms_cli_print_process_help(FILE *f);
/* A positive number for option `name`, or 2 after a message. */
int ms_cli_positive(const char *cmd, const char *name, const char *s,
                    double *out);

/* What batch-engine commands (batch, evaluate) share: -j's default (the
 * online CPUs), and --jobs/-j ('j'), --timeout ('T') and --force ('f'):
 * 0 handled, 2 after a usage message starting with `cmd`, -1 not one of
 * them. */
int ms_cli_default_jobs(void);
int ms_cli_batch_option(const char *cmd, int c, const char *arg,
                        ms_batch_options *opt);
/* Load the recipe, apply the overrides and validate it once, before any
 * input: a mistake there is a usage error (0, or 2 after the message). */
int ms_cli_check_recipe(const ms_process_options *po);

/* The long options every batch-engine command (batch, course, evaluate,
 * minescan-mpi) takes: -o, the process options, --force and --timeout. */
#define MS_CLI_BATCH_LONGOPTS                                                  \
    {"output", required_argument, 0, 'o'}, MS_CLI_PROCESS_LONGOPTS,            \
        {"force", no_argument, 0, 'f'},                                        \
        {"timeout", required_argument, 0, 'T'}
/* A batch-engine command's options before parsing: the process defaults,
 * the device left to --device (else the environment), `jobs` at once. */
ms_batch_options ms_cli_batch_defaults(int jobs);
/* A process option, else a batch option: 0 handled, 2 after a usage
 * message starting with `cmd`, -1 neither. */
int ms_cli_batch_common_option(const char *cmd, int c, const char *arg,
                               ms_batch_options *opt);
/* After the options: the device from the environment unless --device
 * chose one, then the recipe check. 0, or 2 after a message. */
int ms_cli_batch_ready(const char *cmd, ms_batch_options *opt);

#endif
