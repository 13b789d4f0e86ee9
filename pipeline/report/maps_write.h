/* maps.h5: every map a run made (the final anomaly map, per-sensor maps,
 * hit counts) as numbers, for research and for checking one device against
 * another; heatmap.png is the picture of the same data. */
#ifndef MINESCAN_MAPS_WRITE_H
#define MINESCAN_MAPS_WRITE_H

#include "runner/runner.h"

/* One float32 dataset /NAME [ny][nx] per map slot, with attributes x_min,
 * x_max, y_min, y_max (outer cell edges, metres) and cell_m; the root
 * attribute final_map names the anomaly map. Written atomically. */
int ms_maps_write(const char *path, ms_run *run);

#endif
