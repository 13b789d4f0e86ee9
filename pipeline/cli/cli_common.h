/* Helpers shared by the command files. */
#ifndef MINESCAN_CLI_COMMON_H
#define MINESCAN_CLI_COMMON_H

#include <stdio.h>

/* Print every stage with each parameter's default, range and help, read
 * from the stage declarations. */
void ms_cli_print_stages(FILE *f);
/* Print the built-in recipes. */
void ms_cli_print_recipes(FILE *f, int with_text);
/* The --device option's help text. */
void ms_cli_print_device_help(FILE *f);

#endif
