/* index.html: the page a trainer opens: the input, the recipe, what the
 * alarms found, then the figures in the order a trainer reads them and
 * links to every other file the run wrote. */
#ifndef MINESCAN_INDEX_PAGE_H
#define MINESCAN_INDEX_PAGE_H

#include "core/outdir.h"
#include "minescan/detect.h"

/* Written into the folder's staging area (call it after the figures, so
 * that it links them) and recorded. 0 or a negative ms_err. */
int ms_index_write(ms_outdir *o, const char *input, const char *recipe_name,
                   const ms_detection *det);

#endif
