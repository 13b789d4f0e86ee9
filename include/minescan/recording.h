/* A recording in memory, and its reader and writer.
 * The file format is described in pipeline/io/FORMAT.md (our own words for
 * the contract in shared/spec/recording-format.md). */
#ifndef MINESCAN_RECORDING_H
#define MINESCAN_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "minescan/error.h"

/* Radar: one A-scan per row. Missing samples (NaN, Inf, _FillValue) are
 * stored as 0 in `data` and 0 in `valid`; `valid` is NULL when every sample
 * is present. Traces whose position is not finite are dropped on reading. */
typedef struct ms_gpr {
    size_t n_traces, n_samples;
    float *data;    /* [n_traces][n_samples] */
    uint8_t *valid; /* [n_traces][n_samples], 1 = present; NULL = all */
    double *x, *y;  /* [n_traces] metres, lane frame */
    double *height; /* [n_traces] or NULL */
    double *time;   /* [n_traces] or NULL */
    double sample_interval_s;
    double centre_frequency_hz; /* 0 when absent */
    double time_zero_s;         /* 0 when absent */
    char *units;                /* NULL when absent */
    size_t n_missing_samples;   /* set by the reader */
    size_t n_dropped_traces;    /* set by the reader */
} ms_gpr;

/* Metal detector: one reading per row, one column per channel. */
typedef struct ms_emi {
    size_t n_readings, n_channels;
    float *data;    /* [n_readings][n_channels] */
    uint8_t *valid; /* as for ms_gpr */
    double *x, *y;
    double *height, *time; /* or NULL */
    char *units;           /* or NULL */
    char **channel_names;  /* [n_channels] or NULL */
    size_t n_missing_samples;
    size_t n_dropped_readings;
} ms_emi;

typedef struct ms_lane {
    int present;
    double x_min, x_max, y_min, y_max;
} ms_lane;

typedef struct ms_truth {
    size_t n;
    double *x, *y;
    int *is_mine;
    double *depth;    /* or NULL */
    double *diameter; /* or NULL */
    char **label;     /* or NULL */
} ms_truth;

typedef struct ms_marks {
    size_t n;
    double *x, *y;
    double *time; /* or NULL */
} ms_marks;

typedef struct ms_recording {
    int format_version;
    /* Optional free-text root attributes, NULL when absent. */
    char *title, *site, *lane_id, *operator_id, *instrument, *recorded_at;
    ms_gpr *gpr;     /* NULL when the file has no /gpr */
    ms_emi *emi;     /* NULL when the file has no /emi */
    ms_lane lane;    /* lane.present == 0 when the file has no /lane */
    ms_truth *truth; /* NULL when the file has no /truth */
    ms_marks *marks; /* NULL when the file has no /marks */
} ms_recording;

/* Read and validate `path`. On success returns 0 and *out owns the
 * recording; warnings (dropped traces, missing samples) go to `diag` if it
 * is not NULL. On an invalid file returns MS_ERR_INVALID_INPUT (or
 * MS_ERR_UNSUPPORTED for a missing filter) with one line per defect in
 * `diag`, each "FILE: /path: what is wrong". Never prints to the terminal;
 * HDF5's own error stack is silenced. libhdf5 here is not thread-safe:
 * read from one thread at a time (or in a child: see below). */
int ms_recording_read(const char *path, ms_recording **out, ms_diag *diag);
/* The same for an HDF5 file image in memory (`name` for the messages):
 * the fuzz target's way in. Not isolated: a crash in libhdf5 is the
 * caller's. */
int ms_recording_read_image(const void *image, size_t len, const char *name,
                            ms_recording **out, ms_diag *diag);

/* Only validate (same checks and messages as ms_recording_read). */
int ms_recording_validate(const char *path, ms_diag *diag);

/* Lane area in m^2: /lane if present, else the bounding box of all
 * positions. Returns 0 for a recording with no positions. */
double ms_recording_lane_area(const ms_recording *rec);
/* The lane rectangle: /lane if present, else the bounding box of the
 * finite GPR and EMI positions (then present = 1 too; present = 0 and all
 * zero when there is no position at all). */
ms_lane ms_recording_lane(const ms_recording *rec);

/* ---- crash isolation ------------------------------------------------
 * libhdf5 1.10 can crash (or spin) on hostile files, so code that parses
 * outside input runs in a fork()ed child: a crash there becomes a message,
 * not the end of the caller (`minescan info`, `minescan batch`). Fork
 * before creating any OpenCL object (the child must not use the parent's
 * OpenCL state). */
typedef struct ms_isolated_result {
    int exited;      /* 1: the child returned (or exited) normally */
    int code;        /* then: the ms_err it returned (0 or negative) */
    int signal;      /* else: the signal that killed it, 0 if none */
    int timed_out;   /* 1: killed (SIGKILL) after making no progress for
                        stall_s seconds: libhdf5 loops forever on some
                        corrupt files */
    char *text;      /* what the child wrote to its fd, NUL-terminated,
                        malloc'd (never NULL on success); free() it */
    size_t text_len;
} ms_isolated_result;

