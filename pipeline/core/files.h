/* Small file-system helpers with the project's error convention. */
#ifndef MINESCAN_FILES_H
#define MINESCAN_FILES_H

#include <stddef.h>

/* mkdir -p; MS_ERR_IO naming the folder on failure. */
int ms_make_dirs(const char *path);
/* Write `text` to `path` atomically: a temporary file in the same folder,
 * then rename, so that a failure never leaves a half-written file and never
 * damages the one already there. */
int ms_write_text_atomic(const char *path, const char *text, size_t len);

/* write(2) all of `n` bytes, retrying after EINTR and short writes (a
 * pipe to a parent process). 0 or MS_ERR_IO. */
int ms_write_all(int fd, const char *s, size_t n);

#endif
