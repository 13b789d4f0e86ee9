/* The stage registry: one line per stage. */
#include <string.h>

#include "stages/stage.h"

extern const ms_stage_decl ms_stage_dewow, ms_stage_background_removal,
    ms_stage_envelope, ms_stage_window_energy, ms_stage_grid,
    ms_stage_emi_detrend, ms_stage_zscore, ms_stage_fuse, ms_stage_time_bins,
    ms_stage_grid_volume, ms_stage_depth_slice, ms_stage_ground_align;
extern const ms_stage_decl ms_stage_bounce_fit;
extern const ms_stage_decl ms_stage_lms_residual;
extern const ms_stage_decl ms_stage_migrate_kirchhoff, ms_stage_volume_energy;
extern const ms_stage_decl ms_stage_cfar, ms_stage_emi_decay,
    ms_stage_dipole_filter, ms_stage_depth_cfar;
extern const ms_stage_decl ms_stage_migrate_stolt, ms_stage_local_rx;
extern const ms_stage_decl ms_stage_bandpass, ms_stage_gain, ms_stage_emi_tau;
extern const ms_stage_decl ms_stage_trace_stack;

const ms_stage_decl *const ms_stage_registry[] = {
    &ms_stage_dewow,
    &ms_stage_bandpass,
    &ms_stage_ground_align,
    &ms_stage_bounce_fit,
    &ms_stage_background_removal,
    &ms_stage_gain,
    &ms_stage_trace_stack,
    &ms_stage_envelope,
    &ms_stage_window_energy,
    &ms_stage_lms_residual,
    &ms_stage_emi_detrend,
    &ms_stage_grid,
    &ms_stage_time_bins,
    &ms_stage_grid_volume,
    &ms_stage_depth_slice,
    &ms_stage_migrate_kirchhoff,
    &ms_stage_volume_energy,
    &ms_stage_migrate_stolt,
    &ms_stage_zscore,
    &ms_stage_fuse,
    &ms_stage_cfar,
    &ms_stage_emi_decay,
    &ms_stage_emi_tau,
    &ms_stage_dipole_filter,
    &ms_stage_depth_cfar,
    &ms_stage_local_rx,
    NULL,
};

const ms_stage_decl *ms_stage_find(const char *name)
{
    for (size_t i = 0; ms_stage_registry[i]; i++)
        if (strcmp(ms_stage_registry[i]->name, name) == 0)
            return ms_stage_registry[i];
    return NULL;
}
