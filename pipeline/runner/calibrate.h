/* Calibration: whether an OpenCL device that is not a GPU (PoCL on this
 * machine's CPU) beats the single-threaded C path on every stage of the
 * default recipe at lane size. `--device auto` takes such a device only
 * when a calibration says so (a GPU always); `minescan devices
 * --calibrate` measures and stores the answer per device, driver and
 * minescan version under $XDG_CACHE_HOME/minescan (~/.cache/minescan). */
#ifndef MINESCAN_CALIBRATE_H
#define MINESCAN_CALIBRATE_H

#include <time.h>

#include "opencl/cl_runtime.h"
#include "runner/runner.h"

#define MS_CAL_MAX_STAGES 32

typedef struct ms_calibration_stage {
    char name[48]; /* "dewow#3": the stage and its line in the recipe */
    double cpu_ms, opencl_ms;
} ms_calibration_stage;

typedef struct ms_calibration {
    char device[512];
    int opencl_faster;     /* on every stage that ran */
    char slower_stage[48]; /* the first where it was not; "" if none */
    ms_calibration_stage stages[MS_CAL_MAX_STAGES];
    size_t n_stages;
    time_t when;
} ms_calibration;

/* Time the default recipe on a synthetic lane (25,600 x 160 radar, 16 MB)
 * on the C path and on `dev` (auto's pick: the caller makes sure it is
 * the device ms_runner_create picks). */
int ms_calibrate(const ms_cl_device_info *dev, ms_calibration *out);
int ms_calibration_save(const ms_cl_device_info *dev, const ms_calibration *c);
/* 0, or MS_ERR_NOT_FOUND when this device has no (readable) calibration. */
int ms_calibration_load(const ms_cl_device_info *dev, ms_calibration *out);
void ms_calibration_path(const ms_cl_device_info *dev, char *buf, size_t len);

/* auto's last verdict on this machine's OpenCL set-up (the installed ICDs,
 * their files and sizes, and minescan's version), so that a run that will
 * take the C path need not load the OpenCL stack to learn it again (about
 * 60 MB and tens of milliseconds per file of a batch). Saved by the runner
 * when auto settles on the C path for a CPU device; `devices --calibrate`
 * replaces it. 1 with the reason when the cached verdict is the C path. */
int ms_auto_cached_cpu(char *why, size_t len);
void ms_auto_cache_cpu(const char *why);
void ms_auto_cache_clear(void);

#endif
