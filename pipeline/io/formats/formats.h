/* Field recording formats: the files a radar writes (GSSI DZT, Sensors &
 * Software DT1 + HD, MALA RD3/RD7 + RAD, SEG-Y) and gprMax output, turned
 * into a minescan recording in memory. Format notes: pipeline/io/FORMATS.md.
 *
 * Every reader has a parse entry point that takes the whole file (and its
 * sidecar) as memory buffers, so that a fuzz target can call it without
 * touching the file system:
 *
 *     ms_import im;
 *     ms_import_init(&im);
 *     int rc = ms_dzt_parse("x.dzt", buf, len, NULL, 0, &opt, &im);
 *     ...
 *     ms_import_free(&im);
 *
 * Contract of every ms_*_parse function:
 * - It reads only inside [buf, buf + len) (and the sidecar's range), for
 *   any bytes at all; it never trusts a header count before checking it
 *   against the buffer's length (a header that claims 2^31 samples is an
 *   error, not an allocation).
 * - It returns 0 and fills im->rec (one GPR line, x along the line, y 0),
 *   or MS_ERR_INVALID_INPUT (bad file), MS_ERR_USAGE (the file needs an
 *   option: --dx for a time-mode file), MS_ERR_NOMEM, with one line in
 *   ms_error_message(): "NAME: FIELD: what is wrong".
 * - What it assumed (a default, a guess, dropped header words, ignored
 *   trailing bytes) goes to im->assumed, one line each.
 * - `name` is only used in messages. */
#ifndef MINESCAN_IO_FORMATS_H
#define MINESCAN_IO_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "minescan/error.h"
#include "minescan/recording.h"

typedef enum {
    MS_FORMAT_UNKNOWN = 0,
    MS_FORMAT_MINESCAN, /* our own HDF5 recording */
    MS_FORMAT_GPRMAX,   /* gprMax .out / .h5 */
    MS_FORMAT_DZT,      /* GSSI */
    MS_FORMAT_DT1,      /* Sensors & Software pulseEKKO .DT1 + .HD */
    MS_FORMAT_MALA,     /* MALA .rd3 / .rd7 + .rad */
    MS_FORMAT_SEGY,     /* SEG-Y rev 0, 1, 2 */
} ms_format;

/* "GSSI DZT" etc. */
const char *ms_format_name(ms_format f);

/* The format of `path`: by content where the format has a signature (HDF5,
 * DZT, SEG-Y), else by extension, case-insensitively (.dt1/.hd, .rd3/.rd7/
 * .rad). MS_FORMAT_UNKNOWN when neither says. */
ms_format ms_format_detect(const char *path);
/* The same from the first bytes and the name (no file access; for HDF5
 * it cannot tell gprMax from minescan and says MS_FORMAT_MINESCAN). */
ms_format ms_format_detect_buffer(const char *name, const uint8_t *head,
                                  size_t len);

typedef struct ms_import_options {
    double dx_m;                /* > 0: trace spacing (time-mode files, or
                                   to override the file's) */
    double centre_frequency_hz; /* > 0: override / supply the antenna's */
    const char *component;      /* gprMax: "Ez" when NULL */
    int channel;                /* DZT: 1-based channel; 0 means 1 */
    int keep_header_words;      /* DZT: keep the first samples even when
                                   they look like scan header words */
} ms_import_options;

ms_import_options ms_import_options_default(void);

/* Original header values, kept as text (written as string attributes of
 * /source/header). */
typedef struct ms_header_field {
    char *key, *value;
} ms_header_field;

typedef struct ms_import {
    ms_recording *rec;     /* owned; NULL until a parse succeeds */
    ms_format format;
    char detail[128];      /* "16-bit, 2 channels (channel 1 imported)" */
    char *antenna;         /* or NULL */
    ms_header_field *fields;
    size_t n_fields, cap_fields;
    ms_diag assumed;       /* one line per assumption */
} ms_import;

