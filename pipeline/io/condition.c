/* Input conditioning between reading a recording and running a recipe:
 * see condition.h. */
#include "io/condition.h"

#include <math.h>

/* Amplitudes far from 1 would overflow (or underflow) single precision
 * once squared into energies and squared again into their variance: scale
 * such data by a power of two to a peak between 0.5 and 1 (the maps are
 * standardised later, so no figure changes; samples smaller than 2^-126 of
 * the peak flush to zero) and say so. */
static void tame_amplitudes(const char *input, float *data, size_t n,
                            const char *path, ms_diag *diag)
{
    float peak = 0.0f;
    for (size_t i = 0; i < n; i++)
        peak = fmaxf(peak, fabsf(data[i]));
    int e;
    frexpf(peak, &e);
    if (peak == 0.0f || (e <= 16 && e >= -16))
        return;
    for (size_t i = 0; i < n; i++)
        data[i] = ldexpf(data[i], -e);
    ms_diag_add(diag, "%s: %s: warning: amplitudes up to %g are far from 1 "
                "for single-precision energies; scaled by 2^%d", input, path,
                peak, -e);
}

/* A lane most of whose readings lie outside /lane is probably in another
 * frame (or the lane is wrong): the maps would be empty. */
static void check_positions(const char *input, const ms_recording *rec,
                            ms_diag *diag)
{
    if (!rec->lane.present)
        return;
    const ms_lane *l = &rec->lane;
    size_t outside = 0, n = 0;
    const double *xs[2] = {rec->gpr ? rec->gpr->x : NULL,
                           rec->emi ? rec->emi->x : NULL};
    const double *ys[2] = {rec->gpr ? rec->gpr->y : NULL,
                           rec->emi ? rec->emi->y : NULL};
    size_t counts[2] = {rec->gpr ? rec->gpr->n_traces : 0,
                        rec->emi ? rec->emi->n_readings : 0};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < counts[s]; i++, n++)
            outside += xs[s][i] < l->x_min || xs[s][i] > l->x_max ||
                       ys[s][i] < l->y_min || ys[s][i] > l->y_max;
    if (n && outside * 2 > n)
        ms_diag_add(diag, "%s: /lane: warning: %zu of %zu positions lie "
                    "outside the lane (x %g..%g, y %g..%g m); are the "
                    "positions in the lane frame?", input, outside, n,
                    l->x_min, l->x_max, l->y_min, l->y_max);
}

void ms_condition_recording(const char *input, ms_recording *rec,
                            ms_diag *diag)
{
    if (rec->gpr)
        tame_amplitudes(input, rec->gpr->data,
                        rec->gpr->n_traces * rec->gpr->n_samples, "/gpr/data",
                        diag);
    if (rec->emi)
        tame_amplitudes(input, rec->emi->data,
                        rec->emi->n_readings * rec->emi->n_channels,
                        "/emi/data", diag);
    check_positions(input, rec, diag);
}
