/* The output folder's lock: see batch_lock.h. */
#define _DEFAULT_SOURCE /* flock */
#include "runner/batch_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "minescan/error.h"
#include "core/files.h"

int ms_batch_lock(const char *outdir, int *fd)
{
    *fd = -1;
    int rc = ms_make_dirs(outdir);
    if (rc)
        return rc;
    char path[4200];
    snprintf(path, sizeof path, "%s/.minescan.lock", outdir);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        return ms_fail(MS_ERR_IO, "%s: cannot create the lock file: %s", path,
                       strerror(errno));
    while (flock(f, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        char who[64] = "";
        ssize_t n = pread(f, who, sizeof who - 1, 0);
        who[n > 0 ? n : 0] = '\0';
        who[strcspn(who, "\n")] = '\0';
        close(f);
        if (e == EWOULDBLOCK)
            return ms_fail(MS_ERR_USAGE, "%s: another minescan batch (%s) "
                           "is writing into this folder; wait for it to "
                           "finish or choose another -o folder", outdir,
                           *who ? who : "process unknown");
        return ms_fail(MS_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
    }
    /* Who holds it, for the message of the one that is refused. */
    char who[64];
    int len = snprintf(who, sizeof who, "pid %ld\n", (long)getpid());
    if (ftruncate(f, 0) == 0)
        (void)!pwrite(f, who, (size_t)len, 0);
    *fd = f;
    return 0;
}

void ms_batch_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* the flock goes with the last descriptor */
}
