/* Small helpers shared by the C tests. */
#ifndef MINESCAN_TEST_UTIL_H
#define MINESCAN_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "opencl/cl_runtime.h"

/* A deterministic generator (splitmix64), so a failure reproduces. */
typedef struct test_rng {
    uint64_t s;
} test_rng;

static inline uint64_t test_rng_next(test_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double test_rng_uniform(test_rng *r)
{
    return (double)(test_rng_next(r) >> 11) * 0x1.0p-53;
}

/* A scratch path under MINESCAN_TEST_TMP (or /tmp). */
static inline void test_tmp_path(char *buf, size_t len, const char *name)
{
    const char *dir = getenv("MINESCAN_TEST_TMP");
    snprintf(buf, len, "%s/%s", dir && *dir ? dir : "/tmp", name);
}

/* The OpenCL device `auto` would pick (named on stdout), or NULL without
 * one (the message says what to install). */
static inline ms_cl *test_cl_open(void)
{
    ms_cl_device_info *list;
    size_t n = ms_cl_list_devices(&list);
    int pick = ms_cl_pick_device(list, n);
    ms_cl *cl = NULL;
    if (pick < 0 || ms_cl_create(&list[pick], &cl) != 0) {
        fprintf(stderr, "no usable OpenCL device: install pocl-opencl-icd\n");
        cl = NULL;
    } else {
        printf("# OpenCL device: %s\n", list[pick].device_name);
    }
    free(list);
    return cl;
}

#endif
