/* Wall time for stage timings, progress lines and watchdogs. */
#ifndef MINESCAN_CLOCK_H
#define MINESCAN_CLOCK_H

#include <time.h>

/* Seconds on the monotonic clock (differences only). */
static inline double ms_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
