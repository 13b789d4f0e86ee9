/* summary.json: what a run read, did, where and how long, so that a figure
 * can be traced back to its input and parameters. */
#ifndef MINESCAN_SUMMARY_H
#define MINESCAN_SUMMARY_H

#include <stddef.h>

#include "minescan/detect.h"
#include "minescan/error.h"
#include "recipe/recipe.h"

typedef struct ms_summary_input {
    const char *input_path;
    const char *recipe_overrides[16];
    size_t n_overrides;
    const char *device_requested;
    const char *device_name; /* of the runner: "C reference", a device */
    const char *device_note; /* a problem with the device choice, or "" */
    const char *device_choice; /* why auto took its path, or "" */
    const ms_recipe *recipe;
    const ms_stage_report *reports; /* one per step that ran */
    size_t n_reports;
    const ms_diag *warnings;     /* reader warnings and others */
    const char *const *outputs;  /* file names written in the folder */
    size_t n_outputs;
    double read_seconds, render_seconds, total_seconds;
    const ms_detect_options *detect; /* alarm threshold, halo, ... */
    size_t n_alarms;
    int scored;     /* the recording had /truth */
    double pd, far; /* then: at the alarm threshold (pd NaN: no mines) */
    const ms_recording *rec; /* its identity goes under "recording"; or NULL */
    double footprint_m, speed_limit_m_s; /* sweep quality's settings */
    double dx_m; /* --dx for a radar field file; 0 when not given */
} ms_summary_input;

/* CRC-32 (zlib) of a file as 8 hex digits; 0 or MS_ERR_IO. */
int ms_file_crc32(const char *path, char hex[9], long long *bytes);

/* Write the summary to `path` atomically. */
int ms_summary_write(const char *path, const ms_summary_input *in);

#endif
