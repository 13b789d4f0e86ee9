/* What a batch runs over: its command-line inputs expanded (files as
 * given, folders searched recursively for recordings by content (in
 * the order of their paths, as strcmp sorts them), @LIST
 * files read a path a line), and a safe, unique output folder name for
 * each. */
#ifndef MINESCAN_BATCH_INPUTS_H
#define MINESCAN_BATCH_INPUTS_H

#include <stddef.h>

typedef struct ms_input_list {
    char **paths;
    size_t n, cap;
    size_t n_skipped; /* files in folders that are not recordings */
    size_t n_sidecars; /* .HD/.rad/.cor/.DZG/.DZX named beside their data
                          file: read with it, not inputs of their own */
} ms_input_list;

/* Whether the file at `path` is a recording that minescan can read, by
 * its content (not its name): an HDF5 signature at offset 0, 512, 1024,
 * ..., or a field format that `import` reads (GSSI DZT and SEG-Y by
 * content; .dt1, .rd3 and .rd7 data files by name, their .HD/.rad headers
 * being sidecars, not inputs). */
int ms_input_is_recording(const char *path);

/* Append the inputs that `args` name, in order: a file as it is (a bad
 * one fails in the batch, with its reason); a folder's recordings,
 * recursively, sorted by path, hidden entries and symbolic links to
 * folders left out; "@FILE", one path a line (blank lines and lines
 * starting with # ignored; a relative path is relative to the list
 * file's folder; a line may name a folder). An input that two arguments
 * name (the same file, by device and inode) is kept once, where it first
 * appears. A sidecar named beside its data file (LINE.HD with LINE.DT1,
 * x.rad or x.cor with x.rd3/x.rd7, x.DZG or x.DZX with x.DZT) is left
 * out and counted in n_sidecars. 0, or a negative ms_err (a folder or list that
 * cannot be read, named in the message). */
int ms_inputs_expand(const char *const *args, size_t n_args,
                     ms_input_list *out);
void ms_inputs_free(ms_input_list *l);

/* Output folder names, one per input (names[i] has room for 256 bytes):
 * the file name without its extension, with every byte that is not a
 * letter, digit, one of "._-+=@~" or part of a UTF-8 character replaced
 * by '_'; a name that is empty, starts with a dot, or is batch.csv or
 * batch.json becomes input_N (N counted from 1 in this list); a name
 * already taken (compared ignoring ASCII case, for case-insensitive file
 * systems) gets _2, _3, ... Deterministic in the order of `inputs`. */
int ms_inputs_output_names(const char *const *inputs, size_t n,
                           char (*names)[256]);

#endif
