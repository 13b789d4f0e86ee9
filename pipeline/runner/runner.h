/* The runner: executes a recipe over a recording on the chosen device.
 * It owns every buffer ("slots", named arrays such as gpr, gpr_valid,
 * gpr_xy, emi, gpr_map). Data stays on the OpenCL device from one stage to
 * the next; it is copied to the host only when a stage runs on the CPU or
 * when the caller asks for a slot. A stage writes new buffers and never
 * touches its inputs, so a failing OpenCL stage reruns on the CPU from them
 * (with a warning naming the stage and the OpenCL error); after
 * MS_MAX_FALLBACKS such failures the rest of the run stays on the CPU. An
 * OpenCL failure between stages (a copy back to the host) reruns the whole
 * recipe on the CPU from the recording. */
#ifndef MINESCAN_RUNNER_H
#define MINESCAN_RUNNER_H

#include "minescan/recording.h"
#include "recipe/recipe.h"
#include "stages/stage.h"

#define MS_MAX_FALLBACKS 3

typedef enum {
    MS_DEVICE_AUTO,   /* a GPU, else any OpenCL device, else the C path */
    MS_DEVICE_OPENCL, /* any OpenCL device, or fail */
    MS_DEVICE_CPU,    /* the C reference path only */
} ms_device_choice;

/* "auto", "opencl", "cpu"; MS_ERR_USAGE otherwise. */
int ms_device_choice_parse(const char *s, ms_device_choice *out);
/* MINESCAN_DEVICE if set (an invalid value is an error), else auto. */
int ms_device_choice_default(ms_device_choice *out);
const char *ms_device_choice_name(ms_device_choice c);

typedef struct ms_runner ms_runner;

/* Open the device. For auto without any usable OpenCL device the runner
 * uses the C path and ms_runner_note() says why. */
int ms_runner_create(ms_device_choice choice, ms_runner **out);
void ms_runner_free(ms_runner *r);
/* "opencl" or "cpu": where the runner runs stages (a run may still fall
 * back stage by stage), and the device's name ("C reference" for cpu). */
const char *ms_runner_kind(const ms_runner *r);
const char *ms_runner_device_name(const ms_runner *r);
const char *ms_runner_note(const ms_runner *r);
/* Why auto took the C path although an OpenCL device exists (a CPU device
 * not measured faster); "" otherwise. Not a problem: summary.json
 * records it, `minescan devices` prints it. */
const char *ms_runner_choice(const ms_runner *r);
ms_cl *ms_runner_cl(ms_runner *r); /* NULL on the C path */
/* Let runs on the C path take the sensor data (and validity) out of the
 * recording they are given, leaving NULL there, so that it is freed as
 * soon as a stage replaces it: peak memory for callers that no longer
 * need it. Off by default. (OpenCL runs keep it for a rerun on the CPU.) */
void ms_runner_consume_recordings(ms_runner *r, int on);
/* Arm MINESCAN_FAULT's download fault again (it fires once per arming): a
 * batch worker's runner serves many inputs, and each gets it, as each got
 * a runner of its own before. */
void ms_runner_rearm_faults(ms_runner *r);

/* Run one stage on host arrays, on the CPU or through OpenCL (upload, run,
 * download). The parity test and the benchmark use this. */
int ms_stage_exec_cpu(ms_stage_ctx *ctx, const float *const in[],
                      float *const out[]);
int ms_stage_exec_opencl(ms_cl *cl, ms_stage_ctx *ctx, const float *const in[],
                         float *const out[]);

typedef struct ms_run ms_run;

/* Run `recipe` over `rec` (read from `input`, which starts every warning
 * line). Stages whose input slots do not exist (an EMI-only file has no
 * gpr) are skipped with a reason. Returns 0 or a negative ms_err (the
 * message names the recipe line and stage). */
int ms_run_recipe(ms_runner *r, const char *input, ms_recording *rec,
                  const ms_recipe *recipe, ms_run **out);
void ms_run_free(ms_run *run);
const ms_stage_report *ms_run_reports(const ms_run *run, size_t *n);
const ms_env *ms_run_env(const ms_run *run);
/* The gate times (seconds) of n metal-detector channels from their names
 * (ms_env.emi_gate_s): n when every name ends in a time with its unit and
 * the times increase, else 0 (nothing to trust; t_s is then scratch). */
int ms_emi_gate_times(const char *const *names, size_t n, double *t_s);
/* The slot's data on the host (copied back from the device if needed), or
 * NULL if the run has no such slot. Owned by the run. */
const float *ms_run_slot(ms_run *run, const char *name, ms_shape *shape);
/* The name and shape of the i-th slot written by a stage of this run (in
 * the order first written); NULL past the last. */
const char *ms_run_stage_slot(const ms_run *run, size_t i, ms_shape *shape);
/* The slot that fills an output role of the recipe: the first of the
 * role's slots that a stage of this run wrote; NULL if none. */
const char *ms_run_output(ms_run *run, ms_output_role role);
/* The name of the final anomaly map: the recipe's `anomaly` output, or for
 * a recipe that declares none the first output of the last stage that ran
 * and wrote a map; NULL if none. */
const char *ms_run_final_map(ms_run *run);

#endif
