/* An output folder written as one transaction: files go into a staging
 * folder inside it and are moved into place only when all of them are
 * done, so a failed run leaves an earlier run's results as they were. A
 * new run removes the files of an earlier run that it does not write
 * itself (a GPR-only lane after a dual one must not leave the old
 * bscan.png). The `last` file (summary.json) is removed first and moved
 * in last: a folder with it is complete. */
#ifndef MINESCAN_OUTDIR_H
#define MINESCAN_OUTDIR_H

#include <stddef.h>

/* Room for OUTDIR (at most 4095 bytes), the staging folder and a name. */
#define MS_PATH_MAX 4400
#define MS_OUTDIR_MAX_FILES 128 /* fixed names, depth slices, 60 evidence panels */

typedef struct ms_outdir {
    char dir[4096];
    char staging[4160];
    const char *const *known; /* every name a run may write */
    size_t n_known;
    const char *last;
    const char *written[MS_OUTDIR_MAX_FILES];
    size_t n_written;
    int open;
} ms_outdir;

/* Create `dir` if needed, check that every known name there is a plain
 * file or absent and none is `input` itself, sweep staging folders of
 * killed runs, and make this run's staging folder. `known` and `last`
 * must outlive the ms_outdir. 0 or a negative ms_err. */
int ms_outdir_open(ms_outdir *o, const char *dir, const char *input,
                   const char *const *known, size_t n_known, const char *last);
/* Where to write file `name` (in the staging folder). */
void ms_outdir_path(const ms_outdir *o, const char *name, char *buf,
                    size_t len);
/* Record that `name` (one of the known names) was written. */
void ms_outdir_add(ms_outdir *o, const char *name);
int ms_outdir_has(const ms_outdir *o, const char *name);
/* Move the written files into place; 0 or MS_ERR_IO. */
int ms_outdir_publish(ms_outdir *o);
/* Remove the staging folders in `dir` of runs whose process is gone
 * (ms_outdir_open does it too; a batch also does it for an input whose
 * outputs are current). */
void ms_outdir_sweep(const char *dir);
/* Remove the staging folder and whatever is left in it. */
void ms_outdir_close(ms_outdir *o);

#endif
