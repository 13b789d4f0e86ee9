/* score.json's "marks" and "sweep" keys (operator_json.c), and score.json
 * for a lane with or without truth (score_write.c). */
#ifndef MINESCAN_OPERATOR_JSON_H
#define MINESCAN_OPERATOR_JSON_H

#include <jansson.h>

#include "minescan/detect.h"
#include "minescan/operator.h"

/* New references, or NULL when out of memory. */
json_t *ms_marks_score_json(const ms_marks_score *m);
json_t *ms_sweep_quality_json(const ms_sweep_quality *q);

/* score.json: the alarm score's keys when `s` is not NULL (as
 * ms_score_write_json_line writes them), then "marks" when `marks` is not
 * NULL and "sweep" when `sweep` is not NULL. A lane without /truth passes
 * s = NULL and gets only "sweep". Atomic. */
int ms_score_write_lane_json(const char *path, const ms_score *s,
                             const ms_roc *roc, const ms_line *line,
                             double swath_m, const ms_marks_score *marks,
                             const ms_sweep_quality *sweep);

#endif
