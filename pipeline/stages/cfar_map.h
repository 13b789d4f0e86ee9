/* What cfar and depth_cfar share: the CFAR statistic of one map (a lane's
 * map, or one depth plane of a gridded volume) against a square training
 * ring around each cell, from summed-area tables, on the host and on an
 * OpenCL device (kernels/cfar.cl). cfar.c says what the statistic is. */
#ifndef MINESCAN_CFAR_MAP_H
#define MINESCAN_CFAR_MAP_H

#include <stddef.h>

#include "opencl/cl_runtime.h"

typedef struct ms_cfar_map_opts {
    int g, w;    /* guard and training half-widths in cells (w > g) */
    int model;   /* 0: exponential (ratio to the mean), 1: Gaussian */
    float floor; /* the local estimate is at least this fraction of the
                    map-wide one (0: none) */
    float scale; /* output per unit of the statistic (ms_cfar_scale) */
} ms_cfar_map_opts;

/* Guard and training half-widths in metres as cells: the training square
 * at least one cell wider than the guard. */
void ms_cfar_cells(double guard_m, double train_m, double cell_m, int *g,
                   int *w);

/* score_at_threshold over -ln pfa (model 0) or over the normal quantile of
 * 1 - pfa (model 1): a cell at the CFAR threshold for pfa then scores
 * score_at_threshold. */
float ms_cfar_scale(int model, double pfa, double score_at_threshold);

/* Bytes of the summed-area tables for an nx x ny map (host or device). */
size_t ms_cfar_tables_bytes(size_t nx, size_t ny);

/* The statistic of every cell of map v (nx x ny, row by row; hits > 0
 * marks a swept cell) into out; `tables` is ms_cfar_tables_bytes of
 * scratch. */
void ms_cfar_map_cpu(const ms_cfar_map_opts *o, const float *v,
                     const float *hits, int nx, int ny, double *tables,
                     float *out);

/* Floats of host scratch ms_cfar_map_cl needs for an n-cell map under
 * model (model 1's floor is worked out on the host: 0 for model 0). */
size_t ms_cfar_host_floats(int model, size_t n);

/* The same on the device, for the map that starts `off` floats into
 * buffer v; floor_v (2 floats) and tables are device scratch, host is
 * ms_cfar_host_floats of host scratch (NULL when that is 0), whose second
 * n floats hold the hit counts once downloaded: hits_on_host says that an
 * earlier call with the same host scratch and hits already did (the
 * planes of one volume). */
int ms_cfar_map_cl(ms_cl *cl, const ms_cfar_map_opts *o, cl_mem v, int off,
                   cl_mem hits, cl_mem out, int nx, int ny, cl_mem floor_v,
                   cl_mem tables, float *host, int hits_on_host);

#endif
