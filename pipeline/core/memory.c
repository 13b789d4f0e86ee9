/* The memory budget: see memory.h. */
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static void lower(double *budget, const char **why, double v, const char *w)
{
    if (v > 0 && v < *budget) {
        *budget = v;
        *why = w;
    }
}

double ms_memory_budget(const char **why)
{
    double budget = INFINITY;
    const char *w = "the machine's memory";
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psz > 0)
        budget = (double)pages * (double)psz;
    else
        budget = 16.0 * (1 << 30);

    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        unsigned long long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
                lower(&budget, &w, (double)kb * 1024.0,
                      "the memory available (MemAvailable)");
        fclose(f);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        lower(&budget, &w, (double)rl.rlim_cur, "RLIMIT_DATA");
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        lower(&budget, &w, (double)rl.rlim_cur, "RLIMIT_AS");
    const char *cap = getenv("MINESCAN_MEMORY_MB");
    if (cap && *cap && strtod(cap, NULL) > 0)
        lower(&budget, &w, strtod(cap, NULL) * 1e6, "MINESCAN_MEMORY_MB");
    if (why)
        *why = w;
    return budget;
}
