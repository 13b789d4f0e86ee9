/* The memory a run may take: one answer for the reader's size checks and
 * the runner's stage checks, so that a share given to a run holds for both. */
#ifndef MINESCAN_MEMORY_H
#define MINESCAN_MEMORY_H

/* Bytes this process may still allocate: MemAvailable (else the machine's
 * memory), lowered to RLIMIT_DATA (batch caps its workers with it), to
 * RLIMIT_AS and to MINESCAN_MEMORY_MB (a share of a node, a test, the
 * fuzzer's limit). `why`, when not NULL, gets which of them set it. */
double ms_memory_budget(const char **why);

#endif
