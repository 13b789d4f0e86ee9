/* Ground truth for an imported model (minescan import-gprmax --truth). */
#ifndef MINESCAN_CLI_IMPORT_TRUTH_H
#define MINESCAN_CLI_IMPORT_TRUTH_H

#include "minescan/recording.h"

/* Reads FILE.json, {"objects": [{"x": M, "y": M, "is_mine": 0|1,
 * "label": "PMN", "depth": M, "diameter": M}, ...], "lane": {"x_min":
 * ..., "x_max": ..., "y_min": ..., "y_max": ...}} (y, label, depth,
 * diameter and lane optional; positions in the recording's frame: x along
 * the line from the first trace, y across it, 0 on the line), into
 * rec->truth and, when given, rec->lane. 0, or MS_ERR_INVALID_INPUT with
 * one message naming the file and the entry (MS_ERR_NOMEM). */
int ms_import_truth_json(const char *path, ms_recording *rec);

#endif
