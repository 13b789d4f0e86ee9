/* Batch shards: see batch_shard.h. */
#include "runner/batch_shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"

/* A whole number >= lo from `s` (all of it), or -1. */
static long whole(const char *s, long lo)
{
    char *end;
    if (!s || !*s)
        return -1;
    long v = strtol(s, &end, 10);
    return *end || v < lo || v > 1000000 ? -1 : v;
}

int ms_shard_parse(const char *spec, unsigned *index, unsigned *count)
{
    long i, n;
    if (!strcmp(spec, "slurm")) {
        const char *id = getenv("SLURM_ARRAY_TASK_ID");
        const char *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
        const char *min = getenv("SLURM_ARRAY_TASK_MIN");
        if (!id || !cnt)
            return ms_fail(MS_ERR_USAGE, "--shard slurm: SLURM_ARRAY_TASK_ID "
                           "and SLURM_ARRAY_TASK_COUNT are not set (run it "
                           "in a job array: sbatch --array=1-N)");
        long lo = min ? whole(min, 0) : 1;
        i = whole(id, 0);
        n = whole(cnt, 1);
        if (lo < 0 || i < 0 || n < 0)
            return ms_fail(MS_ERR_USAGE, "--shard slurm: SLURM_ARRAY_TASK_ID "
                           "%s, SLURM_ARRAY_TASK_COUNT %s: expected whole "
                           "numbers", id, cnt);
        i = i - lo + 1;
    } else {
        const char *slash = strchr(spec, '/');
        char first[32];
        if (!slash || (size_t)(slash - spec) >= sizeof first)
            return ms_fail(MS_ERR_USAGE, "--shard %s: expected I/N (I from 1 "
                           "to N) or slurm", spec);
        memcpy(first, spec, (size_t)(slash - spec));
        first[slash - spec] = '\0';
        i = whole(first, 1);
        n = whole(slash + 1, 1);
    }
    if (i < 1 || n < 1 || i > n)
        return ms_fail(MS_ERR_USAGE, "--shard %s: expected I/N with I from 1 "
                       "to N (the range --array=1-N gives)", spec);
    *index = (unsigned)i;
    *count = (unsigned)n;
    return 0;
}

static const char *const *sort_inputs;

static int by_path(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(sort_inputs[x], sort_inputs[y]);
    return c ? c : (x > y) - (x < y);
}

size_t ms_shard_order(const char *const *inputs, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_inputs = inputs;
    if (n)
        qsort(order, n, sizeof *order, by_path);
    sort_inputs = NULL;
    return n;
}
