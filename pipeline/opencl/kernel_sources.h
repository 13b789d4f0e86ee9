/* The kernels/NAME.cl files, embedded at build time by cmake/embed_kernels.cmake. */
#ifndef MINESCAN_KERNEL_SOURCES_H
#define MINESCAN_KERNEL_SOURCES_H

typedef struct ms_kernel_source {
    const char *name;   /* file name without .cl */
    const char *source; /* starts with #line 1 "kernels/NAME.cl" */
} ms_kernel_source;

/* Terminated by {NULL, NULL}. */
extern const ms_kernel_source ms_kernel_sources[];

#endif
