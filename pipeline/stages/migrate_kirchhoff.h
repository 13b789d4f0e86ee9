/* migrate_kirchhoff's C reference at a chosen output stride, for tests:
 * the velocity estimate images every second cell (stride 2, a quarter of
 * the work), and each such value must be the stride-1 image's value at
 * that cell, computed the same way (the same terms in the same order). */
#ifndef MINESCAN_STAGES_MIGRATE_KIRCHHOFF_H
#define MINESCAN_STAGES_MIGRATE_KIRCHHOFF_H

#include "stages/stage.h"

/* The image at velocity v (m/ns) of the output cells (jx stride, jy
 * stride), stored [nz][nys][nxs] (nxs = ceil(nx / stride), nys likewise)
 * into out; wsum is nx + 1 floats of scratch. ctx is the stage's (its
 * parameters and shapes; shape() already run). */
void ms_migrate_kirchhoff_image(const ms_stage_ctx *ctx, const float *in,
                                const float *hits, double v_m_per_ns,
                                int stride, float *wsum, float *out);

#endif