/* The child's work: write a result to `fd` (e.g. JSON text) and return 0
 * or a negative ms_err. Long work calls ms_isolated_heartbeat() now and
 * then (the reader does, once per block of data). */
typedef int (*ms_isolated_fn)(void *ctx, int fd);

/* Run fn(ctx, fd) in a child process and collect what it wrote. With
 * stall_s > 0 the child is killed when neither output nor a heartbeat has
 * come for stall_s seconds. Returns 0 when a result (of any kind) was
 * collected, or a negative ms_err when the child could not be started
 * (pipe, fork, memory). */
int ms_run_isolated(ms_isolated_fn fn, void *ctx, double stall_s,
                    ms_isolated_result *res);
/* In an isolated child: "still working". Elsewhere: does nothing. */
void ms_isolated_heartbeat(void);
/* The stall limit the recording commands use: $MINESCAN_STALL_TIMEOUT_S
 * if set to a positive number, else 20 seconds. */
double ms_isolated_stall_s(void);

/* ms_recording_read in a child process; returns what it returned, with the
 * same lines in `diag` (problems, or warnings for a valid file). A child
 * killed by a signal gives MS_ERR_INVALID_INPUT and the line
 * "FILE: the HDF5 library crashed reading this file (signal N); it is
 * corrupt"; one that stalls for ms_isolated_stall_s() is killed and
 * reported likewise. When json_out is not NULL it receives (malloc'd) the
 * JSON summary of ms_recording_info_json, also for a crashed child. */
int ms_recording_validate_isolated(const char *path, ms_diag *diag,
                                   char **json_out);
/* The same for `info --dx M`: a radar field file recorded in time mode
 * converted with that trace spacing (0: none given). */
int ms_recording_validate_isolated_dx(const char *path, double dx_m,
                                      ms_diag *diag, char **json_out);

/* The facts `minescan info --json` prints, as one JSON object (malloc'd
 * text): file, valid, error, format_version, the root strings, sensors,
 * gpr {n_traces, n_samples, sample_interval_s, time_window_s, data_min,
 * data_max, data_mean, ...}, emi {...}, extent, lane, lane_area_m2,
 * truth {n_objects, n_mines, n_clutter}, marks {n_marks},
 * n_missing_samples and n_dropped_traces (GPR and EMI together),
 * warnings [...] and problems [...] (the diag lines when rc != 0).
 * `rec` may be NULL (invalid file). NULL when out of memory. */
char *ms_recording_info_json(const char *path, const ms_recording *rec,
                             int rc, const ms_diag *diag);

typedef enum {
    MS_STORE_FLOAT32 = 0, /* the norm */
    MS_STORE_FLOAT64,
    MS_STORE_INT16, /* with scale_factor so that the data fits */
    MS_STORE_INT32,
} ms_store_type;

typedef struct ms_write_options {
    ms_store_type data_type; /* for /gpr/data and /emi/data */
    int deflate_level;       /* 0 = no compression (contiguous), 1..9 */
    int shuffle;             /* with deflate */
    int variable_strings;    /* 1 = variable-length strings, 0 = fixed */
} ms_write_options;

/* Defaults: float32, deflate 4 with shuffle, variable-length strings. */
ms_write_options ms_write_options_default(void);

/* Write `rec` to `path` atomically (a temporary file renamed into place),
 * so a failure never leaves a half-written file under the final name.
 * Missing samples (valid == 0) are written as NaN. */
int ms_recording_write(const char *path, const ms_recording *rec,
                       const ms_write_options *opt);

/* Allocation helpers for writers (the simulator, the gprMax importer).
 * ms_gpr_new/ms_emi_new allocate data (zeroed), x and y; ms_truth_new x, y
 * and is_mine; ms_marks_new x and y. Optional arrays (valid, height, time,
 * depth, diameter, label, channel_names) and strings start NULL; assign
 * malloc'd ones and ms_recording_free frees them. NULL when the sizes
 * overflow or memory runs out (ms_error_message says which). */
ms_recording *ms_recording_new(void);
ms_gpr *ms_gpr_new(size_t n_traces, size_t n_samples);
ms_emi *ms_emi_new(size_t n_readings, size_t n_channels);
ms_truth *ms_truth_new(size_t n);
ms_marks *ms_marks_new(size_t n);
void ms_recording_free(ms_recording *rec);
/* Free one part (for code that builds a recording and fails midway). */
void ms_gpr_free(ms_gpr *gpr);
void ms_emi_free(ms_emi *emi);
void ms_truth_free(ms_truth *truth);
void ms_marks_free(ms_marks *marks);

/* Import a gprMax merged B-scan (v3 .out or v4 .h5) as a GPR recording.
 * `dx_m` > 0 overrides the trace spacing; <= 0 means take it from rxsteps
 * and the cell size, failing with a message asking for --dx if absent.
 * `component` is "Ez" by default (NULL). */
int ms_gprmax_import(const char *path, const char *component, double dx_m,
                     ms_recording **out, ms_diag *diag);

#endif
