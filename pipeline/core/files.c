/* File-system helpers: see files.h. */
#include "core/files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minescan/error.h"

int ms_make_dirs(const char *path)
{
    char buf[4096];
    if (!*path)
        return ms_fail(MS_ERR_USAGE, "an empty folder name");
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ms_fail(MS_ERR_USAGE, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return ms_fail(MS_ERR_IO, "%s: cannot create folder: %s", buf,
                               strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return ms_fail(MS_ERR_IO, "%s: not a folder", path);
    return 0;
}

int ms_write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return MS_ERR_IO;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int ms_write_text_atomic(const char *path, const char *text, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ms_fail(MS_ERR_IO, "%s: cannot create (is the folder "
                       "writable?)", path);
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return ms_fail(MS_ERR_IO, "%s: write failed (disk full?)", path);
    }
    return 0;
}
