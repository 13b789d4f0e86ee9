/* index.html: the lane page a trainer opens. It leads with the answer
 * (trainee, lane, date, mines found by the trainee and by the detector,
 * misses, false marks, coverage, speed), then the annotated heatmap, the
 * evidence panels, and last the technical images and the files. Every
 * string that comes from a file is HTML-escaped; a Content-Security-Policy
 * lets the page load nothing but images beside it (no script, no network).
 * The marks and sweep figures come from score.json's "marks" and "sweep"
 * objects when the run wrote them; rows without data say so. Print styles
 * fit A4 landscape. */
#ifndef MINESCAN_INDEX_PAGE_H
#define MINESCAN_INDEX_PAGE_H

#include "core/outdir.h"
#include "minescan/detect.h"
#include "minescan/recording.h"
#include "report/evidence.h"

/* Written into the folder's staging area (call it after the figures and
 * score.json, so that it links and reads them) and recorded. `ev` may be
 * NULL (no panels). 0 or a negative ms_err. */
int ms_index_write(ms_outdir *o, const char *input, const char *recipe_name,
                   const ms_detection *det, const ms_recording *rec,
                   const ms_evidence *ev);

#endif
