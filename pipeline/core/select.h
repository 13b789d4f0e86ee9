/* Exact selection: the k-th smallest of an array of floats, in linear
 * time whatever the values (a radix selection). For percentiles and
 * medians of images and of maps. */
#ifndef MINESCAN_CORE_SELECT_H
#define MINESCAN_CORE_SELECT_H

#include <stddef.h>

/* The k-th smallest (0-based, k < n) of the finite a[0..n-1], exactly;
 * overwrites a. 0 where k >= n (an empty array). */
float ms_kth_smallest(float *a, size_t n, size_t k);

#endif
