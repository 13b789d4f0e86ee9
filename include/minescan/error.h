/* One error convention for the whole project (after libuv):
 * every function that can fail returns 0 or a negative ms_err code from the
 * list below; the detail (file, HDF5 path, stage, what to do) goes into a
 * thread-local message that the caller may read with ms_error_message().
 * Functions that find many defects at once (the recording validator) also
 * collect one line per defect in an ms_diag. */
#ifndef MINESCAN_ERROR_H
#define MINESCAN_ERROR_H

#include <stddef.h>

/* X(name, value, exit_code, text) */
#define MS_ERROR_LIST(X)                                                       \
    X(MS_OK, 0, 0, "success")                                                  \
    X(MS_ERR_INVALID_INPUT, -1, 2, "invalid input")                            \
    X(MS_ERR_USAGE, -2, 2, "invalid usage")                                    \
    X(MS_ERR_NOMEM, -3, 3, "out of memory")                                    \
    X(MS_ERR_IO, -4, 3, "input/output error")                                  \
    X(MS_ERR_OPENCL, -5, 3, "OpenCL error")                                    \
    X(MS_ERR_UNSUPPORTED, -6, 2, "unsupported input")                          \
    X(MS_ERR_INTERNAL, -7, 3, "internal error")                                \
    X(MS_ERR_NOT_FOUND, -8, 2, "not found")

typedef enum {
#define MS_X_ENUM(name, value, exit_code, text) name = value,
    MS_ERROR_LIST(MS_X_ENUM)
#undef MS_X_ENUM
} ms_err;

/* "invalid input" etc. */
const char *ms_strerror(int code);
/* "MS_ERR_INVALID_INPUT" etc. */
const char *ms_error_name(int code);
/* Process exit status for an error code, per the outputs contract
 * (0 success, 2 invalid input or usage, 3 internal/environment). */
int ms_exit_code(int code);

/* Set the thread-local detail message; returns `code` so that callers can
 * write `return ms_fail(MS_ERR_INVALID_INPUT, "%s: %s: ...", file, path)`.
 * The arguments may include ms_error_message(), to add a prefix to it. */
int ms_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The last detail message set on this thread ("" if none). */
const char *ms_error_message(void);
void ms_error_clear(void);

/* A list of problem lines, each already formatted as
 * "FILE: /hdf5/path: what is wrong". */
typedef struct ms_diag {
    char **lines;
    size_t n, cap;
} ms_diag;

void ms_diag_init(ms_diag *d);
void ms_diag_add(ms_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ms_diag_free(ms_diag *d);

#endif
