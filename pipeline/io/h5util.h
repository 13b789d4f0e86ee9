/* Typed HDF5 helpers shared by the recording reader and the gprMax importer
 * (internal to pipeline/io).
 *
 * Every helper that can find a defect in the file records it through an
 * h5u_ctx as one line "FILE: /hdf5/path: what is wrong" and returns a
 * negative ms_err; an optional object that is absent returns
 * MS_ERR_NOT_FOUND without recording anything. HDF5's own error stack is
 * never printed (h5u_silence) but its innermost message can be quoted
 * (h5u_error_text). */
#ifndef MINESCAN_IO_H5UTIL_H
#define MINESCAN_IO_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "minescan/error.h"

/* Longest HDF5 path we build ("/group/name"). */
#define H5U_PATH_MAX 256

typedef struct h5u_ctx {
    const char *file; /* the file name that starts every line */
    ms_diag *diag;    /* may be NULL: defects are then only counted */
    size_t n_defects;
    int code; /* the first defect's code (out of memory wins); 0 if none */
    ms_diag warnings; /* kept apart: they only matter for a valid file */
} h5u_ctx;

void h5u_ctx_init(h5u_ctx *c, const char *file, ms_diag *diag);
/* Move the warnings into c->diag (call when the file proved valid). */
void h5u_ctx_flush_warnings(h5u_ctx *c);
void h5u_ctx_free(h5u_ctx *c);

/* Record a defect; `path` may be NULL for a file-level problem. The first
 * defect also becomes the thread's ms_error_message(). Returns `code`. */
int h5u_defect(h5u_ctx *c, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Record a warning line (the file stays valid) in c->warnings. */
void h5u_warn(h5u_ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Turn off HDF5's automatic error printing for this thread. */
void h5u_silence(void);
/* HDF5's innermost error description on the current stack ("" if none),
 * then clear the stack. */
void h5u_error_text(char *buf, size_t n);

/* "/gpr" + "x" -> "/gpr/x"; "/" + "gpr" -> "/gpr". */
void h5u_join(char *buf, size_t n, const char *group, const char *name);

/* Check a file before handing it to HDF5: exists, regular, non-empty, has
 * the HDF5 signature. Records the defect and returns < 0 otherwise. */
int h5u_check_file(h5u_ctx *c);
/* Open read-only (closing the file closes everything in it). Records a
 * defect quoting HDF5's reason on failure. */
int h5u_open_file(h5u_ctx *c, hid_t *file);
/* The same for an HDF5 file image in memory (the core driver; c->file is
 * only its name in messages). */
int h5u_open_image(h5u_ctx *c, const void *image, size_t len, hid_t *file);

enum { H5U_ABSENT = 0, H5U_GROUP, H5U_DATASET, H5U_OTHER, H5U_BROKEN };
/* What `name` in `loc` is, without opening anything we keep. */
int h5u_child_kind(hid_t loc, const char *name);
/* Open the group `name` of `loc` (path `gpath` for messages): 0 and *grp
 * set, MS_ERR_NOT_FOUND when absent (recorded as a defect if required),
 * or a recorded defect when it is something else. */
int h5u_open_group(h5u_ctx *c, hid_t loc, const char *gpath, const char *name,
                   int required, hid_t *grp);

/* "float32", "int16 big-endian", "uint8", "variable-length string", ... */
void h5u_type_name(hid_t type, char *buf, size_t n);

/* ---- attributes ---------------------------------------------------- */
/* A string attribute (fixed or variable length, scalar or one-element
 * array), trailing NUL and space padding removed; *out is malloc'd. */
int h5u_attr_string(h5u_ctx *c, hid_t obj, const char *path, const char *name,
                    int required, char **out);
/* A string or array of strings; *out holds *n malloc'd strings. */
int h5u_attr_strings(h5u_ctx *c, hid_t obj, const char *path,
                     const char *name, char ***out, size_t *n);
/* A numeric (integer or float) scalar or one-element array. */
int h5u_attr_double(h5u_ctx *c, hid_t obj, const char *path, const char *name,
                    int required, double *out);
/* A numeric array of exactly `n` values. */
int h5u_attr_doubles(h5u_ctx *c, hid_t obj, const char *path,
                     const char *name, int required, double *out, size_t n);

/* ---- numeric datasets ---------------------------------------------- */
/* Which stored types a dataset may have. */
enum {
    H5U_ACCEPT_DATA = 1,    /* float32, float64, int16, int32 */
    H5U_ACCEPT_INTEGER = 2, /* any integer, or a boolean/integer enum */
};

/* A numeric dataset's stored type and its CF packing attributes. */
typedef struct h5u_num {
    H5T_class_t cls; /* H5T_FLOAT, H5T_INTEGER or H5T_ENUM */
    size_t size;     /* bytes per value */
    int has_fill;
    double scale, offset, fill; /* value = raw * scale + offset */
} h5u_num;

/* Open dataset `name` of `loc` (group path `gpath`; the dataset's path is
 * written to `path`), check its type against `accept`, its CF attributes,
 * its filters (an unavailable one is MS_ERR_UNSUPPORTED) and that its
 * rank is `rank` (1 or 2), giving its dims. Returns 0, MS_ERR_NOT_FOUND
 * (absent and optional) or a recorded defect. */
int h5u_open_numeric(h5u_ctx *c, hid_t loc, const char *gpath,
                     const char *name, int required, int rank, unsigned accept,
                     hid_t *dset, hsize_t dims[2], h5u_num *num,
                     char path[H5U_PATH_MAX]);

/* Is an array of n x m values of `elem` bytes too big to hold? Records a
 * defect naming `path` (a claimed size is an error, not an attempt). */
int h5u_check_size(h5u_ctx *c, const char *path, uint64_t n, uint64_t m,
                   uint64_t elem);

/* Read a whole 1-D numeric dataset of n values as double: _FillValue
 * becomes NaN, then scale/offset applied. *out is malloc'd. */
int h5u_read_1d_double(h5u_ctx *c, hid_t dset, const char *path,
                       const h5u_num *num, size_t n, double **out);
/* Read a whole 1-D integer/enum dataset of n values as int (is_mine). */
int h5u_read_1d_int(h5u_ctx *c, hid_t dset, const char *path, size_t n,
                    int **out);
/* Open and read a 1-D string dataset (fixed or variable length); n must
 * match `expect_n`. Returns MS_ERR_NOT_FOUND when absent. */
int h5u_read_1d_strings(h5u_ctx *c, hid_t loc, const char *gpath,
                        const char *name, size_t expect_n, char ***out);

/* Rows per block when reading a [rows][cols] dataset in hyperslabs:
 * up to 4096 rows but no more than about 16 MiB of doubles. */
hsize_t h5u_block_rows(hsize_t cols);
/* Read rows [row0, row0+nrows) of a 2-D dataset with `cols` columns into
 * out[nrows*cols] as float32; missing values (NaN, Inf, _FillValue)
 * become NaN. */
int h5u_read_block_f32(h5u_ctx *c, hid_t dset, const char *path,
                       const h5u_num *num, hsize_t row0, hsize_t nrows,
                       hsize_t cols, float *out);

/* free() n strings and the array. */
void h5u_free_strings(char **s, size_t n);

#endif
