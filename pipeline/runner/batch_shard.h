/* Splitting one batch over machines: shard I of N (I from 1 to N) takes
 * the inputs at positions I-1, I-1+N, I-1+2N, ... of the input list
 * sorted by path, so that the N shards together take every input exactly
 * once, whatever order the arguments came in. */
#ifndef MINESCAN_BATCH_SHARD_H
#define MINESCAN_BATCH_SHARD_H

#include <stddef.h>

/* "I/N", or "slurm": I and N from SLURM_ARRAY_TASK_ID (made 1-based with
 * SLURM_ARRAY_TASK_MIN) and SLURM_ARRAY_TASK_COUNT. 0, or MS_ERR_USAGE
 * with the message. */
int ms_shard_parse(const char *spec, unsigned *index, unsigned *count);

/* order[0..n) = the inputs' indices sorted by path (ties by position);
 * shard I of N takes order[I-1], order[I-1+N], ... Returns n. */
size_t ms_shard_order(const char *const *inputs, size_t n, size_t *order);

#endif
