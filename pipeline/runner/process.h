/* The main job on one recording: read it, run the recipe, and write the
 * output folder (PNGs, alarms, scores, summary.json, index.html). `run`
 * calls it once; `batch` calls it per input. */
#ifndef MINESCAN_PROCESS_H
#define MINESCAN_PROCESS_H

#include "minescan/error.h"
#include "runner/runner.h"

typedef struct ms_process_options {
    const char *recipe;         /* built-in name or file; NULL = "default" */
    const char *overrides[16];  /* --set STAGE.KEY=VALUE */
    size_t n_overrides;
    const char *device_requested; /* for the summary: auto, opencl, cpu */
    double alarm_threshold;       /* in units of the final map (z) */
    double alarm_separation_m;
    double halo_m;
    double sensor_threshold; /* which sensors `detectors` names (z) */
    double footprint_m;      /* sweep quality: sensor footprint */
    double speed_limit_m_s;  /* sweep quality: speed limit */
    double dx_m; /* > 0: trace spacing for a radar field file (--dx) */
} ms_process_options;

ms_process_options ms_process_options_default(void);

typedef struct ms_process_result {
    int input_invalid; /* the recording failed to read: see the diag lines */
    size_t n_alarms;
    int scored;        /* the recording had /truth */
    double pd, far;    /* at the alarm threshold; pd NaN without mines */
    double seconds;
} ms_process_result;

/* Returns 0 or a negative ms_err. When the recording cannot be read,
 * result->input_invalid is set and `diag` holds its defects, one per line;
 * any other failure (a bad recipe, an unwritable folder) sets the message.
 * Reader warnings for a valid file also go to `diag`. */
int ms_process_recording(ms_runner *runner, const char *input,
                         const char *outdir, const ms_process_options *opt,
                         ms_diag *diag, ms_process_result *result);

#endif
