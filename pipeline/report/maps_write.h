/* maps.h5: every map a run made (the final anomaly map, per-sensor maps,
 * hit counts) as numbers, for research and for checking one device against
 * another; heatmap.png is the picture of the same data. */
#ifndef MINESCAN_MAPS_WRITE_H
#define MINESCAN_MAPS_WRITE_H

#include <stddef.h>

#include "minescan/detect.h"

typedef struct ms_named_map {
    const char *name; /* the recipe slot */
    ms_map_view map;
} ms_named_map;

/* One float32 dataset /NAME [ny][nx] per map, with attributes x_min,
 * x_max, y_min, y_max (outer cell edges, metres) and cell_m; the root
 * attribute final_map names the anomaly map ("" for none). Written
 * atomically. */
int ms_maps_write(const char *path, const ms_named_map *maps, size_t n,
                  const char *final);

#endif
