/* Each `minescan COMMAND` is one function in its own file cmd_COMMAND.c.
 * argv[0] is the command name; the return value is the process exit status
 * (see the exit codes in shared/spec/outputs.md: 0, 1, 2, 3). Messages go
 * to stderr, one line per problem, starting with the file. */
#ifndef MINESCAN_CLI_COMMANDS_H
#define MINESCAN_CLI_COMMANDS_H

int ms_cmd_info(int argc, char **argv);
int ms_cmd_run(int argc, char **argv);
int ms_cmd_batch(int argc, char **argv);
int ms_cmd_evaluate(int argc, char **argv);
int ms_cmd_devices(int argc, char **argv);
int ms_cmd_recipes(int argc, char **argv);
int ms_cmd_simulate(int argc, char **argv);
int ms_cmd_import_gprmax(int argc, char **argv);
int ms_cmd_course(int argc, char **argv);
int ms_cmd_import(int argc, char **argv);
int ms_cmd_batch_merge(int argc, char **argv);

#endif
