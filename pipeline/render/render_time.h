/* Time spent drawing and writing PNGs, which summary.json reports apart
 * from reading, the stages and the other outputs (internal to minescan). */
#ifndef MINESCAN_RENDER_TIME_H
#define MINESCAN_RENDER_TIME_H

/* Seconds spent in ms_render_map, ms_render_bscan, ms_render_roc and
 * ms_png_write in this process since the previous call (which it resets
 * to zero). */
double ms_render_seconds_take(void);

/* For those functions: bracket each call; a nested call (ms_png_write
 * from a renderer) counts once. */
double ms_render_clock_begin(void);
void ms_render_clock_end(double t0);

#endif
