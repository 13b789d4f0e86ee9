/* minescan recipes: the recipes that ship with the program. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"

int ms_cmd_recipes(int argc, char **argv)
{
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: minescan recipes [--show]\n\n  --show  print each "
                   "recipe's text\n\nA recipe is plain text, one stage per "
                   "line: stage NAME key=value ...\n\n");
            ms_cli_print_stages(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--show"))
            verbose = 1;
        else {
            fprintf(stderr, "minescan recipes: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    ms_cli_print_recipes(stdout, verbose);
    return 0;
}
