/* Input conditioning: what is done to a valid recording before any stage
 * sees it, each step reported as a warning line in `diag`. */
#ifndef MINESCAN_CONDITION_H
#define MINESCAN_CONDITION_H

#include "minescan/error.h"
#include "minescan/recording.h"

/* Amplitudes far from 1 are scaled by a power of two (single-precision
 * energies would overflow); a lane most of whose positions lie outside
 * /lane is reported (probably another frame). */
void ms_condition_recording(const char *input, ms_recording *rec,
                            ms_diag *diag);

#endif
