/* One writer per output folder: a batch holds an flock on
 * OUTDIR/.minescan.lock while it runs (its workers share it through the
 * inherited descriptor, so it is held until the last of them is gone). */
#ifndef MINESCAN_BATCH_LOCK_H
#define MINESCAN_BATCH_LOCK_H

/* Take the lock (creating the folder if needed); *fd is the descriptor to
 * pass to ms_batch_unlock. When another process holds it: MS_ERR_USAGE
 * with a message naming the folder and that process. */
int ms_batch_lock(const char *outdir, int *fd);
void ms_batch_unlock(int fd);

#endif