void ms_import_init(ms_import *im);
void ms_import_free(ms_import *im);
/* Add an original header value (copied); silently drops on NOMEM. */
void ms_import_field(ms_import *im, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- per-format parsers on memory buffers (see the contract above) ---- */

/* GSSI DZT: the whole .DZT file; `dzg` the optional .DZG GPS sidecar text
 * (NULL, 0 when absent; only used for a time-mode file without --dx). */
int ms_dzt_parse(const char *name, const uint8_t *buf, size_t len,
                 const char *dzg, size_t dzg_len,
                 const ms_import_options *opt, ms_import *im);

/* The same with the optional .DZX (XML) sidecar too: in a time-mode file
 * without --dx, its waypoints' <scan>/<distance> pairs give x before the
 * .DZG's GPS track does. */
int ms_dzt_parse_sidecars(const char *name, const uint8_t *buf, size_t len,
                          const char *dzg, size_t dzg_len, const char *dzx,
                          size_t dzx_len, const ms_import_options *opt,
                          ms_import *im);

/* Sensors & Software: the .HD text and the .DT1 bytes. */
int ms_dt1_parse(const char *name, const char *hd, size_t hd_len,
                 const uint8_t *dt1, size_t dt1_len,
                 const ms_import_options *opt, ms_import *im);

/* MALA: the .rad text and the .rd3 (bytes_per_sample 2) or .rd7 (4) data. */
int ms_mala_parse(const char *name, const char *rad, size_t rad_len,
                  const uint8_t *data, size_t data_len, int bytes_per_sample,
                  const ms_import_options *opt, ms_import *im);

/* The same with the optional .cor GPS sidecar text (NULL, 0 when absent;
 * only used when the .rad has no distance calibration and no --dx). */
int ms_mala_parse_cor(const char *name, const char *rad, size_t rad_len,
                      const uint8_t *data, size_t data_len,
                      int bytes_per_sample, const char *cor, size_t cor_len,
                      const ms_import_options *opt, ms_import *im);

/* SEG-Y: the whole file (textual, binary and trace headers read with
 * libsegyio's field accessors and sample converters). */
int ms_segy_parse(const char *name, const uint8_t *buf, size_t len,
                  const ms_import_options *opt, ms_import *im);

/* ---- helpers the readers share ---------------------------------------- */

/* The next "KEY<sep>value" line of a text header in [*pos, end): key and
 * value trimmed of blanks and copied (cut to their buffers), bytes outside
 * printable ASCII replaced by '?'. Lines without
 * `sep` are skipped. 1 when a line was found, 0 at the end. */
int ms_text_header_next(const char **pos, const char *end, char sep,
                        char *key, size_t key_sz, char *val, size_t val_sz);
/* A finite number at the start of `s` (units may follow); 0 or -1. */
int ms_parse_number(const char *s, double *out);

/* x along a GPS track, for files recorded in time mode with a GPS
 * sidecar (.DZG, .cor): n_fixes >= 2 fixes at increasing trace indices
 * `at` (latitude and longitude in degrees); x is the distance along the
 * fixes (metres, flat earth at the first fix's latitude), interpolated
 * linearly per trace and extrapolated before the first and after the last
 * fix. 0, or -1 when out of memory. */
/* x per trace from distances `dist` at n >= 2 increasing trace indices
 * `at`: linear between them, extrapolated beyond. */
void ms_positions_interpolate(const double *at, const double *dist,
                              size_t n, size_t n_traces, double *x);
int ms_track_positions(const double *at, const double *lat,
                       const double *lon, size_t n_fixes, size_t n_traces,
                       double *x);

/* A new recording holding an n x ns radar line, or NULL after "NAME: out
 * of memory for N traces of NS UNIT" (UNIT: "samples", "points"). */
ms_recording *ms_import_gpr_recording(const char *name, size_t n, size_t ns,
                                      const char *unit);
/* Sidecar text (.DZG, .cor) line by line: the line at `p` (before `end`)
 * copied into `line` (cut at cap - 1 bytes, NUL-terminated); returns
 * where the next line starts. */
const char *ms_sidecar_line(const char *p, const char *end, char *line,
                            size_t cap);
/* Room for one more row in k parallel arrays of doubles holding n rows
 * in *cap (the capacity doubles, 64 at first). 0, or -1 when out of
 * memory (every array is then still valid, to be freed). */
int ms_grow_rows(size_t n, size_t *cap, double **cols[], size_t k);

/* Non-finite float samples (NaN, Inf: dropped data) become missing: 0 in
 * data, 0 in valid (allocated on the first one). Returns how many. */
size_t ms_import_mark_missing(ms_gpr *g);

/* ---- files ------------------------------------------------------------ */

/* Read a whole file into memory (NUL-terminated, len excludes the NUL).
 * MS_ERR_INVALID_INPUT naming the file when it cannot be opened. */
int ms_read_whole_file(const char *path, uint8_t **buf, size_t *len);

/* Import one file of any supported format (detected): reads the file and
 * its sidecar (found beside it with the same stem, either case) and calls
 * the parser above; gprMax through ms_gprmax_import, a minescan recording
 * through ms_recording_read. */
int ms_import_file(const char *path, const ms_import_options *opt,
                   ms_import *im);

/* Several parallel lines into one recording: line i at y = y_m[i], its
 * traces keeping their x. The lines must agree on sample interval and
 * count. `im` receives the merged recording (format and header of the
 * first line). No /lane is written: the run takes the positions'
 * bounding box (a single line: the line's swath), as for any recording
 * without one. */
int ms_import_lines(const char *const *paths, const double *y_m, size_t n,
                    const ms_import_options *opt, ms_import *im);

/* For info, run and batch: a minescan recording is read as it is; any
 * other supported file is imported in memory with default options, with a
 * first warning line "FILE: read as FORMAT (...)" and one line per
 * assumption in `diag`. `format_out` (may be NULL) receives the format. */
int ms_recording_load(const char *path, ms_recording **out, ms_diag *diag,
                      ms_format *format_out);
/* The same with import options (NULL: the defaults), for run, batch and
 * info with --dx: a time-mode field file processes directly. Options do
 * not change how a minescan recording or gprMax output is read; --dx on
 * one adds a warning line that it was not used. */
int ms_recording_load_opt(const char *path, const ms_import_options *opt,
                          ms_recording **out, ms_diag *diag,
                          ms_format *format_out);

/* Write an imported recording to `path` atomically, with /source (format,
 * file, antenna, detail, assumptions) and /source/header (the original
 * header values) added. */
int ms_import_write(const char *path, const char *input, const ms_import *im);

#endif
